// mail and contacts simulators.
#include "tests/connectors/sim_test_util.h"

namespace wfs::connectors::sim {
namespace {

using testing::Harness;
using testing::J;

constexpr char kMailWorld[] = R"({"mail": {"messages": [
    {"id": "1", "mailbox": "INBOX", "from": "hr@example.com", "subject": "Salary"},
    {"id": "2", "mailbox": "INBOX", "from": "bob@example.com", "subject": "HR party"},
    {"id": "3", "mailbox": "Archive", "from": "hr@example.com", "subject": "Old"},
    {"id": "4", "mailbox": "INBOX", "from": "ann@example.com", "subject": "Lunch",
     "flags": ["\\Seen"]},
    {"id": "5", "mailbox": "Trash", "from": "x@example.com", "subject": "Junk"}]}})";

std::vector<std::string> Ids(const Json& list) {
  std::vector<std::string> out;
  for (const Json& m : list) out.push_back(m["id"].get<std::string>());
  return out;
}

TEST(SimMailTest, FindMatchesSenderOrSubjectCaseInsensitively) {
  Harness h(kMailWorld);
  auto r = h.Call("mail", "find", R"({"mailbox": "INBOX", "query": "hr"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ids(r->result), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(r->undo.is_null());
  r = h.Call("mail", "find", R"({"mailbox": "INBOX", "query": ""})");
  EXPECT_EQ(Ids(r->result), (std::vector<std::string>{"1", "2", "4"}));
  r = h.Call("mail", "find", R"({"mailbox": "Nowhere", "query": ""})");
  EXPECT_EQ(r->result, Json::array());
  // Whole records come back.
  r = h.Call("mail", "find", R"({"mailbox": "Archive", "query": "OLD"})");
  EXPECT_EQ(r->result[0]["from"], "hr@example.com");
  EXPECT_EQ(r->result[0]["flags"], Json::array());
}

TEST(SimMailTest, Get) {
  Harness h(kMailWorld);
  auto r = h.Call("mail", "get", R"({"id": "4"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result["subject"], "Lunch");
  EXPECT_ERROR(h.Call("mail", "get", R"({"id": "9"})"), Code::kNotFound,
               "no message with id `9`");
}

TEST(SimMailTest, MoveAndItsUndo) {
  Harness h(kMailWorld);
  auto r = h.RoundTrip("mail", "move", J(R"({"id": "1", "to": "Archive"})"));
  EXPECT_EQ(r.undo, J(R"({"action": "move", "args": {"id": "1", "to": "INBOX"}})"));
  EXPECT_TRUE(r.result.is_null());
  // Moving where it already is changes nothing: null undo.
  auto same = h.Call("mail", "move", R"({"id": "1", "to": "INBOX"})");
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->undo.is_null());
  EXPECT_ERROR(h.Call("mail", "move", R"({"id": "1", "to": ""})"),
               Code::kInvalidArgument, "`to`");
  EXPECT_CODE(h.Call("mail", "move", R"({"id": "nope", "to": "X"})"),
              Code::kNotFound);
}

TEST(SimMailTest, FlagUnflagAndUndo) {
  Harness h(kMailWorld);
  auto r = h.RoundTrip("mail", "flag", J(R"({"id": "1", "flag": "\\Answered"})"));
  EXPECT_EQ(r.undo, J(R"({"action": "unflag",
                          "args": {"id": "1", "flag": "\\Answered"}})"));
  r = h.RoundTrip("mail", "unflag", J(R"({"id": "4", "flag": "\\Seen"})"));
  EXPECT_EQ(r.undo,
            J(R"({"action": "flag", "args": {"id": "4", "flag": "\\Seen"}})"));
  // Nothing to do: null undo, nothing changes.
  Json before = h.Public();
  auto again = h.Call("mail", "flag", R"({"id": "4", "flag": "\\Seen"})");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->undo.is_null());
  auto none = h.Call("mail", "unflag", R"({"id": "1", "flag": "\\Seen"})");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->undo.is_null());
  EXPECT_EQ(h.Public(), before);
  EXPECT_CODE(h.Call("mail", "flag", R"({"id": "1", "flag": ""})"),
              Code::kInvalidArgument);
}

