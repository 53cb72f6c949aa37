// The fs simulator: world files with absolute paths; action paths are
// relative to the run's fs.root scope and are resolved component by
// component, following symbolic links (entries with `link`), like openat2
// with RESOLVE_BENEATH: nothing outside the root is reachable.
#include <deque>
#include <map>
#include <memory>

#include "base/strings.h"
#include "connectors/sim/simulator.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::sim {

namespace {

// Symbolic links followed while resolving one path (Linux's MAXSYMLINKS).
constexpr int kMaxLinkHops = 40;
constexpr size_t kMaxPathBytes = 4096;
// Components looked at while resolving one path, links expanded.
constexpr size_t kMaxComponents = 4096;


// Reading actions follow a link in the last component; the others act on
// the entry itself (unlink and rename semantics).
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

std::string LinkOf(const Json& entry) {
  const Json* l = FieldOf(entry, "link");
  return l != nullptr && l->is_string() ? l->get<std::string>() : "";
}

// An undo record whose arguments carry the root they are relative to, so it
// is self-contained: the runtime compensates without the run's scopes.
Json FsUndo(const char* action, Json args, const std::string& root) {
  args["_root"] = root;
  return UndoRecord(action, std::move(args));
}

class FsSimulator final : public Simulator {
 public:
  explicit FsSimulator(World* world) : Simulator("fs", world, FsActionSpecs()) {}

 protected:
  Result<ActionResponse> Do(const ActionSpec& spec,
                            const ActionRequest& r) override {
    const std::string action = spec.name;
    WFS_ASSIGN_OR_RETURN(std::string root, Root(r));
    if (action == "move") return Move(r, root);
    const std::string param = action == "list" ? "dir" : "path";
    const std::string path = r.args[param].get<std::string>();
    WFS_ASSIGN_OR_RETURN(std::string abs,
                         Resolve(root, path, FollowsLast(action)));
    const std::string rel = RelativeTo(abs, root);
    if (action == "list") return List(root, abs);
    if (rel.empty()) {
      return FailedPrecondition(
          StrCat("fs.", action, ": ", Quote(path), " is the root directory"));
    }
    int index = FindFile(abs);
    ActionResponse out;
    if (action == "read") {
      WFS_RETURN_IF_ERROR(NeedFile(action, path, abs, index));
      out.result = StringField(Files()[index], "content");
      return out;
    }
    EnsureGitBaselines(world());
    Json& files = Files();
    if (action == "write") {
      WFS_RETURN_IF_ERROR(NeedFile(action, path, abs, index));
      Json& f = files[index];
      const std::string old = StringField(f, "content");
      const std::string content = r.args["content"].get<std::string>();
      if (old != content) {
        f["content"] = content;
        out.undo = FsUndo("restore", {{"path", rel}, {"_content", old}}, root);
      }
      return out;
    }
    if (action == "create") {
      WFS_RETURN_IF_ERROR(NeedFree(action, path, abs, index));
      files.push_back(NewFile(abs, r.args["content"].get<std::string>(),
                              nullptr));
      out.undo = FsUndo("remove", {{"path", rel}}, root);
      return out;
    }
    const Json* kept = FieldOf(r.args, "_content");
    if (action == "delete" || (action == "remove" && kept == nullptr)) {
      WFS_RETURN_IF_ERROR(NeedFile(action, path, abs, index));
      Json undo_args = KeptArgs(rel, files[index]);
      undo_args["_index"] = index;
      files.erase(files.begin() + index);
      out.undo = FsUndo("restore", std::move(undo_args), root);
      return out;
    }
    if (action == "remove") {
      // Undoes a restore that replaced an existing file: puts back what the
      // file held before.
      WFS_RETURN_IF_ERROR(NeedFile(action, path, abs, index));
      Json& f = files[index];
      Json undo_args = KeptArgs(rel, f);
      SetKept(f, r.args);
      out.undo = FsUndo("restore", std::move(undo_args), root);
      return out;
    }
    // restore
    if (kept == nullptr) {
      return Bad(r, "needs the content kept by the action it undoes (the "
                    "`_content` argument of an undo record)");
    }
    if (index >= 0) {
      Json& f = files[index];
      Json before = KeptArgs(rel, f);
      SetKept(f, r.args);
      if (KeptArgs(rel, f) != before) {
        out.undo = FsUndo("remove", std::move(before), root);
      }
      return out;
    }
    if (IsDir(abs)) {
      return FailedPrecondition(
          StrCat("fs.restore: ", Quote(path), " is a directory"));
    }
    Json f = NewFile(abs, "", nullptr);
    SetKept(f, r.args);
    size_t at = files.size();
    int64_t want = IntField(r.args, "_index", -1);
    if (want >= 0 && static_cast<uint64_t>(want) < files.size()) {
      at = static_cast<size_t>(want);
    }
    files.insert(files.begin() + static_cast<std::ptrdiff_t>(at), std::move(f));
    out.undo = FsUndo("remove", {{"path", rel}}, root);
    return out;
  }

