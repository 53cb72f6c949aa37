// The fs contract: the fs simulator and the local-directory connector behave
// the same action for action (ctest: contract_fs_sim, contract_fs_local).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "base/strings.h"
#include "connectors/fs/local_fs.h"
#include "tests/connectors/contract/contract_util.h"

namespace wfs::connectors::contract {
namespace {

// One seeded entry: a file, or a link when `link` is set. In `link`,
// "{root}" stands for the root directory.
struct Seed {
  std::string path;
  std::string content;
  std::string link;
};

class FsBackend {
 public:
  virtual ~FsBackend() = default;
  virtual void Populate(const std::vector<Seed>& files) = 0;
  virtual Connector& conn() = 0;
  // Every entry under the root, sorted: {path: {content} | {link}}; an empty
  // directory (the simulator has none) shows as {dir: true}.
  virtual Json Tree() = 0;
  const std::string& root() const { return root_; }
  std::string Link(const std::string& l) const {
    std::string out = l;
    size_t at = out.find("{root}");
    if (at != std::string::npos) out.replace(at, 6, root_);
    return out;
  }

 protected:
  std::string root_;
};

class SimFs final : public FsBackend {
 public:
  SimFs() : world_(Json::object()), conn_(world_.Make("fs")) {
    root_ = "/sim/contract-root";
  }
  void Populate(const std::vector<Seed>& files) override {
    Json list = Json::array();
    for (const Seed& s : files) {
      Json f = {{"path", root_ + "/" + s.path}, {"content", s.content}};
      if (!s.link.empty()) f["link"] = Link(s.link);
      list.push_back(f);
    }
    // Something outside the root that must never be reachable.
    list.push_back({{"path", "/etc/passwd"}, {"content", "root:x:0:0"}});
    ASSERT_TRUE(world_.Set("fs", "files", list).ok());
  }
  Connector& conn() override { return conn_; }
  Json Tree() override {
    Json out = Json::object();
    for (const Json& f : world_.Coll("fs", "files")) {
      std::string p = f["path"];
      if (p.rfind(root_ + "/", 0) != 0) continue;
      std::string rel = p.substr(root_.size() + 1);
      if (f["link"].is_string()) {
        out[rel] = {{"link", f["link"]}};
      } else {
        out[rel] = {{"content", f["content"]}};
      }
    }
    return out;
  }

