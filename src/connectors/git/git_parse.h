// Parsers of what the git CLI prints, for the git connector (git_cli.h).
// The output carries repository content (paths, commit messages, authors,
// file text), so every parser treats it as untrusted: it never throws, never
// reads past its input and refuses malformed records with InvalidArgument.
// No process or network dependency (library wfs_conn_git_parse; fuzzed by
// fuzz/connectors/fuzz_conn_git_parse.cc).
#ifndef WFSTORE_CONNECTORS_GIT_GIT_PARSE_H_
#define WFSTORE_CONNECTORS_GIT_GIT_PARSE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace wfs::connectors::git {

// A full object id: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
bool IsObjectId(std::string_view s);

// One line of `git diff-tree -r -z --no-renames --name-status`.
struct NameStatus {
  char status = '?';  // A, D, M, T, U, X (R and C carry the new path)
  std::string path;
};
Result<std::vector<NameStatus>> ParseNameStatusZ(std::string_view out);

// One record of `git diff-tree -r -z --no-renames` (raw format).
struct RawChange {
  std::string src_mode;  // "000000" when the path is new
  std::string dst_mode;  // "000000" when the path is gone
  std::string src_oid;
  std::string dst_oid;
  char status = '?';
  std::string path;
};
Result<std::vector<RawChange>> ParseRawDiffZ(std::string_view out);

// `git log -z --format=%H%x00%an%x00%B`: commit, author, raw message.
struct LogRecord {
  std::string commit;
  std::string author;
  std::string message;
};
Result<std::vector<LogRecord>> ParseLogZ(std::string_view out);

// `git ls-files -z` / `git ls-tree -z --name-only`: NUL-terminated paths.
std::vector<std::string> SplitZ(std::string_view out);

// `git diff` output in the simulator's form (docs/simulators.md, git.diff):
// per file "--- a/<path>" (or /dev/null), "+++ b/<path>" (or /dev/null),
// then its hunks as "@@ -a,b +c,d @@" (git's function context dropped). The
// "diff --git", "index", "new file mode", "deleted file mode", rename and
// similarity lines and "\ No newline at end of file" markers are dropped;
// "old mode"/"new mode" and "Binary files ... differ" lines are kept. A file
// whose header has no ---/+++ lines (an empty file, a mode change, a binary
// file) gets them from its "diff --git" line. Every line ends with "\n".
// Text beyond `max_bytes` is cut and "\n... (diff truncated)\n" appended.
std::string NormalizeDiff(std::string_view git_diff, size_t max_bytes);

}  // namespace wfs::connectors::git

#endif  // WFSTORE_CONNECTORS_GIT_GIT_PARSE_H_
