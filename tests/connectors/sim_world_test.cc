// World: schema from the interfaces, normalization and its error messages,
// Set, ToJson/FromJson round trips (private state included), concurrent use.
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/random.h"
#include "base/strings.h"
#include "connectors/sim/file_world.h"
#include "tests/connectors/sim_test_util.h"

namespace wfs::connectors::sim {
namespace {

using testing::Harness;
using testing::J;
using testing::Schema;

TEST(SimSchemaTest, HasEveryStarterCollection) {
  const WorldSchema& s = Schema();
  std::map<std::string, std::set<std::string>> want = {
      {"calendar", {"events"}},
      {"contacts", {"contacts"}},
      {"fs", {"files"}},
      {"git", {"repos"}},
      {"http", {"pages", "requests"}},
      {"mail", {"messages", "sent"}},
      {"payments", {"payees", "accounts", "payments"}},
      {"tracker", {"issues", "comments"}},
  };
  for (const auto& [connector, collections] : want) {
    ASSERT_EQ(s.count(connector), 1u) << connector;
    std::set<std::string> got;
    for (const auto& [name, type] : s.at(connector)) got.insert(name);
    EXPECT_EQ(got, collections) << connector;
  }
  EXPECT_EQ(s.at("mail").at("messages")["list"]["nominal"], "mail.Message");
  // Every simulated connector has an interface.
  for (const std::string& name : SimulatedConnectors()) {
    EXPECT_EQ(s.count(name), 1u) << name;
  }
}

TEST(SimWorldTest, FillsDefaults) {
  World w = World::FromJson(J(R"({
      "mail": {"messages": [{"id": "a"}]},
      "tracker": {"issues": [{"repo": "o/r", "issue": {"number": 3}}]},
      "payments": {"accounts": [{"id": "x"}]},
      "calendar": {"events": [{"id": "e"}]},
      "fs": {"files": [{"path": "/r/a"}]}})"),
                            Schema())
                .value();
  Json doc = w.ToJson();
  EXPECT_EQ(doc["mail"]["messages"][0],
            J(R"({"id": "a", "mailbox": "", "from": "", "to": [], "subject": "",
                 "body": "", "date": "", "flags": []})"));
  EXPECT_EQ(doc["tracker"]["issues"][0]["issue"],
            J(R"({"number": 3, "title": "", "body": "", "author": "",
                 "labels": [], "state": "open"})"));
  EXPECT_EQ(doc["payments"]["accounts"][0]["balance"], "0");
  EXPECT_EQ(doc["calendar"]["events"][0]["start"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(doc["fs"]["files"][0]["link"], nullptr);
  // Collections left out exist, empty.
  EXPECT_EQ(doc["mail"]["sent"], Json::array());
  EXPECT_EQ(doc["http"]["pages"], Json::array());
}

TEST(SimWorldTest, DefaultValues) {
  EXPECT_EQ(DefaultValue("string"), "");
  EXPECT_EQ(DefaultValue("int"), 0);
  EXPECT_EQ(DefaultValue("duration"), 0);
  EXPECT_EQ(DefaultValue("decimal"), "0");
  EXPECT_EQ(DefaultValue("bool"), false);
  EXPECT_EQ(DefaultValue("time"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(DefaultValue(J(R"({"list": "int"})")), Json::array());
  EXPECT_EQ(DefaultValue(J(R"({"optional": "int"})")), nullptr);
  EXPECT_EQ(DefaultValue(J(R"({"enum": ["b", "a"]})")), "b");
  EXPECT_EQ(DefaultValue(J(R"({"nominal": "x.Id", "base": "string"})")), "");
  EXPECT_EQ(DefaultValue(J(R"({"record": [{"name": "n", "type": "int"}]})")),
            J(R"({"n": 0})"));
}

// The exact message of loading `doc`.
std::string LoadError(const char* doc) {
  Result<World> w = World::FromJson(J(doc), Schema());
  if (w.ok()) return "ok";
  EXPECT_EQ(w.status().code(), Code::kInvalidArgument);
  return w.status().message();
}

TEST(SimWorldTest, ErrorsNameTheExactPath) {
  EXPECT_EQ(LoadError(R"({"mail": {"messages": [{"id": "a"},
                                                 {"id": "b", "subject": 3}]}})"),
            "mail.messages[1].subject: expected string, got an integer");
  EXPECT_EQ(LoadError(R"({"mail": {"messages": [{"id": "a", "colour": "red"}]}})"),
            "mail.messages[0].colour: unknown field (known: body, date, flags, "
            "from, id, mailbox, subject, to)");
  EXPECT_EQ(LoadError(R"({"mail": {"messages": [{"from": 7}]}})"),
            "mail.messages[0].from: expected mail.Email, got an integer");
  EXPECT_EQ(LoadError(R"({"mail": {"messages": {"id": "a"}}})"),
            "mail.messages: expected list<mail.Message>, got a record");
  EXPECT_EQ(LoadError(R"({"mail": {"messages": ["a"]}})"),
            "mail.messages[0]: expected mail.Message, got a string");
  EXPECT_EQ(LoadError(R"({"mail": {"messages": [{"flags": ["x", null]}]}})"),
            "mail.messages[0].flags[1]: expected string, got null");
  EXPECT_EQ(
      LoadError(R"({"tracker": {"issues": [{"issue": {"state": "merged"}}]}})"),
      "tracker.issues[0].issue.state: `merged` is not one of enum{open, "
      "closed}");
  EXPECT_EQ(
      LoadError(R"({"tracker": {"issues": [{"issue": {"number": 1.5}}]}})"),
      "tracker.issues[0].issue.number: expected int, got a fractional number");
  EXPECT_EQ(
      LoadError(
          R"({"tracker": {"issues": [{"issue": {"number": 18446744073709551615}}]}})"),
      "tracker.issues[0].issue.number: integer out of range");
  EXPECT_EQ(LoadError(R"({"payments": {"accounts": [{"balance": 10}]}})"),
            "payments.accounts[0].balance: expected decimal (as a string, "
            "e.g. \"42.50\"), got an integer");
  EXPECT_EQ(LoadError(R"({"payments": {"accounts": [{"balance": "1,5"}]}})"),
            "payments.accounts[0].balance: not a decimal number: `1,5`");
  EXPECT_EQ(
      LoadError(R"({"payments": {"accounts": [{"balance": "1.1234567"}]}})"),
      "payments.accounts[0].balance: decimal has more than 6 fractional "
      "digits: `1.1234567`");
  EXPECT_EQ(
      LoadError(R"({"calendar": {"events": [{"start": "2026-02-30T10:00:00Z"}]}})"),
      "calendar.events[0].start: not an RFC 3339 time: "
      "`2026-02-30T10:00:00Z` (expected e.g. 2026-12-01T10:00:00Z)");
  EXPECT_EQ(LoadError(R"({"fs": {"files": [{"link": 3}]}})"),
            "fs.files[0].link: expected fs.Path?, got an integer");
  EXPECT_EQ(LoadError(R"({"mail": {"inbox": []}})"),
            "mail.inbox: unknown world collection (known: messages, sent)");
  EXPECT_EQ(LoadError(R"({"email": {}})"),
            "email: unknown connector (known: calendar, contacts, fs, git, "
            "http, mail, payments, tracker)");
  EXPECT_EQ(LoadError(R"({"mail": []})"),
            "mail: expected an object of collections, got a list");
  EXPECT_EQ(LoadError(R"({"_mail": []})"),
            "_mail: private simulator state must be an object, got a list");
  EXPECT_EQ(LoadError(R"([])"),
            "a world is an object of connectors, got a list");
}

TEST(SimWorldTest, NormalizeValueDirectly) {
  Json type = J(R"({"record": [{"name": "a", "type": {"optional": "time"}},
                               {"name": "b", "type": {"list": "duration"}}]})");
  EXPECT_EQ(NormalizeValue(J(R"({"b": [1, 2]})"), type, "x").value(),
            J(R"({"a": null, "b": [1, 2]})"));
  EXPECT_EQ(NormalizeValue(J(R"({"a": "2026-12-01T11:00:00+01:00"})"), type, "x")
                .value()["a"],
            "2026-12-01T11:00:00+01:00");
  Result<Json> bad = NormalizeValue(J(R"({"b": [1, "2"]})"), type, "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "x.b[1]: expected duration, got a string");
  Result<Json> unsupported = NormalizeValue(J("1"), J(R"("void")"), "v");
  EXPECT_FALSE(unsupported.ok());
  EXPECT_EQ(NormalizeValue(J(R"({"deep": [1]})"), J(R"("json")"), "j").value(),
            J(R"({"deep": [1]})"));
}

TEST(SimWorldTest, KeepsPrivateFields) {
  World w = World::FromJson(J(R"({
      "mail": {"messages": [{"id": "a", "_seen_by": ["sim"]}], "_cursor": 3},
      "_mail": {"effects": {}}})"),
                            Schema())
                .value();
  Json doc = w.ToJson();
  EXPECT_EQ(doc["mail"]["messages"][0]["_seen_by"], J(R"(["sim"])"));
  EXPECT_EQ(doc["mail"]["_cursor"], 3);
  EXPECT_EQ(doc["_mail"], J(R"({"effects": {}})"));
}

