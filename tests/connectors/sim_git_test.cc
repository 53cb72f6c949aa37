// git simulator: working trees are fs files; commits and checkpoints are
// snapshots in the world's private state.
#include <algorithm>

#include "tests/connectors/sim_test_util.h"

namespace wfs::connectors::sim {
namespace {

using testing::Harness;
using testing::J;

constexpr char kGitWorld[] = R"({
    "fs": {"files": [
        {"path": "/repo/a.txt", "content": "one\ntwo\nthree\n"},
        {"path": "/repo/src/b.py", "content": "print(1)\n"},
        {"path": "/other/x", "content": "x"}]},
    "git": {"repos": [{"path": "/repo", "head": "c0"}]}})";

class SimGitTest : public ::testing::Test {
 protected:
  SimGitTest() : h_(kGitWorld) { h_.scopes()["root"] = {"/repo"}; }

  Result<ActionResponse> Git(const std::string& action, Json args) {
    args["repo"] = "/repo";
    return h_.Call("git", action, args);
  }
  Result<ActionResponse> Git(const std::string& action) {
    return Git(action, Json::object());
  }
  Result<ActionResponse> Fs(const std::string& action, const char* args) {
    return h_.Call("fs", action, args);
  }
  // path -> content of the fs files, sorted (file order is not meaningful).
  std::map<std::string, std::string> Files() {
    std::map<std::string, std::string> out;
    for (const Json& f : h_.Coll("fs", "files")) {
      out[f["path"].get<std::string>()] = f["content"].get<std::string>();
    }
    return out;
  }
  void Dirty() {
    ASSERT_TRUE(Fs("write", R"({"path": "a.txt",
                                "content": "one\nTWO\nthree\n"})").ok());
    ASSERT_TRUE(Fs("create", R"({"path": "new.txt", "content": "n\n"})").ok());
    ASSERT_TRUE(Fs("delete", R"({"path": "src/b.py"})").ok());
  }

  Harness h_;
};

TEST_F(SimGitTest, StatusAndDiff) {
  EXPECT_EQ(Git("status")->result, Json::array());
  EXPECT_EQ(Git("diff")->result, "");
  Dirty();
  EXPECT_EQ(Git("status")->result,
            J(R"([{"path": "a.txt", "status": "modified"},
                  {"path": "new.txt", "status": "untracked"},
                  {"path": "src/b.py", "status": "deleted"}])"));
  EXPECT_EQ(Git("diff")->result,
            "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n"
            " three\n"
            "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+n\n"
            "--- a/src/b.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-print(1)\n");
  EXPECT_TRUE(Git("diff")->undo.is_null());
}

TEST_F(SimGitTest, DiffHunksKeepThreeLinesOfContext) {
  std::string old_text, new_text;
  for (int i = 1; i <= 20; ++i) {
    old_text += "l" + std::to_string(i) + "\n";
    new_text += (i == 2 || i == 18 ? "X" : "l") + std::to_string(i) + "\n";
  }
  Json doc = J(R"({"fs": {"files": [{"path": "/r/f"}]},
                   "git": {"repos": [{"path": "/r"}]}})");
  doc["fs"]["files"][0]["content"] = old_text;
  Harness h(doc);
  h.scopes()["root"] = {"/r"};
  ASSERT_TRUE(h.Call("git", "status", R"({"repo": "/r"})").ok());
  ASSERT_TRUE(h.Call("fs", "write", Json{{"path", "f"}, {"content", new_text}}).ok());
  EXPECT_EQ(h.Call("git", "diff", R"({"repo": "/r"})")->result,
            "--- a/f\n+++ b/f\n"
            "@@ -1,5 +1,5 @@\n l1\n-l2\n+X2\n l3\n l4\n l5\n"
            "@@ -15,6 +15,6 @@\n l15\n l16\n l17\n-l18\n+X18\n l19\n l20\n");
  // Large files fall back to replacing every changed line; still bounded.
  std::string big_old, big_new;
  for (int i = 0; i < 1500; ++i) {
    big_old += "a" + std::to_string(i) + "\n";
    big_new += "b" + std::to_string(i) + "\n";
  }
  ASSERT_TRUE(h.Call("fs", "write", Json{{"path", "f"}, {"content", big_old}}).ok());
  ASSERT_TRUE(h.Call("git", "commit", R"({"repo": "/r", "message": "big"})").ok());
  ASSERT_TRUE(h.Call("fs", "write", Json{{"path", "f"}, {"content", big_new}}).ok());
  std::string diff = h.Call("git", "diff", R"({"repo": "/r"})")->result;
  EXPECT_EQ(std::count(diff.begin(), diff.end(), '\n'), 3 + 3000);
}