 private:
  SimWorld world_;
  Connector& conn_;
};

class LocalFsBackend final : public FsBackend {
 public:
  LocalFsBackend() : conn_(fs::MakeLocalFsConnector()) {
    root_ = dir_.path() + "/root";
    mkdir(root_.c_str(), 0755);
  }
  void Populate(const std::vector<Seed>& files) override {
    for (const Seed& s : files) {
      std::string full = root_ + "/" + s.path;
      MakeParents(full);
      if (!s.link.empty()) {
        ASSERT_EQ(symlink(Link(s.link).c_str(), full.c_str()), 0) << full;
      } else {
        int fd = open(full.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ASSERT_GE(fd, 0) << full;
        ASSERT_EQ(write(fd, s.content.data(), s.content.size()),
                  static_cast<ssize_t>(s.content.size()));
        fchmod(fd, 0644);
        close(fd);
      }
    }
  }
  Connector& conn() override { return *conn_; }
  Json Tree() override {
    Json out = Json::object();
    Walk(root_, "", out);
    return out;
  }

 private:
  static void MakeParents(const std::string& full) {
    for (size_t i = 1; i < full.size(); ++i) {
      if (full[i] == '/') mkdir(full.substr(0, i).c_str(), 0755);
    }
  }
  static void Walk(const std::string& dir, const std::string& rel, Json& out) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return;
    bool empty = true;
    while (struct dirent* de = readdir(d)) {
      std::string n = de->d_name;
      if (n == "." || n == "..") continue;
      empty = false;
      std::string full = dir + "/" + n;
      std::string r = rel.empty() ? n : rel + "/" + n;
      struct stat st;
      if (lstat(full.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        Walk(full, r, out);
      } else if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t k = readlink(full.c_str(), buf, sizeof buf);
        out[r] = {{"link", std::string(buf, k > 0 ? k : 0)}};
      } else {
        std::ifstream in(full, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        out[r] = {{"content", ss.str()}};
      }
    }
    closedir(d);
    if (empty && !rel.empty()) out[rel + "/"] = {{"dir", true}};
  }

  TempDir dir_;
  std::unique_ptr<Connector> conn_;
};

const std::vector<Seed>& StartingFiles() {
  static const std::vector<Seed> kFiles = {
      {"a.txt", "old", ""},
      {"src/auth.py", "if admin or True:\n", ""},
      {"src/util/x.py", "x", ""},
      {"in", "", "src/auth.py"},
      {"abs_in", "", "{root}/a.txt"},
      {"srclink", "", "src"},
      {"src/up2", "", "../a.txt"},
      {"out", "", "/etc"},
      {"up", "", "../etc/passwd"},
      {"loop1", "", "loop2"},
      {"loop2", "", "./loop1"},
      {"dangling", "", "missing.txt"},
  };
  return kFiles;
}

class FsContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sim") {
      b_ = std::make_unique<SimFs>();
    } else {
      b_ = std::make_unique<LocalFsBackend>();
    }
    b_->Populate(StartingFiles());
    scopes_["root"] = {b_->root()};
    start_ = b_->Tree();
  }

  Result<ActionResponse> Do(const std::string& action, const Json& args) {
    return Call(b_->conn(), action, args, &scopes_);
  }
  Result<ActionResponse> Read(const std::string& path) {
    return Do("read", {{"path", path}});
  }
  Json Rec(const char* action, Json args) {
    args["_root"] = b_->root();
    return {{"action", action}, {"args", args}};
  }
  // An undo record without the simulator's world position (`_index`), which
  // the local connector has no use for.
  static Json NoIndex(Json undo) {
    if (undo.is_object() && undo["args"].is_object()) {
      undo["args"].erase("_index");
    }
    return undo;
  }

  std::unique_ptr<FsBackend> b_;
  ScopeMap scopes_;
  Json start_;
};

TEST_P(FsContract, ReadsFilesAndFollowsLinksInsideTheRoot) {
  EXPECT_EQ(Read("a.txt")->result, "old");
  EXPECT_EQ(Read("./src/../a.txt")->result, "old");
  EXPECT_EQ(Read("src//util/./x.py")->result, "x");
  EXPECT_TRUE(Read("a.txt")->undo.is_null());
  EXPECT_EQ(Read("in")->result, "if admin or True:\n");
  EXPECT_EQ(Read("abs_in")->result, "old");
  EXPECT_EQ(Read("srclink/auth.py")->result, "if admin or True:\n");
  EXPECT_EQ(Read("src/up2")->result, "old");
  EXPECT_EQ(Read("nope/../a.txt")->result, "old");
  scopes_["root"] = {b_->root() + "/"};
  EXPECT_EQ(Read("a.txt")->result, "old");
}

TEST_P(FsContract, ReadErrors) {
  EXPECT_CODE(Read("missing.txt"), Code::kNotFound);
  EXPECT_CODE(Read("dangling"), Code::kNotFound);
  EXPECT_CODE(Read("src"), Code::kFailedPrecondition);
  EXPECT_CODE(Read(""), Code::kFailedPrecondition);
  EXPECT_CODE(Read("."), Code::kFailedPrecondition);
  EXPECT_CODE(Read("a.txt/x"), Code::kFailedPrecondition);
  EXPECT_CODE(Read("loop1"), Code::kFailedPrecondition);
  EXPECT_CODE(Read(std::string(5000, 'a')), Code::kInvalidArgument);
  EXPECT_CODE(Do("read", {{"path", 3}}), Code::kInvalidArgument);
  EXPECT_CODE(Do("read", Json::object()), Code::kInvalidArgument);
  EXPECT_CODE(Do("read", {{"path", "a.txt"}, {"extra", 1}}),
              Code::kInvalidArgument);
  EXPECT_CODE(Do("chmod", {{"path", "a.txt"}}), Code::kInvalidArgument);
}

