// Loading workflow files for the commands that run them. Internal to src/cli.
#ifndef WFSTORE_CLI_WORKFLOWS_H_
#define WFSTORE_CLI_WORKFLOWS_H_

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "connectors/sim/world.h"
#include "lang/compiler.h"
#include "runtime/program.h"

namespace wfs::cli {

struct LoadedWorkflows {
  std::unique_ptr<lang::Compiler> compiler;
  std::vector<lang::CompiledFile> files;
  runtime::ProgramSet programs;                // every clean workflow
  std::vector<runtime::ProgramPtr> ordered;    // clean ones, in file order
  connectors::sim::WorldSchema schema;
  int errors = 0;  // files with errors
};

// Checks the files (directories are searched for .wf; .wfi files are
// interfaces) and compiles the clean ones. Diagnostics of failing files are
// printed to stderr. Errors: unreadable paths (NotFound).
Result<LoadedWorkflows> LoadWorkflows(const std::vector<std::string>& paths);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_WORKFLOWS_H_
