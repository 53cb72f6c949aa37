// http, payments and tracker simulators, and the factory.
#include "tests/connectors/sim_test_util.h"

namespace wfs::connectors::sim {
namespace {

using testing::Harness;
using testing::J;

TEST(SimFactoryTest, OneSimulatorPerStarterConnector) {
  World w;
  auto sims = MakeSimulators(&w);
  ASSERT_EQ(sims.size(), SimulatedConnectors().size());
  for (size_t i = 0; i < sims.size(); ++i) {
    EXPECT_EQ(sims[i]->name(), SimulatedConnectors()[i]);
  }
  EXPECT_EQ(MakeSimulator("nope", &w), nullptr);
  EXPECT_EQ(MakeSimulator("git", &w)->name(), "git");
}

// Every action of every interface has a simulator entry point, and nothing
// else: an unknown action is InvalidArgument, a known one never is for the
// reason "no action".
TEST(SimFactoryTest, ImplementsExactlyTheInterfaceActions) {
  auto compiler = lang::Compiler::Create(lang::CompilerOptions{});
  World w;
  auto sims = MakeSimulators(&w);
  for (auto& s : sims) {
    const lang::ConnectorInfo* info = compiler->interfaces().Find(s->name());
    ASSERT_NE(info, nullptr) << s->name();
    for (const auto& [name, action] : info->actions) {
      ActionRequest r;
      r.action = name;
      r.args = Json::object();
      Result<ActionResponse> out = s->Invoke(r);
      ASSERT_FALSE(out.ok()) << s->name() << "." << name;
      EXPECT_EQ(out.status().message().find("has no action"), std::string::npos)
          << out.status().message();
      // The first missing parameter is named.
      if (!action.params.empty()) {
        EXPECT_NE(out.status().message().find(
                      "missing argument `" + action.params[0].name + "`"),
                  std::string::npos)
            << out.status().message();
      }
      // With every interface parameter given, only an extra one is refused:
      // the simulator takes exactly the interface's parameters.
      lang::TypeTable& types = compiler->types();
      r.args = Json::object();
      for (const lang::ParamInfo& p : action.params) {
        switch (types.Kind(types.Underlying(p.type))) {
          case lang::TypeKind::kInt: r.args[p.name] = 1; break;
          case lang::TypeKind::kDecimal: r.args[p.name] = "1"; break;
          case lang::TypeKind::kTime:
            r.args[p.name] = "2026-01-01T00:00:00Z";
            break;
          case lang::TypeKind::kList: r.args[p.name] = Json::array(); break;
          default: r.args[p.name] = "x"; break;
        }
      }
      r.args["zzz"] = 1;
      out = s->Invoke(r);
      ASSERT_FALSE(out.ok());
      EXPECT_NE(out.status().message().find("unknown argument `zzz`"),
                std::string::npos)
          << s->name() << "." << name << ": " << out.status().message();
    }
  }
}

TEST(SimHttpTest, GetAndPost) {
  Harness h(R"({"http": {"pages": [
      {"url": "https://example.com/a", "status": 200, "body": "hello",
       "content_type": "text/html"},
      {"url": "https://example.com/gone", "status": 410, "body": "",
       "content_type": "text/plain"}]}})");
  auto r = h.Call("http", "get", R"({"url": "https://example.com/a"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, J(R"({"status": 200, "body": "hello",
                             "content_type": "text/html"})"));
  EXPECT_TRUE(r->undo.is_null());
  EXPECT_EQ(h.Call("http", "get", R"({"url": "https://example.com/gone"})")
                ->result["status"],
            410);
  EXPECT_EQ(h.Call("http", "get", R"({"url": "https://example.com/b"})")->result,
            J(R"({"status": 404, "body": "", "content_type": "text/plain"})"));
  // Exact URL match.
  EXPECT_EQ(h.Call("http", "get", R"({"url": "https://example.com/a?x"})")
                ->result["status"],
            404);
  auto p = h.Call("http", "post", R"({"url": "https://example.com/hook",
                                      "body": "{\"k\":1}"})", "k1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->result, J(R"({"status": 200, "body": "",
                             "content_type": "text/plain"})"));
  EXPECT_TRUE(p->undo.is_null());
  ASSERT_TRUE(h.Call("http", "post",
                     R"({"url": "https://example.com/a", "body": ""})").ok());
  EXPECT_EQ(h.Coll("http", "requests"),
            J(R"([{"method": "POST", "url": "https://example.com/hook",
                   "body": "{\"k\":1}"},
                  {"method": "POST", "url": "https://example.com/a",
                   "body": ""}])"));
  EXPECT_TRUE(h.sim("http").Lookup("k1").value().has_value());
  EXPECT_ERROR(h.Call("http", "get", R"({"url": "ftp://example.com/"})"),
               Code::kInvalidArgument, "http or https");
  EXPECT_ERROR(h.Call("http", "get", R"({"url": "https:///path"})"),
               Code::kInvalidArgument, "no host");
  EXPECT_ERROR(h.Call("http", "post", R"({"url": "https://example.com/"})"),
               Code::kInvalidArgument, "missing argument `body`");
}

TEST(SimHttpTest, ScopeKeyIsTheHost) {
  Harness h("{}");
  Connector& http = h.sim("http");
  EXPECT_EQ(http.ScopeKey("get", "url", "https://API.Example.com:8443/x?y#z", {})
                .value(),
            "api.example.com");
  EXPECT_EQ(http.ScopeKey("get", "url", "http://user@evil.test@example.com/", {})
                .value(),
            "example.com");
  EXPECT_EQ(http.ScopeKey("get", "url", "http://[::1]:80/", {}).value(), "[::1]");
  EXPECT_CODE(http.ScopeKey("get", "url", "example.com/x", {}),
              Code::kInvalidArgument);
  EXPECT_CODE(http.ScopeKey("get", "url", "http://example.com:x/", {}),
              Code::kInvalidArgument);
  h.scopes()["domain"] = {"example.com"};
  EXPECT_ERROR(h.Call("http", "post", R"({"url": "https://evil.test/", "body": ""})"),
               Code::kPermissionDenied, "http.domain");
  EXPECT_EQ(h.Coll("http", "requests"), Json::array());
  EXPECT_TRUE(h.Call("http", "get", R"({"url": "https://Example.COM/"})").ok());
}

constexpr char kPayWorld[] = R"({"payments": {
    "payees": [{"id": "p1", "name": "City Power", "iban": "DE02100100109307118603"},
               {"id": "p2", "name": "Water Co", "iban": "DE89370400440532013000"}],
    "accounts": [{"id": "checking", "name": "Checking", "balance": "1000.00"},
                 {"id": "savings", "balance": "0.10"}]}})";

TEST(SimPaymentsTest, PayeesAndBalance) {
  Harness h(kPayWorld);
  auto r = h.Call("payments", "payees", R"({"name": "power"})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->result.size(), 1u);
  EXPECT_EQ(r->result[0]["iban"], "DE02100100109307118603");
  EXPECT_EQ(h.Call("payments", "payees", R"({"name": ""})")->result.size(), 2u);
  EXPECT_EQ(h.Call("payments", "balance", R"({"account": "checking"})")->result,
            "1000");
  EXPECT_EQ(h.Call("payments", "balance", R"({"account": "savings"})")->result,
            "0.10");
  EXPECT_ERROR(h.Call("payments", "balance", R"({"account": "nope"})"),
               Code::kNotFound, "no account `nope`");
}

TEST(SimPaymentsTest, PayIsExactAndIrreversible) {
  Harness h(kPayWorld);
  auto r = h.Call("payments", "pay",
                  R"({"from": "checking", "to": "DE02100100109307118603",
                      "amount": "42.50", "memo": "Invoice 118"})",
                  "run/1/0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "pay1");
  EXPECT_TRUE(r->undo.is_null());
  EXPECT_EQ(h.Coll("payments", "payments"),
            J(R"([{"id": "pay1", "from": "checking",
                   "to": "DE02100100109307118603", "amount": "42.50",
                   "memo": "Invoice 118"}])"));
  EXPECT_EQ(h.Coll("payments", "accounts")[0]["balance"], "957.50");
  // Ten payments of 0.1 leave exactly 956.50 (no floating point drift).
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(h.Call("payments", "pay",
                       R"({"from": "checking", "to": "X", "amount": "0.1",
                           "memo": ""})")
                    .ok());
  }
  EXPECT_EQ(h.Coll("payments", "accounts")[0]["balance"], "956.50");
  EXPECT_EQ(h.Coll("payments", "payments")[10]["id"], "pay11");
  auto found = h.sim("payments").Lookup("run/1/0").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->result, "pay1");
  // Retrying the same effect does not pay twice.
  ASSERT_TRUE(h.Call("payments", "pay",
                     R"({"from": "checking", "to": "DE02100100109307118603",
                         "amount": "42.50", "memo": "Invoice 118"})",
                     "run/1/0")
                  .ok());
  EXPECT_EQ(h.Coll("payments", "payments").size(), 11u);
}