TEST_P(FsContract, NothingOutsideTheRootIsReachable) {
  for (const char* p : {"../etc/passwd", "/etc/passwd", "src/../../etc/passwd",
                        "out/passwd", "up", "srclink/../../x"}) {
    EXPECT_CODE(Read(p), Code::kPermissionDenied) << p;
    EXPECT_CODE(Do("write", {{"path", p}, {"content", "owned"}}),
                Code::kPermissionDenied)
        << p;
  }
  EXPECT_CODE(Do("create", {{"path", "../x"}, {"content", "c"}}),
              Code::kPermissionDenied);
  EXPECT_CODE(Do("move", {{"from", "a.txt"}, {"to", "../a.txt"}}),
              Code::kPermissionDenied);
  EXPECT_CODE(Do("list", {{"dir", "out"}}), Code::kPermissionDenied);
  // Without a root nothing is reachable.
  EXPECT_CODE(Call(b_->conn(), "read", {{"path", "a.txt"}}, nullptr),
              Code::kPermissionDenied);
  ScopeMap none;
  EXPECT_CODE(Call(b_->conn(), "read", {{"path", "a.txt"}}, &none),
              Code::kPermissionDenied);
  EXPECT_EQ(b_->Tree(), start_);
}

TEST_P(FsContract, Lists) {
  ASSERT_OK_AND_ASSIGN(ActionResponse r, Do("list", {{"dir", ""}}));
  std::vector<std::string> names;
  for (const Json& e : r.result) names.push_back(e["path"]);
  EXPECT_EQ(names, (std::vector<std::string>{"a.txt", "abs_in", "dangling",
                                             "in", "loop1", "loop2", "out",
                                             "src", "srclink", "up"}));
  EXPECT_EQ(r.result[0], J(R"({"path": "a.txt", "kind": "file", "size": 3})"));
  EXPECT_EQ(r.result[7], J(R"({"path": "src", "kind": "dir", "size": 0})"));
  EXPECT_EQ(r.result[3]["kind"], "file");  // a link lists as a file
  ASSERT_OK_AND_ASSIGN(ActionResponse s, Do("list", {{"dir", "src"}}));
  EXPECT_EQ(s.result, J(R"([
      {"path": "src/auth.py", "kind": "file", "size": 18},
      {"path": "src/up2", "kind": "file", "size": 0},
      {"path": "src/util", "kind": "dir", "size": 0}])"));
  ASSERT_OK_AND_ASSIGN(ActionResponse l, Do("list", {{"dir", "srclink/util"}}));
  EXPECT_EQ(l.result,
            J(R"([{"path": "src/util/x.py", "kind": "file", "size": 1}])"));
  EXPECT_CODE(Do("list", {{"dir", "nope"}}), Code::kNotFound);
  EXPECT_CODE(Do("list", {{"dir", "a.txt"}}), Code::kFailedPrecondition);
}

TEST_P(FsContract, WriteReplacesContentAndUndoPutsItBack) {
  ASSERT_OK_AND_ASSIGN(ActionResponse w,
                       Do("write", {{"path", "a.txt"}, {"content", "new"}}));
  EXPECT_TRUE(w.result.is_null());
  EXPECT_EQ(w.undo, Rec("restore", {{"path", "a.txt"}, {"_content", "old"}}));
  EXPECT_EQ(Read("a.txt")->result, "new");
  ASSERT_OK_AND_ASSIGN(ActionResponse u, Undo(b_->conn(), w.undo));
  EXPECT_EQ(b_->Tree(), start_);
  // The undo of the undo: remove with what the file held.
  EXPECT_EQ(u.undo, Rec("remove", {{"path", "a.txt"}, {"_content", "new"}}));
  ASSERT_OK(Undo(b_->conn(), u.undo));
  EXPECT_EQ(Read("a.txt")->result, "new");
}

