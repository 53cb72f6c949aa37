// The fs connector on local files. Resolution mirrors the fs simulator's
// component walk (src/connectors/sim/fs.cc) on directory file descriptors.
#include "connectors/fs/local_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/random.h"
#include "base/strings.h"
#include "connectors/http/action_args.h"
#include "connectors/sim/values.h"
#include "connectors/sim/simulators.h"

namespace wfs::connectors::fs {

namespace {

constexpr int kMaxLinkHops = 40;  // Linux's MAXSYMLINKS
constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxComponents = 4096;
constexpr mode_t kDefaultMode = 0644;

bool FollowsLast(const std::string& action) {
  return action == "read" || action == "list" || action == "write";
}

std::vector<std::string> Components(std::string_view path) {
  std::vector<std::string> out;
  for (std::string& c : StrSplit(path, '/')) {
    if (!c.empty() && c != ".") out.push_back(std::move(c));
  }
  return out;
}

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// errno as a Status; `what` says what failed (no secrets in paths here).
Status Errno(int e, const std::string& what) {
  Code code = Code::kInternal;
  switch (e) {
    case ENOENT:
      code = Code::kNotFound;
      break;
    case EEXIST:
    case ENOTEMPTY:
      code = Code::kAlreadyExists;
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      code = Code::kPermissionDenied;
      break;
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
      code = Code::kResourceExhausted;
      break;
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case EBUSY:
    case EXDEV:
      code = Code::kFailedPrecondition;
      break;
    case EIO:
      code = Code::kUnavailable;
      break;
    default:
      break;
  }
  return Status(code, StrCat("fs: ", what, ": ", strerror(e)));
}

Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = write(fd, data.data() + done, data.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno(errno, "write");
    }
    done += static_cast<size_t>(w);
  }
  return Status::Ok();
}

// Where a path led: the resolved components below the root, and open
// directory descriptors for the root and each existing directory along them.
struct Resolved {
  std::vector<std::string> parts;  // relative to the root, links resolved
  // dirs[i] is the directory named by parts[0..i) (dirs[0] is the root).
  // When every parent of the last part exists, dirs.size() >= parts.size().
  std::vector<Fd> dirs;

  bool IsRoot() const { return parts.empty(); }
  std::string Rel() const { return StrJoin(parts, "/"); }
  const std::string& Name() const { return parts.back(); }
  bool ParentExists() const { return dirs.size() >= parts.size(); }
  int Parent() const { return dirs[parts.size() - 1].get(); }
};

// The state of one entry, without following a link.
struct Entry {
  bool exists = false;
  struct stat st {};
  bool IsDir() const { return exists && S_ISDIR(st.st_mode); }
  bool IsLink() const { return exists && S_ISLNK(st.st_mode); }
  bool IsFile() const { return exists && S_ISREG(st.st_mode); }
};

// What a file or link holds, for undo records.
struct Kept {
  std::string content;
  std::string link;  // "" unless a symbolic link
  mode_t mode = kDefaultMode;
  bool operator==(const Kept& o) const {
    return content == o.content && link == o.link && mode == o.mode;
  }
};

class LocalFs final : public Connector {
 public:
  explicit LocalFs(const LocalFsOptions& options)
      : options_(options), actions_(sim::FsActionSpecs()) {}

  const std::string& name() const override { return name_; }

