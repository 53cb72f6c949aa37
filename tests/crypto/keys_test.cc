// Key generation and minisign key files: round trips, fixed vectors from the
// minisign CLI, passphrases, KDF bounds and malformed input.
#include "crypto/keys.h"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/sha256.h"
#include "crypto/minisig.h"
#include "fixtures.h"
#include "test_util.h"

namespace wfs::crypto {
namespace {

using testing::B64;
using testing::EditBlob;
using testing::FixedKeyPair;
using testing::Lines;
using testing::TempDir;
using testing::UnB64;

// Interactive scrypt cost keeps the encrypted-key tests fast.
constexpr KdfParams kFastKdf{kScryptOpsLimitInteractive,
                             kScryptMemLimitInteractive};

template <size_t N>
std::string Hex(const std::array<uint8_t, N>& a) {
  return HexEncode(
      std::string_view(reinterpret_cast<const char*>(a.data()), N));
}

TEST(KeysTest, KeyIdHexIsLittleEndianUpperCaseLikeMinisign) {
  KeyId id = {0xa5, 0xb7, 0xfa, 0x81, 0x5b, 0x78, 0xae, 0xa4};
  EXPECT_EQ(KeyIdHex(id), "A4AE785B81FAB7A5");
  KeyId small = {0x01, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(KeyIdHex(small), "0000000000000001");  // zero-padded to 16
}

TEST(KeysTest, Rfc8032TestVector1) {
  std::array<uint8_t, kSeedBytes> seed;
  std::memcpy(seed.data(),
              "\x9d\x61\xb1\x9d\xef\xfd\x5a\x60\xba\x84\x4a\xf4\x92\xec"
              "\x2c\xc4\x44\x49\xc5\x69\x7b\x32\x69\x19\x70\x3b\xac\x03"
              "\x1c\xae\x7f\x60",
              32);
  KeyPair kp = KeyPairFromSeed(seed, KeyId{});
  EXPECT_EQ(Hex(kp.public_key.key),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_EQ(Hex(kp.secret_key.SignDetached("")),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
}

TEST(KeysTest, GenerateKeyPairIsRandomAndConsistent) {
  KeyPair a = GenerateKeyPair();
  KeyPair b = GenerateKeyPair();
  EXPECT_NE(a.public_key.key, b.public_key.key);
  EXPECT_NE(a.public_key.key_id, b.public_key.key_id);
  EXPECT_EQ(a.secret_key.public_key(), a.public_key);
  EXPECT_EQ(a.secret_key.key_id(), a.public_key.key_id);
}

TEST(KeysTest, KeyPairFromSeedIsDeterministic) {
  EXPECT_EQ(FixedKeyPair(7).public_key, FixedKeyPair(7).public_key);
  EXPECT_NE(FixedKeyPair(7).public_key, FixedKeyPair(8).public_key);
}

// ---- Public keys -----------------------------------------------------------

TEST(PublicKeyTest, ParsesMinisignFileAndFormatsItBack) {
  auto pk = ParsePublicKey(testing::kMinisignPublicKey);
  ASSERT_TRUE(pk.ok()) << pk.status().ToString();
  EXPECT_EQ(KeyIdHex(pk->key_id), testing::kMinisignKeyIdHex);
  EXPECT_EQ(FormatPublicKey(*pk), testing::kMinisignPublicKey);
  EXPECT_EQ(PublicKeyBase64(*pk),
            "RWSlt/qBW3iupJa2NZ4wzKV0GQT1Hw5JgoNGw4J6vLyZcD4bTDP00OpS");
}

TEST(PublicKeyTest, RoundTrip) {
  KeyPair kp = GenerateKeyPair();
  std::string text = FormatPublicKey(kp.public_key);
  EXPECT_TRUE(StartsWith(text, "untrusted comment: minisign public key " +
                                   KeyIdHex(kp.public_key.key_id) + "\n"));
  auto back = ParsePublicKey(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, kp.public_key);
  auto b64 = ParsePublicKeyBase64(PublicKeyBase64(kp.public_key));
  ASSERT_TRUE(b64.ok());
  EXPECT_EQ(*b64, kp.public_key);
}

TEST(PublicKeyTest, AcceptsCrLfAndTrailingBlankLines) {
  std::vector<std::string> l = Lines(testing::kMinisignPublicKey);
  EXPECT_TRUE(ParsePublicKey(l[0] + "\r\n" + l[1] + "\r\n").ok());
  EXPECT_TRUE(ParsePublicKey(l[0] + "\n" + l[1]).ok());  // no final newline
  EXPECT_TRUE(ParsePublicKey(l[0] + "\n" + l[1] + "\n\n\r\n").ok());
}

TEST(PublicKeyTest, RejectsMalformedFiles) {
  std::vector<std::string> l = Lines(testing::kMinisignPublicKey);
  const std::string kCases[] = {
      "",
      l[0] + "\n",                                   // no key line
      l[1] + "\n",                                   // no comment line
      "comment: x\n" + l[1] + "\n",                  // wrong prefix
      l[0] + "\n" + l[1] + "\nextra\n",              // trailing text
      l[0] + "\n" + l[1].substr(0, 40) + "\n",       // truncated base64
      l[0] + "\n" + l[1] + "AAAA\n",                 // too long
      l[0] + "\n" + l[1] + " \n",                    // whitespace in base64
      l[0] + "\n" + "!!!!" + l[1].substr(4) + "\n",  // bad alphabet
      "untrusted comment: " + std::string(1004, 'c') + "\n" + l[1] + "\n",
  };
  for (const std::string& text : kCases) {
    auto pk = ParsePublicKey(text);
    EXPECT_FALSE(pk.ok()) << Quote(text);
    EXPECT_EQ(pk.status().code(), Code::kInvalidArgument) << Quote(text);
  }
  // Right length, wrong algorithm.
  std::string other = EditBlob(testing::kMinisignPublicKey, 1,
                               [](std::string& b) { b[1] = 'D'; });
  auto pk = ParsePublicKey(other);
  ASSERT_FALSE(pk.ok());
  EXPECT_NE(pk.status().message().find("algorithm"), std::string::npos)
      << pk.status().message();
  EXPECT_FALSE(ParsePublicKeyBase64("RWS").ok());
}

// ---- Secret keys -----------------------------------------------------------

TEST(SecretKeyTest, ParsesMinisignUnencryptedKey) {
  auto sk = ParseSecretKey(testing::kMinisignSecretKeyUnencrypted, "");
  ASSERT_TRUE(sk.ok()) << sk.status().ToString();
  auto pk = ParsePublicKey(testing::kMinisignPublicKey);
  ASSERT_TRUE(pk.ok());
  EXPECT_EQ(sk->public_key(), *pk);
  auto enc = SecretKeyIsEncrypted(testing::kMinisignSecretKeyUnencrypted);
  ASSERT_TRUE(enc.ok());
  EXPECT_FALSE(*enc);
  // The passphrase is ignored for unencrypted keys.
  EXPECT_TRUE(
      ParseSecretKey(testing::kMinisignSecretKeyUnencrypted, "anything").ok());
}

TEST(SecretKeyTest, UnencryptedRoundTripAndLayout) {
  KeyPair kp = FixedKeyPair(1);
  std::string text = FormatSecretKeyUnencrypted(kp.secret_key);
  std::vector<std::string> l = Lines(text);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0], "untrusted comment: minisign encrypted secret key");
  std::string blob = UnB64(l[1]);
  ASSERT_EQ(blob.size(), 158u);
  EXPECT_EQ(blob.substr(0, 6), std::string("Ed\0\0B2", 6));
  EXPECT_EQ(blob.substr(6, 48), std::string(48, '\0'));  // salt and limits
  EXPECT_EQ(blob.substr(54, 8),
            std::string(
                reinterpret_cast<const char*>(kp.public_key.key_id.data()), 8));
  EXPECT_NE(blob.substr(126, 32), std::string(32, '\0'));  // checksum set

  auto back = ParseSecretKey(text, "");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->public_key(), kp.public_key);
  EXPECT_EQ(back->SignDetached("m"), kp.secret_key.SignDetached("m"));
}

TEST(SecretKeyTest, EncryptedRoundTrip) {
  KeyPair kp = FixedKeyPair(2);
  auto text = FormatSecretKey(kp.secret_key, "correct horse", kFastKdf);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  std::string blob = UnB64(Lines(*text)[1]);
  ASSERT_EQ(blob.size(), 158u);
  EXPECT_EQ(blob.substr(0, 6), "EdScB2");
  uint64_t ops = 0, mem = 0;
  std::memcpy(&ops, blob.data() + 38, 8);  // little-endian host
  std::memcpy(&mem, blob.data() + 46, 8);
  EXPECT_EQ(ops, kScryptOpsLimitInteractive);
  EXPECT_EQ(mem, kScryptMemLimitInteractive);
  // The key id is encrypted along with the key.
  EXPECT_NE(blob.substr(54, 8),
            std::string(
                reinterpret_cast<const char*>(kp.public_key.key_id.data()), 8));
  auto enc = SecretKeyIsEncrypted(*text);
  ASSERT_TRUE(enc.ok());
  EXPECT_TRUE(*enc);

  auto back = ParseSecretKey(*text, "correct horse");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->public_key(), kp.public_key);

