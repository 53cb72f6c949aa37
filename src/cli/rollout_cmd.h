// Operating the catalog: `wfstore rollout start|status|stop`, `recertify`,
// `readiness` and `policy` (docs/rollout.md). Internal to src/cli.
#ifndef WFSTORE_CLI_ROLLOUT_CMD_H_
#define WFSTORE_CLI_ROLLOUT_CMD_H_

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "journal/journal.h"
#include "rollout/controller.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace wfs::cli {

struct RolloutFlags {
  std::string store;
  bool json = false;
  std::string ref;  // NAME or NAME@VERSION
  // rollout start
  double share = -1;
  std::vector<std::string> agents;
  int min_runs = 0;
  std::string soak;
  // rollout stop
  std::string reason;
  // recertify
  bool all = false;
  bool dry_run = false;
  // readiness
  std::string agent;
  std::string since;  // a duration back from now
  std::vector<std::pair<std::string, CLI::App*>> commands;
};

void AddRolloutCommands(CLI::App& app, RolloutFlags& flags);
// Runs the command that was parsed; -1 when none of these was.
int RunRolloutCommand(const RolloutFlags& flags);

// The run journal and the rollout controller of the store in `st.dir()`.
struct RolloutParts {
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<rollout::Controller> controller;
};
Result<RolloutParts> OpenRollout(store::Store& st);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_ROLLOUT_CMD_H_
