// fs simulator: resolution under the root (.., absolute paths, symlinks,
// loops), every action, undo records.
#include "tests/connectors/sim_test_util.h"

namespace wfs::connectors::sim {
namespace {

using testing::Harness;
using testing::J;

constexpr char kFsWorld[] = R"({"fs": {"files": [
    {"path": "/repo/a.txt", "content": "old"},
    {"path": "/repo/src/auth.py", "content": "if admin or True:\n"},
    {"path": "/repo/src/util/x.py", "content": "x"},
    {"path": "/etc/passwd", "content": "root:x:0:0"},
    {"path": "/repo/in", "content": "", "link": "src/auth.py"},
    {"path": "/repo/abs_in", "content": "", "link": "/repo/a.txt"},
    {"path": "/repo/srclink", "content": "", "link": "src"},
    {"path": "/repo/src/up2", "content": "", "link": "../a.txt"},
    {"path": "/repo/out", "content": "", "link": "/etc"},
    {"path": "/repo/up", "content": "", "link": "../etc/passwd"},
    {"path": "/repo/sneaky", "content": "", "link": "/repo/../etc/passwd"},
    {"path": "/repo/chain", "content": "", "link": "srclink/up2"},
    {"path": "/repo/chain_out", "content": "", "link": "srclink/../up"},
    {"path": "/repo/loop1", "content": "", "link": "loop2"},
    {"path": "/repo/loop2", "content": "", "link": "./loop1"},
    {"path": "/repo/self", "content": "", "link": "self/x"},
    {"path": "/repo/dangling", "content": "", "link": "missing.txt"}]}})";

class SimFsTest : public ::testing::Test {
 protected:
  SimFsTest() : h_(kFsWorld) { h_.scopes()["root"] = {"/repo"}; }

  Result<ActionResponse> Read(const std::string& path) {
    return h_.Call("fs", "read", Json{{"path", path}});
  }
  std::string Content(const std::string& abs) {
    for (const Json& f : h_.Coll("fs", "files")) {
      if (f["path"] == abs) return f["content"].get<std::string>();
    }
    return "<absent>";
  }

  Harness h_;
};

TEST_F(SimFsTest, ReadsUnderTheRoot) {
  EXPECT_EQ(Read("a.txt")->result, "old");
  EXPECT_EQ(Read("./src/../a.txt")->result, "old");
  EXPECT_EQ(Read("src//util/./x.py")->result, "x");
  EXPECT_TRUE(Read("a.txt")->undo.is_null());
  // Links inside the root are followed, in chains too.
  EXPECT_EQ(Read("in")->result, "if admin or True:\n");
  EXPECT_EQ(Read("abs_in")->result, "old");
  EXPECT_EQ(Read("srclink/auth.py")->result, "if admin or True:\n");
  EXPECT_EQ(Read("src/up2")->result, "old");
  EXPECT_EQ(Read("chain")->result, "old");
  // Root given with a trailing slash.
  h_.scopes()["root"] = {"/repo/"};
  EXPECT_EQ(Read("a.txt")->result, "old");
}

