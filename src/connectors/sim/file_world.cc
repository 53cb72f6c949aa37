#include "connectors/sim/file_world.h"

#include <sys/stat.h>

#include <utility>

#include "base/file.h"
#include "base/file_lock.h"
#include "base/strings.h"
#include "connectors/sim/simulators.h"

namespace wfs::connectors::sim {

class FileBackedSimulators::Saving : public Connector {
 public:
  Saving(FileBackedSimulators* owner, Connector* inner)
      : owner_(owner), inner_(inner) {}
  const std::string& name() const override { return inner_->name(); }
  Result<ActionResponse> Invoke(const ActionRequest& request) override {
    std::lock_guard<std::mutex> l(owner_->io_mu_);
    WFS_ASSIGN_OR_RETURN(FileLock lock,
                         FileLock::Take(owner_->path_ + ".lock"));
    WFS_RETURN_IF_ERROR(owner_->ReloadIfChanged());
    auto r = inner_->Invoke(request);
    Status s = owner_->SaveIfChanged();
    if (!s.ok()) return s.WithContext("the simulated server could not save");
    return r;
  }
  Result<std::string> ScopeKey(const std::string& action,
                               const std::string& param, const Json& value,
                               const ScopeMap& scopes) override {
    return inner_->ScopeKey(action, param, value, scopes);
  }
  Result<std::optional<ActionResponse>> Lookup(
      const std::string& key) override {
    std::lock_guard<std::mutex> l(owner_->io_mu_);
    WFS_ASSIGN_OR_RETURN(FileLock lock,
                         FileLock::Take(owner_->path_ + ".lock"));
    WFS_RETURN_IF_ERROR(owner_->ReloadIfChanged());
    return inner_->Lookup(key);
  }

 private:
  FileBackedSimulators* owner_;
  Connector* inner_;
};

Result<std::unique_ptr<FileBackedSimulators>> FileBackedSimulators::Open(
    const std::string& path, const WorldSchema& schema,
    const Options& options) {
  std::unique_ptr<FileBackedSimulators> f(new FileBackedSimulators());
  f->path_ = path;
  WFS_ASSIGN_OR_RETURN(f->world_, Load(path, schema, &f->on_disk_));
  f->world_.set_honor_idempotency_keys(options.honor_idempotency_keys);
  f->saved_ = CanonicalJson(f->world_.ToJson());
  f->sims_ = MakeSimulators(&f->world_);
  for (auto& s : f->sims_) {
    f->wrappers_.push_back(std::make_unique<Saving>(f.get(), s.get()));
    f->set_.Add(f->wrappers_.back().get());
  }
  return f;
}

FileBackedSimulators::~FileBackedSimulators() = default;

FileBackedSimulators::FileId FileBackedSimulators::Stat(
    const std::string& path) {
  FileId id;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return id;
  id.exists = true;
  id.dev = static_cast<uint64_t>(st.st_dev);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<int64_t>(st.st_size);
  id.mtime_ns =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return id;
}

Result<World> FileBackedSimulators::Load(const std::string& path,
                                         const WorldSchema& schema,
                                         FileId* loaded) {
  // Before reading: a write in between makes the next check reload.
  *loaded = Stat(path);
  Json doc = Json::object();
  if (loaded->exists) {
    WFS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    WFS_ASSIGN_OR_RETURN(doc, ParseJson(text, JsonLimits{64u << 20, 64}));
  }
  return World::FromJson(doc, schema);
}

Status FileBackedSimulators::ReloadIfChanged() {
  if (Stat(path_) == on_disk_) return Status::Ok();
  FileId loaded;
  auto w = Load(path_, world_.schema(), &loaded);
  if (!w.ok()) {
    return w.status().WithContext(
        StrCat("the simulated world ", Quote(path_), " changed on disk"));
  }
  Replace(std::move(*w));
  saved_ = CanonicalJson(world_.ToJson());
  on_disk_ = loaded;
  return Status::Ok();
}

void FileBackedSimulators::Replace(World w) {
  bool honor = world_.honor_idempotency_keys();
  world_ = std::move(w);
  world_.set_honor_idempotency_keys(honor);
}

bool FileBackedSimulators::ChangedOnDisk() {
  std::lock_guard<std::mutex> l(io_mu_);
  return !(Stat(path_) == on_disk_);
}

Status FileBackedSimulators::SaveIfChanged() {
  std::string now = CanonicalJson(world_.ToJson());
  if (now == saved_) return Status::Ok();
  Status s = WriteFileAtomic(path_, now, 0600);
  if (!s.ok()) {
    auto old = ParseJson(saved_, JsonLimits{64u << 20, 64});
    if (old.ok()) {
      auto w = World::FromJson(*old, world_.schema());
      if (w.ok()) Replace(std::move(*w));
    }
    return s;
  }
  saved_ = std::move(now);
  on_disk_ = Stat(path_);
  return Status::Ok();
}

}  // namespace wfs::connectors::sim
