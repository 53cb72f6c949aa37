// `wfstore run`: runs one workflow against simulators on a world file.
#ifndef WFSTORE_CLI_RUN_CMD_H_
#define WFSTORE_CLI_RUN_CMD_H_

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace wfs::cli {

struct RunFlags {
  std::string workflow;
  std::vector<std::string> args;  // k=v
  std::string args_json;
  std::string world;
  bool dry_run = false;
  bool approve = false;
  bool deny = false;
  bool json = false;
  bool audit = false;
  std::string store;  // --store DIR (journal)
};

void AddRunCommand(CLI::App& app, RunFlags& flags);
int RunRunCommand(const RunFlags& flags);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_RUN_CMD_H_
