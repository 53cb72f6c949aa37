// The starter catalog's `test` blocks against the simulators: every `given`
// loads into a world, and the steps of several tests, replayed by hand as
// the runtime would run them, leave the world the `expect` lines describe.
#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/strings.h"
#include "tests/connectors/sim_test_util.h"

namespace wfs::connectors::sim {
namespace {

using testing::Harness;
using testing::J;
using testing::Schema;

// workflow name -> test name -> world document built from its `given`s.
using Givens = std::map<std::string, std::map<std::string, Json>>;

const Givens& CatalogGivens() {
  static const Givens kGivens = [] {
    Givens out;
    const char* dir = std::getenv("WFS_SOURCE_DIR");
    std::string root =
        std::string(dir != nullptr ? dir : WFS_SIM_SOURCE_DIR) + "/catalog";
    std::vector<lang::SourceText> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
      std::string p = e.path().string();
      if (!EndsWith(p, ".wf")) continue;
      files.push_back({p, ReadFile(p).value()});
    }
    auto compiler = lang::Compiler::Create(lang::CompilerOptions{});
    for (const lang::CompiledFile& f : compiler->Check(files)) {
      if (!f.ok) continue;
      Json ir = f.ir();
      for (const Json& t : ir["tests"]) {
        Json doc = Json::object();
        for (const Json& g : t["given"]) {
          if (!g.contains("value")) continue;  // `any`: generated
          doc[g["connector"].get<std::string>()][g["key"].get<std::string>()] =
              g["value"];
        }
        out[f.name][t["name"].get<std::string>()] = doc;
      }
    }
    return out;
  }();
  return kGivens;
}

Json Given(const std::string& workflow, const std::string& test) {
  const Givens& g = CatalogGivens();
  auto w = g.find(workflow);
  EXPECT_NE(w, g.end()) << workflow;
  if (w == g.end()) return Json::object();
  auto t = w->second.find(test);
  EXPECT_NE(t, w->second.end()) << workflow << ": " << test;
  return t == w->second.end() ? Json::object() : t->second;
}

std::vector<std::string> IdsIn(const Json& messages, const std::string& box) {
  std::vector<std::string> out;
  for (const Json& m : messages) {
    if (m["mailbox"] == box) out.push_back(m["id"].get<std::string>());
  }
  return out;
}

TEST(SimCatalogTest, EveryGivenLoads) {
  const Givens& g = CatalogGivens();
  ASSERT_GE(g.size(), 10u);
  size_t tests = 0;
  for (const auto& [workflow, by_test] : g) {
    for (const auto& [test, doc] : by_test) {
      ++tests;
      World w = World::FromJson(Json::object(), Schema()).value();
      for (auto c = doc.begin(); c != doc.end(); ++c) {
        for (auto k = c.value().begin(); k != c.value().end(); ++k) {
          Status s = w.Set(c.key(), k.key(), k.value());
          EXPECT_TRUE(s.ok()) << workflow << ": " << test << ": " << s.ToString();
        }
      }
    }
  }
  EXPECT_GE(tests, 25u);
}

TEST(SimCatalogTest, DeleteMessage) {
  Harness h(Given("mail.delete_message", "deletes only the requested message"));
  h.scopes()["mailbox"] = {"INBOX"};
  EXPECT_EQ(h.sim("mail").ScopeKey("get", "id", "b", h.scopes()).value(),
            "INBOX");
  ASSERT_TRUE(h.Call("mail", "get", R"({"id": "b"})").ok());
  ASSERT_TRUE(h.Call("mail", "delete", R"({"id": "b"})").ok());
  Json m = h.Coll("mail", "messages");
  EXPECT_EQ(IdsIn(m, "INBOX"), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(IdsIn(m, "Trash"), (std::vector<std::string>{"b"}));

  Harness outside(Given("mail.delete_message",
                        "a message outside the given mailbox is refused"));
  EXPECT_EQ(outside.sim("mail").ScopeKey("get", "id", "z", {}).value(),
            "Archive");  // not INBOX: the runtime refuses
}

TEST(SimCatalogTest, ArchiveFromSenderFailureHalfWay) {
  Harness h(Given("mail.archive_from_sender",
                  "a failure half-way puts every moved message back"));
  h.scopes()["mailbox"] = {"INBOX", "Archive"};
  auto found = h.Call("mail", "find", R"({"mailbox": "INBOX", "query": "news"})");
  ASSERT_EQ(found->result.size(), 3u);
  std::vector<Json> undo;
  for (int i = 0; i < 2; ++i) {  // fault mail.move after 2
    auto r = h.Call("mail", "move",
                    Json{{"id", found->result[i]["id"]}, {"to", "Archive"}});
    ASSERT_TRUE(r.ok());
    undo.push_back(r->undo);
  }
  for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
    ASSERT_TRUE(h.Undo("mail", *it).ok());
  }
  EXPECT_EQ(IdsIn(h.Coll("mail", "messages"), "INBOX"),
            (std::vector<std::string>{"1", "2", "3"}));
}

TEST(SimCatalogTest, ReplyFailedSendUndoesTheFlag) {
  Harness h(Given("mail.reply", "a failed send undoes the flag"));
  auto flag = h.Call("mail", "flag", R"({"id": "m1", "flag": "\\Answered"})");
  ASSERT_TRUE(flag.ok());
  // fault mail.send: the runtime compensates.
  ASSERT_TRUE(h.Undo("mail", flag->undo).ok());
  EXPECT_EQ(h.Coll("mail", "messages")[0]["flags"], Json::array());
  EXPECT_EQ(h.Coll("mail", "sent"), Json::array());
}

TEST(SimCatalogTest, BookMeeting) {
  Harness h(Given("calendar.book_meeting", "books with the only matching contact"));
  auto found = h.Call("contacts", "find", R"({"name": "Dana"})");
  ASSERT_EQ(found->result.size(), 1u);
  auto ev = h.Call("calendar", "create",
                   Json{{"calendar", "work"},
                        {"title", "Sync"},
                        {"start", "2026-12-01T10:00:00Z"},
                        {"end", "2026-12-01T10:30:00Z"},
                        {"attendees", {found->result[0]["email"]}}});
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(h.Coll("calendar", "events")[0]["title"], "Sync");
}

TEST(SimCatalogTest, ApplyFixEscapeIsRefusedAndUndone) {
  Harness h(Given("code.apply_fix",
                  "a path that escapes the repository is refused and nothing "
                  "changes"));
  h.scopes()["root"] = {"/repo"};
  h.scopes()["repo"] = {"/repo"};
  std::vector<std::pair<std::string, Json>> undo;
  auto cp = h.Call("git", "checkpoint", R"({"repo": "/repo"})");
  ASSERT_TRUE(cp.ok());
  undo.push_back({"git", cp->undo});
  auto text = h.Call("fs", "read", R"({"path": "a.txt"})");
  auto w = h.Call("fs", "write", R"({"path": "a.txt", "content": "new"})");
  ASSERT_TRUE(w.ok());
  undo.push_back({"fs", w->undo});
  EXPECT_CODE(h.sim("fs").ScopeKey("read", "path", "../etc/passwd", h.scopes()),
              Code::kPermissionDenied);
  EXPECT_CODE(h.Call("fs", "read", R"({"path": "../etc/passwd"})"),
              Code::kPermissionDenied);
  for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
    ASSERT_TRUE(h.Undo(it->first, it->second).ok());
  }
  Json files = h.Coll("fs", "files");
  EXPECT_EQ(files[0], J(R"({"path": "/repo/a.txt", "content": "old", "link": null})"));
  EXPECT_EQ(files[1]["content"], "root:x:0:0");
  EXPECT_EQ(h.Coll("git", "repos")[0]["checkpoints"], Json::array());
}

