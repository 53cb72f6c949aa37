// Helpers shared by the crypto module's sources. Not part of the public API:
// only src/crypto/*.cc and the module's tests include this header.
#ifndef WFSTORE_CRYPTO_INTERNAL_H_
#define WFSTORE_CRYPTO_INTERNAL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/keys.h"

namespace wfs::crypto::internal {

// Initializes libsodium (idempotent, thread-safe). Aborts when libsodium
// cannot initialize: without it no key may be made or checked.
void EnsureSodium();

template <size_t N>
std::string_view AsChars(const std::array<uint8_t, N>& a) {
  return std::string_view(reinterpret_cast<const char*>(a.data()), N);
}
inline const unsigned char* AsBytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Standard base64 with padding (RFC 4648 section 4), as minisign writes it.
std::string Base64Encode(std::string_view bytes);

enum class Base64Variants {
  kStandardPadded,  // minisign: standard alphabet, canonical padding only
  kAny,             // DSSE: standard or URL-safe, with or without padding
};
// Decodes `text`. Refuses characters outside the alphabet (no whitespace),
// non-canonical trailing bits, and output longer than `max_bytes`. The
// message of an error names no input bytes; callers add context.
Result<std::string> Base64Decode(std::string_view text, size_t max_bytes,
                                 Base64Variants variants);

// Reads one line of a minisign-style text file: the text up to '\n' (or the
// end), with one trailing '\r' removed. Returns false at the end of input.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}
  bool Next(std::string_view* line);
  // True when what is left holds nothing but line ends.
  bool AtEnd() const;
  int line_number() const { return line_number_; }

 private:
  std::string_view rest_;
  int line_number_ = 0;
};

// Reads the next line, which must start with `prefix`, and returns the text
// after the prefix. kInvalidArgument (naming `what` and the line number) when
// the line is missing, lacks the prefix, or its text is longer than
// `max_text` bytes.
Result<std::string_view> ReadPrefixedLine(LineReader* reader,
                                          std::string_view prefix,
                                          size_t max_text,
                                          std::string_view what);

// Reads the next line as base64 of exactly `size` bytes (standard alphabet,
// padded). kInvalidArgument naming `what` otherwise.
Result<std::string> ReadBase64Line(LineReader* reader, size_t size,
                                   std::string_view what);

// Checks that a comment is one line of printable text as minisign can carry
// it: no '\n', '\r' or NUL, at most `max_bytes` bytes.
Status CheckCommentText(std::string_view text, size_t max_bytes,
                        std::string_view what);

// Pure Ed25519 over `message` (RFC 8032; libsodium's strict verification,
// which also refuses non-canonical and small-order encodings).
bool VerifyEd25519(const PublicKey& key, std::string_view message,
                   std::string_view signature);

// BLAKE2b-512 of `content`, the message minisign's "ED" algorithm signs.
std::array<uint8_t, 64> Blake2b512(std::string_view content);

}  // namespace wfs::crypto::internal

#endif  // WFSTORE_CRYPTO_INTERNAL_H_