  // Fresh salt every time.
  auto again = FormatSecretKey(kp.secret_key, "correct horse", kFastKdf);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, *text);
}

TEST(SecretKeyTest, WrongPassphraseIsUnauthenticated) {
  KeyPair kp = FixedKeyPair(3);
  auto text = FormatSecretKey(kp.secret_key, "right", kFastKdf);
  ASSERT_TRUE(text.ok());
  for (std::string_view wrong : {"wrong", "", "right ", "Right"}) {
    auto sk = ParseSecretKey(*text, wrong);
    ASSERT_FALSE(sk.ok()) << wrong;
    EXPECT_EQ(sk.status().code(), Code::kUnauthenticated);
    EXPECT_NE(sk.status().message().find("wrong passphrase"),
              std::string::npos);
  }
}

TEST(SecretKeyTest, EmptyPassphraseIsAPassphrase) {
  KeyPair kp = FixedKeyPair(4);
  auto text = FormatSecretKey(kp.secret_key, std::string_view(), kFastKdf);
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(ParseSecretKey(*text, "").ok());
  // A default string_view (null data) is the same empty passphrase.
  EXPECT_TRUE(ParseSecretKey(*text, std::string_view()).ok());
  EXPECT_EQ(ParseSecretKey(*text, "x").status().code(), Code::kUnauthenticated);
}

