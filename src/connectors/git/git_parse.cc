#include "connectors/git/git_parse.h"

#include "base/strings.h"

namespace wfs::connectors::git {

namespace {

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsMode(std::string_view s) {
  if (s.size() != 6) return false;
  for (char c : s) {
    if (c < '0' || c > '7') return false;
  }
  return true;
}

// Reads NUL-terminated fields one at a time. The last field may lack its
// terminator.
class ZReader {
 public:
  explicit ZReader(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  // The next field, or false at the end of the input.
  bool Next(std::string_view* field) {
    if (pos_ >= s_.size()) return false;
    size_t end = s_.find('\0', pos_);
    if (end == std::string_view::npos) end = s_.size();
    *field = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }
  size_t pos() const { return pos_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool HasPrefix(std::string_view line, std::string_view p) {
  return line.substr(0, p.size()) == p;
}

}  // namespace

bool IsObjectId(std::string_view s) {
  return (s.size() == 40 || s.size() == 64) && IsHex(s);
}

Result<std::vector<NameStatus>> ParseNameStatusZ(std::string_view out) {
  std::vector<NameStatus> result;
  ZReader r(out);
  std::string_view field;
  while (r.Next(&field)) {
    // A status letter, optionally followed by a score (R100).
    if (field.empty() || field[0] < 'A' || field[0] > 'Z') {
      return InvalidArgument(StrCat("git: unexpected status ", Quote(field),
                                    " in a name-status list"));
    }
    NameStatus ns;
    ns.status = field[0];
    std::string_view path;
    if (!r.Next(&path) || path.empty()) {
      return InvalidArgument("git: a name-status record lacks its path");
    }
    if (ns.status == 'R' || ns.status == 'C') {
      // Old path, then new path.
      if (!r.Next(&path) || path.empty()) {
        return InvalidArgument("git: a rename record lacks its new path");
      }
    }
    ns.path = std::string(path);
    result.push_back(std::move(ns));
  }
  return result;
}

Result<std::vector<RawChange>> ParseRawDiffZ(std::string_view out) {
  std::vector<RawChange> result;
  ZReader r(out);
  std::string_view head;
  while (r.Next(&head)) {
    // ":100644 100644 <oid> <oid> M"
    std::vector<std::string> parts = StrSplit(head, ' ');
    if (parts.size() != 5 || parts[0].size() != 7 || parts[0][0] != ':' ||
        !IsMode(std::string_view(parts[0]).substr(1)) || !IsMode(parts[1]) ||
        !IsHex(parts[2]) || !IsHex(parts[3]) || parts[2].size() < 4 ||
        parts[2].size() != parts[3].size() || parts[4].empty() ||
        parts[4][0] < 'A' || parts[4][0] > 'Z') {
      return InvalidArgument(
          StrCat("git: unexpected raw diff record ", Quote(head)));
    }
    RawChange c;
    c.src_mode = parts[0].substr(1);
    c.dst_mode = parts[1];
    c.src_oid = parts[2];
    c.dst_oid = parts[3];
    c.status = parts[4][0];
    std::string_view path;
    if (!r.Next(&path) || path.empty()) {
      return InvalidArgument("git: a raw diff record lacks its path");
    }
    if (c.status == 'R' || c.status == 'C') {
      if (!r.Next(&path) || path.empty()) {
        return InvalidArgument("git: a rename record lacks its new path");
      }
    }
    c.path = std::string(path);
    result.push_back(std::move(c));
  }
  return result;
}

Result<std::vector<LogRecord>> ParseLogZ(std::string_view out) {
  std::vector<LogRecord> result;
  ZReader r(out);
  std::string_view commit;
  while (r.Next(&commit)) {
    // Between records git may print a newline after the NUL separator.
    while (!commit.empty() && commit.front() == '\n') commit.remove_prefix(1);
    if (commit.empty() && r.done()) break;
    if (!IsObjectId(commit)) {
      return InvalidArgument(
          StrCat("git: unexpected commit id ", Quote(commit), " in a log"));
    }
    std::string_view author, message;
    if (!r.Next(&author)) {
      return InvalidArgument("git: a log record lacks its author");
    }
    if (!r.Next(&message)) message = "";
    result.push_back(
        {std::string(commit), std::string(author), std::string(message)});
  }
  return result;
}

std::vector<std::string> SplitZ(std::string_view out) {
  std::vector<std::string> result;
  ZReader r(out);
  std::string_view field;
  while (r.Next(&field)) {
    if (!field.empty()) result.emplace_back(field);
  }
  return result;
}

std::string NormalizeDiff(std::string_view in, size_t max_bytes) {
  std::string out;
  bool in_header = false;  // between "diff --git" and the first hunk
  bool in_hunk = false;
  bool saw_files = false;  // the header had its ---/+++ lines
  bool is_new = false;
  bool is_deleted = false;
  std::string_view diff_line;  // "diff --git a/x b/x" of the open header
  std::string mode_lines;
  bool truncated = false;

  // The path of "diff --git a/P b/P" when both paths are equal, else "".
  auto header_path = [&]() -> std::string_view {
    std::string_view rest =
        diff_line.substr(std::string_view("diff --git ").size());
    if (rest.size() >= 7 && (rest.size() - 5) % 2 == 0) {
      size_t p = (rest.size() - 5) / 2;
      if (rest.substr(0, 2) == "a/" && rest.substr(2 + p, 3) == " b/" &&
          rest.substr(2, p) == rest.substr(5 + p, p)) {
        return rest.substr(2, p);
      }
    }
    return {};
  };
  // A header without ---/+++ lines (an empty file added or deleted, a mode
  // change, a binary file) gets them from the "diff --git" line.
  auto close_header = [&]() {
    if (!in_header) return;
    if (!saw_files) {
      std::string_view p = header_path();
      if (p.empty()) {
        out += diff_line;
        out += '\n';
      } else {
        out +=
            is_new ? std::string("--- /dev/null\n") : StrCat("--- a/", p, "\n");
        out += is_deleted ? std::string("+++ /dev/null\n")
                          : StrCat("+++ b/", p, "\n");
      }
    }
    out += mode_lines;
    mode_lines.clear();
    in_header = false;
  };

  size_t pos = 0;
  while (pos < in.size()) {
    if (out.size() > max_bytes) {
      truncated = true;
      break;
    }
    size_t end = in.find('\n', pos);
    if (end == std::string_view::npos) end = in.size();
    std::string_view line = in.substr(pos, end - pos);
    pos = end + 1;
    if (HasPrefix(line, "diff --git ")) {
      close_header();
      diff_line = line;
      in_header = true;
      in_hunk = saw_files = is_new = is_deleted = false;
      continue;
    }
    if (in_header) {
      if (HasPrefix(line, "--- ") || HasPrefix(line, "+++ ")) {
        // git ends a path holding a space with a tab.
        while (!line.empty() && line.back() == '\t') line.remove_suffix(1);
        out += line;
        out += '\n';
        if (line[0] == '+') {
          saw_files = true;
          close_header();
        }
        continue;
      }
      if (HasPrefix(line, "old mode ") || HasPrefix(line, "new mode ")) {
        mode_lines += line;
        mode_lines += '\n';
        continue;
      }
      if (HasPrefix(line, "new file mode ")) {
        is_new = true;
        continue;
      }
      if (HasPrefix(line, "deleted file mode ")) {
        is_deleted = true;
        continue;
      }
      if (HasPrefix(line, "index ") || HasPrefix(line, "similarity index ") ||
          HasPrefix(line, "dissimilarity index ") ||
          HasPrefix(line, "rename from ") || HasPrefix(line, "rename to ") ||
          HasPrefix(line, "copy from ") || HasPrefix(line, "copy to ")) {
        continue;
      }
      // "Binary files ... differ", a hunk, or anything else git may print:
      // the file's ---/+++ first.
      close_header();
    }
    if (HasPrefix(line, "@@ ")) {
      // Without the function context git prints after the second "@@".
      size_t close = line.find(" @@", 3);
      if (close != std::string_view::npos) line = line.substr(0, close + 3);
      in_hunk = true;
      out += line;
      out += '\n';
      continue;
    }
    // The simulator compares lines, not their last newline.
    if (in_hunk && HasPrefix(line, "\\ ")) continue;
    out += line;
    out += '\n';
  }
  if (!truncated) close_header();
  if (truncated || out.size() > max_bytes) {
    out.resize(max_bytes);
    out += "\n... (diff truncated)\n";
  }
  return out;
}

}  // namespace wfs::connectors::git
