#include "crypto/minisig.h"

#include <cstring>

#include "base/strings.h"
#include "crypto/internal.h"

namespace wfs::crypto {

namespace {

using internal::AsChars;

constexpr std::string_view kUntrustedPrefix = "untrusted comment: ";
constexpr std::string_view kTrustedPrefix = "trusted comment: ";
constexpr std::string_view kAlgPrehashed = "ED";
constexpr std::string_view kAlgLegacy = "Ed";
constexpr size_t kSigBlobBytes = 2 + kKeyIdBytes + kSignatureBytes;
constexpr size_t kMaxMinisigBytes = 16 << 10;
constexpr std::string_view kWhat = "signature";

std::string SignedTrustedComment(
    const std::array<uint8_t, kSignatureBytes>& signature,
    std::string_view trusted_comment) {
  std::string out(AsChars(signature));
  out += trusted_comment;
  return out;
}

Status CheckComments(std::string_view untrusted, std::string_view trusted) {
  WFS_RETURN_IF_ERROR(internal::CheckCommentText(
      untrusted, kMaxUntrustedCommentBytes, "untrusted comment"));
  return internal::CheckCommentText(trusted, kMaxTrustedCommentBytes,
                                    "trusted comment");
}

}  // namespace

Result<std::string> FormatSignature(const MinisignSignature& sig) {
  WFS_RETURN_IF_ERROR(
      CheckComments(sig.untrusted_comment, sig.trusted_comment));
  std::string blob(sig.prehashed ? kAlgPrehashed : kAlgLegacy);
  blob += AsChars(sig.key_id);
  blob += AsChars(sig.signature);
  return StrCat(kUntrustedPrefix, sig.untrusted_comment, "\n",
                internal::Base64Encode(blob), "\n", kTrustedPrefix,
                sig.trusted_comment, "\n",
                internal::Base64Encode(AsChars(sig.global_signature)), "\n");
}

Result<std::string> Sign(const SecretKey& key, std::string_view content,
                         std::string_view trusted_comment,
                         std::string_view untrusted_comment) {
  WFS_RETURN_IF_ERROR(CheckComments(untrusted_comment, trusted_comment));
  MinisignSignature sig;
  sig.prehashed = true;
  sig.key_id = key.key_id();
  auto digest = internal::Blake2b512(content);
  sig.signature = key.SignDetached(AsChars(digest));
  sig.untrusted_comment = std::string(untrusted_comment);
  sig.trusted_comment = std::string(trusted_comment);
  sig.global_signature =
      key.SignDetached(SignedTrustedComment(sig.signature, trusted_comment));
  return FormatSignature(sig);
}

Result<MinisignSignature> ParseSignature(std::string_view minisig) {
  if (minisig.size() > kMaxMinisigBytes) {
    return InvalidArgument(StrCat("signature: ", minisig.size(),
                                  " bytes is larger than a .minisig file can ",
                                  "be (", kMaxMinisigBytes, ")"));
  }
  internal::LineReader reader(minisig);
  MinisignSignature sig;
  WFS_ASSIGN_OR_RETURN(
      std::string_view untrusted,
      internal::ReadPrefixedLine(&reader, kUntrustedPrefix,
                                 kMaxUntrustedCommentBytes, kWhat));
  WFS_ASSIGN_OR_RETURN(std::string blob,
                       internal::ReadBase64Line(&reader, kSigBlobBytes, kWhat));
  WFS_ASSIGN_OR_RETURN(
      std::string_view trusted,
      internal::ReadPrefixedLine(&reader, kTrustedPrefix,
                                 kMaxTrustedCommentBytes, kWhat));
  WFS_ASSIGN_OR_RETURN(
      std::string global,
      internal::ReadBase64Line(&reader, kSignatureBytes, kWhat));
  if (!reader.AtEnd()) {
    return InvalidArgument("signature: unexpected text after line 4");
  }
  // minisign stops a comment at '\r' or NUL; refuse them rather than verify
  // a different comment than minisign would.
  Status s = CheckComments(untrusted, trusted);
  if (!s.ok()) return s.WithContext(kWhat);

  std::string_view alg = std::string_view(blob).substr(0, 2);
  if (alg == kAlgPrehashed) {
    sig.prehashed = true;
  } else if (alg == kAlgLegacy) {
    sig.prehashed = false;
  } else {
    return InvalidArgument(StrCat("signature: unsupported algorithm ",
                                  Quote(alg), " (expected \"ED\" or \"Ed\")"));
  }
  std::memcpy(sig.key_id.data(), blob.data() + 2, kKeyIdBytes);
  std::memcpy(sig.signature.data(), blob.data() + 2 + kKeyIdBytes,
              kSignatureBytes);
  std::memcpy(sig.global_signature.data(), global.data(), kSignatureBytes);
  sig.untrusted_comment = std::string(untrusted);
  sig.trusted_comment = std::string(trusted);
  return sig;
}

Result<std::string> Verify(const PublicKey& key, std::string_view content,
                           std::string_view minisig) {
  WFS_ASSIGN_OR_RETURN(MinisignSignature sig, ParseSignature(minisig));
  if (sig.key_id != key.key_id) {
    return FailedPrecondition(
        StrCat("signature was made with key ", KeyIdHex(sig.key_id),
               ", but the public key is ", KeyIdHex(key.key_id)));
  }
  bool good;
  if (sig.prehashed) {
    auto digest = internal::Blake2b512(content);
    good =
        internal::VerifyEd25519(key, AsChars(digest), AsChars(sig.signature));
  } else {
    good = internal::VerifyEd25519(key, content, AsChars(sig.signature));
  }
  if (!good) {
    return Unauthenticated(StrCat(
        "signature verification failed: the content or the signature was ",
        "altered, or it was not signed by key ", KeyIdHex(key.key_id)));
  }
  if (!internal::VerifyEd25519(
          key, SignedTrustedComment(sig.signature, sig.trusted_comment),
          AsChars(sig.global_signature))) {
    return DataLoss(
        "trusted comment signature verification failed: the trusted comment "
        "or the global signature was altered");
  }
  return std::move(sig.trusted_comment);
}

}  // namespace wfs::crypto