TEST(SimWorldTest, SetNormalizesAndRefuses) {
  World w = World::FromJson(Json::object(), Schema()).value();
  ASSERT_TRUE(w.Set("mail", "messages", J(R"([{"id": "a"}])")).ok());
  EXPECT_EQ(w.ToJson()["mail"]["messages"][0]["mailbox"], "");
  Status bad = w.Set("mail", "messages", J(R"([{"id": 1}])"));
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.message(), "mail.messages[0].id: expected mail.MessageId, got an integer");
  EXPECT_EQ(w.Set("mail", "nope", Json::array()).code(), Code::kInvalidArgument);
  EXPECT_EQ(w.Set("nope", "x", Json::array()).code(), Code::kInvalidArgument);
  // A refused Set leaves the collection as it was.
  EXPECT_EQ(w.ToJson()["mail"]["messages"][0]["id"], "a");
}

TEST(SimWorldTest, CollectionAndPrivateCreateOnDemand) {
  World w;
  std::lock_guard<std::mutex> lock(w.mu());
  EXPECT_EQ(w.Collection("x", "y"), Json::array());
  w.Private("x")["n"] = 1;
  EXPECT_EQ(w.Private("x")["n"], 1);
}

// A world after many kinds of effects: collections, git snapshots,
// counters and idempotency records all live in the document.
Harness Busy() {
  Harness h(R"({
      "mail": {"messages": [{"id": "a", "mailbox": "INBOX"}]},
      "fs": {"files": [{"path": "/repo/a.txt", "content": "one\n"}]},
      "git": {"repos": [{"path": "/repo", "head": "c0"}]},
      "payments": {"accounts": [{"id": "chk", "balance": "100"}]}})");
  h.scopes()["root"] = {"/repo"};
  EXPECT_TRUE(h.Call("mail", "delete", R"({"id": "a"})", "k1").ok());
  EXPECT_TRUE(h.Call("git", "checkpoint", R"({"repo": "/repo"})", "k2").ok());
  EXPECT_TRUE(h.Call("fs", "write", R"({"path": "a.txt", "content": "two\n"})",
                     "k3").ok());
  EXPECT_TRUE(h.Call("git", "commit", R"({"repo": "/repo", "message": "m"})",
                     "k4").ok());
  EXPECT_TRUE(h.Call("calendar", "create",
                     R"({"calendar": "w", "title": "t",
                         "start": "2026-01-01T10:00:00Z",
                         "end": "2026-01-01T11:00:00Z", "attendees": []})",
                     "k5").ok());
  EXPECT_TRUE(h.Call("payments", "pay",
                     R"({"from": "chk", "to": "DE1", "amount": "1.5",
                         "memo": ""})",
                     "k6").ok());
  return h;
}