TEST(SimPaymentsTest, PayErrors) {
  Harness h(kPayWorld);
  Json before = h.Public();
  EXPECT_ERROR(h.Call("payments", "pay", R"({"from": "savings", "to": "X",
                                             "amount": "0.100001", "memo": ""})"),
               Code::kFailedPrecondition, "insufficient funds");
  EXPECT_ERROR(h.Call("payments", "pay", R"({"from": "checking", "to": "X",
                                             "amount": "0", "memo": ""})"),
               Code::kInvalidArgument, "above 0");
  EXPECT_CODE(h.Call("payments", "pay", R"({"from": "checking", "to": "X",
                                            "amount": "-5", "memo": ""})"),
              Code::kInvalidArgument);
  EXPECT_ERROR(h.Call("payments", "pay", R"({"from": "checking", "to": "X",
                                             "amount": 5, "memo": ""})"),
               Code::kInvalidArgument, "argument `amount` must be a decimal");
  EXPECT_ERROR(h.Call("payments", "pay", R"({"from": "checking", "to": "X",
                                             "amount": "1.0000001", "memo": ""})"),
               Code::kInvalidArgument, "more than 6 fractional digits");
  EXPECT_CODE(h.Call("payments", "pay", R"({"from": "nope", "to": "X",
                                            "amount": "1", "memo": ""})"),
              Code::kNotFound);
  EXPECT_CODE(h.Call("payments", "pay", R"({"from": "checking", "to": "",
                                            "amount": "1", "memo": ""})"),
              Code::kInvalidArgument);
  h.scopes()["account"] = {"savings"};
  EXPECT_ERROR(h.Call("payments", "pay", R"({"from": "checking", "to": "X",
                                             "amount": "1", "memo": ""})"),
               Code::kPermissionDenied, "payments.account scope");
  EXPECT_EQ(h.Public(), before);
  // The exact savings balance can be spent.
  EXPECT_TRUE(h.Call("payments", "pay", R"({"from": "savings", "to": "X",
                                            "amount": "0.1", "memo": ""})")
                  .ok());
  EXPECT_EQ(h.Coll("payments", "accounts")[1]["balance"], "0");
}