TEST(SimMailTest, DeleteMovesToTrashAndRestoreBringsBack) {
  Harness h(kMailWorld);
  auto r = h.RoundTrip("mail", "delete", J(R"({"id": "3"})"));
  EXPECT_EQ(r.undo, J(R"({"action": "restore",
                          "args": {"id": "3", "_mailbox": "Archive"}})"));
  ASSERT_TRUE(h.Call("mail", "delete", R"({"id": "2"})").ok());
  EXPECT_EQ(h.Coll("mail", "messages")[1]["mailbox"], "Trash");
  // Already in Trash: nothing to undo.
  auto again = h.Call("mail", "delete", R"({"id": "2"})");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->undo.is_null());
  // A workflow's restore (no private argument) goes back to INBOX.
  auto back = h.RoundTrip("mail", "restore", J(R"({"id": "5"})"));
  EXPECT_EQ(back.undo, J(R"({"action": "delete", "args": {"id": "5"}})"));
  ASSERT_TRUE(h.Call("mail", "restore", R"({"id": "5"})").ok());
  EXPECT_EQ(h.Coll("mail", "messages")[4]["mailbox"], "INBOX");
  EXPECT_ERROR(h.Call("mail", "restore", R"({"id": "1"})"),
               Code::kFailedPrecondition, "not in Trash");
}

TEST(SimMailTest, SendIsIrreversible) {
  Harness h(kMailWorld);
  auto r = h.Call("mail", "send",
                  R"({"to": ["dana@example.com"], "subject": "Fwd: x",
                      "body": "Q3"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->undo.is_null());
  EXPECT_TRUE(r->result.is_null());
  EXPECT_EQ(h.Coll("mail", "sent"),
            J(R"([{"to": ["dana@example.com"], "subject": "Fwd: x",
                   "body": "Q3"}])"));
  EXPECT_ERROR(h.Call("mail", "send", R"({"to": [], "subject": "", "body": ""})"),
               Code::kInvalidArgument, "`to`");
  EXPECT_ERROR(
      h.Call("mail", "send", R"({"to": ["nobody"], "subject": "", "body": ""})"),
      Code::kInvalidArgument, "not an email address");
  EXPECT_EQ(h.Coll("mail", "sent").size(), 1u);
}

TEST(SimMailTest, ArgumentErrorsNameTheParameter) {
  Harness h(kMailWorld);
  EXPECT_ERROR(h.Call("mail", "move", R"({"id": "1"})"), Code::kInvalidArgument,
               "mail.move: missing argument `to`");
  EXPECT_ERROR(h.Call("mail", "move", R"({"id": 1, "to": "X"})"),
               Code::kInvalidArgument, "argument `id` must be a string");
  EXPECT_ERROR(h.Call("mail", "send", R"({"to": "a@b.c", "subject": "",
                                          "body": ""})"),
               Code::kInvalidArgument, "argument `to` must be a list of strings");
  EXPECT_ERROR(h.Call("mail", "get", R"({"id": "1", "extra": 1})"),
               Code::kInvalidArgument, "unknown argument `extra`");
  EXPECT_ERROR(h.Call("mail", "archive", R"({})"), Code::kInvalidArgument,
               "mail has no action `archive`");
  EXPECT_ERROR(h.Call("mail", "get", R"([])"), Code::kInvalidArgument,
               "arguments must be an object");
  // Private arguments come only from undo records.
  EXPECT_ERROR(h.Call("mail", "restore", R"({"id": "5", "_mailbox": "X"})"),
               Code::kInvalidArgument, "only accepted from an undo record");
  EXPECT_ERROR(h.Undo("mail", J(R"({"action": "restore",
                                    "args": {"id": "5", "_mailbox": 3}})")),
               Code::kInvalidArgument, "`_mailbox` must be a string");
}