TEST(SimCatalogTest, PayPayee) {
  Harness h(Given("payments.pay_payee", "pays the saved payee after confirmation"));
  auto payees = h.Call("payments", "payees", R"({"name": "City Power"})");
  ASSERT_EQ(payees->result.size(), 1u);
  auto id = h.Call("payments", "pay",
                   Json{{"from", "checking"},
                        {"to", payees->result[0]["iban"]},
                        {"amount", "42.50"},
                        {"memo", "Invoice 118"}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(h.Coll("payments", "payments")[0]["to"], "DE02100100109307118603");
  EXPECT_EQ(h.Coll("payments", "payments")[0]["amount"], "42.50");
  Harness unknown(Given("payments.pay_payee", "an unknown payee is never paid"));
  EXPECT_EQ(unknown.Call("payments", "payees", R"({"name": "Attacker Ltd"})")
                ->result,
            Json::array());
}

TEST(SimCatalogTest, TrackerComment) {
  Harness h(Given("tracker.comment_on_issue", "comments on the confirmed issue"));
  ASSERT_TRUE(h.Call("tracker", "get_issue", R"({"repo": "acme/app", "number": 3})")
                  .ok());
  auto c = h.Call("tracker", "comment",
                  R"({"repo": "acme/app", "number": 3, "body": "Fixed in #4."})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(h.Coll("tracker", "comments")[0]["body"], "Fixed in #4.");
  EXPECT_EQ(h.Coll("tracker", "comments")[0]["number"], 3);
}

}  // namespace
}  // namespace wfs::connectors::sim