  Result<ActionResponse> Invoke(const ActionRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    WFS_ASSIGN_OR_RETURN(const ActionArgs* spec,
                         FindAction(name_, actions_, r.action));
    WFS_RETURN_IF_ERROR(CheckArgs(name_, *spec, r));
    const std::string action = spec->name;
    WFS_ASSIGN_OR_RETURN(std::string root, RootOf(r));
    WFS_ASSIGN_OR_RETURN(Fd root_fd, OpenRoot(root));
    if (action == "move") return Move(r, root, root_fd);
    const std::string param = action == "list" ? "dir" : "path";
    const std::string path = StrArg(r.args, param.c_str());
    WFS_ASSIGN_OR_RETURN(Resolved res,
                         Resolve(root, root_fd, path, FollowsLast(action)));
    if (action == "list") return List(root, res);
    if (res.IsRoot()) {
      return FailedPrecondition(
          StrCat("fs.", action, ": ", Quote(path), " is the root directory"));
    }
    if (action == "read") return Read(path, res);
    if (action == "write") return Write(r, root, path, res);
    if (action == "create") return Create(r, root, path, res);
    if (action == "delete") return Delete(root, path, res);
    if (action == "restore") return Restore(r, root, path, res);
    return Remove(r, root, path, res);
  }

  Result<std::string> ScopeKey(const std::string& action,
                               const std::string& param, const Json& value,
                               const ScopeMap& scopes) override {
    std::lock_guard<std::mutex> lock(mu_);
    WFS_RETURN_IF_ERROR(FindAction(name_, actions_, action).status());
    if (!value.is_string()) {
      return InvalidArgument(
          StrCat("fs.", action, ": argument `", param, "` must be a string"));
    }
    ActionRequest r;
    r.action = action;
    r.scopes = &scopes;
    WFS_ASSIGN_OR_RETURN(std::string root, RootOf(r));
    WFS_ASSIGN_OR_RETURN(Fd root_fd, OpenRoot(root));
    WFS_ASSIGN_OR_RETURN(Resolved res,
                         Resolve(root, root_fd, value.get<std::string>(),
                                 FollowsLast(action) && param != "to"));
    return sim::JoinPath(root, res.Rel());
  }

 private:
  // ---- roots and resolution ----------------------------------------------

  // The root paths are relative to: an undo record's own `_root` when
  // compensating, else the run's fs.root scope.
  Result<std::string> RootOf(const ActionRequest& r) {
    const Json* kept = r.compensation ? sim::FieldOf(r.args, "_root") : nullptr;
    if (kept != nullptr) {
      Result<std::string> root =
          sim::NormalizeAbsolutePath(kept->get<std::string>());
      if (!root.ok()) {
        return InvalidArgument(
            StrCat("fs.", r.action, ": `_root` must be an absolute path"));
      }
      return root;
    }
    const std::vector<std::string>* values = ScopeValuesOf(r, "root");
    if (values == nullptr || values->empty()) {
      return PermissionDenied(
          "fs: the run has no fs.root scope, so no path is reachable");
    }
    Result<std::string> root = sim::NormalizeAbsolutePath(values->front());
    if (!root.ok()) {
      return InvalidArgument(StrCat("fs: the fs.root scope must be an ",
                                    "absolute path, got ",
                                    Quote(values->front())));
    }
    return root;
  }

  static Result<Fd> OpenRoot(const std::string& root) {
    // The root itself is the run's declared scope: links in its own path
    // are the deployment's business and are followed.
    Fd fd(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.ok()) {
      int e = errno;
      if (e == ENOENT) {
        return NotFound(
            StrCat("fs: the root ", Quote(root), " does not exist"));
      }
      return Errno(e, StrCat("cannot open the root ", Quote(root)));
    }
    return fd;
  }

  // Components of the root as an absolute link target may name it: its
  // lexical form and its real path.
  static std::vector<std::vector<std::string>> RootForms(
      const std::string& root) {
    std::vector<std::vector<std::string>> forms = {Components(root)};
    char* real = realpath(root.c_str(), nullptr);
    if (real != nullptr) {
      std::vector<std::string> r = Components(real);
      free(real);
      if (r != forms[0]) forms.push_back(std::move(r));
    }
    return forms;
  }