TEST(SimMailTest, ScopeKeysAndScopeChecks) {
  Harness h(kMailWorld);
  Connector& mail = h.sim("mail");
  EXPECT_EQ(mail.ScopeKey("delete", "id", "3", {}).value(), "Archive");
  EXPECT_CODE(mail.ScopeKey("delete", "id", "nope", {}), Code::kNotFound);
  EXPECT_EQ(mail.ScopeKey("move", "to", "Archive", {}).value(), "Archive");
  EXPECT_EQ(mail.ScopeKey("find", "mailbox", "INBOX", {}).value(), "INBOX");
  EXPECT_EQ(mail.ScopeKey("send", "to", "Dana@Example.COM", {}).value(),
            "example.com");
  EXPECT_EQ(mail.ScopeKey("send", "to", J(R"(["a@x.org", "b@x.org"])"), {})
                .value(),
            "x.org");
  EXPECT_CODE(mail.ScopeKey("send", "to", J(R"(["a@x.org", "b@y.org"])"), {}),
              Code::kInvalidArgument);
  EXPECT_CODE(mail.ScopeKey("nope", "id", "3", {}), Code::kInvalidArgument);

  // The simulator checks the run's scopes again.
  h.scopes()["mailbox"] = {"INBOX"};
  h.scopes()["recipient_domain"] = {"example.com"};
  EXPECT_CODE(h.Call("mail", "delete", R"({"id": "3"})"),
              Code::kPermissionDenied);
  EXPECT_CODE(h.Call("mail", "move", R"({"id": "1", "to": "Archive"})"),
              Code::kPermissionDenied);
  EXPECT_CODE(h.Call("mail", "find", R"({"mailbox": "Archive", "query": ""})"),
              Code::kPermissionDenied);
  EXPECT_ERROR(h.Call("mail", "send", R"({"to": ["a@example.com", "e@evil.test"],
                                          "subject": "", "body": ""})"),
               Code::kPermissionDenied, "recipient_domain");
  EXPECT_TRUE(h.Call("mail", "send", R"({"to": ["a@EXAMPLE.com"],
                                         "subject": "", "body": ""})")
                  .ok());
  EXPECT_EQ(h.Coll("mail", "messages")[2]["mailbox"], "Archive");
}

TEST(SimMailTest, LookupByIdempotencyKey) {
  Harness h(kMailWorld);
  auto r = h.Call("mail", "delete", R"({"id": "1"})", "run1/3/0");
  ASSERT_TRUE(r.ok());
  auto found = h.sim("mail").Lookup("run1/3/0").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->undo, r->undo);
  EXPECT_EQ(found->result, r->result);
  EXPECT_FALSE(h.sim("mail").Lookup("run1/9/0").value().has_value());
  // Reads are not recorded.
  ASSERT_TRUE(h.Call("mail", "get", R"({"id": "1"})", "run1/4/0").ok());
  EXPECT_FALSE(h.sim("mail").Lookup("run1/4/0").value().has_value());
  // Failed effects are not recorded.
  EXPECT_FALSE(h.Call("mail", "delete", R"({"id": "x"})", "run1/5/0").ok());
  EXPECT_FALSE(h.sim("mail").Lookup("run1/5/0").value().has_value());
  // A retried effect with the same key is not done twice.
  ASSERT_TRUE(h.Call("mail", "send", R"({"to": ["a@b.c"], "subject": "s",
                                         "body": "b"})", "run1/6/0").ok());
  ASSERT_TRUE(h.Call("mail", "send", R"({"to": ["a@b.c"], "subject": "s",
                                         "body": "b"})", "run1/6/0").ok());
  EXPECT_EQ(h.Coll("mail", "sent").size(), 1u);
  auto sent = h.sim("mail").Lookup("run1/6/0").value();
  ASSERT_TRUE(sent.has_value());
  EXPECT_TRUE(sent->undo.is_null());
  h.sim("mail").EndRun("run1");
}

TEST(SimContactsTest, FindAndGet) {
  Harness h(R"({"contacts": {"contacts": [
      {"id": "c1", "name": "Dana Smith", "email": "dana@example.com",
       "phone": "+1"},
      {"id": "c2", "name": "Ben Stone", "email": "ben@example.com"}]}})");
  auto r = h.Call("contacts", "find", R"({"name": "dana"})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->result.size(), 1u);
  EXPECT_EQ(r->result[0]["email"], "dana@example.com");
  EXPECT_EQ(r->result[0]["phone"], "+1");
  EXPECT_EQ(h.Call("contacts", "find", R"({"name": "S"})")->result.size(), 2u);
  EXPECT_EQ(h.Call("contacts", "find", R"({"name": ""})")->result.size(), 2u);
  EXPECT_EQ(h.Call("contacts", "get", R"({"id": "c2"})")->result["name"],
            "Ben Stone");
  EXPECT_CODE(h.Call("contacts", "get", R"({"id": "c9"})"), Code::kNotFound);
  EXPECT_ERROR(h.Call("contacts", "find", R"({})"), Code::kInvalidArgument,
               "missing argument `name`");
  EXPECT_CODE(h.Call("contacts", "delete", R"({"id": "c1"})"),
              Code::kInvalidArgument);
}

}  // namespace
}  // namespace wfs::connectors::sim
