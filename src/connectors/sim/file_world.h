// Simulators whose world lives in a file, like a server's state: every call
// that changes the world saves it (atomically, with fsync) before returning,
// so effects survive a crash of the process that made them (and a result the
// journal records is never ahead of the file). Calls that change nothing do
// not touch the file. Like one server shared by its clients, every call sees
// the changes of every earlier call, whichever instance or process made it:
// a call holds an flock on FILE.lock, loads the file again if it changed
// since this instance loaded or saved it, then acts and saves. Used by
// `wfstore run --world FILE`, `wfstore serve` (one instance per world file
// for the server's lifetime) and by the journal's crash tests.
#ifndef WFSTORE_CONNECTORS_SIM_FILE_WORLD_H_
#define WFSTORE_CONNECTORS_SIM_FILE_WORLD_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/sim/world.h"

namespace wfs::connectors::sim {

class FileBackedSimulators {
 public:
  struct Options {
    bool honor_idempotency_keys = true;
  };
  // Loads the world from `path` (an absent file is an empty world).
  static Result<std::unique_ptr<FileBackedSimulators>> Open(
      const std::string& path, const WorldSchema& schema,
      const Options& options);
  ~FileBackedSimulators();

  const ConnectorSet& set() const { return set_; }
  World& world() { return world_; }
  const std::string& path() const { return path_; }

  // Whether the file is no longer the one this instance loaded or last
  // saved (another process wrote it, or it was removed or replaced): the
  // in-memory world is stale and the file should be loaded again. One stat.
  bool ChangedOnDisk();

 private:
  class Saving;
  // What identifies one version of the file: device, inode, size and
  // modification time (an atomic write makes a new inode).
  struct FileId {
    bool exists = false;
    uint64_t dev = 0, ino = 0;
    int64_t size = 0, mtime_ns = 0;
    bool operator==(const FileId&) const = default;
  };
  static FileId Stat(const std::string& path);
  // Reads `path` (absent: an empty world); *loaded: the file as read.
  static Result<World> Load(const std::string& path, const WorldSchema& schema,
                            FileId* loaded);

  FileBackedSimulators() = default;
  // Puts `w` in place of the world (the simulators keep pointing at it),
  // keeping this instance's idempotency setting.
  void Replace(World w);
  // Loads the file again when it is not the one this instance loaded or
  // last saved. The caller holds io_mu_ and the file's lock.
  Status ReloadIfChanged();
  // Saves the world when it changed; on failure reloads the file (the change
  // is lost, as on a server whose disk failed) and returns the error.
  Status SaveIfChanged();

  std::string path_;
  World world_;
  std::vector<std::unique_ptr<Connector>> sims_;
  std::vector<std::unique_ptr<Connector>> wrappers_;
  ConnectorSet set_;
  std::mutex io_mu_;  // one call at a time: lock, reload, invoke, save
  std::string saved_;
  FileId on_disk_;  // the file as loaded or last saved
};

}  // namespace wfs::connectors::sim

#endif  // WFSTORE_CONNECTORS_SIM_FILE_WORLD_H_