TEST_F(SimGitTest, AFileChangedBeforeAnyGitCallShowsAsChanged) {
  // The baseline is taken before the first fs change, not at the first git
  // call.
  ASSERT_TRUE(Fs("write", R"({"path": "a.txt", "content": "x"})").ok());
  EXPECT_EQ(Git("status")->result,
            J(R"([{"path": "a.txt", "status": "modified"}])"));
}

TEST_F(SimGitTest, CheckpointAndDrop) {
  auto r = h_.RoundTrip("git", "checkpoint", J(R"({"repo": "/repo"})"));
  EXPECT_EQ(r.result, "cp1");
  EXPECT_EQ(r.undo, J(R"({"action": "drop_checkpoint",
                          "args": {"repo": "/repo", "checkpoint": "cp1"}})"));
  auto cp = Git("checkpoint");
  EXPECT_EQ(cp->result, "cp2");
  EXPECT_EQ(h_.Coll("git", "repos")[0]["checkpoints"], J(R"(["cp2"])"));
  auto drop = Git("drop_checkpoint", J(R"({"checkpoint": "cp2"})"));
  ASSERT_TRUE(drop.ok());
  EXPECT_TRUE(drop->undo.is_null());
  EXPECT_EQ(h_.Coll("git", "repos")[0]["checkpoints"], Json::array());
  EXPECT_CODE(Git("drop_checkpoint", J(R"({"checkpoint": "cp2"})")),
              Code::kNotFound);
  EXPECT_CODE(Git("restore", J(R"({"checkpoint": "cp2"})")), Code::kNotFound);
}

