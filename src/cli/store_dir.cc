#include "cli/store_dir.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "base/strings.h"
#include "connectors/sim/simulators.h"

namespace wfs::cli {

Result<std::string> StoreDir(const std::string& flag) {
  std::string dir = flag;
  if (dir.empty()) {
    const char* env = std::getenv("WFSTORE_HOME");
    if (env != nullptr && *env != '\0') dir = env;
  }
  if (dir.empty()) {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') {
      return FailedPrecondition(
          "no store directory: pass --store DIR or set WFSTORE_HOME");
    }
    dir = std::string(home) + "/.wfstore";
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Unavailable(StrCat("cannot create the store directory ", dir, ": ",
                              ec.message()));
  }
  chmod(dir.c_str(), 0700);
  return std::filesystem::absolute(dir).string();
}

Result<std::unique_ptr<journal::Journal>> OpenJournal(const std::string& dir) {
  journal::JournalOptions o;
  o.path = dir + "/journal.db";
  auto j = journal::Journal::Open(o);
  if (j.ok()) chmod(o.path.c_str(), 0600);
  return j;
}

namespace {

class FileLease : public journal::ConnectorLease {
 public:
  explicit FileLease(std::shared_ptr<connectors::sim::FileBackedSimulators> s)
      : s_(std::move(s)) {}
  const connectors::ConnectorSet& set() const override { return s_->set(); }

 private:
  std::shared_ptr<connectors::sim::FileBackedSimulators> s_;
};

class MemoryLease : public journal::ConnectorLease {
 public:
  explicit MemoryLease(connectors::sim::World world)
      : world_(std::move(world)) {
    sims_ = connectors::sim::MakeSimulators(&world_);
    for (auto& s : sims_) set_.Add(s.get());
  }
  const connectors::ConnectorSet& set() const override { return set_; }

 private:
  connectors::sim::World world_;
  std::vector<std::unique_ptr<connectors::Connector>> sims_;
  connectors::ConnectorSet set_;
};

}  // namespace

Result<std::unique_ptr<journal::ConnectorLease>> CliConnectors::Open(
    const Json& config) {
  std::string kind = config.value("kind", "");
  if (kind == "sim") {
    std::string path = config.value("world", "");
    std::lock_guard<std::mutex> l(mu_);
    auto it = worlds_.find(path);
    // One instance per file: each call loads what other processes wrote.
    if (it == worlds_.end()) {
      WFS_ASSIGN_OR_RETURN(
          std::shared_ptr<connectors::sim::FileBackedSimulators> sims,
          connectors::sim::FileBackedSimulators::Open(path, schema_, {}));
      it = worlds_.insert_or_assign(path, std::move(sims)).first;
    }
    return std::unique_ptr<journal::ConnectorLease>(new FileLease(it->second));
  }
  if (kind == "sim-memory") {
    WFS_ASSIGN_OR_RETURN(connectors::sim::World w,
                         connectors::sim::World::FromJson(Json::object(),
                                                          schema_));
    return std::unique_ptr<journal::ConnectorLease>(
        new MemoryLease(std::move(w)));
  }
  return InvalidArgument(StrCat("unknown connector configuration ",
                                CanonicalJson(config)));
}

}  // namespace wfs::cli