TEST_P(FsContract, WriteEdgeCases) {
  // The same content changes nothing and needs no undo.
  ASSERT_OK_AND_ASSIGN(ActionResponse same,
                       Do("write", {{"path", "a.txt"}, {"content", "old"}}));
  EXPECT_TRUE(same.undo.is_null());
  // Through a link: the target changes; the undo names the target.
  ASSERT_OK_AND_ASSIGN(ActionResponse via,
                       Do("write", {{"path", "abs_in"}, {"content", "v"}}));
  EXPECT_EQ(via.undo, Rec("restore", {{"path", "a.txt"}, {"_content", "old"}}));
  EXPECT_EQ(b_->Tree()["abs_in"], start_["abs_in"]);
  ASSERT_OK(Undo(b_->conn(), via.undo));
  EXPECT_CODE(Do("write", {{"path", "missing"}, {"content", "x"}}),
              Code::kNotFound);
  EXPECT_CODE(Do("write", {{"path", "src"}, {"content", "x"}}),
              Code::kFailedPrecondition);
  EXPECT_EQ(b_->Tree(), start_);
}

TEST_P(FsContract, CreateMakesANewFileAndUndoRemovesIt) {
  ASSERT_OK_AND_ASSIGN(
      ActionResponse c,
      Do("create", {{"path", "new/deep/x.txt"}, {"content", "hi"}}));
  EXPECT_EQ(c.undo, Rec("remove", {{"path", "new/deep/x.txt"}}));
  EXPECT_EQ(Read("new/deep/x.txt")->result, "hi");
  ASSERT_OK_AND_ASSIGN(ActionResponse u, Undo(b_->conn(), c.undo));
  EXPECT_EQ(b_->Tree(), start_) << "created directories go with the file";
  EXPECT_EQ(NoIndex(u.undo),
            Rec("restore", {{"path", "new/deep/x.txt"}, {"_content", "hi"}}));
  for (const char* p : {"a.txt", "src", "in", "dangling"}) {
    EXPECT_CODE(Do("create", {{"path", p}, {"content", "x"}}),
                Code::kAlreadyExists)
        << p;
  }
  // Through a link to a directory inside the root.
  ASSERT_OK_AND_ASSIGN(ActionResponse l, Do("create", {{"path", "srclink/n.py"},
                                                       {"content", ""}}));
  EXPECT_EQ(l.undo, Rec("remove", {{"path", "src/n.py"}}));
  ASSERT_OK(Undo(b_->conn(), l.undo));
  EXPECT_EQ(b_->Tree(), start_);
}

TEST_P(FsContract, MoveRenamesAndUndoMovesBack) {
  ASSERT_OK_AND_ASSIGN(ActionResponse m,
                       Do("move", {{"from", "a.txt"}, {"to", "b/c.txt"}}));
  EXPECT_EQ(m.undo, Rec("move", {{"from", "b/c.txt"}, {"to", "a.txt"}}));
  EXPECT_EQ(Read("b/c.txt")->result, "old");
  EXPECT_CODE(Read("a.txt"), Code::kNotFound);
  ASSERT_OK(Undo(b_->conn(), m.undo));
  EXPECT_EQ(b_->Tree(), start_);
  // A link moves as a link.
  ASSERT_OK_AND_ASSIGN(ActionResponse l,
                       Do("move", {{"from", "in"}, {"to", "src/in2"}}));
  EXPECT_EQ(b_->Tree()["src/in2"], start_["in"]);
  ASSERT_OK(Undo(b_->conn(), l.undo));
  EXPECT_CODE(Do("move", {{"from", "a.txt"}, {"to", "src/auth.py"}}),
              Code::kAlreadyExists);
  EXPECT_CODE(Do("move", {{"from", "a.txt"}, {"to", "src"}}),
              Code::kAlreadyExists);
  EXPECT_CODE(Do("move", {{"from", "src"}, {"to", "src2"}}),
              Code::kFailedPrecondition);
  EXPECT_CODE(Do("move", {{"from", "nope"}, {"to", "x"}}), Code::kNotFound);
  EXPECT_CODE(Do("move", {{"from", ""}, {"to", "x"}}),
              Code::kFailedPrecondition);
  EXPECT_EQ(b_->Tree(), start_);
}

