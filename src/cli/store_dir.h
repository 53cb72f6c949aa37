// Where wfstore keeps its state (the journal, later the catalog): --store
// DIR, else $WFSTORE_HOME, else ~/.wfstore. Internal to src/cli.
#ifndef WFSTORE_CLI_STORE_DIR_H_
#define WFSTORE_CLI_STORE_DIR_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/result.h"
#include "connectors/sim/file_world.h"
#include "connectors/sim/world.h"
#include "journal/journal.h"
#include "journal/runner.h"

namespace wfs::cli {

// The store directory, created (mode 0700) when absent.
Result<std::string> StoreDir(const std::string& flag);

Result<std::unique_ptr<journal::Journal>> OpenJournal(const std::string& dir);

// Connectors for runs started from the command line or the server:
// simulators on a world file ({"kind": "sim", "world": PATH}), saved after
// every effect so runs survive restarts, or on an empty in-memory world
// ({"kind": "sim-memory"}). Each world file is loaded once and shared by
// every run of this provider (so concurrent runs see each other's effects);
// it is loaded again when another process has written it since. Thread-safe.
class CliConnectors : public journal::ConnectorProvider {
 public:
  explicit CliConnectors(connectors::sim::WorldSchema schema)
      : schema_(std::move(schema)) {}
  Result<std::unique_ptr<journal::ConnectorLease>> Open(
      const Json& config) override;

 private:
  connectors::sim::WorldSchema schema_;
  std::mutex mu_;
  // World file path -> its simulators.
  std::map<std::string, std::shared_ptr<connectors::sim::FileBackedSimulators>>
      worlds_;
};

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_STORE_DIR_H_
