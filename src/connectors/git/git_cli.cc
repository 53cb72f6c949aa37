// The git connector over the git CLI.
#include "connectors/git/git_cli.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "base/random.h"
#include "base/strings.h"
#include "connectors/git/git_parse.h"
#include "connectors/git/subprocess.h"
#include "connectors/http/action_args.h"
#include "connectors/sim/values.h"
#include "connectors/sim/simulators.h"

namespace wfs::connectors::git {

namespace {

constexpr char kCheckpointRefs[] = "refs/wfstore/checkpoints/";
constexpr char kAutoRefs[] = "refs/wfstore/auto/";

std::string TrimNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Text that can cross the JSON boundary: each line that is not UTF-8 is
// replaced by a marker.
std::string CleanLines(const std::string& text) {
  if (IsValidUtf8(text)) return text;
  std::string clean;
  for (const std::string& line : StrSplit(text, '\n')) {
    clean += IsValidUtf8(line) ? line : "(line not UTF-8)";
    clean += '\n';
  }
  if (!clean.empty()) clean.pop_back();
  return clean;
}

class GitCli final : public Connector {
 public:
  explicit GitCli(const GitCliOptions& options)
      : options_(options),
        clock_(options.clock != nullptr ? options.clock : &system_clock_),
        actions_(sim::GitActionSpecs()) {}

  const std::string& name() const override { return name_; }

  Result<ActionResponse> Invoke(const ActionRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    WFS_ASSIGN_OR_RETURN(const ActionArgs* spec,
                         FindAction(name_, actions_, r.action));
    WFS_RETURN_IF_ERROR(CheckArgs(name_, *spec, r));
    const std::string action = spec->name;
    WFS_ASSIGN_OR_RETURN(std::string repo, RepoPath(r));
    WFS_RETURN_IF_ERROR(CheckRepository(repo));
    if (action == "status") return Status_(repo);
    if (action == "diff") return Diff(repo);
    if (action == "log") return Log(r, repo);
    if (action == "checkpoint") return Checkpoint(r, repo);
    if (action == "drop_checkpoint") return DropCheckpoint(r, repo);
    if (action == "commit") return Commit(r, repo);
    if (action == "revert") return Revert(r, repo);
    return Restore(r, repo);
  }

  Result<std::string> ScopeKey(const std::string& action,
                               const std::string& param, const Json& value,
                               const ScopeMap& scopes) override {
    WFS_RETURN_IF_ERROR(FindAction(name_, actions_, action).status());
    if (param == "repo") {
      if (!value.is_string()) {
        return InvalidArgument("git: argument `repo` must be a string");
      }
      Result<std::string> p =
          sim::NormalizeAbsolutePath(value.get<std::string>());
      if (!p.ok()) {
        return InvalidArgument(StrCat("git: argument `repo` must be an ",
                                      "absolute path, got ",
                                      Quote(value.get<std::string>())));
      }
      return p;
    }
    return Connector::ScopeKey(action, param, value, scopes);
  }

  void EndRun(const std::string& run_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = auto_refs_.find(run_id);
    if (it == auto_refs_.end()) return;
    for (const auto& [repo, ref] : it->second) {
      Git(repo, {"update-ref", "-d", ref}).status().IgnoreError();
    }
    auto_refs_.erase(it);
  }

 private:
  // ---- running git ---------------------------------------------------------

  std::vector<std::string> Env(const std::string& index_file) const {
    const std::string date =
        StrCat("@", clock_->NowMicros() / 1000000, " +0000");
    std::vector<std::string> env = {
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "HOME=/nonexistent",
        "LC_ALL=C",
        "LANG=C",
        "TZ=UTC",
        "GIT_CONFIG_NOSYSTEM=1",
        "GIT_CONFIG_GLOBAL=/dev/null",
        "GIT_TERMINAL_PROMPT=0",
        "GIT_ASKPASS=/bin/false",
        "SSH_ASKPASS=/bin/false",
        "GIT_PAGER=cat",
        "GIT_EDITOR=/bin/false",
        "GIT_NO_REPLACE_OBJECTS=1",
        "GIT_OPTIONAL_LOCKS=0",
        // Paths from the repository are never read as glob patterns.
        "GIT_LITERAL_PATHSPECS=1",
        "GIT_ATTR_NOSYSTEM=1",
        "XDG_CONFIG_HOME=/nonexistent",
        "GIT_AUTHOR_NAME=" + options_.author_name,
        "GIT_AUTHOR_EMAIL=" + options_.author_email,
        "GIT_COMMITTER_NAME=" + options_.author_name,
        "GIT_COMMITTER_EMAIL=" + options_.author_email,
        "GIT_AUTHOR_DATE=" + date,
        "GIT_COMMITTER_DATE=" + date,
    };
    if (!index_file.empty()) env.push_back("GIT_INDEX_FILE=" + index_file);
    return env;
  }

