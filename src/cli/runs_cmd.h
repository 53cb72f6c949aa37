// `wfstore runs` (list, show, recover) and `wfstore approve` / `deny`.
#ifndef WFSTORE_CLI_RUNS_CMD_H_
#define WFSTORE_CLI_RUNS_CMD_H_

#include <string>

namespace CLI {
class App;
}

namespace wfs::cli {

struct RunsFlags {
  std::string store;
  std::string state;
  int limit = 50;
  bool json = false;
  std::string show_id;   // runs show
  bool recover = false;  // runs recover
  // approve / deny
  std::string answer_id;
  int choose = 0;  // 1-based; 0 = plain approval
};

// Adds `runs`, `approve` and `deny`; `which` says which ran.
void AddRunsCommands(CLI::App& app, RunsFlags& flags);
int RunRunsCommand(CLI::App& app, const RunsFlags& flags);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_RUNS_CMD_H_