  Result<std::string> DoScopeKey(const std::string& action,
                                 const std::string& param, const Json& value,
                                 const ScopeMap& scopes) override {
    if (!value.is_string()) {
      return InvalidArgument(StrCat("fs.", action, ": argument `", param,
                                    "` must be a string"));
    }
    WFS_ASSIGN_OR_RETURN(std::string root, RootOf(&scopes));
    return Resolve(root, value.get<std::string>(),
                   FollowsLast(action) && param != "to");
  }

 private:
  Json& Files() { return Collection("files"); }

  static Json NewFile(const std::string& abs, const std::string& content,
                      Json link) {
    Json f = Json::object();
    f["path"] = abs;
    f["content"] = content;
    f["link"] = std::move(link);
    return f;
  }

  // Undo arguments that put `f` back as it is: {path, _content, _link?}.
  static Json KeptArgs(const std::string& rel, const Json& f) {
    Json args = Json::object();
    args["path"] = rel;
    args["_content"] = StringField(f, "content");
    std::string link = LinkOf(f);
    if (!link.empty()) args["_link"] = link;
    return args;
  }

  // Applies an undo record's _content and _link to `f`.
  static void SetKept(Json& f, const Json& args) {
    f["content"] = StringField(args, "_content");
    std::string link = StringField(args, "_link");
    f["link"] = link.empty() ? Json(nullptr) : Json(link);
  }

  // The root paths are relative to: an undo record's own `_root` when
  // compensating, else the run's fs.root scope.
  Result<std::string> Root(const ActionRequest& r) {
    const Json* kept = r.compensation ? FieldOf(r.args, "_root") : nullptr;
    if (kept == nullptr) return RootOf(r.scopes);
    Result<std::string> root = NormalizeAbsolutePath(kept->get<std::string>());
    if (!root.ok()) {
      return InvalidArgument(StrCat("fs.", r.action, ": `_root` must be an ",
                                    "absolute path"));
    }
    return root;
  }

  Result<std::string> RootOf(const ScopeMap* scopes) {
    if (scopes == nullptr) {
      return PermissionDenied(
          "fs: the run has no fs.root scope, so no path is reachable");
    }
    auto it = scopes->find("root");
    if (it == scopes->end() || it->second.empty()) {
      return PermissionDenied(
          "fs: the run has no fs.root scope, so no path is reachable");
    }
    Result<std::string> root = NormalizeAbsolutePath(it->second.front());
    if (!root.ok()) {
      return InvalidArgument(StrCat("fs: the fs.root scope must be an ",
                                    "absolute path, got ",
                                    Quote(it->second.front())));
    }
    return root;
  }

  // An entry's absolute path, normalised ("" when it is not absolute).
  static std::string EntryPath(const Json& f) {
    std::string p = StringField(f, "path");
    if (p.find("//") == std::string::npos &&
        p.find("/.") == std::string::npos &&
        !(p.size() > 1 && p.back() == '/') && !p.empty() && p[0] == '/') {
      return p;
    }
    Result<std::string> norm = NormalizeAbsolutePath(p);
    return norm.ok() ? *norm : "";
  }