  struct GitOut {
    int code = 0;
    std::string out;
    std::string err;
    bool truncated = false;
  };

  // Runs `git -C repo <args>`; returns whatever git exited with.
  Result<GitOut> RunGit(const std::string& repo,
                        const std::vector<std::string>& args,
                        const std::string& index_file = "",
                        const std::string& input = "", size_t truncate_at = 0) {
    ProcessOptions p;
    p.argv = {options_.git,
              "-c",
              "core.hooksPath=/dev/null",
              "-c",
              "core.fsmonitor=false",
              "-c",
              "core.quotePath=false",
              "-c",
              "core.pager=cat",
              "-c",
              "gc.auto=0",
              "-c",
              "maintenance.auto=false",
              "-c",
              "commit.gpgSign=false",
              "-c",
              "log.showSignature=false",
              "-c",
              "diff.noprefix=false",
              "-c",
              "diff.mnemonicPrefix=false",
              "-c",
              "advice.detachedHead=false",
              "-C",
              repo};
    p.argv.insert(p.argv.end(), args.begin(), args.end());
    p.env = Env(index_file);
    p.stdin_data = input;
    p.timeout_ms = options_.timeout_ms;
    p.max_stdout = options_.max_output_bytes;
    if (truncate_at > 0) {
      p.max_stdout = truncate_at;
      p.truncate_stdout = true;
    }
    WFS_ASSIGN_OR_RETURN(ProcessResult pr, RunProcess(p));
    if (pr.stdout_truncated) {
      // git died of SIGPIPE when its output was cut; what came is kept.
      return GitOut{0, std::move(pr.out), std::move(pr.err), true};
    }
    return GitOut{pr.exit_code, std::move(pr.out), std::move(pr.err), false};
  }

  // Runs git and requires success; the error names the command and quotes
  // git's message.
  Result<std::string> Git(const std::string& repo,
                          const std::vector<std::string>& args,
                          const std::string& index_file = "",
                          const std::string& input = "") {
    WFS_ASSIGN_OR_RETURN(GitOut g, RunGit(repo, args, index_file, input));
    if (g.code != 0) {
      std::string msg = std::string(Trim(g.err));
      return FailedPrecondition(StrCat("git ", args.empty() ? "" : args[0],
                                       " failed in ", Quote(repo), ": ",
                                       Quote(msg, 400)));
    }
    return std::move(g.out);
  }

  // ---- repositories
  // ----------------------------------------------------------

  Result<std::string> RepoPath(const ActionRequest& r) {
    const std::string raw = StrArg(r.args, "repo");
    Result<std::string> repo = sim::NormalizeAbsolutePath(raw);
    if (!repo.ok()) {
      return InvalidArgument(StrCat("git.", r.action,
                                    ": argument `repo` must be an absolute "
                                    "path, got ",
                                    Quote(raw)));
    }
    if (const std::vector<std::string>* allowed = ScopeValuesOf(r, "repo")) {
      bool ok = false;
      std::string real_repo = RealPath(*repo);
      for (const std::string& v : *allowed) {
        Result<std::string> dir = sim::NormalizeAbsolutePath(v);
        if (!dir.ok() || !sim::PathWithin(*repo, *dir)) continue;
        // Links in the path may not lead elsewhere either.
        std::string real_dir = RealPath(*dir);
        ok |= real_repo.empty() || real_dir.empty() ||
              sim::PathWithin(real_repo, real_dir);
      }
      if (!ok) {
        return PermissionDenied(StrCat("git.", r.action, ": ", Quote(*repo),
                                       " is outside the run's git.repo scope (",
                                       StrJoin(*allowed, ", "), ")"));
      }
    }
    return repo;
  }

