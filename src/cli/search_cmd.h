// Discovery from the command line: `wfstore search` ranks the store's
// workflows for a request and says when none fits; `wfstore demand` lists
// the requests nothing fitted (docs/discovery.md). Internal to src/cli.
#ifndef WFSTORE_CLI_SEARCH_CMD_H_
#define WFSTORE_CLI_SEARCH_CMD_H_

#include <cstddef>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace wfs::cli {

struct SearchFlags {
  std::string store;
  bool json = false;
  std::string query;
  std::string stage;                 // this stage or a later one; "" any
  std::vector<std::string> effects;  // classes or capabilities; empty: any
  size_t limit = 5;

  CLI::App* search = nullptr;
  CLI::App* demand = nullptr;
};

void AddSearchCommands(CLI::App& app, SearchFlags& flags);
// Runs `search` or `demand` when one of them was parsed; -1 otherwise.
int RunSearchCommand(const SearchFlags& flags);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_SEARCH_CMD_H_
