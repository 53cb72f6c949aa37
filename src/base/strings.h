// Small string helpers used across modules.
#ifndef WFSTORE_BASE_STRINGS_H_
#define WFSTORE_BASE_STRINGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wfs {

namespace internal {
inline void StrAppendOne(std::string& out, std::string_view s) { out += s; }
inline void StrAppendOne(std::string& out, const char* s) { out += s; }
inline void StrAppendOne(std::string& out, const std::string& s) { out += s; }
inline void StrAppendOne(std::string& out, char c) { out += c; }
template <typename N,
          typename = std::enable_if_t<std::is_arithmetic_v<N> &&
                                      !std::is_same_v<N, char>>>
void StrAppendOne(std::string& out, N n) {
  out += std::to_string(n);
}
}  // namespace internal

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (internal::StrAppendOne(out, args), ...);
  return out;
}

std::vector<std::string> StrSplit(std::string_view s, char sep);
std::string StrJoin(const std::vector<std::string>& parts,
                    std::string_view sep);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
std::string_view Trim(std::string_view s);
std::string ToLower(std::string_view s);

// Numbers for people: FormatFixed(3.14159, 1) == "3.1",
// FormatPercent(0.256) == "25.6%" (a fraction, one decimal), FormatShort(0.5)
// == "0.5" (%g).
std::string FormatFixed(double v, int decimals);
std::string FormatPercent(double fraction);
std::string FormatShort(double v);

// Quotes a string for messages: `text` with control characters escaped and
// long text shortened to `max_chars` bytes with an ellipsis.
std::string Quote(std::string_view s, size_t max_chars = 80);

// Offset of the first byte that is not part of well-formed UTF-8 (no
// overlongs, no surrogates), or std::string_view::npos when `s` is valid.
size_t FindInvalidUtf8(std::string_view s);
// Appends the UTF-8 encoding of code point `cp` (callers pass a Unicode
// scalar value: at most 0x10FFFF, not a surrogate).
void AppendUtf8(std::string& out, uint32_t cp);
inline bool IsValidUtf8(std::string_view s) {
  return FindInvalidUtf8(s) == std::string_view::npos;
}

}  // namespace wfs

#endif  // WFSTORE_BASE_STRINGS_H_