  static std::string RealPath(const std::string& p) {
    char* real = realpath(p.c_str(), nullptr);
    if (real == nullptr) return "";
    std::string out = real;
    free(real);
    return out;
  }

  // NotFound unless `repo` is the top level of a git working tree.
  Status CheckRepository(const std::string& repo) {
    struct stat st;
    if (stat(repo.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return NotFound(StrCat("git: no repository at ", Quote(repo)));
    }
    WFS_ASSIGN_OR_RETURN(GitOut g,
                         RunGit(repo, {"rev-parse", "--show-toplevel"}));
    if (g.code != 0) {
      if (g.err.find("dubious ownership") != std::string::npos) {
        return FailedPrecondition(
            StrCat("git: ", Quote(repo),
                   " belongs to another user; git refuses it "
                   "(safe.directory)"));
      }
      return NotFound(StrCat("git: no repository at ", Quote(repo)));
    }
    if (RealPath(TrimNewline(g.out)) != RealPath(repo)) {
      return NotFound(StrCat("git: no repository at ", Quote(repo),
                             " (it is inside the working tree of ",
                             Quote(TrimNewline(g.out)), ")"));
    }
    return Status::Ok();
  }

  // HEAD's commit, or "" when the branch is unborn.
  Result<std::string> Head(const std::string& repo) {
    WFS_ASSIGN_OR_RETURN(GitOut g, RunGit(repo, {"rev-parse", "-q", "--verify",
                                                 "HEAD^{commit}"}));
    if (g.code != 0) return std::string();
    return TrimNewline(g.out);
  }

  Result<std::string> TreeOf(const std::string& repo, const std::string& rev) {
    WFS_ASSIGN_OR_RETURN(std::string t,
                         Git(repo, {"rev-parse", "--verify", rev + "^{tree}"}));
    return TrimNewline(t);
  }

  Result<std::string> EmptyTree(const std::string& repo) {
    WFS_ASSIGN_OR_RETURN(std::string t, Git(repo, {"mktree"}, "", ""));
    return TrimNewline(t);
  }

  // A temporary index file, removed with its folder.
  class TempIndex {
   public:
    explicit TempIndex(const std::string& base) {
      std::string tpl = base + "/wfs-git-index.XXXXXX";
      char* d = mkdtemp(tpl.data());
      if (d != nullptr) dir_ = d;
    }
    ~TempIndex() {
      if (dir_.empty()) return;
      unlink((dir_ + "/index").c_str());
      unlink((dir_ + "/index.lock").c_str());
      rmdir(dir_.c_str());
    }
    TempIndex(const TempIndex&) = delete;
    TempIndex& operator=(const TempIndex&) = delete;
    bool ok() const { return !dir_.empty(); }
    std::string path() const { return dir_ + "/index"; }

   private:
    std::string dir_;
  };

  // The working tree as a temporary index (the real index's stat cache
  // copied in, then `git add -A`) and its tree id.
  Result<std::string> WorkingTree(const std::string& repo, TempIndex& idx) {
    if (!idx.ok()) return Internal("git: cannot make a temporary directory");
    WFS_ASSIGN_OR_RETURN(std::string real_index,
                         Git(repo, {"rev-parse", "--path-format=absolute",
                                    "--git-path", "index"}));
    real_index = TrimNewline(real_index);
    WFS_RETURN_IF_ERROR(CopyFile(real_index, idx.path()));
    WFS_RETURN_IF_ERROR(
        Git(repo, {"add", "-A", "--", "."}, idx.path()).status());
    WFS_ASSIGN_OR_RETURN(std::string tree,
                         Git(repo, {"write-tree"}, idx.path()));
    return TrimNewline(tree);
  }

  static Status CopyFile(const std::string& from, const std::string& to) {
    int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return Status::Ok();  // no index yet: start empty
    int out = open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
      close(in);
      return Internal("git: cannot write a temporary index");
    }
    char buf[65536];
    ssize_t n;
    Status s = Status::Ok();
    while ((n = read(in, buf, sizeof buf)) > 0) {
      if (write(out, buf, static_cast<size_t>(n)) != n) {
        s = Internal("git: cannot copy the index");
        break;
      }
    }
    // The copy keeps the index's times: git trusts an entry whose stat data
    // match the file only when the entry is older than the index file
    // ("racy git"); a copy stamped now would hide an edit of the same size
    // made in the same second as the last commit.
    struct stat st;
    if (s.ok() && fstat(in, &st) == 0) {
      const struct timespec times[2] = {st.st_atim, st.st_mtim};
      if (futimens(out, times) != 0) {
        s = Internal("git: cannot stamp the temporary index");
      }
    }
    close(in);
    close(out);
    return s;
  }