TEST_F(SimGitTest, CommitLogAndRevertUndo) {
  EXPECT_EQ(Git("log", J(R"({"count": 10})"))->result, Json::array());
  auto before = Files();
  Dirty();
  auto after = Files();
  auto c = Git("commit", J(R"({"message": "Fix admin check"})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->result, "c1");
  EXPECT_EQ(c->undo, J(R"({"action": "revert",
                           "args": {"repo": "/repo", "commit": "c1"}})"));
  EXPECT_EQ(h_.Coll("git", "repos")[0]["head"], "c1");
  EXPECT_EQ(Git("status")->result, Json::array());
  EXPECT_EQ(Files(), after);
  EXPECT_ERROR(Git("commit", J(R"({"message": "again"})")),
               Code::kFailedPrecondition, "nothing to commit");
  EXPECT_ERROR(Git("commit", J(R"({"message": " "})")), Code::kInvalidArgument,
               "`message`");

  // Compensation: revert adds a commit; history is kept.
  auto u = h_.Undo("git", c->undo);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_TRUE(u->result.is_null());
  EXPECT_EQ(Files(), before);
  EXPECT_EQ(Git("status")->result, Json::array());
  EXPECT_EQ(Git("log", J(R"({"count": 10})"))->result,
            J(R"([{"commit": "c2", "author": "wfstore",
                   "message": "Revert \"Fix admin check\""},
                  {"commit": "c1", "author": "wfstore",
                   "message": "Fix admin check"}])"));
  EXPECT_EQ(Git("log", J(R"({"count": 1})"))->result.size(), 1u);
  EXPECT_CODE(Git("log", J(R"({"count": -1})")), Code::kInvalidArgument);
  EXPECT_ERROR(Git("log", J(R"({"count": "2"})")), Code::kInvalidArgument,
               "argument `count` must be an integer");
  // Reverting again: the revert commit already undid it.
  EXPECT_ERROR(Git("revert", J(R"({"commit": "c1"})")),
               Code::kFailedPrecondition, "conflict");
  EXPECT_ERROR(Git("revert", J(R"({"commit": "c0"})")),
               Code::kFailedPrecondition, "parent");
  EXPECT_CODE(Git("revert", J(R"({"commit": "c9"})")), Code::kNotFound);
}

TEST_F(SimGitTest, RevertOfAnOlderCommitKeepsLaterOnes) {
  ASSERT_TRUE(Fs("write", R"({"path": "a.txt", "content": "A"})").ok());
  ASSERT_TRUE(Git("commit", J(R"({"message": "a"})")).ok());  // c1
  ASSERT_TRUE(Fs("write", R"({"path": "src/b.py", "content": "B"})").ok());
  ASSERT_TRUE(Git("commit", J(R"({"message": "b"})")).ok());  // c2
  // Uncommitted changes to a file the revert touches are refused.
  ASSERT_TRUE(Fs("write", R"({"path": "a.txt", "content": "dirty"})").ok());
  EXPECT_ERROR(Git("revert", J(R"({"commit": "c1"})")),
               Code::kFailedPrecondition, "uncommitted changes to `a.txt`");
  ASSERT_TRUE(Fs("write", R"({"path": "a.txt", "content": "A"})").ok());
  // Unrelated uncommitted files stay.
  ASSERT_TRUE(Fs("create", R"({"path": "u.txt", "content": "u"})").ok());
  auto r = Git("revert", J(R"({"commit": "c1"})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->undo.is_null());
  auto files = Files();
  EXPECT_EQ(files["/repo/a.txt"], "one\ntwo\nthree\n");
  EXPECT_EQ(files["/repo/src/b.py"], "B");
  EXPECT_EQ(files["/repo/u.txt"], "u");
  EXPECT_EQ(h_.Coll("git", "repos")[0]["head"], "c3");
  EXPECT_EQ(Git("status")->result,
            J(R"([{"path": "u.txt", "status": "untracked"}])"));
}

TEST_F(SimGitTest, RestoreAndItsUndo) {
  auto cp = Git("checkpoint");
  ASSERT_TRUE(cp.ok());
  Dirty();
  auto dirty = Files();
  Json before = h_.Public();
  auto r = Git("restore", J(R"({"checkpoint": "cp1"})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Git("status")->result, Json::array());
  EXPECT_EQ(Files()["/repo/a.txt"], "one\ntwo\nthree\n");
  EXPECT_EQ(Files().count("/repo/new.txt"), 0u);
  EXPECT_EQ(Files()["/other/x"], "x");
  // The undo restores a private checkpoint of the tree taken before; it is
  // not listed among the repository's checkpoints.
  EXPECT_EQ(r->undo, J(R"({"action": "restore",
                           "args": {"repo": "/repo", "checkpoint": "cp2"}})"));
  EXPECT_EQ(h_.Coll("git", "repos")[0]["checkpoints"], J(R"(["cp1"])"));
  ASSERT_TRUE(h_.Undo("git", r->undo).ok());
  EXPECT_EQ(Files(), dirty);
  EXPECT_EQ(h_.Public()["git"], before["git"]);
  // Already equal: nothing to undo.
  auto again = Git("restore", J(R"({"checkpoint": "cp2"})"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->undo.is_null());
  // Commits are not checkpoints.
  EXPECT_CODE(Git("restore", J(R"({"checkpoint": "c0"})")), Code::kNotFound);
}

TEST_F(SimGitTest, ScopesAndErrors) {
  Connector& git = h_.sim("git");
  EXPECT_EQ(git.ScopeKey("commit", "repo", "/repo/", {}).value(), "/repo");
  EXPECT_EQ(git.ScopeKey("commit", "repo", "/x/../repo", {}).value(), "/repo");
  EXPECT_CODE(git.ScopeKey("commit", "repo", "repo", {}), Code::kInvalidArgument);
  EXPECT_EQ(git.ScopeKey("revert", "commit", "c1", {}).value(), "c1");
  EXPECT_CODE(h_.Call("git", "status", R"({"repo": "/nowhere"})"),
              Code::kNotFound);
  EXPECT_ERROR(h_.Call("git", "status", R"({"repo": "repo"})"),
               Code::kInvalidArgument, "absolute path");
  EXPECT_ERROR(h_.Call("git", "push", R"({"repo": "/repo"})"),
               Code::kInvalidArgument, "git has no action `push`");
  h_.scopes()["repo"] = {"/other"};
  EXPECT_ERROR(Git("status"), Code::kPermissionDenied, "git.repo scope");
  h_.scopes()["repo"] = {"/"};
  EXPECT_TRUE(Git("status").ok());
}

TEST_F(SimGitTest, ApplyFixScenario) {
  // catalog/code/apply_fix.wf: checkpoint, edit, diff, commit.
  ASSERT_EQ(Git("checkpoint")->result, "cp1");
  auto text = Fs("read", R"({"path": "a.txt"})")->result.get<std::string>();
  ASSERT_TRUE(h_.Call("fs", "write", Json{{"path", "a.txt"},
                                          {"content", text + "four\n"}})
                  .ok());
  EXPECT_EQ(Git("diff")->result,
            "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,4 @@\n one\n two\n three\n"
            "+four\n");
  EXPECT_EQ(Git("commit", J(R"({"message": "m"})"))->result, "c1");
  EXPECT_EQ(h_.Coll("fs", "files").size(), 3u);
}

}  // namespace
}  // namespace wfs::connectors::sim
