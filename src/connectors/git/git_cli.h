// The git connector on real repositories, through the git command-line
// program: the actions of catalog/interfaces/git.wfi with the git
// simulator's semantics action for action (docs/simulators.md, "git";
// differences in docs/connectors.md).
//
// git runs without a shell: posix_spawn of `git_path` with an argv, a fixed
// environment (no system or global config, no terminal prompts, literal
// pathspecs, LC_ALL=C) and `-c core.hooksPath=/dev/null -c
// core.fsmonitor=false`, so no hook or monitor program of the repository
// runs. Only plumbing commands change anything:
//   - "the working tree" is a tree object built from a private copy of the
//     index with `git add -A` (tracked and untracked files; ignored files
//     are neither recorded nor touched);
//   - checkpoint and commit write commits with `git commit-tree`, then
//     refs with `git update-ref` guarded by the old value: a commit only
//     ever moves HEAD forward by one child; no ref is rewritten, no branch
//     deleted, nothing is pushed;
//   - checkpoints live on refs/wfstore/checkpoints/<id>; the tree a restore
//     replaced on refs/wfstore/auto/<id>.
// The repository must be the top of its own working tree (a subdirectory of
// a repository is NotFound): discovery never climbs above the given path.
//
// Thread-safe: calls are serialised.
#ifndef WFSTORE_CONNECTORS_GIT_GIT_CLI_H_
#define WFSTORE_CONNECTORS_GIT_GIT_CLI_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.h"
#include "connectors/connector.h"

namespace wfs::connectors::git {

struct GitCliOptions {
  // The git program (absolute path).
  std::string git = "/usr/bin/git";
  // Author and committer of the commits the connector makes.
  std::string author_name = "wfstore";
  std::string author_email = "wfstore@localhost";
  // Where private index files are made (a directory of their own per call).
  std::string temp_dir = "/tmp";
  // Each git command is killed after this long (DeadlineExceeded).
  int64_t timeout_ms = 120000;
  // Largest output read from one git command (ResourceExhausted beyond).
  size_t max_output_bytes = size_t{64} << 20;
  // git.diff's text is cut at this many bytes (as the simulator's).
  size_t max_diff_bytes = size_t{1} << 20;
  // git.log returns at most this many entries whatever `count` asks.
  int64_t max_log_count = 10000;
  // Commit dates. nullptr: the system clock. Not owned; must outlive the
  // connector.
  const Clock* clock = nullptr;
};

// InvalidArgument when an option is unusable: a relative `git` or
// `temp_dir`, an empty author, a name or e-mail holding "<", ">" or a line
// break, bounds below 1.
Result<std::unique_ptr<Connector>> MakeGitCliConnector(
    const GitCliOptions& options = {});

}  // namespace wfs::connectors::git

#endif  // WFSTORE_CONNECTORS_GIT_GIT_CLI_H_