  // path -> git's status letter for working tree vs HEAD.
  Result<std::map<std::string, char>> Changes(const std::string& repo,
                                              TempIndex& idx,
                                              std::string* tree_out = nullptr) {
    WFS_ASSIGN_OR_RETURN(std::string tree, WorkingTree(repo, idx));
    if (tree_out != nullptr) *tree_out = tree;
    WFS_ASSIGN_OR_RETURN(std::string head, Head(repo));
    std::string base = head;
    if (base.empty()) {
      WFS_ASSIGN_OR_RETURN(base, EmptyTree(repo));
    }
    WFS_ASSIGN_OR_RETURN(std::string out,
                         Git(repo,
                             {"diff-index", "--cached", "-z", "--name-status",
                              "--no-renames", base},
                             idx.path()));
    WFS_ASSIGN_OR_RETURN(std::vector<NameStatus> list, ParseNameStatusZ(out));
    std::map<std::string, char> changes;
    for (NameStatus& ns : list) changes[std::move(ns.path)] = ns.status;
    return changes;
  }

  // ---- reads
  // -----------------------------------------------------------------

  Result<ActionResponse> Status_(const std::string& repo) {
    TempIndex idx(options_.temp_dir);
    WFS_ASSIGN_OR_RETURN(auto changes, Changes(repo, idx));
    ActionResponse out;
    out.result = Json::array();
    for (const auto& [path, letter] : changes) {
      const char* status = letter == 'A'   ? "untracked"
                           : letter == 'D' ? "deleted"
                                           : "modified";
      out.result.push_back({{"path", path}, {"status", status}});
    }
    return out;
  }

  Result<ActionResponse> Diff(const std::string& repo) {
    TempIndex idx(options_.temp_dir);
    WFS_ASSIGN_OR_RETURN(std::string tree, WorkingTree(repo, idx));
    (void)tree;
    WFS_ASSIGN_OR_RETURN(std::string head, Head(repo));
    std::string base = head;
    if (base.empty()) {
      WFS_ASSIGN_OR_RETURN(base, EmptyTree(repo));
    }
    // Enough of git's output for the bound after reshaping.
    const size_t read_at_most = options_.max_diff_bytes * 2 + (64 << 10);
    WFS_ASSIGN_OR_RETURN(
        GitOut raw,
        RunGit(repo,
               {"diff", "--cached", "--no-ext-diff", "--no-textconv",
                "--no-color", "--no-renames", "--src-prefix=a/",
                "--dst-prefix=b/", "-U3", base, "--"},
               idx.path(), "", read_at_most));
    if (raw.code != 0) {
      return FailedPrecondition(StrCat("git diff failed in ", Quote(repo), ": ",
                                       Quote(Trim(raw.err), 400)));
    }
    std::string text =
        CleanLines(NormalizeDiff(raw.out, std::string::npos - 64));
    if (raw.truncated || text.size() > options_.max_diff_bytes) {
      text.resize(std::min(text.size(), options_.max_diff_bytes));
      while (!text.empty() && !IsValidUtf8(text)) text.pop_back();
      text += "\n... (diff truncated)\n";
    }
    ActionResponse out;
    out.result = std::move(text);
    return out;
  }

