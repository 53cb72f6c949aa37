// Source files and positions.
#ifndef WFSTORE_LANG_SOURCE_H_
#define WFSTORE_LANG_SOURCE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wfs::lang {

// A region of a source file. Lines and columns are 1-based; columns count
// bytes. `length` is in bytes and may be 0 (a point).
struct Span {
  uint32_t offset = 0;
  uint32_t length = 0;
  uint32_t line = 0;
  uint32_t col = 0;
};

class SourceFile {
 public:
  SourceFile(std::string path, std::string text);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }

  // The text of 1-based line `line`, without its newline ("" when out of
  // range).
  std::string_view Line(uint32_t line) const;
  // Line and column for a byte offset.
  void Position(uint32_t offset, uint32_t* line, uint32_t* col) const;

 private:
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
};

}  // namespace wfs::lang

#endif  // WFSTORE_LANG_SOURCE_H_
