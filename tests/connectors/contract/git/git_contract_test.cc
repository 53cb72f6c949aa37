// The git contract: the git simulator and the git CLI connector on real
// repositories behave the same action for action (ctest: contract_git_sim,
// contract_git_cli). GitCliOnly holds what only a real repository can show.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "base/strings.h"
#include "connectors/git/git_cli.h"
#include "connectors/git/subprocess.h"
#include "tests/connectors/contract/contract_util.h"

namespace wfs::connectors::contract {
namespace {

// Runs git in `dir` for the test's own setup and checks (never a shell).
std::string RunGit(const std::string& dir, std::vector<std::string> args,
                   int* code = nullptr) {
  git::ProcessOptions p;
  p.argv = {"/usr/bin/git", "-C", dir};
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.env = {"PATH=/usr/bin:/bin",
           "HOME=/nonexistent",
           "LC_ALL=C",
           "GIT_CONFIG_NOSYSTEM=1",
           "GIT_CONFIG_GLOBAL=/dev/null",
           "GIT_AUTHOR_NAME=wfstore",
           "GIT_AUTHOR_EMAIL=wfstore@localhost",
           "GIT_COMMITTER_NAME=wfstore",
           "GIT_COMMITTER_EMAIL=wfstore@localhost"};
  Result<git::ProcessResult> r = git::RunProcess(p);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return "";
  if (code != nullptr) {
    *code = r->exit_code;
  } else {
    EXPECT_EQ(r->exit_code, 0) << StrJoin(args, " ") << ": " << r->err;
  }
  return r->out;
}

void WriteFileAt(const std::string& full, const std::string& content) {
  for (size_t i = 1; i < full.size(); ++i) {
    if (full[i] == '/') mkdir(full.substr(0, i).c_str(), 0755);
  }
  std::ofstream out(full, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << full;
}

const std::map<std::string, std::string>& StartingFiles() {
  static const std::map<std::string, std::string> kFiles = {
      {"a.txt", "one\ntwo\nthree\n"},
      {"keep.md", "keep\n"},
      {"src/b.py", "print(1)\n"},
  };
  return kFiles;
}

class GitBackend {
 public:
  virtual ~GitBackend() = default;
  virtual Connector& git() = 0;
  // Changes the working tree directly (as an editor would).
  virtual void Write(const std::string& rel, const std::string& content) = 0;
  virtual void Remove(const std::string& rel) = 0;
  // The working tree: relative path -> content.
  virtual std::map<std::string, std::string> Files() = 0;
  const std::string& repo() const { return repo_; }

 protected:
  std::string repo_;
};

class SimGit final : public GitBackend {
 public:
  SimGit() : world_(Json::object()) {
    repo_ = "/sim/repo";
    Json files = Json::array();
    for (const auto& [rel, content] : StartingFiles()) {
      files.push_back({{"path", repo_ + "/" + rel}, {"content", content}});
    }
    files.push_back({{"path", "/sim/other.txt"}, {"content", "outside"}});
    EXPECT_TRUE(world_.Set("fs", "files", files).ok());
    EXPECT_TRUE(
        world_
            .Set("git", "repos",
                 Json::array(
                     {{{"path", repo_},
                       {"head", "c0"},
                       {"commits", Json::array({{{"commit", "c0"},
                                                 {"author", "wfstore"},
                                                 {"message", "init"}}})}}}))
            .ok());
    git_ = &world_.Make("git");
    // The first git call takes the baseline: the files above are HEAD.
    ScopeMap none;
    EXPECT_TRUE(Call(*git_, "status", {{"repo", repo_}}, &none).ok());
  }
  Connector& git() override { return *git_; }
  void Write(const std::string& rel, const std::string& content) override {
    Json files = world_.Coll("fs", "files");
    bool found = false;
    for (Json& f : files) {
      if (f["path"] == repo_ + "/" + rel) {
        f["content"] = content;
        found = true;
      }
    }
    if (!found) {
      files.push_back({{"path", repo_ + "/" + rel}, {"content", content}});
    }
    ASSERT_TRUE(world_.Set("fs", "files", files).ok());
  }
  void Remove(const std::string& rel) override {
    Json kept = Json::array();
    for (const Json& f : world_.Coll("fs", "files")) {
      if (f["path"] != repo_ + "/" + rel) kept.push_back(f);
    }
    ASSERT_TRUE(world_.Set("fs", "files", kept).ok());
  }
  std::map<std::string, std::string> Files() override {
    std::map<std::string, std::string> out;
    for (const Json& f : world_.Coll("fs", "files")) {
      std::string p = f["path"];
      if (StartsWith(p, repo_ + "/"))
        out[p.substr(repo_.size() + 1)] = f["content"];
    }
    return out;
  }

 private:
  SimWorld world_;
  Connector* git_ = nullptr;
};

class CliGit final : public GitBackend {
 public:
  CliGit() {
    repo_ = dir_.path() + "/repo";
    mkdir(repo_.c_str(), 0755);
    RunGit(repo_, {"init", "-q", "-b", "main"});
    for (const auto& [rel, content] : StartingFiles()) {
      WriteFileAt(repo_ + "/" + rel, content);
    }
    WriteFileAt(dir_.path() + "/other.txt", "outside");
    RunGit(repo_, {"add", "-A"});
    RunGit(repo_, {"commit", "-q", "-m", "init"});
    git::GitCliOptions o;
    o.temp_dir = dir_.path();
    o.clock = &clock_;
    auto made = git::MakeGitCliConnector(o);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) git_ = std::move(made).value();
  }
  Connector& git() override { return *git_; }
  void Write(const std::string& rel, const std::string& content) override {
    WriteFileAt(repo_ + "/" + rel, content);
  }
  void Remove(const std::string& rel) override {
    ASSERT_EQ(unlink((repo_ + "/" + rel).c_str()), 0) << rel;
  }
  std::map<std::string, std::string> Files() override {
    std::map<std::string, std::string> out;
    Walk(repo_, "", out);
    return out;
  }
  const std::string& dir() const { return dir_.path(); }

 private:
  static void Walk(const std::string& dir, const std::string& rel,
                   std::map<std::string, std::string>& out) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return;
    while (struct dirent* de = readdir(d)) {
      std::string n = de->d_name;
      if (n == "." || n == ".." || (rel.empty() && n == ".git")) continue;
      std::string full = dir + "/" + n;
      std::string r = rel.empty() ? n : rel + "/" + n;
      struct stat st;
      if (lstat(full.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        Walk(full, r, out);
      } else {
        std::ifstream in(full, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        out[r] = ss.str();
      }
    }
    closedir(d);
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Connector> git_;
};

class GitContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sim") {
      b_ = std::make_unique<SimGit>();
    } else {
      b_ = std::make_unique<CliGit>();
    }
    scopes_["repo"] = {b_->repo()};
    start_ = b_->Files();
  }