  Result<ActionResponse> Log(const ActionRequest& r, const std::string& repo) {
    int64_t count = IntArg(r.args, "count");
    if (count < 0) {
      return InvalidArgument("git.log: argument `count` must not be negative");
    }
    count = std::min(count, options_.max_log_count);
    ActionResponse out;
    out.result = Json::array();
    WFS_ASSIGN_OR_RETURN(std::string head, Head(repo));
    if (count == 0 || head.empty()) return out;
    WFS_ASSIGN_OR_RETURN(std::string raw,
                         Git(repo, {"log", "-z", "-n", std::to_string(count),
                                    "--no-show-signature", "--no-color",
                                    "--format=%H%x00%an%x00%B", head, "--"}));
    WFS_ASSIGN_OR_RETURN(std::vector<LogRecord> records, ParseLogZ(raw));
    for (LogRecord& rec : records) {
      // Commits are written with one newline after the message.
      if (!rec.message.empty() && rec.message.back() == '\n') {
        rec.message.pop_back();
      }
      for (std::string* s : {&rec.author, &rec.message}) {
        if (!IsValidUtf8(*s)) *s = "(not UTF-8)";
      }
      out.result.push_back({{"commit", std::move(rec.commit)},
                            {"author", std::move(rec.author)},
                            {"message", std::move(rec.message)}});
    }
    return out;
  }

  // ---- checkpoints
  // -------------------------------------------------------------

  // A commit of `tree` on top of HEAD (if any) whose message says what it is.
  Result<std::string> MakeCommit(const std::string& repo,
                                 const std::string& tree,
                                 const std::string& parent,
                                 const std::string& message) {
    std::vector<std::string> args = {"commit-tree", tree};
    if (!parent.empty()) {
      args.push_back("-p");
      args.push_back(parent);
    }
    WFS_ASSIGN_OR_RETURN(std::string c, Git(repo, args, "", message + "\n"));
    return TrimNewline(c);
  }

  Result<std::string> NewCheckpoint(const ActionRequest& r,
                                    const std::string& repo,
                                    const std::string& tree,
                                    const std::string& refs,
                                    const std::string& what) {
    WFS_ASSIGN_OR_RETURN(std::string head, Head(repo));
    // The nonce keeps two checkpoints of one tree in one second apart.
    std::string message =
        StrCat("wfstore ", what, "\n\nwfstore-run: ", r.run_id,
               "\nwfstore-nonce: ", SecureRandomHex(8));
    WFS_ASSIGN_OR_RETURN(std::string commit,
                         MakeCommit(repo, tree, head, message));
    WFS_RETURN_IF_ERROR(Git(repo, {"update-ref", "-m", "wfstore " + what,
                                   refs + commit, commit, ""})
                            .status());
    return commit;
  }

  // The private ref of checkpoint `id`, or NotFound.
  Result<std::string> CheckpointRef(const std::string& action,
                                    const std::string& repo,
                                    const std::string& id) {
    if (IsObjectId(id)) {
      for (const char* ns : {kCheckpointRefs, kAutoRefs}) {
        std::string ref = ns + id;
        WFS_ASSIGN_OR_RETURN(
            GitOut g, RunGit(repo, {"rev-parse", "-q", "--verify", ref}));
        if (g.code == 0 && TrimNewline(g.out) == id) return ref;
      }
    }
    return NotFound(StrCat("git.", action, ": no checkpoint ", Quote(id),
                           " in ", Quote(repo)));
  }

  Result<ActionResponse> Checkpoint(const ActionRequest& r,
                                    const std::string& repo) {
    TempIndex idx(options_.temp_dir);
    WFS_ASSIGN_OR_RETURN(std::string tree, WorkingTree(repo, idx));
    WFS_ASSIGN_OR_RETURN(
        std::string id,
        NewCheckpoint(r, repo, tree, kCheckpointRefs, "checkpoint"));
    ActionResponse out;
    out.result = id;
    out.undo = sim::UndoRecord("drop_checkpoint",
                               {{"repo", repo}, {"checkpoint", id}});
    return out;
  }

  Result<ActionResponse> DropCheckpoint(const ActionRequest& r,
                                        const std::string& repo) {
    const std::string id = StrArg(r.args, "checkpoint");
    WFS_ASSIGN_OR_RETURN(std::string ref,
                         CheckpointRef("drop_checkpoint", repo, id));
    WFS_RETURN_IF_ERROR(Git(repo, {"update-ref", "-d", ref, id}).status());
    return ActionResponse{};
  }

