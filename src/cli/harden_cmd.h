// `wfstore harden NAME@VERSION|FILE`: the hardening pipeline with a progress
// display and a summary; for a stored package, a passed run is recorded as
// signed evidence the `hardened` gate accepts. Internal to src/cli.
#ifndef WFSTORE_CLI_HARDEN_CMD_H_
#define WFSTORE_CLI_HARDEN_CMD_H_

#include <cstdint>
#include <optional>
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
  // Unset: the store's policy (STORE/policy.json), else its defaults.
  std::optional<uint64_t> seed;
  std::optional<int> cases;
  std::optional<double> min_coverage;
  std::optional<double> min_mutation;
  CLI::App* command = nullptr;
};

void AddHardenCommand(CLI::App& app, HardenFlags& flags);
// Runs `harden` when it was parsed; -1 otherwise.
int RunHardenCommand(const HardenFlags& flags);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_HARDEN_CMD_H_