  // Index of the entry at absolute path `abs`, or -1.
  int FindFile(const std::string& abs) {
    Json& files = Files();
    for (size_t i = 0; i < files.size(); ++i) {
      if (files[i].is_object() && EntryPath(files[i]) == abs) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }

  // True when some entry lies below `abs` (directories are implicit).
  bool IsDir(const std::string& abs) {
    for (const Json& f : Files()) {
      const std::string p = EntryPath(f);
      if (!p.empty() && p != abs && PathWithin(p, abs)) return true;
    }
    return false;
  }

  Status NeedFile(const std::string& action, const std::string& path,
                  const std::string& abs, int index) {
    if (index >= 0) return Status::Ok();
    if (IsDir(abs)) {
      return FailedPrecondition(
          StrCat("fs.", action, ": ", Quote(path), " is a directory"));
    }
    return NotFound(StrCat("fs.", action, ": no file ", Quote(path)));
  }

  Status NeedFree(const std::string& action, const std::string& path,
                  const std::string& abs, int index) {
    if (index >= 0 || IsDir(abs)) {
      return AlreadyExists(
          StrCat("fs.", action, ": ", Quote(path), " already exists"));
    }
    return Status::Ok();
  }

  // Resolves `path` (relative to `root`) to an absolute world path without
  // ever leaving the root.
  Result<std::string> Resolve(const std::string& root, const std::string& path,
                              bool follow_last) {
    if (path.size() > kMaxPathBytes) {
      return InvalidArgument(
          StrCat("fs: path longer than ", kMaxPathBytes, " bytes"));
    }
    if (!path.empty() && path[0] == '/') {
      return PermissionDenied(StrCat("fs: absolute path ", Quote(path),
                                     " refused: paths are relative to the "
                                     "root ",
                                     Quote(root)));
    }
    const std::vector<std::string> root_parts = Components(root);
    std::vector<std::string> parts = Components(path);
    std::deque<std::string> queue(parts.begin(), parts.end());
    std::vector<std::string> cur;
    int hops = 0;
    size_t steps = 0;
    while (!queue.empty()) {
      if (++steps > kMaxComponents) {
        return InvalidArgument(StrCat("fs: ", Quote(path),
                                      " has too many components"));
      }
      std::string c = std::move(queue.front());
      queue.pop_front();
      if (c == "..") {
        if (cur.empty()) {
          return PermissionDenied(StrCat("fs: ", Quote(path),
                                         " leaves the root ", Quote(root)));
        }
        cur.pop_back();
        continue;
      }
      cur.push_back(std::move(c));
      const bool last = queue.empty();
      const std::string abs = JoinPath(root, StrJoin(cur, "/"));
      int index = FindFile(abs);
      if (index < 0) continue;
      const std::string link = LinkOf(Files()[index]);
      if (link.empty()) {
        if (!last) {
          return FailedPrecondition(StrCat("fs: ", Quote(path), ": ",
                                           Quote(StrJoin(cur, "/")),
                                           " is a file, not a directory"));
        }
        continue;
      }
      if (last && !follow_last) continue;
      if (++hops > kMaxLinkHops) {
        return FailedPrecondition(
            StrCat("fs: too many levels of symbolic links resolving ",
                   Quote(path), " (a link loop?)"));
      }
      const std::string link_name = StrJoin(cur, "/");
      cur.pop_back();
      std::vector<std::string> target = Components(link);
      if (link[0] == '/') {
        // Absolute: must name a place under the root; resolution restarts
        // there.
        bool under = target.size() >= root_parts.size();
        for (size_t i = 0; under && i < root_parts.size(); ++i) {
          under = target[i] == root_parts[i];
        }
        if (!under) {
          return PermissionDenied(
              StrCat("fs: ", Quote(path), ": link ", Quote(link_name),
                     " points to ", Quote(link), ", outside the root ",
                     Quote(root)));
        }
        cur.clear();
        target.erase(target.begin(),
                     target.begin() + static_cast<std::ptrdiff_t>(
                                          root_parts.size()));
      }
      // Relative targets continue from the link's directory; a ".." that
      // would climb above the root is refused above.
      queue.insert(queue.begin(), target.begin(), target.end());
    }
    return JoinPath(root, StrJoin(cur, "/"));
  }

  Result<ActionResponse> List(const std::string& root, const std::string& abs) {
    int index = FindFile(abs);
    if (index >= 0) {
      return FailedPrecondition(
          StrCat("fs.list: ", Quote(RelativeTo(abs, root)),
                 " is a file, not a directory"));
    }
    std::map<std::string, Json> entries;
    for (const Json& f : Files()) {
      const std::string p = EntryPath(f);
      if (p.empty() || p == abs || !PathWithin(p, abs)) continue;
      const std::string rest = RelativeTo(p, abs);
      size_t slash = rest.find('/');
      const std::string name = rest.substr(0, slash);
      if (name.empty() || entries.count(name) != 0) continue;
      Json e = Json::object();
      e["path"] = RelativeTo(JoinPath(abs, name), root);
      if (slash == std::string::npos) {
        e["kind"] = "file";
        e["size"] = static_cast<int64_t>(StringField(f, "content").size());
      } else {
        e["kind"] = "dir";
        e["size"] = 0;
      }
      entries[name] = std::move(e);
    }
    if (entries.empty() && abs != root) {
      return NotFound(StrCat("fs.list: no directory ",
                             Quote(RelativeTo(abs, root))));
    }
    ActionResponse out;
    out.result = Json::array();
    for (auto& [name, e] : entries) out.result.push_back(std::move(e));
    return out;
  }

  Result<ActionResponse> Move(const ActionRequest& r, const std::string& root) {
    const std::string from = r.args["from"].get<std::string>();
    const std::string to = r.args["to"].get<std::string>();
    WFS_ASSIGN_OR_RETURN(std::string from_abs, Resolve(root, from, false));
    WFS_ASSIGN_OR_RETURN(std::string to_abs, Resolve(root, to, false));
    const std::string from_rel = RelativeTo(from_abs, root);
    const std::string to_rel = RelativeTo(to_abs, root);
    if (from_rel.empty() || to_rel.empty()) {
      return FailedPrecondition("fs.move: the root directory cannot move");
    }
    int index = FindFile(from_abs);
    if (index < 0 && IsDir(from_abs)) {
      return FailedPrecondition(StrCat("fs.move: ", Quote(from),
                                       " is a directory; only files move"));
    }
    WFS_RETURN_IF_ERROR(NeedFile("move", from, from_abs, index));
    WFS_RETURN_IF_ERROR(NeedFree("move", to, to_abs, FindFile(to_abs)));
    EnsureGitBaselines(world());
    Files()[index]["path"] = to_abs;
    ActionResponse out;
    out.undo =
        FsUndo("move", {{"from", to_rel}, {"to", from_rel}}, root);
    return out;
  }
};

}  // namespace

std::vector<ActionSpec> FsActionSpecs() {
  return {
      {"read", true, {{"path", ArgKind::kString}}, {}},
      {"list", true, {{"dir", ArgKind::kString}}, {}},
      {"write", false, {{"path", ArgKind::kString}, {"content", ArgKind::kString}}, {}},
      {"create", false, {{"path", ArgKind::kString}, {"content", ArgKind::kString}}, {}},
      {"move",
       false,
       {{"from", ArgKind::kString}, {"to", ArgKind::kString}},
       {{"_root", ArgKind::kString}}},
      {"delete", false, {{"path", ArgKind::kString}}, {}},
      {"restore",
       false,
       {{"path", ArgKind::kString}},
       {{"_content", ArgKind::kString},
        {"_link", ArgKind::kOptionalString},
        {"_index", ArgKind::kInt},
        {"_mode", ArgKind::kInt},
        {"_root", ArgKind::kString}}},
      {"remove",
       false,
       {{"path", ArgKind::kString}},
       {{"_content", ArgKind::kString},
        {"_link", ArgKind::kOptionalString},
        {"_mode", ArgKind::kInt},
        {"_root", ArgKind::kString}}},
  };
}


std::unique_ptr<Connector> MakeFsSimulator(World* world) {
  return std::make_unique<FsSimulator>(world);
}

}  // namespace wfs::connectors::sim