  // Makes the working tree go from tree `from` (which `idx` holds, as built
  // by WorkingTree) to tree `to`, with git's own checkout machinery: only
  // paths that differ are written or removed; the real index is untouched.
  Status Checkout(const std::string& repo, TempIndex& idx,
                  const std::string& from, const std::string& to) {
    return Git(repo, {"read-tree", "-m", "-u", from, to}, idx.path()).status();
  }

  Result<ActionResponse> Restore(const ActionRequest& r,
                                 const std::string& repo) {
    const std::string id = StrArg(r.args, "checkpoint");
    WFS_RETURN_IF_ERROR(CheckpointRef("restore", repo, id).status());
    WFS_ASSIGN_OR_RETURN(std::string target, TreeOf(repo, id));
    TempIndex idx(options_.temp_dir);
    WFS_ASSIGN_OR_RETURN(std::string now, WorkingTree(repo, idx));
    ActionResponse out;
    if (now == target) return out;
    WFS_ASSIGN_OR_RETURN(
        std::string before,
        NewCheckpoint(r, repo, now, kAutoRefs, "tree before restore"));
    auto_refs_[r.run_id].push_back({repo, kAutoRefs + before});
    Status s = Checkout(repo, idx, now, target);
    if (!s.ok()) {
      return FailedPrecondition(StrCat("git.restore: ", s.message()));
    }
    out.undo =
        sim::UndoRecord("restore", {{"repo", repo}, {"checkpoint", before}});
    return out;
  }

  // ---- commits
  // -------------------------------------------------------------------

  // Moves the current branch (or a detached HEAD) from `old` to `commit`,
  // refusing if it moved meanwhile, and makes the real index hold `tree`.
  Status Advance(const std::string& repo, const std::string& commit,
                 const std::string& old, const std::string& tree,
                 const std::string& why) {
    WFS_RETURN_IF_ERROR(
        Git(repo, {"update-ref", "-m", why, "HEAD", commit, old}).status());
    // The index is the person's staging area; after a commit of everything
    // it equals the new tree. Best effort: a busy index stays as it was.
    if (Git(repo, {"read-tree", tree}).ok()) {
      Git(repo, {"update-index", "-q", "--refresh"}).status().IgnoreError();
    }
    return Status::Ok();
  }

  Result<ActionResponse> Commit(const ActionRequest& r,
                                const std::string& repo) {
    const std::string message = StrArg(r.args, "message");
    if (Trim(message).empty()) {
      return InvalidArgument(
          "git.commit: argument `message` must not be empty");
    }
    if (message.find('\0') != std::string::npos) {
      return InvalidArgument("git.commit: the message may not hold NUL bytes");
    }
    TempIndex idx(options_.temp_dir);
    WFS_ASSIGN_OR_RETURN(std::string tree, WorkingTree(repo, idx));
    WFS_ASSIGN_OR_RETURN(std::string head, Head(repo));
    std::string head_tree;
    if (head.empty()) {
      WFS_ASSIGN_OR_RETURN(head_tree, EmptyTree(repo));
    } else {
      WFS_ASSIGN_OR_RETURN(head_tree, TreeOf(repo, head));
    }
    if (tree == head_tree) {
      return FailedPrecondition(StrCat("git.commit: nothing to commit in ",
                                       Quote(repo),
                                       " (the working tree is clean)"));
    }
    WFS_ASSIGN_OR_RETURN(std::string commit,
                         MakeCommit(repo, tree, head, message));
    WFS_RETURN_IF_ERROR(Advance(repo, commit, head, tree, "wfstore: commit"));
    ActionResponse out;
    out.result = commit;
    out.undo = sim::UndoRecord("revert", {{"repo", repo}, {"commit", commit}});
    return out;
  }

  // "<mode> <type> <object>" of `path` in `rev`, "" when absent.
  Result<std::map<std::string, std::string>> Entries(
      const std::string& repo, const std::string& rev,
      const std::vector<std::string>& paths) {
    std::map<std::string, std::string> out;
    if (paths.empty()) return out;
    std::vector<std::string> args = {"ls-tree", "-z", "--full-tree", rev, "--"};
    args.insert(args.end(), paths.begin(), paths.end());
    WFS_ASSIGN_OR_RETURN(std::string raw, Git(repo, args));
    for (const std::string& e : SplitZ(raw)) {
      size_t tab = e.find('\t');
      if (tab == std::string::npos) continue;
      out[e.substr(tab + 1)] = e.substr(0, tab);
    }
    return out;
  }