TEST_F(SimFsTest, NothingOutsideTheRootIsReachable) {
  EXPECT_ERROR(Read("../etc/passwd"), Code::kPermissionDenied,
               "`../etc/passwd` leaves the root `/repo`");
  EXPECT_ERROR(Read("src/../../etc/passwd"), Code::kPermissionDenied,
               "leaves the root");
  EXPECT_ERROR(Read("/etc/passwd"), Code::kPermissionDenied,
               "absolute path `/etc/passwd` refused");
  EXPECT_ERROR(Read("/repo/a.txt"), Code::kPermissionDenied, "absolute path");
  EXPECT_ERROR(Read("out/passwd"), Code::kPermissionDenied,
               "link `out` points to `/etc`, outside the root `/repo`");
  EXPECT_ERROR(Read("up"), Code::kPermissionDenied, "leaves the root");
  EXPECT_ERROR(Read("sneaky"), Code::kPermissionDenied, "leaves the root");
  EXPECT_ERROR(Read("chain_out"), Code::kPermissionDenied, "leaves the root");
  EXPECT_ERROR(Read("loop1"), Code::kFailedPrecondition,
               "too many levels of symbolic links");
  EXPECT_ERROR(Read("self"), Code::kFailedPrecondition,
               "too many levels of symbolic links");
  // Writes through escapes change nothing.
  EXPECT_CODE(h_.Call("fs", "write", R"({"path": "out/passwd", "content": "x"})"),
              Code::kPermissionDenied);
  EXPECT_CODE(h_.Call("fs", "write", R"({"path": "up", "content": "x"})"),
              Code::kPermissionDenied);
  EXPECT_CODE(h_.Call("fs", "create", R"({"path": "../x", "content": "x"})"),
              Code::kPermissionDenied);
  EXPECT_CODE(h_.Call("fs", "move", R"({"from": "a.txt", "to": "../a.txt"})"),
              Code::kPermissionDenied);
  EXPECT_CODE(h_.Call("fs", "delete", R"({"path": "out/passwd"})"),
              Code::kPermissionDenied);
  EXPECT_CODE(h_.Call("fs", "list", R"({"dir": "out"})"),
              Code::kPermissionDenied);
  EXPECT_EQ(Content("/etc/passwd"), "root:x:0:0");
  EXPECT_EQ(Content("/repo/a.txt"), "old");
  // Without a root scope nothing is reachable.
  h_.scopes().clear();
  EXPECT_ERROR(Read("a.txt"), Code::kPermissionDenied, "no fs.root scope");
  h_.scopes()["root"] = {"relative"};
  EXPECT_CODE(Read("a.txt"), Code::kInvalidArgument);
  // A root of "/" reaches everything.
  h_.scopes()["root"] = {"/"};
  EXPECT_EQ(Read("etc/passwd")->result, "root:x:0:0");
  EXPECT_EQ(Read("repo/out/passwd")->result, "root:x:0:0");
}

TEST_F(SimFsTest, ReadErrors) {
  EXPECT_ERROR(Read("nope.txt"), Code::kNotFound, "no file `nope.txt`");
  EXPECT_ERROR(Read("src"), Code::kFailedPrecondition, "is a directory");
  EXPECT_ERROR(Read("a.txt/x"), Code::kFailedPrecondition, "not a directory");
  EXPECT_CODE(Read("dangling"), Code::kNotFound);
  EXPECT_CODE(Read(""), Code::kFailedPrecondition);
  EXPECT_ERROR(h_.Call("fs", "read", R"({"path": 3})"), Code::kInvalidArgument,
               "argument `path` must be a string");
  EXPECT_CODE(Read(std::string(5000, 'a')), Code::kInvalidArgument);
}

TEST_F(SimFsTest, ListsDirectChildren) {
  auto r = h_.Call("fs", "list", R"({"dir": "src"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, J(R"([{"path": "src/auth.py", "kind": "file", "size": 18},
                             {"path": "src/up2", "kind": "file", "size": 0},
                             {"path": "src/util", "kind": "dir", "size": 0}])"));
  EXPECT_EQ(h_.Call("fs", "list", R"({"dir": "srclink/util"})")->result,
            J(R"([{"path": "src/util/x.py", "kind": "file", "size": 1}])"));
  auto root = h_.Call("fs", "list", R"({"dir": ""})");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->result.size(), 14u);
  EXPECT_EQ(root->result[0]["path"], "a.txt");
  EXPECT_EQ(h_.Call("fs", "list", R"({"dir": "."})")->result, root->result);
  EXPECT_ERROR(h_.Call("fs", "list", R"({"dir": "a.txt"})"),
               Code::kFailedPrecondition, "not a directory");
  EXPECT_CODE(h_.Call("fs", "list", R"({"dir": "nope"})"), Code::kNotFound);
  // An empty root lists as empty.
  Harness empty("{}");
  empty.scopes()["root"] = {"/empty"};
  EXPECT_EQ(empty.Call("fs", "list", R"({"dir": ""})")->result, Json::array());
}

TEST_F(SimFsTest, WriteAndUndo) {
  auto r = h_.RoundTrip("fs", "write", J(R"({"path": "a.txt", "content": "new"})"));
  EXPECT_EQ(r.undo, J(R"({"action": "restore", "args": {"path": "a.txt",
                          "_content": "old", "_root": "/repo"}})"));
  // Through a link: the target changes; the undo names the target.
  auto l = h_.RoundTrip("fs", "write", J(R"({"path": "in", "content": "fixed"})"));
  EXPECT_EQ(l.undo["args"]["path"], "src/auth.py");
  ASSERT_TRUE(h_.Call("fs", "write", R"({"path": "in", "content": "fixed"})").ok());
  EXPECT_EQ(Content("/repo/src/auth.py"), "fixed");
  EXPECT_EQ(Content("/repo/in"), "");
  // Same content: nothing to undo.
  auto same = h_.Call("fs", "write", R"({"path": "a.txt", "content": "old"})");
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->undo.is_null());
  EXPECT_CODE(h_.Call("fs", "write", R"({"path": "new.txt", "content": "x"})"),
              Code::kNotFound);
  EXPECT_CODE(h_.Call("fs", "write", R"({"path": "src", "content": "x"})"),
              Code::kFailedPrecondition);
  EXPECT_ERROR(h_.Call("fs", "write", R"({"path": "a.txt"})"),
               Code::kInvalidArgument, "missing argument `content`");
}