constexpr char kTrackerWorld[] = R"({"tracker": {"issues": [
    {"repo": "acme/app", "issue": {"number": 7, "title": "Crash", "state": "open"}},
    {"repo": "acme/app", "issue": {"number": 8, "title": "Real bug",
                                   "labels": ["bug"]}},
    {"repo": "acme/app", "issue": {"number": 2, "title": "Old", "state": "closed"}},
    {"repo": "acme/web", "issue": {"number": 7, "title": "Other repo"}}]}})";

TEST(SimTrackerTest, GetAndList) {
  Harness h(kTrackerWorld);
  auto r = h.Call("tracker", "get_issue", R"({"repo": "acme/app", "number": 7})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result["title"], "Crash");
  EXPECT_EQ(h.Call("tracker", "get_issue", R"({"repo": "acme/web", "number": 7})")
                ->result["title"],
            "Other repo");
  EXPECT_ERROR(h.Call("tracker", "get_issue", R"({"repo": "acme/app", "number": 9})"),
               Code::kNotFound, "no issue acme/app#9");
  EXPECT_ERROR(h.Call("tracker", "get_issue", R"({"repo": "acme/app", "number": "7"})"),
               Code::kInvalidArgument, "argument `number` must be an integer");
  auto list = h.Call("tracker", "list_issues", R"({"repo": "acme/app"})");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->result.size(), 2u);  // open only, newest first
  EXPECT_EQ(list->result[0]["number"], 8);
  EXPECT_EQ(list->result[1]["number"], 7);
}