TEST_P(FsContract, DeleteKeepsTheContentForUndo) {
  ASSERT_OK_AND_ASSIGN(ActionResponse d,
                       Do("delete", {{"path", "src/util/x.py"}}));
  EXPECT_EQ(NoIndex(d.undo),
            Rec("restore", {{"path", "src/util/x.py"}, {"_content", "x"}}));
  EXPECT_CODE(Do("list", {{"dir", "src/util"}}), Code::kNotFound);
  ASSERT_OK_AND_ASSIGN(ActionResponse u, Undo(b_->conn(), d.undo));
  EXPECT_EQ(b_->Tree(), start_);
  EXPECT_EQ(u.undo, Rec("remove", {{"path", "src/util/x.py"}}));
  // A link is deleted as a link and comes back as one.
  ASSERT_OK_AND_ASSIGN(ActionResponse l, Do("delete", {{"path", "out"}}));
  EXPECT_EQ(
      NoIndex(l.undo),
      Rec("restore", {{"path", "out"}, {"_content", ""}, {"_link", "/etc"}}));
  ASSERT_OK(Undo(b_->conn(), l.undo));
  EXPECT_EQ(b_->Tree(), start_);
  EXPECT_CODE(Do("delete", {{"path", "src"}}), Code::kFailedPrecondition);
  EXPECT_CODE(Do("delete", {{"path", "gone"}}), Code::kNotFound);
  EXPECT_CODE(Do("delete", {{"path", ""}}), Code::kFailedPrecondition);
}

TEST_P(FsContract, RestoreAndRemoveNeedTheirUndoRecords) {
  // Private arguments only come from undo records.
  EXPECT_CODE(Do("restore", {{"path", "a.txt"}, {"_content", "x"}}),
              Code::kInvalidArgument);
  EXPECT_CODE(Do("restore", {{"path", "a.txt"}}), Code::kInvalidArgument);
  EXPECT_CODE(Undo(b_->conn(), Rec("restore", {{"path", "a.txt"}})),
              Code::kInvalidArgument);
  // remove without _content removes (the undo of create).
  ASSERT_OK_AND_ASSIGN(ActionResponse r, Do("remove", {{"path", "a.txt"}}));
  EXPECT_EQ(NoIndex(r.undo),
            Rec("restore", {{"path", "a.txt"}, {"_content", "old"}}));
  ASSERT_OK(Undo(b_->conn(), r.undo));
  // restore over an existing file replaces it; the same content is a no-op.
  ASSERT_OK_AND_ASSIGN(ActionResponse same,
                       Undo(b_->conn(), Rec("restore", {{"path", "a.txt"},
                                                        {"_content", "old"}})));
  EXPECT_TRUE(same.undo.is_null());
  EXPECT_EQ(b_->Tree(), start_);
}