  Result<ActionResponse> Do(const std::string& action, Json args) {
    if (!args.contains("repo")) args["repo"] = b_->repo();
    return Call(b_->git(), action, args, &scopes_);
  }
  Json Status() {
    auto r = Do("status", Json::object());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->result : Json();
  }
  Json Log(int64_t n) {
    auto r = Do("log", {{"count", n}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->result : Json();
  }
  std::string Commit(const std::string& message) {
    auto r = Do("commit", {{"message", message}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && r->result.is_string() ? r->result.get<std::string>() : "";
  }
  Json Rec(const char* action, Json args) {
    args["repo"] = b_->repo();
    return {{"action", action}, {"args", args}};
  }

  std::unique_ptr<GitBackend> b_;
  ScopeMap scopes_;
  std::map<std::string, std::string> start_;
};

TEST_P(GitContract, StatusListsChangesAgainstHead) {
  EXPECT_EQ(Status(), Json::array());
  b_->Write("a.txt", "one\n");
  b_->Remove("keep.md");
  b_->Write("new/n.txt", "n\n");
  EXPECT_EQ(Status(), J(R"([
      {"path": "a.txt", "status": "modified"},
      {"path": "keep.md", "status": "deleted"},
      {"path": "new/n.txt", "status": "untracked"}])"));
  // A file changed and changed back is no change.
  b_->Write("a.txt", StartingFiles().at("a.txt"));
  EXPECT_EQ(Status().size(), 2u);
  auto read = Do("status", Json::object());
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->undo.is_null());
}

TEST_P(GitContract, DiffIsAUnifiedDiffOfEveryChange) {
  ASSERT_OK_AND_ASSIGN(ActionResponse clean, Do("diff", Json::object()));
  EXPECT_EQ(clean.result, "");
  b_->Write("a.txt", "one\n2\nthree\n");
  b_->Write("n.txt", "x\n");
  b_->Remove("src/b.py");
  ASSERT_OK_AND_ASSIGN(ActionResponse d, Do("diff", Json::object()));
  EXPECT_EQ(
      d.result,
      "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n"
      "--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1 @@\n+x\n"
      "--- a/src/b.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-print(1)\n");
  // Hunks keep three lines of context and split beyond that.
  std::string longer;
  for (int i = 1; i <= 12; ++i) longer += StrCat("l", i, "\n");
  b_->Write("src/b.py", "print(1)\n");
  b_->Write("a.txt", StartingFiles().at("a.txt"));
  b_->Remove("n.txt");
  b_->Write("long.txt", longer);
  Commit("long");
  std::string changed = longer;
  changed.replace(changed.find("l2\n"), 3, "L2\n");
  changed.replace(changed.find("l11\n"), 4, "L11\n");
  b_->Write("long.txt", changed);
  ASSERT_OK_AND_ASSIGN(ActionResponse h, Do("diff", Json::object()));
  EXPECT_EQ(h.result,
            "--- a/long.txt\n+++ b/long.txt\n"
            "@@ -1,5 +1,5 @@\n l1\n-l2\n+L2\n l3\n l4\n l5\n"
            "@@ -8,5 +8,5 @@\n l8\n l9\n l10\n-l11\n+L11\n l12\n");
}

TEST_P(GitContract, LogListsCommitsNewestFirst) {
  Json first = Log(5);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["author"], "wfstore");
  EXPECT_EQ(first[0]["message"], "init");
  b_->Write("a.txt", "1\n");
  std::string c1 = Commit("first change");
  b_->Write("a.txt", "2\n");
  std::string c2 = Commit("second change\n\nwith a body");
  Json log = Log(10);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], Json({{"commit", c2},
                          {"author", "wfstore"},
                          {"message", "second change\n\nwith a body"}}));
  EXPECT_EQ(log[1]["commit"], c1);
  EXPECT_EQ(log[2]["message"], "init");
  EXPECT_EQ(Log(1).size(), 1u);
  EXPECT_EQ(Log(0), Json::array());
  EXPECT_CODE(Do("log", {{"count", -1}}), Code::kInvalidArgument);
  EXPECT_CODE(Do("log", {{"count", "3"}}), Code::kInvalidArgument);
}

TEST_P(GitContract, CommitTakesEveryChangeAndRevertUndoesIt) {
  b_->Write("a.txt", "changed\n");
  b_->Write("new.txt", "new\n");
  b_->Remove("keep.md");
  ASSERT_OK_AND_ASSIGN(ActionResponse c, Do("commit", {{"message", "m1"}}));
  ASSERT_TRUE(c.result.is_string());
  const std::string id = c.result;
  EXPECT_EQ(c.undo, Rec("revert", {{"commit", id}}));
  EXPECT_EQ(Status(), Json::array()) << "untracked files are committed too";
  EXPECT_EQ(Log(1)[0],
            Json({{"commit", id}, {"author", "wfstore"}, {"message", "m1"}}));
  EXPECT_CODE(Do("commit", {{"message", "again"}}), Code::kFailedPrecondition);
  b_->Write("a.txt", "other\n");
  EXPECT_CODE(Do("commit", {{"message", "  \n"}}), Code::kInvalidArgument);
  b_->Write("a.txt", "changed\n");
  // The undo: a new commit that puts back what m1 changed.
  ASSERT_OK_AND_ASSIGN(ActionResponse u, Undo(b_->git(), c.undo));
  EXPECT_TRUE(u.result.is_null());
  EXPECT_TRUE(u.undo.is_null()) << "revert is irreversible";
  EXPECT_EQ(b_->Files(), start_);
  EXPECT_EQ(Status(), Json::array());
  Json log = Log(3);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_TRUE(StartsWith(log[0]["message"].get<std::string>(), "Revert \"m1\""))
      << log[0];
  EXPECT_EQ(log[0]["author"], "wfstore");
  EXPECT_EQ(log[1]["commit"], id) << "history is never rewritten";
  // Reverting it again conflicts: its files changed since.
  EXPECT_CODE(Undo(b_->git(), c.undo), Code::kFailedPrecondition);
  EXPECT_EQ(b_->Files(), start_);
}

TEST_P(GitContract, RevertKeepsOtherWorkAndRefusesToLoseAny) {
  b_->Write("a.txt", "A\n");
  std::string c1 = Commit("change a");
  b_->Write("src/b.py", "print(2)\n");
  std::string c2 = Commit("change b");
  // Uncommitted work on a file c1 touched: refused, nothing changes.
  b_->Write("a.txt", "mine\n");
  auto before = b_->Files();
  EXPECT_CODE(Do("revert", {{"commit", c1}}), Code::kFailedPrecondition);
  EXPECT_EQ(b_->Files(), before);
  // Uncommitted work elsewhere stays; the later commit to another file too.
  b_->Write("a.txt", "A\n");
  b_->Write("keep.md", "edited\n");
  ASSERT_OK(Do("revert", {{"commit", c1}}));
  auto after = b_->Files();
  EXPECT_EQ(after["a.txt"], StartingFiles().at("a.txt"));
  EXPECT_EQ(after["src/b.py"], "print(2)\n");
  EXPECT_EQ(after["keep.md"], "edited\n");
  EXPECT_EQ(Status(), J(R"([{"path": "keep.md", "status": "modified"}])"));
  (void)c2;
}

TEST_P(GitContract, RevertErrors) {
  EXPECT_CODE(Do("revert", {{"commit", "deadbeef"}}), Code::kNotFound);
  EXPECT_CODE(Do("revert", {{"commit", "no such commit"}}), Code::kNotFound);
  // The first commit has no parent to go back to.
  std::string base = Log(1)[0]["commit"];
  EXPECT_CODE(Do("revert", {{"commit", base}}), Code::kFailedPrecondition);
  EXPECT_EQ(b_->Files(), start_);
}

TEST_P(GitContract, CheckpointAndRestore) {
  b_->Write("untracked.txt", "u\n");
  auto at_checkpoint = b_->Files();
  ASSERT_OK_AND_ASSIGN(ActionResponse cp, Do("checkpoint", Json::object()));
  ASSERT_TRUE(cp.result.is_string());
  const std::string id = cp.result;
  EXPECT_EQ(cp.undo, Rec("drop_checkpoint", {{"checkpoint", id}}));
  EXPECT_EQ(b_->Files(), at_checkpoint) << "a checkpoint changes nothing";
  EXPECT_EQ(Log(5).size(), 1u) << "a checkpoint is not a commit";
  // Work after the checkpoint.
  b_->Write("a.txt", "rewritten\n");
  b_->Remove("untracked.txt");
  b_->Remove("keep.md");
  b_->Write("deep/new.txt", "n\n");
  auto changed = b_->Files();
  ASSERT_OK_AND_ASSIGN(ActionResponse r, Do("restore", {{"checkpoint", id}}));
  EXPECT_EQ(b_->Files(), at_checkpoint);
  ASSERT_TRUE(r.undo.is_object());
  EXPECT_EQ(r.undo["action"], "restore");
  EXPECT_EQ(r.undo["args"]["repo"], b_->repo());
  // Its undo goes back to the tree it replaced.
  ASSERT_OK(Undo(b_->git(), r.undo));
  EXPECT_EQ(b_->Files(), changed);
  ASSERT_OK(Do("restore", {{"checkpoint", id}}));
  // Restoring a tree that already matches changes nothing.
  ASSERT_OK_AND_ASSIGN(ActionResponse same,
                       Do("restore", {{"checkpoint", id}}));
  EXPECT_TRUE(same.undo.is_null());
  EXPECT_EQ(b_->Files(), at_checkpoint);
  // Dropping: once.
  ASSERT_OK_AND_ASSIGN(ActionResponse drop, Undo(b_->git(), cp.undo));
  EXPECT_TRUE(drop.undo.is_null()) << "drop_checkpoint is irreversible";
  EXPECT_CODE(Undo(b_->git(), cp.undo), Code::kNotFound);
  EXPECT_CODE(Do("restore", {{"checkpoint", id}}), Code::kNotFound);
}

TEST_P(GitContract, CheckpointIdsAreNotCommits) {
  std::string head = Log(1)[0]["commit"];
  EXPECT_CODE(Do("restore", {{"checkpoint", head}}), Code::kNotFound);
  EXPECT_CODE(Do("drop_checkpoint", {{"checkpoint", head}}), Code::kNotFound);
  EXPECT_CODE(Do("restore", {{"checkpoint", "cp999"}}), Code::kNotFound);
  EXPECT_CODE(Do("restore", {{"checkpoint", "../../HEAD"}}), Code::kNotFound);
  // Two checkpoints of the same tree are two checkpoints.
  ASSERT_OK_AND_ASSIGN(ActionResponse a, Do("checkpoint", Json::object()));
  ASSERT_OK_AND_ASSIGN(ActionResponse b, Do("checkpoint", Json::object()));
  EXPECT_NE(a.result, b.result);
  ASSERT_OK(Undo(b_->git(), a.undo));
  ASSERT_OK(Do("restore", {{"checkpoint", b.result}}));
}

TEST_P(GitContract, RepositoriesAndScopes) {
  EXPECT_CODE(Do("status", {{"repo", "relative/repo"}}),
              Code::kInvalidArgument);
  EXPECT_CODE(Do("status", {{"repo", b_->repo() + "/../other"}}),
              Code::kPermissionDenied);
  EXPECT_CODE(Do("status", {{"repo", "/"}}), Code::kPermissionDenied);
  scopes_["repo"] = {b_->repo() + "/.."};
  EXPECT_CODE(Do("status", {{"repo", b_->repo() + "/../nope"}}),
              Code::kNotFound);
  scopes_["repo"] = {b_->repo()};
  // The path is normalised.
  ASSERT_OK(Do("status", {{"repo", b_->repo() + "/./src/.."}}));
  EXPECT_CODE(Do("status", {{"repo", 7}}), Code::kInvalidArgument);
  EXPECT_CODE(Do("status", {{"repo", b_->repo()}, {"extra", 1}}),
              Code::kInvalidArgument);
  EXPECT_CODE(Do("push", Json::object()), Code::kInvalidArgument);
  EXPECT_CODE(Do("commit", Json::object()), Code::kInvalidArgument);
  Connector& g = b_->git();
  EXPECT_EQ(*g.ScopeKey("status", "repo", b_->repo() + "/x/../", scopes_),
            b_->repo());
  EXPECT_CODE(g.ScopeKey("status", "repo", "rel", scopes_),
              Code::kInvalidArgument);
  EXPECT_EQ(*g.ScopeKey("revert", "commit", "abc", scopes_), "abc");
  EXPECT_EQ(b_->Files(), start_);
}

INSTANTIATE_TEST_SUITE_P(Sim, GitContract, ::testing::Values("sim"));
INSTANTIATE_TEST_SUITE_P(Cli, GitContract, ::testing::Values("cli"));

// ---- only on real repositories --------------------------------------------

class GitCliOnly : public ::testing::Test {
 protected:
  void SetUp() override { scopes_["repo"] = {b_.repo()}; }
  Result<ActionResponse> Do(const std::string& action, Json args) {
    if (!args.contains("repo")) args["repo"] = b_.repo();
    return Call(b_.git(), action, args, &scopes_);
  }
  CliGit b_;
  ScopeMap scopes_;
};

TEST_F(GitCliOnly, GitSeesWhatTheConnectorDid) {
  b_.Write("a.txt", "fixed\n");
  ASSERT_OK_AND_ASSIGN(ActionResponse c, Do("commit", {{"message", "fix"}}));
  EXPECT_EQ(RunGit(b_.repo(), {"status", "--porcelain"}), "")
      << "the index follows the commit";
  EXPECT_EQ(RunGit(b_.repo(), {"rev-parse", "refs/heads/main"}),
            c.result.get<std::string>() + "\n")
      << "the branch moved, HEAD is not detached";
  EXPECT_EQ(RunGit(b_.repo(), {"log", "-1", "--format=%an <%ae>%n%B"}),
            "wfstore <wfstore@localhost>\nfix\n\n");
  ASSERT_OK(Undo(b_.git(), c.undo));
  EXPECT_EQ(RunGit(b_.repo(), {"status", "--porcelain"}), "");
  EXPECT_EQ(RunGit(b_.repo(), {"rev-list", "--count", "HEAD"}), "3\n");
  // Checkpoints live on private refs, not branches.
  ASSERT_OK_AND_ASSIGN(ActionResponse cp, Do("checkpoint", Json::object()));
  EXPECT_EQ(RunGit(b_.repo(), {"for-each-ref", "--format=%(refname)"}),
            "refs/heads/main\nrefs/wfstore/checkpoints/" +
                cp.result.get<std::string>() + "\n");
}

TEST_F(GitCliOnly, ASubdirectoryIsNotARepository) {
  EXPECT_CODE(Do("status", {{"repo", b_.repo() + "/src"}}), Code::kNotFound);
  EXPECT_CODE(Do("commit", {{"repo", b_.repo() + "/src"}, {"message", "m"}}),
              Code::kNotFound);
}

TEST_F(GitCliOnly, RepositoryProgramsDoNotRun) {
  // An fsmonitor program and hooks configured in the repository: none runs.
  const std::string marker = b_.dir() + "/ran";
  const std::string script = b_.dir() + "/prog.sh";
  WriteFileAt(script, "#!/bin/sh\necho ran >> " + marker + "\n");
  chmod(script.c_str(), 0755);
  RunGit(b_.repo(), {"config", "core.fsmonitor", script});
  for (const char* hook : {"pre-commit", "post-commit", "reference-transaction",
                           "post-index-change"}) {
    std::string h = b_.repo() + "/.git/hooks/" + hook;
    WriteFileAt(h, "#!/bin/sh\necho ran >> " + marker + "\n");
    chmod(h.c_str(), 0755);
  }
  b_.Write("a.txt", "x\n");
  ASSERT_OK(Do("status", Json::object()));
  ASSERT_OK(Do("diff", Json::object()));
  ASSERT_OK_AND_ASSIGN(ActionResponse cp, Do("checkpoint", Json::object()));
  ASSERT_OK_AND_ASSIGN(ActionResponse c, Do("commit", {{"message", "m"}}));
  ASSERT_OK(Undo(b_.git(), c.undo));
  ASSERT_OK(Do("restore", {{"checkpoint", cp.result}}));
  EXPECT_NE(access(marker.c_str(), F_OK), 0) << "a repository program ran";
}

TEST_F(GitCliOnly, PathsAreNeverPatterns) {
  // "a*.txt" must not match "ab.txt" when a commit touching it is reverted.
  b_.Write("a*.txt", "star\n");
  b_.Write("ab.txt", "ab\n");
  ASSERT_OK(Do("commit", {{"message", "add"}}));
  b_.Write("a*.txt", "star2\n");
  ASSERT_OK_AND_ASSIGN(ActionResponse c, Do("commit", {{"message", "star"}}));
  b_.Write("ab.txt", "uncommitted\n");
  ASSERT_OK(Undo(b_.git(), c.undo));
  auto files = b_.Files();
  EXPECT_EQ(files["a*.txt"], "star\n");
  EXPECT_EQ(files["ab.txt"], "uncommitted\n");
}

TEST_F(GitCliOnly, IgnoredFilesAreNeitherRecordedNorTouched) {
  b_.Write(".gitignore", "build/\n");
  ASSERT_OK(Do("commit", {{"message", "ignore build"}}));
  b_.Write("build/out.o", "binary-ish\n");
  EXPECT_EQ(Do("status", Json::object())->result, Json::array());
  ASSERT_OK_AND_ASSIGN(ActionResponse cp, Do("checkpoint", Json::object()));
  b_.Write("a.txt", "edit\n");
  b_.Write("build/out.o", "rebuilt\n");
  ASSERT_OK(Do("restore", {{"checkpoint", cp.result}}));
  auto files = b_.Files();
  EXPECT_EQ(files["a.txt"], StartingFiles().at("a.txt"));
  EXPECT_EQ(files["build/out.o"], "rebuilt\n");
}

TEST_F(GitCliOnly, AnEmptyRepositoryHasNoHistory) {
  TempDir d;
  const std::string repo = d.path() + "/empty";
  mkdir(repo.c_str(), 0755);
  RunGit(repo, {"init", "-q", "-b", "main"});
  scopes_["repo"] = {repo};
  ASSERT_OK_AND_ASSIGN(ActionResponse log,
                       Do("log", {{"repo", repo}, {"count", 5}}));
  EXPECT_EQ(log.result, Json::array());
  WriteFileAt(repo + "/f.txt", "f\n");
  ASSERT_OK_AND_ASSIGN(ActionResponse st, Do("status", {{"repo", repo}}));
  EXPECT_EQ(st.result, J(R"([{"path": "f.txt", "status": "untracked"}])"));
  ASSERT_OK_AND_ASSIGN(ActionResponse c,
                       Do("commit", {{"repo", repo}, {"message", "first"}}));
  // The first commit has no parent: its undo is refused, not a deletion of
  // every file.
  EXPECT_CODE(Undo(b_.git(), c.undo), Code::kFailedPrecondition);
  EXPECT_EQ(RunGit(repo, {"status", "--porcelain"}), "");
}

TEST_F(GitCliOnly, DiffIsBounded) {
  git::GitCliOptions o;
  o.temp_dir = b_.dir();
  o.max_diff_bytes = 100;
  auto small = git::MakeGitCliConnector(o);
  ASSERT_TRUE(small.ok());
  std::string big;
  for (int i = 0; i < 200; ++i) big += StrCat("line ", i, "\n");
  b_.Write("big.txt", big);
  ASSERT_OK_AND_ASSIGN(ActionResponse d,
                       Call(**small, "diff", {{"repo", b_.repo()}}, &scopes_));
  const std::string text = d.result;
  EXPECT_EQ(text.size(), 100 + std::string("\n... (diff truncated)\n").size());
  EXPECT_TRUE(EndsWith(text, "\n... (diff truncated)\n"));
  EXPECT_TRUE(
      StartsWith(text, "--- /dev/null\n+++ b/big.txt\n@@ -0,0 +1,200 @@"));
}

TEST_F(GitCliOnly, BadOptionsAreRefused) {
  git::GitCliOptions o;
  o.git = "git";
  EXPECT_CODE(git::MakeGitCliConnector(o), Code::kInvalidArgument);
  o = {};
  o.author_email = "a>b";
  EXPECT_CODE(git::MakeGitCliConnector(o), Code::kInvalidArgument);
  o = {};
  o.git = "/nonexistent/git";
  auto made = git::MakeGitCliConnector(o);
  ASSERT_TRUE(made.ok());
  EXPECT_CODE(Call(**made, "status", {{"repo", b_.repo()}}, &scopes_),
              Code::kNotFound);
}

}  // namespace
}  // namespace wfs::connectors::contract