TEST(SimTrackerTest, CommentAndLabels) {
  Harness h(kTrackerWorld);
  auto c = h.Call("tracker", "comment",
                  R"({"repo": "acme/app", "number": 7, "body": "Fixed in #4."})",
                  "k");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->result, J(R"({"id": 1, "author": "wfstore", "body": "Fixed in #4."})"));
  EXPECT_TRUE(c->undo.is_null());
  EXPECT_EQ(h.Coll("tracker", "comments"),
            J(R"([{"repo": "acme/app", "number": 7, "body": "Fixed in #4."}])"));
  EXPECT_EQ(h.Call("tracker", "comment",
                   R"({"repo": "acme/app", "number": 8, "body": "x"})")
                ->result["id"],
            2);
  EXPECT_CODE(h.Call("tracker", "comment",
                     R"({"repo": "acme/app", "number": 99, "body": "x"})"),
              Code::kNotFound);
  EXPECT_EQ(h.sim("tracker").Lookup("k").value()->result["id"], 1);

  auto add = h.RoundTrip("tracker", "add_label",
                         J(R"({"repo": "acme/app", "number": 7, "label": "bug"})"));
  EXPECT_EQ(add.undo, J(R"({"action": "remove_label", "args": {
                            "repo": "acme/app", "number": 7, "label": "bug"}})"));
  auto rm = h.RoundTrip("tracker", "remove_label",
                        J(R"({"repo": "acme/app", "number": 8, "label": "bug"})"));
  EXPECT_EQ(rm.undo["action"], "add_label");
  auto again = h.Call("tracker", "add_label",
                      R"({"repo": "acme/app", "number": 8, "label": "bug"})");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->undo.is_null());
  auto none = h.Call("tracker", "remove_label",
                     R"({"repo": "acme/app", "number": 7, "label": "bug"})");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->undo.is_null());
  // Only the named issue changes (catalog/tracker/label_issue.wf).
  ASSERT_TRUE(h.Call("tracker", "add_label",
                     R"({"repo": "acme/app", "number": 7, "label": "triage"})")
                  .ok());
  Json issues = h.Coll("tracker", "issues");
  EXPECT_EQ(issues[0]["issue"]["labels"], J(R"(["triage"])"));
  EXPECT_EQ(issues[1]["issue"]["labels"], J(R"(["bug"])"));
  EXPECT_EQ(issues[3]["issue"]["labels"], Json::array());
  EXPECT_CODE(h.Call("tracker", "add_label",
                     R"({"repo": "acme/app", "number": 7, "label": ""})"),
              Code::kInvalidArgument);
  h.scopes()["repository"] = {"acme/web"};
  EXPECT_CODE(h.Call("tracker", "add_label",
                     R"({"repo": "acme/app", "number": 7, "label": "x"})"),
              Code::kPermissionDenied);
  EXPECT_EQ(h.sim("tracker").ScopeKey("comment", "repo", "acme/app", {}).value(),
            "acme/app");
  EXPECT_EQ(h.sim("tracker").ScopeKey("comment", "number", 7, {}).value(), "7");
}

}  // namespace
}  // namespace wfs::connectors::sim