TEST(SimWorldTest, RoundTripsWithPrivateState) {
  Harness h = Busy();
  Json doc = h.world().ToJson();
  ASSERT_TRUE(doc.contains("_git"));
  ASSERT_TRUE(doc.contains("_mail"));
  // Through text, as a world file would be.
  Json reloaded_doc = ParseJson(CanonicalJson(doc)).value();
  World back = World::FromJson(reloaded_doc, Schema()).value();
  EXPECT_EQ(back.ToJson(), doc);

  // Simulators over the reloaded world carry on: idempotency records are
  // there, fresh ids do not collide, git knows its commits.
  std::vector<std::unique_ptr<Connector>> sims = MakeSimulators(&back);
  ConnectorSet set;
  for (auto& s : sims) set.Add(s.get());
  auto found = set.Find("mail")->Lookup("k1").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->undo["action"], "restore");
  auto pay = set.Find("payments")->Lookup("k6").value();
  ASSERT_TRUE(pay.has_value());
  EXPECT_EQ(pay->result, "pay1");
  ActionRequest r;
  r.action = "create";
  r.args = J(R"({"calendar": "w", "title": "t2",
                 "start": "2026-01-01T10:00:00Z",
                 "end": "2026-01-01T11:00:00Z", "attendees": []})");
  EXPECT_EQ(set.Find("calendar")->Invoke(r).value().result["id"], "ev2");
  r.action = "log";
  r.args = J(R"({"repo": "/repo", "count": 5})");
  EXPECT_EQ(set.Find("git")->Invoke(r).value().result,
            J(R"([{"commit": "c1", "author": "wfstore", "message": "m"}])"));
  r.action = "status";
  r.args = J(R"({"repo": "/repo"})");
  EXPECT_EQ(set.Find("git")->Invoke(r).value().result, Json::array());
}