TEST(SecretKeyTest, FormatRejectsBadParams) {
  KeyPair kp = FixedKeyPair(5);
  EXPECT_EQ(FormatSecretKey(kp.secret_key, "p",
                            {kScryptOpsLimitMin - 1, kScryptMemLimitMin})
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(FormatSecretKey(kp.secret_key, "p",
                            {kScryptOpsLimitMin, kScryptMemLimitSensitive * 2})
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(FormatSecretKey(kp.secret_key, std::string(1024, 'p'), kFastKdf)
                .status()
                .code(),
            Code::kInvalidArgument);
}

TEST(SecretKeyTest, RefusesScryptCostAboveLimitsWithoutDeriving) {
  KeyPair kp = FixedKeyPair(6);
  auto text = FormatSecretKey(kp.secret_key, "p", kFastKdf);
  ASSERT_TRUE(text.ok());
  KdfLimits tight{kScryptOpsLimitMin, kScryptMemLimitMin};
  auto sk = ParseSecretKey(*text, "p", tight);
  ASSERT_FALSE(sk.ok());
  EXPECT_EQ(sk.status().code(), Code::kResourceExhausted);

  // A file claiming more than minisign's sensitive cost is refused by
  // default.
  std::string huge = EditBlob(*text, 1, [](std::string& b) {
    uint64_t ops = kScryptOpsLimitSensitive + 1;
    std::memcpy(b.data() + 38, &ops, 8);
  });
  EXPECT_EQ(ParseSecretKey(huge, "p").status().code(),
            Code::kResourceExhausted);
  std::string huge_mem = EditBlob(*text, 1, [](std::string& b) {
    uint64_t mem = uint64_t{1} << 62;
    std::memcpy(b.data() + 46, &mem, 8);
  });
  EXPECT_EQ(ParseSecretKey(huge_mem, "p").status().code(),
            Code::kResourceExhausted);
  // Below libsodium's minimum: malformed (minisign never writes it).
  std::string tiny = EditBlob(
      *text, 1, [](std::string& b) { std::memset(b.data() + 46, 0, 8); });
  EXPECT_EQ(ParseSecretKey(tiny, "p").status().code(), Code::kInvalidArgument);
}

TEST(SecretKeyTest, DetectsCorruption) {
  KeyPair kp = FixedKeyPair(7);
  std::string text = FormatSecretKeyUnencrypted(kp.secret_key);
  // A flipped key byte breaks the checksum.
  std::string flipped = EditBlob(text, 1, [](std::string& b) { b[70] ^= 1; });
  EXPECT_EQ(ParseSecretKey(flipped, "").status().code(), Code::kDataLoss);
  // minisign -W style zero checksum is accepted...
  std::string zero = EditBlob(
      text, 1, [](std::string& b) { std::memset(b.data() + 126, 0, 32); });
  EXPECT_TRUE(ParseSecretKey(zero, "").ok());
  // ...but not with a public half that does not belong to the seed.
  std::string mismatched =
      EditBlob(zero, 1, [](std::string& b) { b[62 + 40] ^= 1; });
  auto sk = ParseSecretKey(mismatched, "");
  ASSERT_FALSE(sk.ok());
  EXPECT_EQ(sk.status().code(), Code::kDataLoss);
  EXPECT_NE(sk.status().message().find("public half"), std::string::npos);
}

TEST(SecretKeyTest, RejectsMalformedFiles) {
  std::string text = FormatSecretKeyUnencrypted(FixedKeyPair(8).secret_key);
  std::vector<std::string> l = Lines(text);
  const std::string kCases[] = {
      "",
      l[1] + "\n",
      l[0] + "\n",
      l[0] + "\n" + l[1] + "\nmore\n",
      l[0] + "\n" + l[1].substr(0, 100) + "\n",
      EditBlob(text, 1, [](std::string& b) { b[0] = 'X'; }),  // sig alg
      EditBlob(text, 1, [](std::string& b) { b[2] = 'X'; }),  // kdf alg
      EditBlob(text, 1, [](std::string& b) { b[4] = 'X'; }),  // chk alg
      testing::JoinLines({l[0], B64(UnB64(l[1]) + "x")}),     // 159 bytes
  };
  for (const std::string& t : kCases) {
    auto sk = ParseSecretKey(t, "");
    EXPECT_EQ(sk.status().code(), Code::kInvalidArgument) << Quote(t);
    EXPECT_FALSE(SecretKeyIsEncrypted(t).ok()) << Quote(t);
  }
}

// ---- Files -----------------------------------------------------------------

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

TEST(KeyFilesTest, SecretKeyFileIs0600AndNotClobbered) {
  TempDir dir;
  std::string path = dir.File("minisign.key");
  KeyPair kp = FixedKeyPair(9);
  std::string first = FormatSecretKeyUnencrypted(kp.secret_key);
  mode_t old_umask = umask(0);  // even a permissive umask gets 0600
  Status s = WriteSecretKeyFile(path, first, /*overwrite=*/false);
  umask(old_umask);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(*ReadFile(path), first);

  std::string second = FormatSecretKeyUnencrypted(FixedKeyPair(10).secret_key);
  Status again = WriteSecretKeyFile(path, second, /*overwrite=*/false);
  EXPECT_EQ(again.code(), Code::kAlreadyExists);
  EXPECT_EQ(*ReadFile(path), first);

  ASSERT_TRUE(WriteSecretKeyFile(path, second, /*overwrite=*/true).ok());
  EXPECT_EQ(*ReadFile(path), second);
  EXPECT_EQ(ModeOf(path), 0600u);

  // No temporary files are left behind.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(KeyFilesTest, LoadRoundTrip) {
  TempDir dir;
  KeyPair kp = FixedKeyPair(11);
  ASSERT_TRUE(WritePublicKeyFile(dir.File("k.pub"), kp.public_key).ok());
  auto enc = FormatSecretKey(kp.secret_key, "pw", kFastKdf);
  ASSERT_TRUE(enc.ok());
  ASSERT_TRUE(WriteSecretKeyFile(dir.File("k.key"), *enc, false).ok());

  auto pk = LoadPublicKeyFile(dir.File("k.pub"));
  ASSERT_TRUE(pk.ok()) << pk.status().ToString();
  EXPECT_EQ(*pk, kp.public_key);
  auto sk = LoadSecretKeyFile(dir.File("k.key"), "pw");
  ASSERT_TRUE(sk.ok()) << sk.status().ToString();
  EXPECT_EQ(sk->public_key(), kp.public_key);

  auto wrong = LoadSecretKeyFile(dir.File("k.key"), "nope");
  EXPECT_EQ(wrong.status().code(), Code::kUnauthenticated);
  EXPECT_NE(wrong.status().message().find(dir.File("k.key")),
            std::string::npos);
  EXPECT_EQ(LoadPublicKeyFile(dir.File("missing.pub")).status().code(),
            Code::kNotFound);
}

}  // namespace
}  // namespace wfs::crypto