  // The tree `base` with `paths` set as in `entries` (absent: removed).
  Result<std::string> TreeWith(
      const std::string& repo, const std::string& base,
      const std::vector<std::string>& paths,
      const std::map<std::string, std::string>& entries) {
    TempIndex idx(options_.temp_dir);
    if (!idx.ok()) return Internal("git: cannot make a temporary directory");
    WFS_RETURN_IF_ERROR(Git(repo, {"read-tree", base}, idx.path()).status());
    std::string info;
    for (const std::string& p : paths) {
      auto it = entries.find(p);
      if (it == entries.end()) {
        info += "0 " + std::string(base.size(), '0') + "\t" + p;
      } else {
        // "<mode> <type> <object>" -> "<mode> <object>"
        std::vector<std::string> f = StrSplit(it->second, ' ');
        if (f.size() != 3) return Internal("git: unexpected ls-tree output");
        info += f[0] + " " + f[2] + "\t" + p;
      }
      info.push_back('\0');
    }
    WFS_RETURN_IF_ERROR(
        Git(repo, {"update-index", "-z", "--index-info"}, idx.path(), info)
            .status());
    WFS_ASSIGN_OR_RETURN(std::string tree,
                         Git(repo, {"write-tree"}, idx.path()));
    return TrimNewline(tree);
  }