TEST(SimWorldTest, CopyAndMove) {
  Harness h = Busy();
  World copy(h.world());
  EXPECT_EQ(copy.ToJson(), h.world().ToJson());
  World assigned;
  assigned = copy;
  EXPECT_EQ(assigned.ToJson(), h.world().ToJson());
  World moved(std::move(assigned));
  EXPECT_EQ(moved.ToJson(), h.world().ToJson());
  EXPECT_EQ(moved.schema().size(), Schema().size());
  World target;
  target = std::move(moved);
  EXPECT_EQ(target.ToJson(), h.world().ToJson());
}

TEST(SimWorldTest, ConcurrentCallsSerialiseOnTheWorldLock) {
  Harness h(R"({"mail": {"messages": [{"id": "m", "mailbox": "INBOX"}]},
               "payments": {"accounts": [{"id": "chk", "balance": "1000"}]}})");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = "t" + std::to_string(t) + "/" + std::to_string(i);
        bool ok =
            h.Call("calendar", "create",
                   R"({"calendar": "w", "title": "t",
                       "start": "2026-01-01T10:00:00Z",
                       "end": "2026-01-01T11:00:00Z", "attendees": []})",
                   key)
                .ok() &&
            h.Call("payments", "pay",
                   R"({"from": "chk", "to": "DE1", "amount": "0.01",
                       "memo": ""})",
                   key)
                .ok() &&
            h.Call("mail", "flag",
                   Json{{"id", "m"}, {"flag", "f" + std::to_string(t)}})
                .ok() &&
            h.Call("mail", "find", R"({"mailbox": "INBOX", "query": ""})").ok();
        if (!ok) ++failures;
        Json snapshot = h.world().ToJson();  // readers lock too
        (void)snapshot;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  Json events = h.Coll("calendar", "events");
  ASSERT_EQ(events.size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<std::string> ids;
  for (const Json& e : events) ids.insert(e["id"].get<std::string>());
  EXPECT_EQ(ids.size(), events.size());
  // 200 payments of 0.01 from 1000: exact.
  EXPECT_EQ(h.Coll("payments", "accounts")[0]["balance"], "998");
  EXPECT_EQ(h.Coll("payments", "payments").size(),
            static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(h.Coll("mail", "messages")[0]["flags"].size(),
            static_cast<size_t>(kThreads));
}

// Simulators on a world file: a call that changes nothing leaves the file
// alone; a change is saved before the call returns; a write by anyone else
// is noticed.
TEST(SimFileWorldTest, SavesChangesOnlyAndNoticesOtherWriters) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("wfs-file-world-" + SecureRandomHex(4)))
                        .string();
  std::filesystem::create_directories(dir);
  std::string path = dir + "/world.json";
  constexpr char kWorld[] =
      R"({"payments": {"accounts": [{"id": "chk", "balance": "10.00"}]}})";
  ASSERT_TRUE(WriteFileAtomic(path, kWorld).ok());
  auto inode = [&] {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
  };
  auto f = FileBackedSimulators::Open(path, Schema(), {});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  Connector* pay = (*f)->set().Find("payments");
  ASSERT_NE(pay, nullptr);
  EXPECT_FALSE((*f)->ChangedOnDisk());
  auto before = inode();
  ScopeMap scopes;
  ActionRequest read;
  read.scopes = &scopes;
  read.action = "balance";
  read.args = J(R"({"account": "chk"})");
  ASSERT_TRUE(pay->Invoke(read).ok());
  EXPECT_EQ(inode(), before) << "a read rewrote the file";

  ActionRequest spend;
  spend.scopes = &scopes;
  spend.action = "pay";
  spend.args = J(R"({"from": "chk", "to": "DE1", "amount": "1.00",
                     "memo": ""})");
  spend.idempotency_key = "r/1/1";
  ASSERT_TRUE(pay->Invoke(spend).ok());
  EXPECT_NE(inode(), before);
  EXPECT_FALSE((*f)->ChangedOnDisk()) << "its own save is not a change";
  auto again = FileBackedSimulators::Open(path, Schema(), {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->world().ToJson()["payments"]["payments"].size(), 1u);
  // Another writer (here: the second instance) makes the first one stale.
  spend.idempotency_key = "r/1/2";
  ASSERT_TRUE((*again)->set().Find("payments")->Invoke(spend).ok());
  EXPECT_TRUE((*f)->ChangedOnDisk());
  std::filesystem::remove_all(dir);
}

