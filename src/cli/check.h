// `wfstore check`: diagnostics, content ids and IR for workflow files.
#ifndef WFSTORE_CLI_CHECK_H_
#define WFSTORE_CLI_CHECK_H_

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace wfs::cli {

struct CheckFlags {
  std::vector<std::string> paths;
  std::vector<std::string> interface_paths;
  bool json = false;
  bool emit_ir = false;
  bool quiet = false;
};

void AddCheckCommand(CLI::App& app, CheckFlags& flags);
int RunCheck(const CheckFlags& flags);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_CHECK_H_