TEST_P(FsContract, CompensationResolvesUnderItsOwnRoot) {
  ASSERT_OK_AND_ASSIGN(ActionResponse w,
                       Do("write", {{"path", "a.txt"}, {"content", "new"}}));
  Json escape = w.undo;
  escape["args"]["path"] = "../../etc/passwd";
  EXPECT_CODE(Undo(b_->conn(), escape), Code::kPermissionDenied);
  Json relative = w.undo;
  relative["args"]["_root"] = "relative/root";
  EXPECT_CODE(Undo(b_->conn(), relative), Code::kInvalidArgument);
  ASSERT_OK(Undo(b_->conn(), w.undo));
  EXPECT_EQ(b_->Tree(), start_);
}

TEST_P(FsContract, ScopeKeyIsTheResolvedPath) {
  Connector& c = b_->conn();
  EXPECT_EQ(*c.ScopeKey("read", "path", "src/../a.txt", scopes_),
            b_->root() + "/a.txt");
  EXPECT_EQ(*c.ScopeKey("read", "path", "in", scopes_),
            b_->root() + "/src/auth.py");
  EXPECT_EQ(*c.ScopeKey("delete", "path", "in", scopes_), b_->root() + "/in");
  EXPECT_EQ(*c.ScopeKey("move", "to", "srclink/n", scopes_),
            b_->root() + "/src/n");
  EXPECT_CODE(c.ScopeKey("read", "path", "out/passwd", scopes_),
              Code::kPermissionDenied);
  EXPECT_CODE(c.ScopeKey("read", "path", "../x", scopes_),
              Code::kPermissionDenied);
  EXPECT_CODE(c.ScopeKey("read", "path", "loop1", scopes_),
              Code::kFailedPrecondition);
  EXPECT_CODE(c.ScopeKey("read", "path", 7, scopes_), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Sim, FsContract, ::testing::Values("sim"));
INSTANTIATE_TEST_SUITE_P(Local, FsContract, ::testing::Values("local"));

// ---- only on real directories ---------------------------------------------

class LocalFsOnly : public ::testing::Test {
 protected:
  LocalFsOnly() : root_(dir_.path() + "/root") {
    mkdir(root_.c_str(), 0755);
    scopes_["root"] = {root_};
  }
  void Put(const std::string& full, const std::string& content,
           mode_t mode = 0644) {
    int fd = open(full.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    ASSERT_GE(fd, 0) << full;
    ASSERT_EQ(write(fd, content.data(), content.size()),
              static_cast<ssize_t>(content.size()));
    fchmod(fd, mode);
    close(fd);
  }
  static std::string Get(const std::string& full) {
    std::ifstream in(full, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  Result<ActionResponse> Do(Connector& c, const std::string& action,
                            const Json& args) {
    return Call(c, action, args, &scopes_);
  }
  std::vector<std::string> Names(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = opendir(dir.c_str());
    while (struct dirent* de = d ? readdir(d) : nullptr) {
      std::string n = de->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    if (d) closedir(d);
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir dir_;
  std::string root_;
  ScopeMap scopes_;
  std::unique_ptr<Connector> fs_ = fs::MakeLocalFsConnector();
};

TEST_F(LocalFsOnly, HardLinksToFilesOutsideTheRootAreRefused) {
  const std::string outside = dir_.path() + "/secret.txt";
  Put(outside, "top secret");
  ASSERT_EQ(link(outside.c_str(), (root_ + "/h").c_str()), 0);
  EXPECT_CODE(Do(*fs_, "read", {{"path", "h"}}), Code::kPermissionDenied);
  EXPECT_CODE(Do(*fs_, "write", {{"path", "h"}, {"content", "owned"}}),
              Code::kPermissionDenied);
  EXPECT_CODE(Do(*fs_, "delete", {{"path", "h"}}), Code::kPermissionDenied);
  EXPECT_EQ(Get(outside), "top secret");
}

TEST_F(LocalFsOnly, OnlyRegularTextFilesAreRead) {
  Put(root_ + "/bin", std::string("\xff\xfe\x00x", 4));
  EXPECT_CODE(Do(*fs_, "read", {{"path", "bin"}}), Code::kFailedPrecondition);
  // Its content cannot be kept for undo either, so it is not replaced.
  EXPECT_CODE(Do(*fs_, "write", {{"path", "bin"}, {"content", "t"}}),
              Code::kFailedPrecondition);
  EXPECT_EQ(Get(root_ + "/bin").size(), 4u);
  // A FIFO is never opened (a read would block).
  ASSERT_EQ(mkfifo((root_ + "/fifo").c_str(), 0644), 0);
  EXPECT_CODE(Do(*fs_, "read", {{"path", "fifo"}}), Code::kFailedPrecondition);
}

TEST_F(LocalFsOnly, WritesAreAtomicKeepTheModeAndLeaveNothingBehind) {
  Put(root_ + "/run.sh", "#!/bin/sh\n", 0755);
  ASSERT_OK_AND_ASSIGN(
      ActionResponse w,
      Do(*fs_, "write",
         {{"path", "run.sh"}, {"content", "#!/bin/sh\nexit\n"}}));
  struct stat st;
  ASSERT_EQ(stat((root_ + "/run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(Names(root_), std::vector<std::string>{"run.sh"})
      << "no temporary file is left";
  ASSERT_OK(Undo(*fs_, w.undo));
  ASSERT_EQ(stat((root_ + "/run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(Get(root_ + "/run.sh"), "#!/bin/sh\n");
  // A deleted file comes back with its mode.
  ASSERT_OK_AND_ASSIGN(ActionResponse d,
                       Do(*fs_, "delete", {{"path", "run.sh"}}));
  ASSERT_OK(Undo(*fs_, d.undo));
  ASSERT_EQ(stat((root_ + "/run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST_F(LocalFsOnly, SizesAreBounded) {
  fs::LocalFsOptions o;
  o.max_file_bytes = 10;
  o.max_list_entries = 2;
  auto small = fs::MakeLocalFsConnector(o);
  Put(root_ + "/big", std::string(11, 'x'));
  Put(root_ + "/ok", "fine");
  EXPECT_CODE(Do(*small, "read", {{"path", "big"}}), Code::kResourceExhausted);
  EXPECT_CODE(
      Do(*small, "write", {{"path", "ok"}, {"content", std::string(11, 'y')}}),
      Code::kResourceExhausted);
  EXPECT_EQ(Get(root_ + "/ok"), "fine");
  EXPECT_OK(Do(*small, "list", {{"dir", ""}}));
  Put(root_ + "/third", "3");
  EXPECT_CODE(Do(*small, "list", {{"dir", ""}}), Code::kResourceExhausted);
}

TEST_F(LocalFsOnly, ARootReachedThroughALinkStillConfines) {
  // The deployment names the root through a link; absolute links inside may
  // use either form, and nothing outside is reachable.
  const std::string alias = dir_.path() + "/alias";
  ASSERT_EQ(symlink(root_.c_str(), alias.c_str()), 0);
  Put(root_ + "/a.txt", "a");
  ASSERT_EQ(symlink((root_ + "/a.txt").c_str(), (root_ + "/real").c_str()), 0);
  ASSERT_EQ(symlink((alias + "/a.txt").c_str(), (root_ + "/lexical").c_str()),
            0);
  ASSERT_EQ(symlink((dir_.path() + "/x").c_str(), (root_ + "/out").c_str()), 0);
  scopes_["root"] = {alias};
  EXPECT_EQ(Do(*fs_, "read", {{"path", "real"}})->result, "a");
  EXPECT_EQ(Do(*fs_, "read", {{"path", "lexical"}})->result, "a");
  EXPECT_CODE(Do(*fs_, "read", {{"path", "out"}}), Code::kPermissionDenied);
  scopes_["root"] = {dir_.path() + "/missing"};
  EXPECT_CODE(Do(*fs_, "read", {{"path", "a.txt"}}), Code::kNotFound);
}

}  // namespace
}  // namespace wfs::connectors::contract