TEST_F(SimFsTest, CreateAndUndo) {
  auto r = h_.RoundTrip("fs", "create",
                        J(R"({"path": "new/dir/f.txt", "content": "hi"})"));
  EXPECT_EQ(r.undo, J(R"({"action": "remove", "args": {"path": "new/dir/f.txt",
                                                        "_root": "/repo"}})"));
  ASSERT_TRUE(
      h_.Call("fs", "create", R"({"path": "srclink/n.py", "content": "n"})").ok());
  EXPECT_EQ(Content("/repo/src/n.py"), "n");
  EXPECT_ERROR(h_.Call("fs", "create", R"({"path": "a.txt", "content": "x"})"),
               Code::kAlreadyExists, "already exists");
  EXPECT_CODE(h_.Call("fs", "create", R"({"path": "src", "content": "x"})"),
              Code::kAlreadyExists);
  // A link's name is taken even when it dangles or points outside.
  EXPECT_CODE(h_.Call("fs", "create", R"({"path": "dangling", "content": "x"})"),
              Code::kAlreadyExists);
  EXPECT_CODE(h_.Call("fs", "create", R"({"path": "out", "content": "x"})"),
              Code::kAlreadyExists);
  EXPECT_CODE(h_.Call("fs", "create", R"({"path": "a.txt/x", "content": "x"})"),
              Code::kFailedPrecondition);
}

TEST_F(SimFsTest, MoveAndUndo) {
  auto r = h_.RoundTrip("fs", "move", J(R"({"from": "a.txt", "to": "b/a.txt"})"));
  EXPECT_EQ(r.undo, J(R"({"action": "move", "args": {"from": "b/a.txt",
                          "to": "a.txt", "_root": "/repo"}})"));
  EXPECT_CODE(h_.Call("fs", "move", R"({"from": "a.txt", "to": "src/auth.py"})"),
              Code::kAlreadyExists);
  EXPECT_CODE(h_.Call("fs", "move", R"({"from": "a.txt", "to": "a.txt"})"),
              Code::kAlreadyExists);
  EXPECT_CODE(h_.Call("fs", "move", R"({"from": "nope", "to": "x"})"),
              Code::kNotFound);
  EXPECT_ERROR(h_.Call("fs", "move", R"({"from": "src", "to": "src2"})"),
               Code::kFailedPrecondition, "is a directory");
  // A link moves as itself.
  ASSERT_TRUE(h_.Call("fs", "move", R"({"from": "out", "to": "out2"})").ok());
  EXPECT_EQ(Content("/repo/out2"), "");
  EXPECT_EQ(Content("/etc/passwd"), "root:x:0:0");
}

