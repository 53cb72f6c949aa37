// The wfstore command line: parses flags with CLI11, builds options, calls the
// library and maps the result to an exit code. apps/wfstore/main.cc calls
// Main and nothing else.
#ifndef WFSTORE_CLI_CLI_H_
#define WFSTORE_CLI_CLI_H_

namespace wfs::cli {

// Exit codes, the same for every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and found problems
inline constexpr int kExitUsage = 2;    // bad flags, missing files
inline constexpr int kExitWaiting = 3;  // a run waits for the person

int Main(int argc, char** argv);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_CLI_H_
