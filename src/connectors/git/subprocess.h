// Running a program without a shell: posix_spawn with an explicit argv and
// environment, stdin from a string, stdout and stderr collected up to a
// bound, and a deadline after which the child is killed.
#ifndef WFSTORE_CONNECTORS_GIT_SUBPROCESS_H_
#define WFSTORE_CONNECTORS_GIT_SUBPROCESS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace wfs::connectors::git {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is an absolute path
  std::vector<std::string> env;   // "KEY=VALUE"; nothing else is inherited
  std::string stdin_data;
  int64_t timeout_ms = 120000;
  size_t max_stdout = size_t{64} << 20;
  size_t max_stderr = size_t{1} << 20;  // more is dropped, not an error
  // What happens to stdout beyond max_stdout: false, ResourceExhausted (the
  // child is killed); true, it is dropped, stdout is closed (the child gets
  // SIGPIPE when it writes again) and ProcessResult::stdout_truncated is set.
  bool truncate_stdout = false;
};

struct ProcessResult {
  int exit_code = -1;  // or 128 + signal
  std::string out;
  std::string err;
  bool stdout_truncated = false;
};

// Runs the program to completion. Errors: NotFound (no such program),
// DeadlineExceeded (killed at the deadline), ResourceExhausted (stdout over
// its bound unless truncate_stdout; the child is killed), Internal (spawning
// failed). A non-zero exit is not an error: see exit_code.
Result<ProcessResult> RunProcess(const ProcessOptions& options);

}  // namespace wfs::connectors::git

#endif  // WFSTORE_CONNECTORS_GIT_SUBPROCESS_H_
