// `wfstore harden NAME@VERSION|FILE`: the hardening pipeline with a progress
// display and a summary; for a stored package, a passed run is recorded as
// signed evidence the `hardened` gate accepts. Internal to src/cli.
#ifndef WFSTORE_CLI_HARDEN_CMD_H_
#define WFSTORE_CLI_HARDEN_CMD_H_

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace wfs::cli {

struct HardenFlags {
  std::string target;  // NAME[@VERSION] or a .wf file
  std::string store;
  std::string key;
  std::string passphrase_file;
  bool json = false;
  bool no_record = false;
  uint64_t seed = 1;
  int cases = 200;
  double min_coverage = 0.5;
  double min_mutation = 0.5;
  CLI::App* command = nullptr;
};

void AddHardenCommand(CLI::App& app, HardenFlags& flags);
// Runs `harden` when it was parsed; -1 otherwise.
int RunHardenCommand(const HardenFlags& flags);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_HARDEN_CMD_H_