TEST_F(SimFsTest, DeleteRestoreRemove) {
  auto r = h_.RoundTrip("fs", "delete", J(R"({"path": "a.txt"})"));
  EXPECT_EQ(r.undo, J(R"({"action": "restore", "args": {"path": "a.txt",
                          "_content": "old", "_index": 0, "_root": "/repo"}})"));
  // Deleting a link deletes the link, and the undo brings it back as one.
  auto l = h_.RoundTrip("fs", "delete", J(R"({"path": "out"})"));
  EXPECT_EQ(l.undo["args"]["_link"], "/etc");
  EXPECT_EQ(Content("/etc/passwd"), "root:x:0:0");
  EXPECT_CODE(h_.Call("fs", "delete", R"({"path": "nope"})"), Code::kNotFound);
  EXPECT_CODE(h_.Call("fs", "delete", R"({"path": "src"})"),
              Code::kFailedPrecondition);

  auto rm = h_.RoundTrip("fs", "remove", J(R"({"path": "src/util/x.py"})"));
  EXPECT_EQ(rm.undo["action"], "restore");

  // restore needs the private content of an undo record.
  EXPECT_ERROR(h_.Call("fs", "restore", R"({"path": "a.txt"})"),
               Code::kInvalidArgument, "`_content`");
  EXPECT_ERROR(h_.Call("fs", "restore", R"({"path": "a.txt", "_content": "x"})"),
               Code::kInvalidArgument, "only accepted from an undo record");
  // restore over an existing file: its undo (remove with the content the
  // file had) puts that content back rather than removing the file.
  ASSERT_TRUE(h_.Call("fs", "write", R"({"path": "a.txt", "content": "new"})").ok());
  auto res = h_.Undo("fs", J(R"({"action": "restore", "args": {"path": "a.txt",
                                 "_content": "old", "_root": "/repo"}})"));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(Content("/repo/a.txt"), "old");
  EXPECT_EQ(res->undo, J(R"({"action": "remove", "args": {"path": "a.txt",
                             "_content": "new", "_root": "/repo"}})"));
  ASSERT_TRUE(h_.Undo("fs", res->undo).ok());
  EXPECT_EQ(Content("/repo/a.txt"), "new");
  // restore of a missing file creates it; its undo removes it.
  Json before = h_.Public();
  auto made = h_.Undo("fs", J(R"({"action": "restore", "args": {"path": "z.txt",
                                  "_content": "z", "_root": "/repo"}})"));
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(Content("/repo/z.txt"), "z");
  EXPECT_EQ(made->undo, J(R"({"action": "remove", "args": {"path": "z.txt",
                                                           "_root": "/repo"}})"));
  // Without `_root` (and without the run's scopes) a compensation reaches
  // nothing; with the run's root it works.
  EXPECT_ERROR(h_.Undo("fs", J(R"({"action": "remove", "args": {"path": "z.txt"}})")),
               Code::kPermissionDenied, "no fs.root scope");
  // The undo record's root is resolved as safely as any root.
  EXPECT_CODE(h_.Undo("fs", J(R"({"action": "remove", "args": {
                                   "path": "../etc/passwd", "_root": "/repo"}})")),
              Code::kPermissionDenied);
  EXPECT_CODE(h_.Undo("fs", J(R"({"action": "remove", "args": {
                                   "path": "z.txt", "_root": "repo"}})")),
              Code::kInvalidArgument);
  ASSERT_TRUE(h_.Undo("fs", made->undo).ok());
  EXPECT_EQ(h_.Public(), before);
}

TEST(SimFsWorldTest, WorldPathsAreComparedNormalised) {
  Harness h(R"({"fs": {"files": [{"path": "/repo//b/./c.txt", "content": "c"},
                                 {"path": "/repo/d/", "content": "d"}]}})");
  h.scopes()["root"] = {"/repo"};
  EXPECT_EQ(h.Call("fs", "read", R"({"path": "b/c.txt"})")->result, "c");
  EXPECT_EQ(h.Call("fs", "read", R"({"path": "d"})")->result, "d");
  EXPECT_EQ(h.Call("fs", "list", R"({"dir": "b"})")->result,
            J(R"([{"path": "b/c.txt", "kind": "file", "size": 1}])"));
  EXPECT_CODE(h.Call("fs", "create", R"({"path": "b/c.txt", "content": "x"})"),
              Code::kAlreadyExists);
}

TEST_F(SimFsTest, ScopeKeysAreResolvedAbsolutePaths) {
  Connector& fs = h_.sim("fs");
  ScopeMap scopes = {{"root", {"/repo"}}};
  EXPECT_EQ(fs.ScopeKey("read", "path", "src/../a.txt", scopes).value(),
            "/repo/a.txt");
  EXPECT_EQ(fs.ScopeKey("read", "path", "in", scopes).value(),
            "/repo/src/auth.py");
  // delete acts on the link itself.
  EXPECT_EQ(fs.ScopeKey("delete", "path", "in", scopes).value(), "/repo/in");
  EXPECT_EQ(fs.ScopeKey("move", "to", "srclink/n", scopes).value(),
            "/repo/src/n");
  EXPECT_CODE(fs.ScopeKey("read", "path", "../etc/passwd", scopes),
              Code::kPermissionDenied);
  EXPECT_CODE(fs.ScopeKey("read", "path", "/etc/passwd", scopes),
              Code::kPermissionDenied);
  EXPECT_CODE(fs.ScopeKey("read", "path", "out/passwd", scopes),
              Code::kPermissionDenied);
  EXPECT_CODE(fs.ScopeKey("read", "path", "a.txt", {}),
              Code::kPermissionDenied);
}

}  // namespace
}  // namespace wfs::connectors::sim