// Instances on one world file stand for processes sharing it (a server and
// stdio sessions): every call sees the others' changes, none is lost.
TEST(SimFileWorldTest, InstancesSharingAFileLoseNoChange) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("wfs-file-world-" + SecureRandomHex(4)))
                        .string();
  std::filesystem::create_directories(dir);
  std::string path = dir + "/world.json";
  ASSERT_TRUE(
      WriteFileAtomic(
          path,
          R"({"payments": {"accounts": [{"id": "chk", "balance": "100.00"}]}})")
          .ok());
  constexpr int kInstances = 2, kThreads = 2, kPerThread = 25;
  std::vector<std::unique_ptr<FileBackedSimulators>> sims;
  for (int i = 0; i < kInstances; ++i) {
    auto f = FileBackedSimulators::Open(path, Schema(), {});
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    sims.push_back(std::move(*f));
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, i, t] {
        Connector* pay = sims[i]->set().Find("payments");
        ScopeMap scopes;
        for (int n = 0; n < kPerThread; ++n) {
          ActionRequest r;
          r.scopes = &scopes;
          r.action = "pay";
          r.args = J(R"({"from": "chk", "to": "DE1", "amount": "1.00",
                         "memo": ""})");
          r.idempotency_key = StrCat("r/", i, "-", t, "/", n);
          if (!pay->Invoke(r).ok()) ++failures;
        }
      });
    }
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto after = FileBackedSimulators::Open(path, Schema(), {});
  ASSERT_TRUE(after.ok());
  Json w = (*after)->world().ToJson();
  EXPECT_EQ(w["payments"]["payments"].size(),
            static_cast<size_t>(kInstances * kThreads * kPerThread));
  EXPECT_EQ(w["payments"]["accounts"][0]["balance"], "0");
  // A read through an instance that made no call since sees them too.
  ActionRequest read;
  ScopeMap scopes;
  read.scopes = &scopes;
  read.action = "balance";
  read.args = J(R"({"account": "chk"})");
  auto balance = sims[0]->set().Find("payments")->Invoke(read);
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->result, Json("0")) << "the balance as the file has it";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wfs::connectors::sim
