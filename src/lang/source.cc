#include "lang/source.h"

#include <algorithm>

namespace wfs::lang {

SourceFile::SourceFile(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (uint32_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

std::string_view SourceFile::Line(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  uint32_t start = line_starts_[line - 1];
  uint32_t end = line < line_starts_.size()
                     ? line_starts_[line] - 1
                     : static_cast<uint32_t>(text_.size());
  std::string_view v(text_.data() + start, end - start);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

void SourceFile::Position(uint32_t offset, uint32_t* line,
                          uint32_t* col) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t idx = static_cast<size_t>(it - line_starts_.begin()) - 1;
  *line = static_cast<uint32_t>(idx + 1);
  *col = offset - line_starts_[idx] + 1;
}

}  // namespace wfs::lang
