// The git simulator. A repository's working tree is the fs world's files
// under its path; commits and checkpoints are snapshots of that tree kept in
// the world's private state for "git":
//
//   "_git": {"repos": {"/repo": {"snapshots": {
//              "c1": {"kind": "commit", "parent": "c0", "tree": {
//                       "src/a.py": {"content": "...", "link": null}}}}}},
//            "next_commit": 2, "next_checkpoint": 1, ...}
//
// A repository whose head has no snapshot yet starts clean: its head's
// snapshot is taken from the files under its path at the first git call or
// fs change (EnsureGitBaselines).
#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "base/strings.h"
#include "connectors/sim/simulator.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::sim {

namespace {

constexpr char kAuthor[] = "wfstore";
// Largest line-diff table (old lines x new lines, after common prefix and
// suffix are cut); beyond it a file's diff replaces every line.
constexpr size_t kMaxDiffCells = size_t{1} << 20;
// Largest diff text returned.
constexpr size_t kMaxDiffBytes = size_t{1} << 20;
constexpr size_t kContextLines = 3;


// rel path -> {"content", "link"}; std::map keeps paths sorted.
using Tree = std::map<std::string, Json>;

Json TreeToJson(const Tree& t) {
  Json out = Json::object();
  for (const auto& [p, e] : t) out[p] = e;
  return out;
}

// A file's tree entry: {"content": string, "link": string or null}.
Json EntryOf(const Json& file) {
  Json e = Json::object();
  e["content"] = StringField(file, "content");
  const Json* link = FieldOf(file, "link");
  e["link"] = link != nullptr && link->is_string() ? *link : Json(nullptr);
  return e;
}

// The tree of snapshot `id` in `snaps` (empty when unknown); entries are
// re-shaped, so a hand-edited world file cannot make later code throw.
Tree SnapshotTree(const Json& snaps, const std::string& id) {
  Tree t;
  const Json* snap = FieldOf(snaps, id);
  const Json* tree = snap != nullptr ? FieldOf(*snap, "tree") : nullptr;
  if (tree == nullptr || !tree->is_object()) return t;
  for (auto it = tree->begin(); it != tree->end(); ++it) {
    t[it.key()] = EntryOf(it.value());
  }
  return t;
}

// The text a diff shows for an entry: a link's target, else the content.
std::string EntryText(const Json& e) {
  std::string link = StringField(e, "link");
  return link.empty() ? StringField(e, "content") : link;
}

Tree WorkingTree(World& w, const std::string& repo) {
  Tree t;
  for (const Json& f : w.Collection("fs", "files")) {
    Result<std::string> p = NormalizeAbsolutePath(StringField(f, "path"));
    if (!p.ok() || *p == repo || !PathWithin(*p, repo)) continue;
    t[RelativeTo(*p, repo)] = EntryOf(f);
  }
  return t;
}

// Makes the files under `repo` match `changes` (rel path -> entry, or null
// to delete). Files keep their place; new ones are appended in path order.
void ApplyToFiles(World& w, const std::string& repo,
                  const std::map<std::string, Json>& changes) {
  Json& files = w.Collection("fs", "files");
  std::set<std::string> done;
  Json kept = Json::array();
  for (Json& f : files) {
    Result<std::string> p = NormalizeAbsolutePath(StringField(f, "path"));
    if (p.ok() && *p != repo && PathWithin(*p, repo)) {
      auto it = changes.find(RelativeTo(*p, repo));
      if (it != changes.end()) {
        done.insert(it->first);
        if (it->second.is_null()) continue;
        f["content"] = StringField(it->second, "content");
        f["link"] = EntryOf(it->second)["link"];
      }
    }
    kept.push_back(std::move(f));
  }
  for (const auto& [rel, e] : changes) {
    if (e.is_null() || done.count(rel) != 0) continue;
    Json f = Json::object();
    f["path"] = JoinPath(repo, rel);
    f["content"] = StringField(e, "content");
    f["link"] = EntryOf(e)["link"];
    kept.push_back(std::move(f));
  }
  files = std::move(kept);
}

// What turns `from` into `to`: rel path -> entry of `to`, or null.
std::map<std::string, Json> Changes(const Tree& from, const Tree& to) {
  std::map<std::string, Json> out;
  for (const auto& [p, e] : to) {
    auto it = from.find(p);
    if (it == from.end() || it->second != e) out[p] = e;
  }
  for (const auto& [p, e] : from) {
    if (to.count(p) == 0) out[p] = nullptr;
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  if (text.empty()) return {};
  std::vector<std::string> lines = StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

struct Op {
  char kind;  // ' ', '-', '+'
  const std::string* line;
};

std::vector<Op> LineDiff(const std::vector<std::string>& a,
                         const std::vector<std::string>& b) {
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  std::vector<Op> ops;
  for (size_t i = 0; i < pre; ++i) ops.push_back({' ', &a[i]});
  const size_t n = a.size() - pre - suf;
  const size_t m = b.size() - pre - suf;
  if (n > 0 && m > 0 && (n + 1) * (m + 1) <= kMaxDiffCells) {
    // Longest common subsequence of the middle parts.
    std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
    auto at = [&](size_t i, size_t j) -> uint32_t& {
      return lcs[i * (m + 1) + j];
    };
    for (size_t i = n; i-- > 0;) {
      for (size_t j = m; j-- > 0;) {
        at(i, j) = a[pre + i] == b[pre + j]
                       ? at(i + 1, j + 1) + 1
                       : std::max(at(i + 1, j), at(i, j + 1));
      }
    }
    size_t i = 0, j = 0;
    while (i < n && j < m) {
      if (a[pre + i] == b[pre + j]) {
        ops.push_back({' ', &a[pre + i]});
        ++i;
        ++j;
      } else if (at(i + 1, j) >= at(i, j + 1)) {
        ops.push_back({'-', &a[pre + i++]});
      } else {
        ops.push_back({'+', &b[pre + j++]});
      }
    }
    for (; i < n; ++i) ops.push_back({'-', &a[pre + i]});
    for (; j < m; ++j) ops.push_back({'+', &b[pre + j]});
  } else {
    for (size_t i = 0; i < n; ++i) ops.push_back({'-', &a[pre + i]});
    for (size_t j = 0; j < m; ++j) ops.push_back({'+', &b[pre + j]});
  }
  for (size_t i = a.size() - suf; i < a.size(); ++i) ops.push_back({' ', &a[i]});
  return ops;
}

std::string Range(size_t start, size_t count) {
  // Unified diff: an empty range names the line before it.
  return count == 1 ? std::to_string(start)
                    : StrCat(count == 0 ? start - 1 : start, ",", count);
}

// One file's unified diff; `before`/`after` are null for added/deleted.
std::string FileDiff(const std::string& path, const Json& before,
                     const Json& after) {
  const std::vector<std::string> a =
      before.is_null() ? std::vector<std::string>() : Lines(EntryText(before));
  const std::vector<std::string> b =
      after.is_null() ? std::vector<std::string>() : Lines(EntryText(after));
  std::string out = StrCat("--- ", before.is_null() ? "/dev/null" : "a/" + path,
                           "\n+++ ", after.is_null() ? "/dev/null" : "b/" + path,
                           "\n");
  std::vector<Op> ops = LineDiff(a, b);
  // Old and new line numbers (1-based) at each op.
  std::vector<size_t> old_no(ops.size() + 1), new_no(ops.size() + 1);
  size_t o = 1, nn = 1;
  for (size_t i = 0; i < ops.size(); ++i) {
    old_no[i] = o;
    new_no[i] = nn;
    if (ops[i].kind != '+') ++o;
    if (ops[i].kind != '-') ++nn;
  }
  old_no[ops.size()] = o;
  new_no[ops.size()] = nn;
  size_t i = 0;
  while (i < ops.size()) {
    while (i < ops.size() && ops[i].kind == ' ') ++i;
    if (i == ops.size()) break;
    size_t start = i > kContextLines ? i - kContextLines : 0;
    size_t last_change = i;
    size_t j = i;
    while (j < ops.size()) {
      if (ops[j].kind != ' ') {
        last_change = j;
      } else if (j - last_change > 2 * kContextLines) {
        break;
      }
      ++j;
    }
    size_t end = std::min(ops.size(), last_change + 1 + kContextLines);
    size_t old_count = 0, new_count = 0;
    for (size_t k = start; k < end; ++k) {
      if (ops[k].kind != '+') ++old_count;
      if (ops[k].kind != '-') ++new_count;
    }
    out += StrCat("@@ -", Range(old_no[start], old_count), " +",
                  Range(new_no[start], new_count), " @@\n");
    for (size_t k = start; k < end; ++k) {
      out += ops[k].kind;
      out += *ops[k].line;
      out += '\n';
    }
    i = end;
  }
  return out;
}

class GitSimulator final : public Simulator {
 public:
  explicit GitSimulator(World* world)
      : Simulator("git", world, GitActionSpecs()) {}

 protected:
  Result<ActionResponse> Do(const ActionSpec& spec,
                            const ActionRequest& r) override {
    const std::string action = spec.name;
    EnsureGitBaselines(world());
    WFS_ASSIGN_OR_RETURN(std::string repo, RepoPath(r));
    WFS_ASSIGN_OR_RETURN(size_t index, Repo(repo));
    Json& state = Collection("repos")[index];
    Json& snaps = Snapshots(repo);
    const std::string head = StringField(state, "head");
    const Tree head_tree = SnapshotTree(snaps, head);
    ActionResponse out;

    if (action == "status") {
      Tree work = WorkingTree(world(), repo);
      out.result = Json::array();
      for (const auto& [p, e] : Changes(head_tree, work)) {
        const char* status = e.is_null()                ? "deleted"
                             : head_tree.count(p) != 0 ? "modified"
                                                       : "untracked";
        out.result.push_back({{"path", p}, {"status", status}});
      }
      return out;
    }
    if (action == "diff") {
      Tree work = WorkingTree(world(), repo);
      std::string text;
      for (const auto& [p, e] : Changes(head_tree, work)) {
        auto before = head_tree.find(p);
        text += FileDiff(p, before == head_tree.end() ? Json() : before->second,
                         e);
        if (text.size() > kMaxDiffBytes) {
          text.resize(kMaxDiffBytes);
          text += "\n... (diff truncated)\n";
          break;
        }
      }
      out.result = std::move(text);
      return out;
    }
    if (action == "log") {
      int64_t count = r.args["count"].get<int64_t>();
      if (count < 0) return Bad(r, "argument `count` must not be negative");
      out.result = Json::array();
      const Json* commits = FieldOf(state, "commits");
      if (commits != nullptr && commits->is_array()) {
        for (size_t i = commits->size();
             i-- > 0 && out.result.size() < static_cast<uint64_t>(count);) {
          out.result.push_back(PublicRecord((*commits)[i]));
        }
      }
      return out;
    }
    if (action == "checkpoint") {
      std::string id = NewId("next_checkpoint", "cp");
      snaps[id] = {{"kind", "checkpoint"},
                   {"parent", nullptr},
                   {"tree", TreeToJson(WorkingTree(world(), repo))}};
      List(state, "checkpoints").push_back(id);
      out.result = id;
      out.undo =
          UndoRecord("drop_checkpoint", {{"repo", repo}, {"checkpoint", id}});
      return out;
    }
    if (action == "drop_checkpoint") {
      const std::string id = r.args["checkpoint"].get<std::string>();
      Json& listed = List(state, "checkpoints");
      auto it = std::find(listed.begin(), listed.end(), Json(id));
      const std::string kind = StringField(snaps.value(id, Json()), "kind");
      if (it == listed.end() && kind != "checkpoint" && kind != "auto") {
        return NotFound(StrCat("git.drop_checkpoint: no checkpoint ",
                               Quote(id), " in ", Quote(repo)));
      }
      if (it != listed.end()) listed.erase(it);
      if (kind == "checkpoint" || kind == "auto") snaps.erase(id);
      return out;
    }
    if (action == "commit") {
      const std::string message = r.args["message"].get<std::string>();
      if (Trim(message).empty()) {
        return Bad(r, "argument `message` must not be empty");
      }
      Tree work = WorkingTree(world(), repo);
      if (work == head_tree) {
        return FailedPrecondition(StrCat("git.commit: nothing to commit in ",
                                         Quote(repo),
                                         " (the working tree is clean)"));
      }
      std::string id = AddCommit(state, snaps, head, work, message);
      out.result = id;
      out.undo = UndoRecord("revert", {{"repo", repo}, {"commit", id}});
      return out;
    }
    if (action == "revert") return Revert(r, repo, state, snaps, head_tree);
    // restore
    const std::string id = r.args["checkpoint"].get<std::string>();
    const Json* snap = FieldOf(snaps, id);
    const std::string kind = snap ? StringField(*snap, "kind") : "";
    if (kind != "checkpoint" && kind != "auto") {
      return NotFound(StrCat("git.restore: no checkpoint ", Quote(id), " in ",
                             Quote(repo)));
    }
    Tree target = SnapshotTree(snaps, id);
    Tree work = WorkingTree(world(), repo);
    if (work == target) return out;
    // The tree as it is now, on a private checkpoint the undo restores.
    std::string before = NewId("next_checkpoint", "cp");
    snaps[before] = {{"kind", "auto"},
                     {"parent", nullptr},
                     {"tree", TreeToJson(work)}};
    ApplyToFiles(world(), repo, Changes(work, target));
    out.undo = UndoRecord("restore", {{"repo", repo}, {"checkpoint", before}});
    return out;
  }

  Result<std::string> DoScopeKey(const std::string& action,
                                 const std::string& param, const Json& value,
                                 const ScopeMap& scopes) override {
    if (param == "repo") {
      if (!value.is_string()) {
        return InvalidArgument("git: argument `repo` must be a string");
      }
      Result<std::string> p = NormalizeAbsolutePath(value.get<std::string>());
      if (!p.ok()) {
        return InvalidArgument(StrCat("git: argument `repo` must be an ",
                                      "absolute path, got ",
                                      Quote(value.get<std::string>())));
      }
      return p;
    }
    return Simulator::DoScopeKey(action, param, value, scopes);
  }

 private:
  static Json& List(Json& record, const char* field) {
    Json& l = record[field];
    if (!l.is_array()) l = Json::array();
    return l;
  }

  Json& Snapshots(const std::string& repo) {
    Json& repos = Private()["repos"];
    if (!repos.is_object()) repos = Json::object();
    Json& r = repos[repo];
    if (!r.is_object()) r = Json::object();
    Json& s = r["snapshots"];
    if (!s.is_object()) s = Json::object();
    return s;
  }

  // The normalised repository path, checked against the run's repo scope.
  Result<std::string> RepoPath(const ActionRequest& r) {
    const std::string raw = r.args["repo"].get<std::string>();
    Result<std::string> repo = NormalizeAbsolutePath(raw);
    if (!repo.ok()) {
      return Bad(r, StrCat("argument `repo` must be an absolute path, got ",
                           Quote(raw)));
    }
    if (const std::vector<std::string>* allowed = ScopeValues(r, "repo")) {
      bool ok = false;
      for (const std::string& v : *allowed) {
        Result<std::string> dir = NormalizeAbsolutePath(v);
        ok |= dir.ok() && PathWithin(*repo, *dir);
      }
      if (!ok) {
        return PermissionDenied(StrCat("git.", r.action, ": ", Quote(*repo),
                                       " is outside the run's git.repo scope (",
                                       StrJoin(*allowed, ", "), ")"));
      }
    }
    return repo;
  }

  Result<size_t> Repo(const std::string& repo) {
    Json& repos = Collection("repos");
    for (size_t i = 0; i < repos.size(); ++i) {
      Result<std::string> p = NormalizeAbsolutePath(StringField(repos[i], "path"));
      if (p.ok() && *p == repo) return i;
    }
    return NotFound(StrCat("git: no repository at ", Quote(repo)));
  }

  // A fresh commit or checkpoint id, unused by any repository.
  std::string NewId(const std::string& counter, const std::string& prefix) {
    std::set<std::string> used;
    for (const Json& s : Collection("repos")) {
      used.insert(StringField(s, "head"));
      if (const Json* c = FieldOf(s, "commits"); c && c->is_array()) {
        for (const Json& e : *c) used.insert(StringField(e, "commit"));
      }
      if (const Json* c = FieldOf(s, "checkpoints"); c && c->is_array()) {
        for (const Json& e : *c) {
          if (e.is_string()) used.insert(e.get<std::string>());
        }
      }
    }
    if (const Json* repos = FieldOf(Private(), "repos")) {
      for (const Json& rs : *repos) {
        if (const Json* snaps = FieldOf(rs, "snapshots")) {
          for (auto it = snaps->begin(); it != snaps->end(); ++it) {
            used.insert(it.key());
          }
        }
      }
    }
    return NextId(counter, prefix,
                  [&](const std::string& id) { return used.count(id) != 0; });
  }

  std::string AddCommit(Json& state, Json& snaps, const std::string& parent,
                        const Tree& tree, const std::string& message) {
    std::string id = NewId("next_commit", "c");
    snaps[id] = {{"kind", "commit"},
                 {"parent", parent},
                 {"tree", TreeToJson(tree)}};
    List(state, "commits")
        .push_back({{"commit", id}, {"author", kAuthor}, {"message", message}});
    state["head"] = id;
    return id;
  }

  Result<ActionResponse> Revert(const ActionRequest& r, const std::string& repo,
                                Json& state, Json& snaps,
                                const Tree& head_tree) {
    const std::string id = r.args["commit"].get<std::string>();
    const Json* snap = FieldOf(snaps, id);
    if (snap == nullptr || StringField(*snap, "kind") != "commit") {
      return NotFound(StrCat("git.revert: no commit ", Quote(id), " in ",
                             Quote(repo)));
    }
    const Json* parent = FieldOf(*snap, "parent");
    const Json* parent_snap =
        parent != nullptr && parent->is_string()
            ? FieldOf(snaps, parent->get<std::string>())
            : nullptr;
    if (parent_snap == nullptr) {
      return FailedPrecondition(
          StrCat("git.revert: the parent of ", Quote(id),
                 " is not known to the simulator, so it cannot be reverted"));
    }
    const Tree commit_tree = SnapshotTree(snaps, id);
    const Tree parent_tree = SnapshotTree(snaps, parent->get<std::string>());
    const Tree work = WorkingTree(world(), repo);
    std::map<std::string, Json> undo = Changes(commit_tree, parent_tree);
    Tree result = head_tree;
    for (const auto& [p, e] : undo) {
      auto in_commit = commit_tree.find(p);
      auto in_head = head_tree.find(p);
      auto in_work = work.find(p);
      Json c = in_commit == commit_tree.end() ? Json() : in_commit->second;
      Json h = in_head == head_tree.end() ? Json() : in_head->second;
      Json w = in_work == work.end() ? Json() : in_work->second;
      if (h != c) {
        return FailedPrecondition(
            StrCat("git.revert: conflict: ", Quote(p), " changed after ",
                   Quote(id)));
      }
      if (w != h) {
        return FailedPrecondition(
            StrCat("git.revert: uncommitted changes to ", Quote(p),
                   " would be overwritten"));
      }
      if (e.is_null()) {
        result.erase(p);
      } else {
        result[p] = e;
      }
    }
    if (result == head_tree) {
      return FailedPrecondition(
          StrCat("git.revert: ", Quote(id), " changes nothing to revert"));
    }
    std::string message = id;
    if (const Json* commits = FieldOf(state, "commits")) {
      for (const Json& c : *commits) {
        if (StringField(c, "commit") == id) message = StringField(c, "message");
      }
    }
    AddCommit(state, snaps, StringField(state, "head"), result,
              StrCat("Revert \"", message, "\""));
    ApplyToFiles(world(), repo, undo);
    return ActionResponse{};
  }
};

}  // namespace

std::vector<ActionSpec> GitActionSpecs() {
  return {
      {"status", true, {{"repo", ArgKind::kString}}, {}},
      {"diff", true, {{"repo", ArgKind::kString}}, {}},
      {"log", true, {{"repo", ArgKind::kString}, {"count", ArgKind::kInt}}, {}},
      {"checkpoint", false, {{"repo", ArgKind::kString}}, {}},
      {"drop_checkpoint",
       false,
       {{"repo", ArgKind::kString}, {"checkpoint", ArgKind::kString}},
       {}},
      {"commit", false, {{"repo", ArgKind::kString}, {"message", ArgKind::kString}}, {}},
      {"revert", false, {{"repo", ArgKind::kString}, {"commit", ArgKind::kString}}, {}},
      {"restore", false, {{"repo", ArgKind::kString}, {"checkpoint", ArgKind::kString}},
       {}},
  };
}


void EnsureGitBaselines(World& world) {
  Json& repos = world.Collection("git", "repos");
  if (repos.empty()) return;
  Json& priv = world.Private("git");
  for (const Json& state : repos) {
    Result<std::string> repo = NormalizeAbsolutePath(StringField(state, "path"));
    if (!repo.ok()) continue;
    const std::string head = StringField(state, "head");
    Json& all = priv["repos"];
    if (!all.is_object()) all = Json::object();
    Json& r = all[*repo];
    if (!r.is_object()) r = Json::object();
    Json& snaps = r["snapshots"];
    if (!snaps.is_object()) snaps = Json::object();
    if (snaps.contains(head)) continue;
    snaps[head] = {{"kind", "commit"},
                   {"parent", nullptr},
                   {"tree", TreeToJson(WorkingTree(world, *repo))}};
  }
}

std::unique_ptr<Connector> MakeGitSimulator(World* world) {
  return std::make_unique<GitSimulator>(world);
}

}  // namespace wfs::connectors::sim