  Result<ActionResponse> Revert(const ActionRequest& r,
                                const std::string& repo) {
    const std::string arg = StrArg(r.args, "commit");
    auto unknown = [&]() {
      return NotFound(
          StrCat("git.revert: no commit ", Quote(arg), " in ", Quote(repo)));
    };
    bool hex = arg.size() >= 4 && arg.size() <= 64;
    for (char c : arg) hex &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex) return unknown();
    WFS_ASSIGN_OR_RETURN(std::string head, Head(repo));
    if (head.empty()) return unknown();
    WFS_ASSIGN_OR_RETURN(GitOut v,
                         RunGit(repo, {"rev-parse", "-q", "--verify",
                                       "--end-of-options", arg + "^{commit}"}));
    if (v.code != 0) return unknown();
    const std::string id = TrimNewline(v.out);
    WFS_ASSIGN_OR_RETURN(
        GitOut anc, RunGit(repo, {"merge-base", "--is-ancestor", id, head}));
    if (anc.code != 0) return unknown();
    WFS_ASSIGN_OR_RETURN(std::string parents_line,
                         Git(repo, {"rev-list", "--parents", "-n", "1", id}));
    std::vector<std::string> parents = StrSplit(TrimNewline(parents_line), ' ');
    if (parents.size() < 2) {
      return FailedPrecondition(
          StrCat("git.revert: ", Quote(arg),
                 " is the first commit; reverting it would remove every "
                 "file, so it is refused"));
    }
    if (parents.size() > 2) {
      return FailedPrecondition(
          StrCat("git.revert: ", Quote(arg), " is a merge commit"));
    }
    const std::string parent = parents[1];
    WFS_ASSIGN_OR_RETURN(std::string names,
                         Git(repo, {"diff-tree", "-r", "-z", "--no-renames",
                                    "--name-only", parent, id}));
    std::vector<std::string> paths = SplitZ(names);
    if (paths.empty()) {
      return FailedPrecondition(
          StrCat("git.revert: ", Quote(arg), " changes nothing to revert"));
    }
    WFS_ASSIGN_OR_RETURN(auto in_commit, Entries(repo, id, paths));
    WFS_ASSIGN_OR_RETURN(auto in_head, Entries(repo, head, paths));
    WFS_ASSIGN_OR_RETURN(auto in_parent, Entries(repo, parent, paths));
    for (const std::string& p : paths) {
      if (in_commit[p] != in_head[p]) {
        return FailedPrecondition(StrCat("git.revert: conflict: ", Quote(p),
                                         " changed after ", Quote(arg)));
      }
    }
    TempIndex idx(options_.temp_dir);
    std::string work_tree;
    WFS_ASSIGN_OR_RETURN(auto changes, Changes(repo, idx, &work_tree));
    for (const std::string& p : paths) {
      if (changes.count(p) != 0) {
        return FailedPrecondition(StrCat("git.revert: uncommitted changes to ",
                                         Quote(p), " would be overwritten"));
      }
    }
    WFS_ASSIGN_OR_RETURN(std::string new_tree,
                         TreeWith(repo, head, paths, in_parent));
    WFS_ASSIGN_OR_RETURN(std::string new_work,
                         TreeWith(repo, work_tree, paths, in_parent));
    WFS_ASSIGN_OR_RETURN(std::string head_tree, TreeOf(repo, head));
    if (new_tree == head_tree) {
      return FailedPrecondition(
          StrCat("git.revert: ", Quote(arg), " changes nothing to revert"));
    }
    WFS_ASSIGN_OR_RETURN(
        std::string msg_raw,
        Git(repo, {"log", "-n", "1", "--format=%B", id, "--"}));
    std::string subject = TrimNewline(msg_raw);
    size_t nl = subject.find('\n');
    if (nl != std::string::npos) subject = subject.substr(0, nl);
    std::string message =
        StrCat("Revert \"", subject, "\"\n\nThis reverts commit ", id, ".");
    WFS_ASSIGN_OR_RETURN(std::string commit,
                         MakeCommit(repo, new_tree, head, message));
    // The working tree first (git refuses if it would lose something), then
    // the branch.
    Status s = Checkout(repo, idx, work_tree, new_work);
    if (!s.ok()) return FailedPrecondition(StrCat("git.revert: ", s.message()));
    Status moved =
        Git(repo, {"update-ref", "-m", "wfstore: revert", "HEAD", commit, head})
            .status();
    if (!moved.ok()) {
      // HEAD moved meanwhile: put the files back as they were.
      Checkout(repo, idx, new_work, work_tree).IgnoreError();
      return FailedPrecondition(StrCat("git.revert: ", moved.message()));
    }
    // Keep the person's staging area in step for the reverted paths.
    std::string info;
    for (const std::string& p : paths) {
      auto it = in_parent.find(p);
      if (it == in_parent.end()) {
        info += "0 " + std::string(head.size(), '0') + "\t" + p;
      } else {
        std::vector<std::string> f = StrSplit(it->second, ' ');
        if (f.size() == 3) info += f[0] + " " + f[2] + "\t" + p;
      }
      info.push_back('\0');
    }
    Git(repo, {"update-index", "-z", "--index-info"}, "", info)
        .status()
        .IgnoreError();
    return ActionResponse{};
  }

  const std::string name_ = "git";
  const GitCliOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  const std::vector<ActionArgs> actions_;
  std::mutex mu_;
  // run id -> (repo, auto ref) made by restore in that run.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>>
      auto_refs_;
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeGitCliConnector(
    const GitCliOptions& options) {
  auto bad = [](const std::string& m) { return InvalidArgument("git: " + m); };
  if (options.git.empty() || options.git[0] != '/') {
    return bad(StrCat("the git program must be an absolute path, got ",
                      Quote(options.git)));
  }
  if (options.temp_dir.empty() || options.temp_dir[0] != '/') {
    return bad(StrCat("temp_dir must be an absolute path, got ",
                      Quote(options.temp_dir)));
  }
  for (const std::string* v : {&options.author_name, &options.author_email}) {
    if (Trim(*v).empty() ||
        v->find_first_of(std::string("<>\n\r\0", 5)) != std::string::npos) {
      return bad(StrCat("the author name and e-mail must be non-empty and ",
                        "hold no <, > or line break, got ", Quote(*v)));
    }
  }
  if (options.timeout_ms < 1 || options.max_output_bytes < 1 ||
      options.max_diff_bytes < 1 || options.max_log_count < 1) {
    return bad("timeouts and bounds must be at least 1");
  }
  return std::unique_ptr<Connector>(std::make_unique<GitCli>(options));
}

}  // namespace wfs::connectors::git