  static Result<std::string> ReadLink(int dir, const std::string& name) {
    std::string buf(kMaxPathBytes + 1, '\0');
    ssize_t n = readlinkat(dir, name.c_str(), buf.data(), buf.size());
    if (n < 0) return Errno(errno, StrCat("readlink ", Quote(name)));
    if (static_cast<size_t>(n) > kMaxPathBytes) {
      return FailedPrecondition(
          StrCat("fs: link ", Quote(name), " has a target that is too long"));
    }
    buf.resize(static_cast<size_t>(n));
    return buf;
  }

  // Resolves `path` (relative to the root) without ever leaving the root.
  // Missing components are allowed (the result names a place that does not
  // exist yet); a file used as a directory is FailedPrecondition.
  Result<Resolved> Resolve(const std::string& root, const Fd& root_fd,
                           const std::string& path, bool follow_last) {
    if (path.size() > kMaxPathBytes) {
      return InvalidArgument(
          StrCat("fs: path longer than ", kMaxPathBytes, " bytes"));
    }
    if (path.find('\0') != std::string::npos) {
      return InvalidArgument("fs: a path may not hold a NUL byte");
    }
    if (!path.empty() && path[0] == '/') {
      return PermissionDenied(StrCat("fs: absolute path ", Quote(path),
                                     " refused: paths are relative to the "
                                     "root ",
                                     Quote(root)));
    }
    Resolved res;
    res.dirs.emplace_back(fcntl(root_fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!res.dirs.back().ok()) return Errno(errno, "dup");
    std::vector<std::vector<std::string>> root_forms;
    std::vector<std::string> parts = Components(path);
    std::deque<std::string> queue(parts.begin(), parts.end());
    int hops = 0;
    size_t steps = 0;
    while (!queue.empty()) {
      if (++steps > kMaxComponents) {
        return InvalidArgument(
            StrCat("fs: ", Quote(path), " has too many components"));
      }
      std::string c = std::move(queue.front());
      queue.pop_front();
      if (c == "..") {
        if (res.parts.empty()) {
          return PermissionDenied(
              StrCat("fs: ", Quote(path), " leaves the root ", Quote(root)));
        }
        res.parts.pop_back();
        while (res.dirs.size() > res.parts.size() + 1) res.dirs.pop_back();
        continue;
      }
      const bool last = queue.empty();
      const bool aligned = res.dirs.size() == res.parts.size() + 1;
      res.parts.push_back(c);
      if (!aligned) continue;  // below a missing directory
      const int dir = res.dirs.back().get();
      struct stat st;
      if (fstatat(dir, c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int e = errno;
        if (e == ENOENT) continue;
        return Errno(e, StrCat("cannot look at ", Quote(res.Rel())));
      }
      if (S_ISLNK(st.st_mode)) {
        if (last && !follow_last) break;
        if (++hops > kMaxLinkHops) {
          return FailedPrecondition(
              StrCat("fs: too many levels of symbolic links resolving ",
                     Quote(path), " (a link loop?)"));
        }
        const std::string link_name = res.Rel();
        WFS_ASSIGN_OR_RETURN(std::string link, ReadLink(dir, c));
        res.parts.pop_back();
        if (link.empty()) {
          return FailedPrecondition(
              StrCat("fs: link ", Quote(link_name), " has an empty target"));
        }
        std::vector<std::string> target = Components(link);
        if (link[0] == '/') {
          // Absolute: must name a place under the root; resolution restarts
          // there.
          if (root_forms.empty()) root_forms = RootForms(root);
          size_t skip = 0;
          bool under = false;
          for (const std::vector<std::string>& form : root_forms) {
            bool ok = target.size() >= form.size();
            for (size_t i = 0; ok && i < form.size(); ++i) {
              ok = target[i] == form[i];
            }
            if (ok) {
              under = true;
              skip = form.size();
              break;
            }
          }
          if (!under) {
            return PermissionDenied(StrCat(
                "fs: ", Quote(path), ": link ", Quote(link_name), " points to ",
                Quote(link), ", outside the root ", Quote(root)));
          }
          res.parts.clear();
          res.dirs.resize(1);
          target.erase(target.begin(),
                       target.begin() + static_cast<std::ptrdiff_t>(skip));
        }
        queue.insert(queue.begin(), target.begin(), target.end());
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        if (last) break;
        Fd sub(openat(dir, c.c_str(),
                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub.ok()) {
          int e = errno;
          if (e == ELOOP || e == ENOTDIR || e == ENOENT) {
            return Aborted(StrCat("fs: ", Quote(res.Rel()),
                                  " changed while being resolved; try again"));
          }
          return Errno(e, StrCat("cannot open ", Quote(res.Rel())));
        }
        res.dirs.push_back(std::move(sub));
        continue;
      }
      if (!last) {
        return FailedPrecondition(StrCat("fs: ", Quote(path), ": ",
                                         Quote(res.Rel()),
                                         " is a file, not a directory"));
      }
    }
    return res;
  }

  static Entry Look(const Resolved& res) {
    Entry e;
    if (res.IsRoot() || !res.ParentExists()) return e;
    e.exists = fstatat(res.Parent(), res.Name().c_str(), &e.st,
                       AT_SYMLINK_NOFOLLOW) == 0;
    return e;
  }

  // ---- reading -------------------------------------------------------------

  Status NeedNotHardLinked(const std::string& path, const Entry& e) {
    if (e.IsFile() && e.st.st_nlink > 1) {
      return PermissionDenied(StrCat(
          "fs: ", Quote(path), " has ", static_cast<uint64_t>(e.st.st_nlink),
          " hard links; a hard-linked file may be reachable from outside the "
          "root, so it is refused"));
    }
    return Status::Ok();
  }

  // The content of the regular file at `res` (already looked at as `e`).
  Result<std::string> ReadContent(const std::string& action,
                                  const std::string& path, const Resolved& res,
                                  const Entry& e) {
    if (static_cast<uint64_t>(e.st.st_size) > options_.max_file_bytes) {
      return ResourceExhausted(StrCat("fs.", action, ": ", Quote(path),
                                      " is larger than ",
                                      options_.max_file_bytes, " bytes"));
    }
    Fd fd(openat(res.Parent(), res.Name().c_str(),
                 O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.ok()) return Errno(errno, StrCat("cannot open ", Quote(path)));
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return Errno(errno, "fstat");
    if (st.st_ino != e.st.st_ino || st.st_dev != e.st.st_dev ||
        !S_ISREG(st.st_mode)) {
      return Aborted(
          StrCat("fs: ", Quote(path), " changed while being read; try again"));
    }
    std::string out;
    char buf[65536];
    while (true) {
      ssize_t n = read(fd.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno(errno, StrCat("cannot read ", Quote(path)));
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > options_.max_file_bytes) {
        return ResourceExhausted(StrCat("fs.", action, ": ", Quote(path),
                                        " is larger than ",
                                        options_.max_file_bytes, " bytes"));
      }
    }
    size_t bad = FindInvalidUtf8(out);
    if (bad != std::string::npos) {
      return FailedPrecondition(
          StrCat("fs.", action, ": ", Quote(path),
                 " is not UTF-8 text (invalid byte at offset ", bad,
                 "); only text files can be read, written or kept for undo"));
    }
    return out;
  }

  // What the entry holds now (a file's content or a link's target).
  Result<Kept> KeptOf(const std::string& action, const std::string& path,
                      const Resolved& res, const Entry& e) {
    Kept k;
    if (e.IsLink()) {
      WFS_ASSIGN_OR_RETURN(k.link, ReadLink(res.Parent(), res.Name()));
      k.mode = kDefaultMode;
      return k;
    }
    if (!e.IsFile()) {
      return FailedPrecondition(
          StrCat("fs.", action, ": ", Quote(path), " is not a regular file"));
    }
    WFS_RETURN_IF_ERROR(NeedNotHardLinked(path, e));
    WFS_ASSIGN_OR_RETURN(k.content, ReadContent(action, path, res, e));
    k.mode = e.st.st_mode & 07777;
    return k;
  }

  static Json KeptArgs(const std::string& rel, const Kept& k) {
    Json args = Json::object();
    args["path"] = rel;
    args["_content"] = k.content;
    if (!k.link.empty()) args["_link"] = k.link;
    if (k.link.empty() && k.mode != kDefaultMode) {
      args["_mode"] = static_cast<int64_t>(k.mode);
    }
    return args;
  }

  static Kept KeptFromArgs(const Json& args) {
    Kept k;
    k.content = sim::StringField(args, "_content");
    k.link = sim::StringField(args, "_link");
    int64_t mode = sim::IntField(args, "_mode", kDefaultMode);
    k.mode = static_cast<mode_t>(mode & 07777);
    if (!k.link.empty()) k.mode = kDefaultMode;
    return k;
  }

  static Json FsUndo(const char* action, Json args, const std::string& root) {
    args["_root"] = root;
    return sim::UndoRecord(action, std::move(args));
  }

  Status NeedFile(const std::string& action, const std::string& path,
                  const Entry& e) {
    if (e.IsDir()) {
      return FailedPrecondition(
          StrCat("fs.", action, ": ", Quote(path), " is a directory"));
    }
    if (!e.exists) {
      return NotFound(StrCat("fs.", action, ": no file ", Quote(path)));
    }
    return Status::Ok();
  }

  Result<ActionResponse> Read(const std::string& path, const Resolved& res) {
    Entry e = Look(res);
    WFS_RETURN_IF_ERROR(NeedFile("read", path, e));
    if (!e.IsFile()) {
      return FailedPrecondition(
          StrCat("fs.read: ", Quote(path), " is not a regular file"));
    }
    WFS_RETURN_IF_ERROR(NeedNotHardLinked(path, e));
    ActionResponse out;
    WFS_ASSIGN_OR_RETURN(std::string content,
                         ReadContent("read", path, res, e));
    out.result = std::move(content);
    return out;
  }

  Result<ActionResponse> List(const std::string& root, const Resolved& res) {
    const std::string rel = res.Rel();
    int dir_fd = -1;
    if (res.IsRoot()) {
      dir_fd = res.dirs[0].get();
    } else if (res.dirs.size() > res.parts.size()) {
      dir_fd = res.dirs[res.parts.size()].get();
    }
    Fd opened;
    if (dir_fd < 0) {
      Entry e = Look(res);
      if (!e.exists) {
        return NotFound(StrCat("fs.list: no directory ", Quote(rel)));
      }
      if (!e.IsDir()) {
        return FailedPrecondition(
            StrCat("fs.list: ", Quote(rel), " is a file, not a directory"));
      }
      opened = Fd(openat(res.Parent(), res.Name().c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!opened.ok()) return Errno(errno, StrCat("cannot open ", Quote(rel)));
      dir_fd = opened.get();
    }
    int dup_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return Errno(errno, "dup");
    DIR* d = fdopendir(dup_fd);
    if (d == nullptr) {
      int e = errno;
      close(dup_fd);
      return Errno(e, StrCat("cannot list ", Quote(rel)));
    }
    std::map<std::string, Json> entries;
    Status status = Status::Ok();
    while (struct dirent* de = readdir(d)) {
      std::string name = de->d_name;
      if (name == "." || name == "..") continue;
      if (entries.size() >= options_.max_list_entries) {
        status = ResourceExhausted(
            StrCat("fs.list: ", Quote(rel), " holds more than ",
                   options_.max_list_entries, " entries"));
        break;
      }
      struct stat st;
      if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        continue;  // gone meanwhile
      }
      Json e = Json::object();
      e["path"] = rel.empty() ? name : StrCat(rel, "/", name);
      if (S_ISDIR(st.st_mode)) {
        e["kind"] = "dir";
        e["size"] = 0;
      } else {
        e["kind"] = "file";
        e["size"] = S_ISREG(st.st_mode) ? static_cast<int64_t>(st.st_size) : 0;
      }
      entries[name] = std::move(e);
    }
    closedir(d);
    WFS_RETURN_IF_ERROR(status);
    (void)root;
    ActionResponse out;
    out.result = Json::array();
    for (auto& [name, e] : entries) out.result.push_back(std::move(e));
    return out;
  }

  // ---- writing -------------------------------------------------------------

  // Creates the missing directories of res's parent chain.
  Status MakeParents(Resolved& res, std::vector<std::string>* made) {
    while (!res.ParentExists()) {
      const size_t i = res.dirs.size() - 1;  // parts[i] is missing
      const std::string& c = res.parts[i];
      if (mkdirat(res.dirs.back().get(), c.c_str(), 0755) != 0 &&
          errno != EEXIST) {
        return Errno(
            errno,
            StrCat("cannot make directory ",
                   Quote(StrJoin({res.parts.begin(), res.parts.begin() + i + 1},
                                 "/"))));
      }
      if (made != nullptr) made->push_back(c);
      Fd sub(openat(res.dirs.back().get(), c.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.ok()) {
        int e = errno;
        if (e == ENOTDIR || e == ELOOP) {
          return FailedPrecondition(StrCat(
              "fs: ", Quote(c), " is not a directory (changed meanwhile?)"));
        }
        return Errno(e, "open a new directory");
      }
      res.dirs.push_back(std::move(sub));
    }
    return Status::Ok();
  }

  // Removes directories along res's parents that are empty now, deepest
  // first, up to (not including) the root: the simulator's directories exist
  // only while something lies below them.
  static void PruneEmptyParents(Resolved& res) {
    for (size_t i = res.parts.size() - 1; i-- > 0;) {
      if (i >= res.dirs.size()) continue;
      if (unlinkat(res.dirs[i].get(), res.parts[i].c_str(), AT_REMOVEDIR) !=
          0) {
        return;
      }
      fsync(res.dirs[i].get());
    }
  }

  // A fresh temporary name in the entry's directory.
  static std::string TempName(const std::string& name) {
    std::string base = name.size() > 100 ? name.substr(0, 100) : name;
    return StrCat(".", base, ".wfs-", SecureRandomHex(6), ".tmp");
  }

  // Writes `k` (a file's content and mode, or a link) to a new temporary
  // entry in `dir` and returns its name.
  Result<std::string> WriteTemp(int dir, const std::string& name,
                                const Kept& k) {
    std::string tmp = TempName(name);
    if (!k.link.empty()) {
      if (symlinkat(k.link.c_str(), dir, tmp.c_str()) != 0) {
        return Errno(errno, "cannot make a link");
      }
      return tmp;
    }
    Fd fd(openat(dir, tmp.c_str(),
                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, k.mode));
    if (!fd.ok()) return Errno(errno, "cannot create a temporary file");
    Status s = WriteAll(fd.get(), k.content);
    if (s.ok() && fchmod(fd.get(), k.mode) != 0) s = Errno(errno, "chmod");
    if (s.ok() && fsync(fd.get()) != 0) s = Errno(errno, "fsync");
    if (!s.ok()) {
      unlinkat(dir, tmp.c_str(), 0);
      return s;
    }
    return tmp;
  }

  // Puts `k` at the entry: atomically replacing what is there when
  // `replace`, else failing with AlreadyExists when something is.
  Status Put(const std::string& action, const std::string& path, int dir,
             const std::string& name, const Kept& k, bool replace) {
    if (k.content.size() > options_.max_file_bytes) {
      return ResourceExhausted(StrCat("fs.", action, ": content larger than ",
                                      options_.max_file_bytes, " bytes"));
    }
    WFS_ASSIGN_OR_RETURN(std::string tmp, WriteTemp(dir, name, k));
    int rc = replace ? renameat(dir, tmp.c_str(), dir, name.c_str())
                     : renameat2(dir, tmp.c_str(), dir, name.c_str(),
                                 RENAME_NOREPLACE);
    if (rc != 0) {
      int e = errno;
      unlinkat(dir, tmp.c_str(), 0);
      if (e == EEXIST) {
        return AlreadyExists(
            StrCat("fs.", action, ": ", Quote(path), " already exists"));
      }
      return Errno(e, StrCat("cannot write ", Quote(path)));
    }
    if (fsync(dir) != 0) return Errno(errno, "fsync of the directory");
    return Status::Ok();
  }

  Result<ActionResponse> Write(const ActionRequest& r, const std::string& root,
                               const std::string& path, const Resolved& res) {
    Entry e = Look(res);
    WFS_RETURN_IF_ERROR(NeedFile("write", path, e));
    WFS_ASSIGN_OR_RETURN(Kept old, KeptOf("write", path, res, e));
    Kept now = old;
    now.content = StrArg(r.args, "content");
    ActionResponse out;
    if (now.content == old.content) return out;
    WFS_RETURN_IF_ERROR(
        Put("write", path, res.Parent(), res.Name(), now, true));
    Json args = KeptArgs(res.Rel(), old);
    args.erase("_mode");  // the mode stays as it was
    out.undo = FsUndo("restore", std::move(args), root);
    return out;
  }

  Result<ActionResponse> Create(const ActionRequest& r, const std::string& root,
                                const std::string& path, Resolved& res) {
    Entry e = Look(res);
    if (e.exists) {
      return AlreadyExists(
          StrCat("fs.create: ", Quote(path), " already exists"));
    }
    std::vector<std::string> made;
    Status s = MakeParents(res, &made);
    if (s.ok()) {
      Kept k;
      k.content = StrArg(r.args, "content");
      s = Put("create", path, res.Parent(), res.Name(), k, false);
    }
    if (!s.ok()) {
      if (!made.empty()) PruneEmptyParents(res);
      return s;
    }
    ActionResponse out;
    Json args = Json::object();
    args["path"] = res.Rel();
    out.undo = FsUndo("remove", std::move(args), root);
    return out;
  }

  // Removes the entry after keeping what it holds; the undo puts it back.
  Result<ActionResponse> Unlink(const std::string& action,
                                const std::string& root,
                                const std::string& path, Resolved& res) {
    Entry e = Look(res);
    WFS_RETURN_IF_ERROR(NeedFile(action, path, e));
    WFS_ASSIGN_OR_RETURN(Kept k, KeptOf(action, path, res, e));
    if (unlinkat(res.Parent(), res.Name().c_str(), 0) != 0) {
      return Errno(errno, StrCat("cannot remove ", Quote(path)));
    }
    if (fsync(res.Parent()) != 0) return Errno(errno, "fsync");
    PruneEmptyParents(res);
    ActionResponse out;
    out.undo = FsUndo("restore", KeptArgs(res.Rel(), k), root);
    return out;
  }

  Result<ActionResponse> Delete(const std::string& root,
                                const std::string& path, Resolved& res) {
    return Unlink("delete", root, path, res);
  }

  Result<ActionResponse> Remove(const ActionRequest& r, const std::string& root,
                                const std::string& path, Resolved& res) {
    if (sim::FieldOf(r.args, "_content") == nullptr) {
      return Unlink("remove", root, path, res);
    }
    // Undoes a restore that replaced an existing file: puts back what the
    // file held before.
    Entry e = Look(res);
    WFS_RETURN_IF_ERROR(NeedFile("remove", path, e));
    WFS_ASSIGN_OR_RETURN(Kept before, KeptOf("remove", path, res, e));
    WFS_RETURN_IF_ERROR(Put("remove", path, res.Parent(), res.Name(),
                            KeptFromArgs(r.args), true));
    ActionResponse out;
    out.undo = FsUndo("restore", KeptArgs(res.Rel(), before), root);
    return out;
  }

  Result<ActionResponse> Restore(const ActionRequest& r,
                                 const std::string& root,
                                 const std::string& path, Resolved& res) {
    if (sim::FieldOf(r.args, "_content") == nullptr) {
      return InvalidArgument(
          "fs.restore: needs the content kept by the action it undoes (the "
          "`_content` argument of an undo record)");
    }
    const Kept want = KeptFromArgs(r.args);
    Entry e = Look(res);
    ActionResponse out;
    if (e.exists) {
      if (e.IsDir()) {
        return FailedPrecondition(
            StrCat("fs.restore: ", Quote(path), " is a directory"));
      }
      WFS_ASSIGN_OR_RETURN(Kept before, KeptOf("restore", path, res, e));
      Kept target = want;
      // A write's undo carries no mode: the file keeps its own.
      if (sim::FieldOf(r.args, "_mode") == nullptr && want.link.empty() &&
          before.link.empty()) {
        target.mode = before.mode;
      }
      if (before == target) return out;
      WFS_RETURN_IF_ERROR(
          Put("restore", path, res.Parent(), res.Name(), target, true));
      out.undo = FsUndo("remove", KeptArgs(res.Rel(), before), root);
      return out;
    }
    WFS_RETURN_IF_ERROR(MakeParents(res, nullptr));
    WFS_RETURN_IF_ERROR(
        Put("restore", path, res.Parent(), res.Name(), want, false));
    Json args = Json::object();
    args["path"] = res.Rel();
    out.undo = FsUndo("remove", std::move(args), root);
    return out;
  }

  Result<ActionResponse> Move(const ActionRequest& r, const std::string& root,
                              const Fd& root_fd) {
    const std::string from = StrArg(r.args, "from");
    const std::string to = StrArg(r.args, "to");
    WFS_ASSIGN_OR_RETURN(Resolved src, Resolve(root, root_fd, from, false));
    WFS_ASSIGN_OR_RETURN(Resolved dst, Resolve(root, root_fd, to, false));
    if (src.IsRoot() || dst.IsRoot()) {
      return FailedPrecondition("fs.move: the root directory cannot move");
    }
    Entry se = Look(src);
    if (se.IsDir()) {
      return FailedPrecondition(
          StrCat("fs.move: ", Quote(from), " is a directory; only files move"));
    }
    WFS_RETURN_IF_ERROR(NeedFile("move", from, se));
    Entry de = Look(dst);
    if (de.exists) {
      return AlreadyExists(StrCat("fs.move: ", Quote(to), " already exists"));
    }
    std::vector<std::string> made;
    Status s = MakeParents(dst, &made);
    if (s.ok() && renameat2(src.Parent(), src.Name().c_str(), dst.Parent(),
                            dst.Name().c_str(), RENAME_NOREPLACE) != 0) {
      int e = errno;
      s = e == EEXIST
              ? AlreadyExists(StrCat("fs.move: ", Quote(to), " already exists"))
              : Errno(e, StrCat("cannot move ", Quote(from)));
    }
    if (!s.ok()) {
      if (!made.empty()) PruneEmptyParents(dst);
      return s;
    }
    if (fsync(dst.Parent()) != 0 || fsync(src.Parent()) != 0) {
      return Errno(errno, "fsync");
    }
    PruneEmptyParents(src);
    ActionResponse out;
    Json args = Json::object();
    args["from"] = dst.Rel();
    args["to"] = src.Rel();
    out.undo = FsUndo("move", std::move(args), root);
    return out;
  }

  const std::string name_ = "fs";
  const LocalFsOptions options_;
  const std::vector<ActionArgs> actions_;
  std::mutex mu_;
};

}  // namespace

std::unique_ptr<Connector> MakeLocalFsConnector(const LocalFsOptions& options) {
  return std::make_unique<LocalFs>(options);
}

}  // namespace wfs::connectors::fs
