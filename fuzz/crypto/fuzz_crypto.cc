// Feeds arbitrary bytes to every parser of untrusted input in src/crypto:
// public keys, secret keys (no passphrase and a fixed one), .minisig files,
// DSSE envelopes and in-toto statements. The bytes are used as they are and
// also wrapped as the base64 blob of a key or signature file, so that the
// checks behind the base64 layer (algorithms, KDF limits, checksums, key
// ids) are reached too. Anything that parses must format and parse back to
// the same value.
//
// scrypt work is bounded: the secret-key parser refuses opslimit above
// kFuzzKdf.max_opslimit, so no input derives for more than a few ms.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/dsse.h"
#include "crypto/internal.h"
#include "crypto/intoto.h"
#include "crypto/keys.h"
#include "crypto/minisig.h"

namespace wfs::crypto {
namespace {

// Twice libsodium's minimum opslimit: with memlimit >= its minimum, scrypt
// then uses N = 2048, r = 8, p = 1 (2 MiB, about a millisecond).
constexpr KdfLimits kFuzzKdf{2 * kScryptOpsLimitMin, 2 * kScryptMemLimitMin};
constexpr std::string_view kPassphrase = "fuzz";
constexpr std::string_view kContent = "fuzz content\n";

void Check(bool ok) {
  if (!ok) std::abort();
}

const KeyPair& FixedKey() {
  static const KeyPair* const kKey = [] {
    std::array<uint8_t, kSeedBytes> seed;
    seed.fill(0x42);
    KeyId id = {1, 2, 3, 4, 5, 6, 7, 8};
    return new KeyPair(KeyPairFromSeed(seed, id));
  }();
  return *kKey;
}

void FuzzPublicKey(std::string_view text) {
  auto pk = ParsePublicKey(text);
  if (!pk.ok()) return;
  auto back = ParsePublicKey(FormatPublicKey(*pk));
  Check(back.ok() && *back == *pk);
  auto b64 = ParsePublicKeyBase64(PublicKeyBase64(*pk));
  Check(b64.ok() && *b64 == *pk);
}

void FuzzSecretKey(std::string_view text) {
  auto encrypted = SecretKeyIsEncrypted(text);
  for (std::string_view pass : {std::string_view(), kPassphrase}) {
    auto sk = ParseSecretKey(text, pass, kFuzzKdf);
    // Structure errors must agree with SecretKeyIsEncrypted.
    if (!encrypted.ok()) {
      Check(!sk.ok() && sk.status().code() == Code::kInvalidArgument);
      continue;
    }
    if (!sk.ok()) continue;
    PublicKey pk = sk->public_key();
    auto plain = ParseSecretKey(FormatSecretKeyUnencrypted(*sk), "");
    Check(plain.ok() && plain->public_key() == pk);
    auto sig = Sign(*sk, kContent, "t");
    Check(sig.ok() && Verify(pk, kContent, *sig).ok());
  }
}

void FuzzSignature(std::string_view text) {
  auto sig = ParseSignature(text);
  auto verified = Verify(FixedKey().public_key, kContent, text);
  if (!sig.ok()) {
    Check(!verified.ok() && verified.status().code() == Code::kInvalidArgument);
    return;
  }
  auto formatted = FormatSignature(*sig);
  Check(formatted.ok());
  auto back = ParseSignature(*formatted);
  Check(back.ok() && *back == *sig);
  if (verified.ok()) Check(*verified == sig->trusted_comment);
}

void FuzzDsse(std::string_view text) {
  auto env = ParseDsseEnvelope(text);
  if (!env.ok()) return;
  auto back = ParseDsseEnvelope(FormatDsseEnvelope(*env));
  Check(back.ok() && *back == *env);
  std::vector<PublicKey> keys = {FixedKey().public_key};
  auto ids = VerifyDsse(*env, keys);
  if (ids.ok()) Check(ids->size() == 1);
  auto st = VerifyStatement(*env, keys);
  if (st.ok()) Check(StatementToJson(st->statement).ok());
}

void FuzzStatement(std::string_view text) {
  auto st = ParseStatement(text);
  if (!st.ok()) return;
  auto json = StatementToJson(*st);
  Check(json.ok());
  auto back = StatementFromJson(*json);
  Check(back.ok() && *back == *st);
}

// The input as the blob of a two-line key file, and cut into the fields of
// a .minisig (74-byte blob, 64-byte global signature, trusted comment).
void FuzzWrapped(std::string_view data) {
  std::string key_file =
      "untrusted comment: fuzz\n" + internal::Base64Encode(data) + "\n";
  FuzzPublicKey(key_file);
  FuzzSecretKey(key_file);
  if (data.size() >= 74 + 64) {
    std::string sig = "untrusted comment: fuzz\n" +
                      internal::Base64Encode(data.substr(0, 74)) +
                      "\ntrusted comment: " + std::string(data.substr(138)) +
                      "\n" + internal::Base64Encode(data.substr(74, 64)) + "\n";
    FuzzSignature(sig);
  }
}

}  // namespace
}  // namespace wfs::crypto

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  wfs::crypto::FuzzPublicKey(in);
  wfs::crypto::FuzzSecretKey(in);
  wfs::crypto::FuzzSignature(in);
  wfs::crypto::FuzzDsse(in);
  wfs::crypto::FuzzStatement(in);
  if (size <= 4096) wfs::crypto::FuzzWrapped(in);
  return 0;
}

// The fuzz build compiles UBSan in recovering mode, which only prints; make
// any undefined behaviour a failure of this target.
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}
