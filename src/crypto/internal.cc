#include "crypto/internal.h"

#include <sodium.h>

#include <cstdlib>

#include "base/strings.h"

namespace wfs::crypto::internal {

void EnsureSodium() {
  // sodium_init() returns 0 the first time, 1 when already initialized and
  // -1 on failure; it is safe to call from several threads.
  if (sodium_init() < 0) std::abort();
}

std::string Base64Encode(std::string_view bytes) {
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), AsBytes(bytes), bytes.size(),
                    variant);
  out.resize(out.size() - 1);  // the encoded length counts the final NUL
  return out;
}

namespace {

Result<std::string> DecodeVariant(std::string_view text, size_t max_bytes,
                                  int variant) {
  // Any base64 text decodes to at most 3/4 of its length (plus rounding).
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()),
                        out.size(), text.data(), text.size(), nullptr, &len,
                        nullptr, variant) != 0) {
    return InvalidArgument("invalid base64");
  }
  if (len > max_bytes) {
    return InvalidArgument(
        StrCat("base64 decodes to ", len, " bytes, more than ", max_bytes));
  }
  out.resize(len);
  return out;
}

}  // namespace

Result<std::string> Base64Decode(std::string_view text, size_t max_bytes,
                                 Base64Variants variants) {
  // Refuse hopelessly long text before allocating for it.
  if (text.size() / 4 * 3 > max_bytes + 3) {
    return InvalidArgument(StrCat("base64 text of ", text.size(),
                                  " characters is longer than ",
                                  "the field allows"));
  }
  if (variants == Base64Variants::kStandardPadded) {
    return DecodeVariant(text, max_bytes, sodium_base64_VARIANT_ORIGINAL);
  }
  bool url = text.find_first_of("-_") != std::string_view::npos;
  bool padded = !text.empty() && text.back() == '=';
  int variant = url ? (padded ? sodium_base64_VARIANT_URLSAFE
                              : sodium_base64_VARIANT_URLSAFE_NO_PADDING)
                    : (padded ? sodium_base64_VARIANT_ORIGINAL
                              : sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  return DecodeVariant(text, max_bytes, variant);
}

bool LineReader::Next(std::string_view* line) {
  if (rest_.empty()) return false;
  ++line_number_;
  size_t nl = rest_.find('\n');
  std::string_view l = rest_.substr(0, nl);
  rest_ =
      nl == std::string_view::npos ? std::string_view() : rest_.substr(nl + 1);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  *line = l;
  return true;
}

bool LineReader::AtEnd() const {
  return rest_.find_first_not_of("\r\n") == std::string_view::npos;
}

Result<std::string_view> ReadPrefixedLine(LineReader* reader,
                                          std::string_view prefix,
                                          size_t max_text,
                                          std::string_view what) {
  std::string_view line;
  if (!reader->Next(&line)) {
    return InvalidArgument(StrCat(what, ": missing line ",
                                  reader->line_number() + 1, " (\"", prefix,
                                  "...\")"));
  }
  if (!StartsWith(line, prefix)) {
    return InvalidArgument(StrCat(what, ": line ", reader->line_number(),
                                  " must start with \"", prefix, "\""));
  }
  line.remove_prefix(prefix.size());
  if (line.size() > max_text) {
    return InvalidArgument(
        StrCat(what, ": line ", reader->line_number(), " is too long (",
               line.size(), " bytes of text; the limit is ", max_text, ")"));
  }
  return line;
}

Result<std::string> ReadBase64Line(LineReader* reader, size_t size,
                                   std::string_view what) {
  std::string_view line;
  if (!reader->Next(&line)) {
    return InvalidArgument(
        StrCat(what, ": missing base64 line ", reader->line_number() + 1));
  }
  auto bytes = Base64Decode(line, size, Base64Variants::kStandardPadded);
  if (!bytes.ok()) {
    return InvalidArgument(StrCat(what, ": line ", reader->line_number(), ": ",
                                  bytes.status().message()));
  }
  if (bytes->size() != size) {
    return InvalidArgument(StrCat(what, ": line ", reader->line_number(),
                                  " decodes to ", bytes->size(),
                                  " bytes; expected ", size));
  }
  return bytes;
}

Status CheckCommentText(std::string_view text, size_t max_bytes,
                        std::string_view what) {
  if (text.size() > max_bytes) {
    return InvalidArgument(StrCat(what, " is ", text.size(),
                                  " bytes long; the limit is ", max_bytes));
  }
  size_t bad = text.find_first_of(std::string_view("\r\n\0", 3));
  if (bad != std::string_view::npos) {
    return InvalidArgument(StrCat(what, " must be a single line without NUL",
                                  " bytes (found one at byte ", bad, ")"));
  }
  return Status::Ok();
}

bool VerifyEd25519(const PublicKey& key, std::string_view message,
                   std::string_view signature) {
  if (signature.size() != crypto_sign_BYTES) return false;
  EnsureSodium();
  return crypto_sign_verify_detached(AsBytes(signature), AsBytes(message),
                                     message.size(), key.key.data()) == 0;
}

std::array<uint8_t, 64> Blake2b512(std::string_view content) {
  static_assert(crypto_generichash_BYTES_MAX == 64);
  EnsureSodium();
  std::array<uint8_t, 64> out;
  crypto_generichash(out.data(), out.size(), AsBytes(content), content.size(),
                     nullptr, 0);
  return out;
}

}  // namespace wfs::crypto::internal
