// Helpers shared by the wfstore subcommands. Internal to src/cli.
#ifndef WFSTORE_CLI_COMMON_H_
#define WFSTORE_CLI_COMMON_H_

#include <string>
#include <vector>

#include "base/result.h"
#include "lang/compiler.h"

namespace wfs::cli {

// True when stdout/stderr should use colour (a terminal, NO_COLOR unset).
bool UseColor(int fd);

// Expands arguments: files are kept, directories are searched recursively for
// files ending in one of `extensions`. Sorted, without duplicates.
Result<std::vector<std::string>> ExpandPaths(
    const std::vector<std::string>& args,
    const std::vector<std::string>& extensions);

// Reads workflow (.wf) and interface (.wfi) files named by `paths`.
struct SourceSet {
  std::vector<lang::SourceText> workflows;
  std::vector<lang::SourceText> interfaces;
};
Result<SourceSet> ReadSources(const std::vector<std::string>& paths);

// Prints a line to stderr: "wfstore: error: <message>".
void PrintError(const std::string& message);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_COMMON_H_
