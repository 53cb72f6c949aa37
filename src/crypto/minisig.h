// minisign signatures (.minisig files): sign bytes, parse and verify.
//
// A .minisig file is four lines:
//   untrusted comment: <text>
//   base64("ED" || key id (8) || Ed25519(BLAKE2b-512(content)) (64))
//   trusted comment: <text>
//   base64(Ed25519(signature (64) || trusted comment text))  "global"
// The trusted comment is covered by the global signature; the untrusted one
// is not. Signatures made here verify with `minisign -Vm FILE -p KEY.pub`.
// Every function is thread-safe; none throws.
#ifndef WFSTORE_CRYPTO_MINISIG_H_
#define WFSTORE_CRYPTO_MINISIG_H_

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/keys.h"

namespace wfs::crypto {

inline constexpr std::string_view kDefaultUntrustedComment =
    "signature from minisign secret key";
// The longest comments minisign reads back (its line buffers are 1024 and
// 8192 bytes, including the prefix and the line end).
inline constexpr size_t kMaxUntrustedCommentBytes = 1003;
inline constexpr size_t kMaxTrustedCommentBytes = 8173;

// A parsed .minisig file. Nothing in it is authenticated until Verify says
// so; the untrusted comment never is.
struct MinisignSignature {
  // true: "ED", Ed25519 over BLAKE2b-512 of the content (minisign's default
  // since 0.8). false: legacy "Ed", Ed25519 over the content itself.
  bool prehashed = true;
  KeyId key_id{};
  std::array<uint8_t, kSignatureBytes> signature{};
  std::string untrusted_comment;  // the text after "untrusted comment: "
  std::string trusted_comment;    // the text after "trusted comment: "
  std::array<uint8_t, kSignatureBytes> global_signature{};

  bool operator==(const MinisignSignature&) const = default;
};

// Signs `content` as `minisign -S` does by default (prehashed "ED") and
// returns the .minisig file text (four lines, each ending in '\n').
// `trusted_comment` is signed too (minisign's default is
// "timestamp:<unix time>\tfile:<name>\thashed"; callers choose their own).
// kInvalidArgument when a comment has '\r', '\n' or NUL bytes or is longer
// than the limits above.
Result<std::string> Sign(
    const SecretKey& key, std::string_view content,
    std::string_view trusted_comment,
    std::string_view untrusted_comment = kDefaultUntrustedComment);

// Parses .minisig text (untrusted input, at most 16 KiB). Blank lines may
// follow the four lines; nothing else may. Both "ED" and legacy "Ed"
// signatures parse. kInvalidArgument, naming the line, for anything else.
Result<MinisignSignature> ParseSignature(std::string_view minisig);

// The .minisig text for `sig`; ParseSignature(FormatSignature(s)) == s.
// kInvalidArgument when a comment breaks the rules Sign enforces.
Result<std::string> FormatSignature(const MinisignSignature& sig);

// Verifies `minisig` over `content` with `key`, as `minisign -V` does
// (prehashed and legacy signatures both accepted, like minisign 0.11
// without -H). On success returns the trusted comment, now authenticated.
// Each failure has its own code:
//   kInvalidArgument     the .minisig text is malformed;
//   kFailedPrecondition  it was made by another key (the message names both
//                        key ids): wrong public key, nothing tampered;
//   kUnauthenticated     the signature does not match the content: the
//                        content or the signature was altered, or forged;
//   kDataLoss            the content signature is good but the global
//                        signature is not: the trusted comment was altered.
Result<std::string> Verify(const PublicKey& key, std::string_view content,
                           std::string_view minisig);

}  // namespace wfs::crypto

#endif  // WFSTORE_CRYPTO_MINISIG_H_
