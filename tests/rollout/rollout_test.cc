// Staged rollout through the MCP tools (run_workflow routes between canary
// and stable; a failing canary is rolled back by the server on its own),
// certification for `stable`, recertification and the readiness report.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "base/clock.h"
#include "base/file_lock.h"
#include "base/strings.h"
#include "crypto/keys.h"
#include "gtest/gtest.h"
#include "journal/journal.h"
#include "journal/runner.h"
#include "mcp/engine.h"
#include "mcp/jsonrpc.h"
#include "mcp/session.h"
#include "rollout/controller.h"
#include "rollout/policy.h"
#include "rollout/readiness.h"
#include "rollout/recertify.h"
#include "server/workflow_tools.h"
#include "sql/sqlite.h"
#include "store/store.h"

namespace wfs::rollout {
namespace {

// v1.0.0 always answers; v1.1.0 fails for n > 3 (six inputs in ten): the
// injected failures a canary must be rolled back for; v1.2.0 is healthy.
std::string Source(const std::string& version, bool failing) {
  return StrCat(
      R"(workflow shop.quote )", version, R"( {
  summary "Quote a price for an item."
  intent "quote a price"

  input n: int "Item number."
  output text: string reveal "The quote."

  run {
)",
      failing ? "    if n > 3 {\n      fail \"no price for {n}\"\n    }\n" : "",
      R"(    return { text: "price of {n}" }
  }

  test "quotes item one" {
    call { n: 1 }
    expect outcome == "completed"
    expect output.text == "price of 1"
  }
}
)");
}

class NoConnectors : public journal::ConnectorProvider {
 public:
  Result<std::unique_ptr<journal::ConnectorLease>> Open(const Json&) override {
    class L : public journal::ConnectorLease {
     public:
      const connectors::ConnectorSet& set() const override { return set_; }
      connectors::ConnectorSet set_;
    };
    return std::unique_ptr<journal::ConnectorLease>(new L);
  }
};

class NullChannel : public mcp::ClientChannel {
 public:
  Status Send(const Json&) override { return Status::Ok(); }
};

class RolloutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        StrCat("wfs-rollout-", ::getpid(), "-",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::StoreOptions so;
    so.dir = dir_.string();
    so.clock = &clock_;
    so.required_reviews = 1;
    so.property_cases = 20;
    store_ = store::Store::Open(so).value();
    journal::JournalOptions jo;
    jo.path = (dir_ / "runs.db").string();
    jo.clock = &clock_;
    journal_ = journal::Journal::Open(jo).value();
    ControllerOptions co;
    co.store = store_.get();
    co.journal = journal_.get();
    co.path = (dir_ / "rollout.db").string();
    co.clock = &clock_;
    controller_ = Controller::Open(co).value();
    store_key_ = store_->StoreKey().value();
    server::ToolsOptions to;
    to.store = store_.get();
    to.journal = journal_.get();
    to.connectors = &connectors_;
    to.rollout = controller_.get();
    to.rollout_key = &*store_key_;
    to.clock = &clock_;
    to.workflow_tools = false;
    to.log = [this](const std::string& m) {
      std::lock_guard lock(log_mu_);
      log_.push_back(m);
    };
    tools_ = server::WorkflowTools::Create(std::move(to)).value();
    engine_ = std::make_unique<mcp::Engine>(mcp::EngineOptions{}, tools_.get());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Publishes shop.quote@version and promotes it through every gate up to
  // `canary` (hardening evidence as a hardening lab would sign it).
  void ToCanary(const std::string& version, bool failing,
                const std::string& source = "") {
    auto published = store_->Publish(
        {{"quote.wf", source.empty() ? Source(version, failing) : source}},
        publisher_.secret_key);
    ASSERT_TRUE(published.ok()) << published.status();
    auto promote = [&](const std::string& stage) {
      auto a =
          store_->Promote("shop.quote", version, stage, publisher_.secret_key);
      ASSERT_TRUE(a.ok()) << stage << ": " << a.status();
    };
    promote("tested");
    ASSERT_TRUE(store_
                    ->RecordEvidence("shop.quote", version,
                                     store::kHardeningPredicate,
                                     Json{{"passed", true}}, *store_key_)
                    .ok());
    promote("hardened");
    ASSERT_TRUE(
        store_->Review("shop.quote", version, reviewer_.secret_key, "ok").ok());
    promote("reviewed");
    promote("canary");
  }

  mcp::Session& SessionFor(const std::string& agent,
                           const std::string& min_stage = "draft") {
    auto it = sessions_.find(agent);
    if (it != sessions_.end()) return *it->second;
    mcp::Principal p{agent, {}};
    p.grants.min_stage = min_stage;
    auto s = std::make_unique<mcp::Session>("s-" + agent, p);
    engine_->Handle(
        *s,
        mcp::MakeRequest(1, "initialize",
                         {{"protocolVersion", "2025-06-18"},
                          {"capabilities", Json::object()},
                          {"clientInfo", {{"name", "t"}, {"version", "1"}}}}),
        &channel_);
    return *sessions_.emplace(agent, std::move(s)).first->second;
  }

  // Calls run_workflow shop.quote as `agent`; returns the version that ran
  // ("" when the call was refused) and whether it completed.
  std::pair<std::string, bool> Call(const std::string& agent, int n,
                                    const std::string& min_stage = "draft") {
    mcp::Session& s = SessionFor(agent, min_stage);
    Json r = engine_->Handle(
        s,
        mcp::MakeRequest(
            ++id_, "tools/call",
            {{"name", "run_workflow"},
             {"arguments",
              {{"name", "shop.quote"}, {"arguments", {{"n", n}}}}}}),
        &channel_);
    EXPECT_TRUE(r.contains("result")) << r.dump();
    std::string run_id = RunIdOf(r);
    auto run = journal_->GetRun(run_id);
    if (run_id.empty() || !run.ok() || run->caller != agent) return {"", false};
    std::string wf = run->workflow;
    return {wf.substr(wf.rfind('@') + 1), run->state == "completed"};
  }

  // The run id in a tools/call answer (structured, or the JSON text of a
  // failed run).
  static std::string RunIdOf(const Json& reply) {
    const Json& result = JsonObjectMember(reply, "result");
    Json body = JsonObjectMember(result, "structuredContent");
    if (body.empty()) {
      const Json& content = JsonArrayMember(result, "content");
      if (!content.empty() && content[0].contains("text")) {
        body = ParseJson(content[0]["text"].get<std::string>())
                   .value_or(Json::object());
      }
    }
    return body.is_object() ? body.value("run_id", "") : "";
  }

  // Tools that offer each stable workflow as its own tool (the fixture's
  // do not) and announce list changes, with the fixture's rollout.
  std::unique_ptr<server::WorkflowTools> OwnTools() {
    server::ToolsOptions to;
    to.store = store_.get();
    to.journal = journal_.get();
    to.connectors = &connectors_;
    to.clock = &clock_;
    to.rollout = controller_.get();
    to.rollout_key = &*store_key_;
    to.announce_list_changes = true;
    return server::WorkflowTools::Create(std::move(to)).value();
  }

  // Certifies the canary shop.quote@version, promotes it to stable and ends
  // its rollout.
  void MakeStable(const std::string& version) {
    auto certified = controller_->Certify("shop.quote", version, *store_key_);
    ASSERT_TRUE(certified.ok()) << certified.status();
    ASSERT_TRUE(
        store_->Promote("shop.quote", version, "stable", publisher_.secret_key)
            .ok());
    ASSERT_TRUE(controller_->MarkPromoted("shop.quote", version).ok());
  }

  // Records a run of shop.quote@version in `j` (default: the fixture's
  // journal) as another process would: finished `latency_ms` after it
  // started (now), or still running or waiting. Returns its id.
  std::string Record(const std::string& version, const std::string& state,
                     int64_t latency_ms, bool undone = false,
                     journal::Journal* j = nullptr) {
    j = j != nullptr ? j : journal_.get();
    journal::RunRecord r;
    r.run_id = StrCat("r-", ++recorded_);
    r.workflow = StrCat("shop.quote@", version);
    r.content_id = store_->Get("shop.quote", version)->content_id;
    r.caller = "a";
    r.state = state;
    r.created_us = clock_.NowMicros() - latency_ms * 1000;
    r.outcome = {
        {"outcome", state},
        {"undo", undone ? Json::array({{{"effect", 1}}}) : Json::array()}};
    Status s = state == "running" || state == "waiting"
                   ? j->CreateRun(r)
                   : j->RecordFinishedRun(r, 1, /*wait=*/true);
    EXPECT_TRUE(s.ok()) << s;
    return r.run_id;
  }
  // The canary's figures as `wfstore rollout status` shows them.
  Json CanaryFigures(Controller& c) {
    auto status = c.StatusReport("shop.quote");
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? (*status)["canary_figures"] : Json();
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  int recorded_ = 0;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<journal::Journal> journal_;
  std::unique_ptr<Controller> controller_;
  std::optional<crypto::SecretKey> store_key_;
  crypto::KeyPair publisher_ = crypto::GenerateKeyPair();
  crypto::KeyPair reviewer_ = crypto::GenerateKeyPair();
  NoConnectors connectors_;
  NullChannel channel_;
  std::unique_ptr<server::WorkflowTools> tools_;
  std::unique_ptr<mcp::Engine> engine_;
  std::map<std::string, std::unique_ptr<mcp::Session>> sessions_;
  int64_t id_ = 100;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

RolloutPolicy Quick(double share, int min_runs, const std::string& soak) {
  RolloutPolicy p;
  p.share = share;
  p.min_runs = min_runs;
  p.soak_us = ParseDuration(soak).value();
  return p;
}

TEST_F(RolloutTest, FirstReleaseNeedsItsRunsAndItsSoakBeforeStable) {
  ToCanary("1.0.0", false);
  ASSERT_TRUE(
      controller_->Start("shop.quote", "1.0.0", Quick(0.1, 10, "2h")).ok());
  // Without a stable version, every call may run the canary.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Call("a", i).first, "1.0.0");
  auto early = controller_->Certify("shop.quote", "1.0.0", *store_key_);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.status().message().find("5 of the 10 canary runs"),
            std::string::npos)
      << early.status();
  EXPECT_NE(early.status().message().find("(2h 0m left)"), std::string::npos)
      << early.status();
  for (int i = 0; i < 5; ++i) Call("a", i);
  auto unsoaked = controller_->Certify("shop.quote", "1.0.0", *store_key_);
  ASSERT_FALSE(unsoaked.ok());
  EXPECT_EQ(unsoaked.status().message().find("canary runs"), std::string::npos);
  // The stable gate refuses without rollout evidence.
  EXPECT_FALSE(
      store_->Promote("shop.quote", "1.0.0", "stable", publisher_.secret_key)
          .ok());
  clock_.Advance(ParseDuration("2h").value());
  auto certified = controller_->Certify("shop.quote", "1.0.0", *store_key_);
  ASSERT_TRUE(certified.ok()) << certified.status();
  EXPECT_EQ(certified->predicate["canary"]["runs"], 10);
  ASSERT_TRUE(
      store_->Promote("shop.quote", "1.0.0", "stable", publisher_.secret_key)
          .ok());
  ASSERT_TRUE(controller_->MarkPromoted("shop.quote", "1.0.0").ok());
  EXPECT_EQ(controller_->Current("shop.quote")->state, "promoted");
}

TEST_F(RolloutTest, CanaryWithInjectedFailuresRollsBackOnItsOwn) {
  ToCanary("1.0.0", false);
  ASSERT_TRUE(controller_->Start("shop.quote", "1.0.0", Quick(1, 5, "0")).ok());
  for (int i = 0; i < 5; ++i) Call("a", i % 4);
  ASSERT_NO_FATAL_FAILURE(MakeStable("1.0.0"));
  // Stable's own baseline.
  for (int i = 0; i < 30; ++i) EXPECT_EQ(Call("a", i % 10).first, "1.0.0");

  ToCanary("1.1.0", true);
  ASSERT_TRUE(
      controller_->Start("shop.quote", "1.1.0", Quick(0.5, 20, "1h")).ok());
  std::map<std::string, int> before, after;
  bool rolled_back = false;
  for (int i = 0; i < 400; ++i) {
    auto [version, ok] = Call("a", i % 10);
    ASSERT_FALSE(version.empty());
    (rolled_back ? after : before)[version]++;
    if (!rolled_back &&
        controller_->Current("shop.quote")->state == "rolled_back") {
      rolled_back = true;
    }
  }
  ASSERT_TRUE(rolled_back) << "canary calls: " << before["1.1.0"];
  // Both versions took calls while it rolled out, near the share.
  EXPECT_GE(before["1.1.0"], 20);
  EXPECT_GE(before["1.0.0"], 5);
  // Afterwards every call goes to stable.
  EXPECT_EQ(after["1.1.0"], 0);
  EXPECT_GT(after["1.0.0"], 100);

  Rollout r = controller_->Current("shop.quote").value();
  EXPECT_NE(r.reason.find("failure rate"), std::string::npos) << r.reason;
  auto info = store_->Get("shop.quote", "1.1.0").value();
  EXPECT_EQ(info.stage, "reviewed");
  ASSERT_FALSE(info.flags.empty());
  EXPECT_NE(info.flags[0].find("canary rolled back"), std::string::npos);
  // The event is a signed attestation in the version's report, with the
  // figures it was judged on; the version cannot be promoted again.
  Json report = store_->Report("shop.quote", "1.1.0").value();
  ASSERT_EQ(report["demotions"].size(), 1u);
  EXPECT_TRUE(report["demotions"][0]["verified"].get<bool>());
  EXPECT_EQ(report["demotions"][0]["stage"], "reviewed");
  // Judged on at least its minimum runs, over the failure margin.
  const Json& judged = report["demotions"][0]["details"]["canary"];
  EXPECT_GE(judged["runs"].get<int>(), 20);
  EXPECT_GT(judged["failure_rate"].get<double>(), 0.05);
  EXPECT_EQ(report["grade"], "F");
  EXPECT_FALSE(
      store_->Promote("shop.quote", "1.1.0", "canary", publisher_.secret_key)
          .ok());
  // A re-check (an interface change elsewhere) keeps the demotion.
  ASSERT_TRUE(store_->Recheck().ok());
  EXPECT_EQ(store_->Get("shop.quote", "1.1.0")->flags.size(), 1u);
  {
    std::lock_guard lock(log_mu_);
    ASSERT_FALSE(log_.empty());
    EXPECT_NE(log_.back().find("rolled back canary shop.quote@1.1.0"),
              std::string::npos);
  }
  Json status = controller_->StatusReport("shop.quote").value();
  EXPECT_EQ(status["verdict"]["verdict"], "rolled back");
  EXPECT_GE(status["canary_figures"]["failures"].get<int>(),
            judged["failures"].get<int>());
}

TEST_F(RolloutTest, NamedAgentsShareAndStableOnlyCallers) {
  ToCanary("1.0.0", false);
  ASSERT_TRUE(controller_->Start("shop.quote", "1.0.0", Quick(1, 1, "0")).ok());
  Call("a", 1);
  clock_.Advance(1000000);  // the run happened while it was canary
  ASSERT_NO_FATAL_FAILURE(MakeStable("1.0.0"));

  ToCanary("1.2.0", false);
  RolloutPolicy p = Quick(0, 10, "1h");
  p.agents = {"tester"};
  ASSERT_TRUE(controller_->Start("shop.quote", "1.2.0", p).ok());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Call("tester", i).first, "1.2.0");
    EXPECT_EQ(Call("other", i).first, "1.0.0");  // share 0
    // An agent that runs only stable workflows never gets the canary.
    EXPECT_EQ(Call("careful", i, "stable").first, "1.0.0");
  }
  // A pinned version is honoured.
  mcp::Session& s = SessionFor("pinning");
  Json pinned =
      engine_->Handle(s,
                      mcp::MakeRequest(++id_, "tools/call",
                                       {{"name", "run_workflow"},
                                        {"arguments",
                                         {{"name", "shop.quote"},
                                          {"version", "1.0.0"},
                                          {"arguments", {{"n", 1}}}}}}),
                      &channel_);
  EXPECT_EQ(journal_->GetRun(RunIdOf(pinned))->workflow, "shop.quote@1.0.0");

  clock_.Advance(ParseDuration("1h").value());
  Json status = controller_->StatusReport("shop.quote").value();
  EXPECT_EQ(status["verdict"]["verdict"], "healthy");
  EXPECT_EQ(status["canary_figures"]["runs"], 10);
  ASSERT_TRUE(controller_->Certify("shop.quote", "1.2.0", *store_key_).ok());
  ASSERT_TRUE(
      store_->Promote("shop.quote", "1.2.0", "stable", publisher_.secret_key)
          .ok());

  // Readiness: every run went through a workflow that was canary or stable
  // when it ran; `tester` ran the canary.
  Json all = Readiness(*store_, *journal_, {}).value();
  EXPECT_EQ(all["runs"].get<int>(), 32);
  EXPECT_EQ(all["hardened_or_later"].get<int>(), 32);
  EXPECT_EQ(all["by_stage_at_run"]["canary"].get<int>(), 11);
  EXPECT_EQ(all["by_stage_at_run"]["stable"].get<int>(), 21);
  Json tester = Readiness(*store_, *journal_, {.agent = "tester"}).value();
  EXPECT_EQ(tester["runs"].get<int>(), 10);
  EXPECT_EQ(tester["workflows"][0]["workflow"], "shop.quote@1.2.0");
  EXPECT_EQ(tester["workflows"][0]["stage_now"], "stable");
}

// A rollback is claimed in the rollouts database, then the version demoted
// in the store. A stop between the two leaves a rolled-back canary at stage
// canary: it cannot roll out again, and FinishRollbacks (at the next start)
// demotes it, once, with the rollout's reason.
TEST_F(RolloutTest, ARollbackAStopInterruptedIsFinishedOnce) {
  ToCanary("1.0.0", false);
  ASSERT_TRUE(controller_->Start("shop.quote", "1.0.0", Quick(1, 5, "0")).ok());
  {
    // The claim alone, as a process stopped right after it leaves it.
    auto db = sql::Db::Open((dir_ / "rollout.db").string(), {}).value();
    ASSERT_TRUE(db->Exec("UPDATE rollouts SET state = 'rolled_back', "
                         "reason = 'failure rate 50.0%' WHERE state = 'active'")
                    .ok());
  }
  ASSERT_EQ(store_->Get("shop.quote", "1.0.0")->stage, "canary");
  auto again = controller_->Start("shop.quote", "1.0.0", Quick(1, 5, "0"));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("was rolled back (failure rate"),
            std::string::npos)
      << again.status();

  // Two processes start at once: one of them demotes it.
  ControllerOptions co;
  co.store = store_.get();
  co.journal = journal_.get();
  co.path = (dir_ / "rollout.db").string();
  co.clock = &clock_;
  auto other = Controller::Open(co).value();
  auto finished = controller_->FinishRollbacks(*store_key_);
  ASSERT_TRUE(finished.ok()) << finished.status();
  ASSERT_EQ(finished->size(), 1u);
  EXPECT_EQ((*finished)[0].canary, "1.0.0");
  auto by_other = other->FinishRollbacks(*store_key_);
  ASSERT_TRUE(by_other.ok()) << by_other.status();
  EXPECT_TRUE(by_other->empty());
  EXPECT_TRUE(controller_->FinishRollbacks(*store_key_)->empty());

  auto info = store_->Get("shop.quote", "1.0.0").value();
  EXPECT_EQ(info.stage, "reviewed");
  ASSERT_EQ(info.flags.size(), 1u);
  EXPECT_NE(info.flags[0].find("canary rolled back: failure rate 50.0%"),
            std::string::npos)
      << info.flags[0];
  Json report = store_->Report("shop.quote", "1.0.0").value();
  ASSERT_EQ(report["demotions"].size(), 1u);
  EXPECT_TRUE(report["demotions"][0]["verified"].get<bool>());
  EXPECT_EQ(report["demotions"][0]["details"]["finished_after_interruption"],
            true);
  // Still no second rollout of it.
  EXPECT_FALSE(
      store_->Promote("shop.quote", "1.0.0", "canary", publisher_.secret_key)
          .ok());
}

// Two demotions of one version at once (two processes finishing the same
// rollback): one demotes, the other finds it demoted.
TEST_F(RolloutTest, ConcurrentDemotionsOfOneVersionRecordOne) {
  ToCanary("1.0.0", false);
  store::StoreOptions so;
  so.dir = dir_.string();
  so.clock = &clock_;
  auto other = store::Store::Open(so).value();
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (store::Store* s : {store_.get(), other.get()}) {
    threads.emplace_back([&, s] {
      auto a = s->Demote("shop.quote", "1.0.0", "reviewed", "bad canary",
                         Json::object(), *store_key_);
      if (a.ok()) {
        ++ok;
      } else if (a.status().code() == Code::kFailedPrecondition) {
        ++refused;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 1);
  EXPECT_EQ(store_->Report("shop.quote", "1.0.0").value()["demotions"].size(),
            1u);
}

// A workflow's own tool advertises its stable version's inputs: a canary
// that takes other inputs gets no calls through it (run_workflow, where
// the agent reads the chosen version's schema, still routes to it).
TEST_F(RolloutTest, AWorkflowToolSkipsACanaryWithAnotherContract) {
  ToCanary("1.0.0", false);
  ASSERT_TRUE(controller_->Start("shop.quote", "1.0.0", Quick(1, 1, "0")).ok());
  Call("a", 1);
  ASSERT_NO_FATAL_FAILURE(MakeStable("1.0.0"));
  std::string renamed = Source("1.1.0", false);
  for (auto [from, to] :
       {std::pair<std::string, std::string>{"input n:", "input item:"},
        {"price of {n}", "price of {item}"},
        {"call { n: 1 }", "call { item: 1 }"}}) {
    renamed.replace(renamed.find(from), from.size(), to);
  }
  ToCanary("1.1.0", false, renamed);
  ASSERT_TRUE(
      controller_->Start("shop.quote", "1.1.0", Quick(1, 50, "1h")).ok());
  auto tools = OwnTools();
  mcp::Engine engine(mcp::EngineOptions{}, tools.get());
  for (int i = 0; i < 5; ++i) {
    Json r = engine.Handle(
        SessionFor("a"),
        mcp::MakeRequest(++id_, "tools/call",
                         {{"name", "shop.quote"}, {"arguments", {{"n", i}}}}),
        &channel_);
    auto run = journal_->GetRun(RunIdOf(r));
    ASSERT_TRUE(run.ok()) << r;
    EXPECT_EQ(run->workflow, "shop.quote@1.0.0");
    EXPECT_EQ(run->state, "completed") << r;
  }
  Json r = engine.Handle(
      SessionFor("a"),
      mcp::MakeRequest(
          ++id_, "tools/call",
          {{"name", "run_workflow"},
           {"arguments",
            {{"name", "shop.quote"}, {"arguments", {{"item", 7}}}}}}),
      &channel_);
  EXPECT_EQ(journal_->GetRun(RunIdOf(r))->workflow, "shop.quote@1.1.0") << r;
}

// The lists clients see announce their changes (Engine::NotifyListChanged
// sends what TakeListChanges reports): a workflow published or yanked
// changes the resources; a version that becomes the stable one offered as
// a tool changes the tools; a canary does not; a look with nothing changed
// reports nothing, and a change a call noticed first is still reported once.
TEST_F(RolloutTest, ListChangesFollowTheStableWorkflows) {
  auto tools = OwnTools();
  EXPECT_TRUE(tools->Features().list_changed);
  using Changes = std::pair<bool, bool>;  // tools, resources
  server::ListChanges last;
  auto take = [&]() -> Changes {
    auto c = tools->TakeListChanges();
    EXPECT_TRUE(c.ok()) << c.status();
    last = c.ok() ? *c : server::ListChanges{};
    return {!last.tools.empty(), !last.resources.empty()};
  };
  mcp::Principal everyone{"a", {}}, elsewhere{"b", {}}, finder{"c", {}};
  elsewhere.grants.namespaces = {"mail"};
  finder.grants.run = false;
  auto offered = [&] {
    std::vector<std::string> names;
    for (const mcp::Tool& t : tools->ListTools({"a", {}}).value()) {
      names.push_back(t.title.empty() ? t.name : t.title);
    }
    return names;
  };
  EXPECT_EQ(take(), Changes(false, false));  // nothing since it was made

  ToCanary("1.0.0", false);
  EXPECT_EQ(take(), Changes(false, true));  // a new resource, no tool yet
  EXPECT_EQ(last.resources, std::set<std::string>{"shop.quote"});
  // Each caller hears of what its grants cover.
  EXPECT_TRUE(last.ResourcesChangedFor(everyone));
  EXPECT_TRUE(last.ResourcesChangedFor(finder));
  EXPECT_FALSE(last.ResourcesChangedFor(elsewhere));
  EXPECT_EQ(take(), Changes(false, false));
  ASSERT_TRUE(controller_->Start("shop.quote", "1.0.0", Quick(1, 1, "0")).ok());
  Call("a", 1);
  ASSERT_NO_FATAL_FAILURE(MakeStable("1.0.0"));
  EXPECT_EQ(take(), Changes(true, false));
  EXPECT_TRUE(last.ToolsChangedFor(everyone));
  EXPECT_FALSE(last.ToolsChangedFor(elsewhere));
  EXPECT_FALSE(last.ToolsChangedFor(finder));  // lists no workflow tools
  EXPECT_EQ(take(), Changes(false, false));

  ToCanary("1.2.0", false);
  // A newer version on its way leaves the stable one offered.
  EXPECT_FALSE(take().first);
  std::vector<std::string> listed = offered();
  EXPECT_NE(std::find(listed.begin(), listed.end(), "shop.quote@1.0.0"),
            listed.end());
  ASSERT_TRUE(controller_->Start("shop.quote", "1.2.0", Quick(1, 1, "0")).ok());
  // The workflow's own tool is routed as run_workflow is: to the canary.
  mcp::Engine engine(mcp::EngineOptions{}, tools.get());
  Json r = engine.Handle(
      SessionFor("a"),
      mcp::MakeRequest(++id_, "tools/call",
                       {{"name", "shop.quote"}, {"arguments", {{"n", 2}}}}),
      &channel_);
  EXPECT_EQ(journal_->GetRun(RunIdOf(r))->workflow, "shop.quote@1.2.0") << r;
  ASSERT_NO_FATAL_FAILURE(MakeStable("1.2.0"));
  // tools/list sees the new version first; the change is still reported.
  listed = offered();
  EXPECT_NE(std::find(listed.begin(), listed.end(), "shop.quote@1.2.0"),
            listed.end());
  EXPECT_EQ(take(), Changes(true, false));

  // Yanking the newest stable version offers the one before it again.
  ASSERT_TRUE(
      store_->Yank("shop.quote", "1.2.0", "broken", publisher_.secret_key)
          .ok());
  EXPECT_EQ(take(), Changes(true, false));
  listed = offered();
  EXPECT_NE(std::find(listed.begin(), listed.end(), "shop.quote@1.0.0"),
            listed.end());
  // Yanking the last version removes the tool and the resource.
  ASSERT_TRUE(
      store_->Yank("shop.quote", "1.0.0", "broken", publisher_.secret_key)
          .ok());
  EXPECT_EQ(take(), Changes(true, true));
  EXPECT_EQ(take(), Changes(false, false));
}

// Another process's change (a second controller on the same database, as
// `wfstore rollout stop` beside a server) reaches the routing within
// recheck_every; this process's own changes at once.
TEST_F(RolloutTest, RoutingSeesOtherProcessesWithinRecheckEvery) {
  ToCanary("1.0.0", false);
  ControllerOptions co;
  co.store = store_.get();
  co.journal = journal_.get();
  co.path = (dir_ / "rollout.db").string();
  co.clock = &clock_;
  co.recheck_every = std::chrono::milliseconds(200);
  auto server = Controller::Open(co).value();
  auto other = Controller::Open(co).value();
  auto route = [&] {
    auto r = server->Choose("shop.quote", "", "tester", true, 0.0);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && r->has_value() ? **r : std::string("-");
  };
  EXPECT_EQ(route(), "-");  // no rollout yet: the caller's range decides
  RolloutPolicy p = Quick(1, 1, "0");
  ASSERT_TRUE(other->Start("shop.quote", "1.0.0", p).ok());
  clock_.Advance(199'000);
  EXPECT_EQ(route(), "-") << "trusted its view for recheck_every";
  clock_.Advance(1'000);
  EXPECT_EQ(route(), "1.0.0") << "then asked the database again";
  // Its own change is seen at once.
  ASSERT_TRUE(server->Stop("shop.quote", "test", *store_key_).ok());
  EXPECT_EQ(route(), "-");
}

// The figures are kept up to date from the runs recorded since the last
// look (here and by other processes) and the runs that were still going:
// the same figures a fresh count gives.
TEST_F(RolloutTest, FiguresFollowTheJournalRunByRun) {
  ToCanary("1.0.0", false);
  Record("1.0.0", "completed", 7);  // before the rollout: not counted
  clock_.Advance(1000000);
  ASSERT_TRUE(
      controller_->Start("shop.quote", "1.0.0", Quick(1, 100, "0")).ok());
  clock_.Advance(1000000);
  for (int ms : {10, 20, 30}) Record("1.0.0", "completed", ms);
  Record("1.0.0", "failed", 5);
  std::string waiting = Record("1.0.0", "waiting", 0);
  Json f = CanaryFigures(*controller_);
  EXPECT_EQ(f["runs"], 4);
  EXPECT_EQ(f["completed"], 3);
  EXPECT_EQ(f["failures"], 1);
  EXPECT_EQ(f["in_flight"], 1);
  EXPECT_EQ(f["latency_p50_ms"], 20.0);
  EXPECT_EQ(f["latency_p95_ms"], 30.0);

  // Another process records runs; the waiting one finishes, with an undo.
  journal::JournalOptions jo;
  jo.path = (dir_ / "runs.db").string();
  jo.clock = &clock_;
  auto other = journal::Journal::Open(jo).value();
  Record("1.0.0", "completed", 40, false, other.get());
  Record("1.0.0", "denied", 1, false, other.get());
  ASSERT_TRUE(other
                  ->SetState(waiting, "completed",
                             {{"undo", Json::array({{{"effect", 2}}})}},
                             /*wait=*/true)
                  .ok());
  other.reset();
  f = CanaryFigures(*controller_);
  EXPECT_EQ(f["runs"], 7);
  EXPECT_EQ(f["completed"], 5);
  EXPECT_EQ(f["denials"], 1);
  EXPECT_EQ(f["compensated"], 1);
  EXPECT_EQ(f["in_flight"], 0);
  EXPECT_EQ(f["latency_p95_ms"], 40.0);
  Record("1.0.0", "completed", 50, true);
  f = CanaryFigures(*controller_);
  EXPECT_EQ(f["runs"], 8);
  EXPECT_EQ(f["compensated"], 2);

  // A controller that counts from scratch agrees.
  ControllerOptions co;
  co.store = store_.get();
  co.journal = journal_.get();
  co.path = (dir_ / "rollout.db").string();
  co.clock = &clock_;
  auto fresh = Controller::Open(co).value();
  EXPECT_EQ(CanaryFigures(*fresh), f);

  // A run the journal cannot summarize fails the evaluation, and the next
  // one, once it is readable, counts from scratch (nothing half-counted).
  Record("1.0.0", "completed", 60);
  std::string bad = Record("1.0.0", "failed", 1);
  auto raw = sql::Db::Open((dir_ / "runs.db").string(), {}).value();
  auto corrupt = [&](const std::string& outcome) {
    auto st =
        raw->Prepare("UPDATE runs SET outcome = ? WHERE run_id = ?").value();
    st.Bind(1, outcome).Bind(2, bad);
    ASSERT_TRUE(st.Run().ok());
  };
  corrupt("{\"undo\": [");
  auto broken = controller_->StatusReport("shop.quote");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("malformed JSON"), std::string::npos)
      << broken.status();
  corrupt("{\"undo\": []}");
  f = CanaryFigures(*controller_);
  EXPECT_EQ(f["runs"], 10);
  EXPECT_EQ(f["failures"], 2);
  EXPECT_EQ(f, CanaryFigures(*fresh));
}

// A canary much slower than stable (p95 over the ratio and the floor) is
// rolled back like a failing one.
TEST_F(RolloutTest, SlowCanaryRollsBackOnLatency) {
  ToCanary("1.0.0", false);
  ASSERT_TRUE(controller_->Start("shop.quote", "1.0.0", Quick(1, 5, "0")).ok());
  clock_.Advance(1000000);
  for (int i = 0; i < 5; ++i) Record("1.0.0", "completed", 10);
  ASSERT_NO_FATAL_FAILURE(MakeStable("1.0.0"));

  ToCanary("1.1.0", false);
  ASSERT_TRUE(
      controller_->Start("shop.quote", "1.1.0", Quick(0.5, 10, "1h")).ok());
  clock_.Advance(1000000);
  // Fewer than min_runs on stable since the rollout began: its whole
  // history is the baseline; then the rollout's window.
  auto stable_runs = [&] {
    return controller_->StatusReport("shop.quote")
        .value()["stable_figures"]["runs"];
  };
  EXPECT_EQ(stable_runs(), 5);
  for (int i = 0; i < 9; ++i) Record("1.0.0", "completed", 10 + i % 3);
  EXPECT_EQ(stable_runs(), 14);
  for (int i = 9; i < 20; ++i) Record("1.0.0", "completed", 10 + i % 3);
  EXPECT_EQ(stable_runs(), 20);
  std::optional<Rollout> rolled;
  for (int i = 0; i < 10 && !rolled; ++i) {
    Record("1.1.0", "completed", i < 9 ? 200 : 900);
    auto r = controller_->AfterRun("shop.quote", "1.1.0", *store_key_);
    ASSERT_TRUE(r.ok()) << r.status();
    if (r->has_value()) rolled = **r;
  }
  ASSERT_TRUE(rolled.has_value())
      << controller_->StatusReport("shop.quote")->dump();
  // The tenth canary run is its p95: 900 ms against stable's 12 ms.
  EXPECT_EQ(rolled->reason,
            "p95 latency 900.0 ms vs 12.0 ms on stable, over 3x");
  EXPECT_EQ(store_->Get("shop.quote", "1.1.0")->stage, "reviewed");
}

TEST_F(RolloutTest, ReadinessCountsDraftsDenialsAndViolations) {
  ASSERT_TRUE(store_
                  ->Publish({{"quote.wf", Source("1.0.0", true)}},
                            publisher_.secret_key)
                  .ok());
  for (int i = 0; i < 10; ++i) Call("a", i);
  Json r = Readiness(*store_, *journal_, {}).value();
  EXPECT_EQ(r["runs"].get<int>(), 10);
  EXPECT_EQ(r["supervised_drafts"].get<int>(), 10);
  EXPECT_EQ(r["failures"].get<int>(), 6);
  EXPECT_EQ(r["hardened_share"].get<double>(), 0.0);
  EXPECT_NE(r["answer"].get<std::string>().find("0.0% of 10 runs"),
            std::string::npos)
      << r["answer"];
}

TEST_F(RolloutTest, RecertifyDemotesWhatNoLongerPassesThePolicy) {
  // Hardened through the real pipeline under a lenient policy.
  ASSERT_TRUE(store_
                  ->Publish({{"quote.wf", Source("1.0.0", true)}},
                            publisher_.secret_key)
                  .ok());
  ASSERT_TRUE(
      store_->Promote("shop.quote", "1.0.0", "tested", publisher_.secret_key)
          .ok());
  Policy lenient;
  lenient.harden.min_coverage = 0;
  lenient.harden.min_mutation = 0;
  lenient.harden.cases = 20;
  auto program = store_->LoadProgram("shop.quote", "1.0.0").value();
  testing::TestRunner runner(store_->schema(), &store_->programs());
  harden::HardenOptions ho = HardenOptionsFor(lenient.harden);
  auto report = harden::Harden(*program, runner, ho).value();
  ASSERT_TRUE(report.passed);
  ASSERT_TRUE(store_
                  ->RecordEvidence(
                      "shop.quote", "1.0.0", store::kHardeningPredicate,
                      HardeningEvidence(report, ho, store_->InterfacesDigest()),
                      *store_key_)
                  .ok());
  ASSERT_TRUE(
      store_->Promote("shop.quote", "1.0.0", "hardened", publisher_.secret_key)
          .ok());
  // Nothing changed: nothing to do.
  auto none = Recertify(*store_, lenient, {}, *store_key_).value();
  EXPECT_TRUE(none.empty());
  {
    // While another process recertifies, a server's pass is skipped (a dry
    // run, which writes nothing, still answers).
    FileLock other = FileLock::Take((dir_ / "recertify.lock").string()).value();
    RecertifyOptions server;
    server.all = true;
    server.wait_for_others = false;
    auto skipped = Recertify(*store_, lenient, server, *store_key_);
    ASSERT_FALSE(skipped.ok());
    EXPECT_EQ(skipped.status().code(), Code::kUnavailable);
    server.dry_run = true;
    EXPECT_EQ(Recertify(*store_, lenient, server, *store_key_)->size(), 1u);
  }
  // --all re-runs it and it passes again.
  RecertifyOptions all;
  all.all = true;
  auto again = Recertify(*store_, lenient, all, *store_key_).value();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].verdict, "recertified");
  // The policy now wants every branch covered: its one test leaves the
  // failing branch uncovered, so it is demoted with the reason.
  Policy strict = lenient;
  strict.harden.min_coverage = 1.0;
  RecertifyOptions dry;
  dry.dry_run = true;
  auto listed = Recertify(*store_, strict, dry, *store_key_).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].verdict, "affected");
  EXPECT_EQ(store_->Get("shop.quote", "1.0.0")->stage, "hardened");
  auto results = Recertify(*store_, strict, {}, *store_key_).value();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, "demoted");
  EXPECT_NE(results[0].changed[0].find("policy changed"), std::string::npos);
  EXPECT_NE(results[0].reason.find("coverage"), std::string::npos)
      << results[0].reason;
  auto info = store_->Get("shop.quote", "1.0.0").value();
  EXPECT_EQ(info.stage, "tested");
  Json rep = store_->Report("shop.quote", "1.0.0").value();
  ASSERT_EQ(rep["demotions"].size(), 1u);
  EXPECT_NE(rep["demotions"][0]["reason"].get<std::string>().find(
                "recertification failed"),
            std::string::npos);
}

// Percentiles from the tally's histogram against the exact nearest-rank
// ones: within a bucket (0.8%) over six orders of magnitude, exact below
// 256 µs and where the runs of a bucket took the same time.
TEST(VersionTallyTest, PercentilesWithinABucketOfTheExactOnes) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    VersionTally t;
    std::vector<int64_t> us;
    int n = 1 + static_cast<int>(rng() % 3000);
    std::uniform_real_distribution<double> exponent(0, 8);
    for (int i = 0; i < n; ++i) {
      int64_t v = static_cast<int64_t>(std::pow(10.0, exponent(rng)));
      us.push_back(v);
      journal::Journal::RunSummary r;
      r.state = i % 10 == 0 ? "failed" : "completed";
      r.created_us = 1000;
      r.updated_us = 1000 + v;
      if (r.state == "completed") t.Add(r);
      if (r.state != "completed") {
        us.pop_back();
        t.Add(r);
      }
    }
    std::sort(us.begin(), us.end());
    VersionMetrics m = t.Metrics("1.0.0");
    ASSERT_EQ(m.completed, static_cast<int>(us.size()));
    EXPECT_EQ(m.runs, n);
    for (auto [q, got] : {std::pair{0.5, m.latency_p50_ms},
                          std::pair{0.95, m.latency_p95_ms}}) {
      if (us.empty()) {
        EXPECT_EQ(got, 0);
        continue;
      }
      size_t k = static_cast<size_t>(std::ceil(q * us.size())) - 1;
      double exact = us[k] / 1000.0;
      if (us[k] < 256) {
        EXPECT_EQ(got, exact) << "q=" << q << " n=" << n;
      } else {
        EXPECT_NEAR(got, exact, exact / 128) << "q=" << q << " n=" << n;
      }
    }
  }
  VersionTally same;
  for (int i = 0; i < 10; ++i) {
    journal::Journal::RunSummary r;
    r.state = "completed";
    r.updated_us = 123457;
    same.Add(r);
  }
  journal::Journal::RunSummary waiting;
  waiting.state = "waiting";
  same.Add(waiting);
  VersionMetrics m = same.Metrics("2.0.0");
  EXPECT_EQ(m.latency_p95_ms, 123.457);
  EXPECT_EQ(m.in_flight, 1);
  EXPECT_EQ(m.runs, 10);
  EXPECT_EQ(same.seen(), 11);
}

TEST(PolicyTest, ParsesDefaultsAndRefusesNonsense) {
  auto p = ParsePolicy(R"({"rollout": {"share": 0.25, "soak": "3d",
      "margins": {"failure": 0.01}}, "harden": {"min_mutation": 0.8}})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rollout.share, 0.25);
  EXPECT_EQ(p->rollout.soak_us, 3 * 86400000000LL);
  EXPECT_EQ(p->rollout.margins.failure, 0.01);
  EXPECT_EQ(p->rollout.margins.denial, 0.10);  // default kept
  EXPECT_EQ(p->harden.min_mutation, 0.8);
  EXPECT_NE(p->HardenDigest(), Policy{}.HardenDigest());
  for (const char* bad :
       {R"({"rollout": {"share": 2}})", R"({"rollout": {"soak": "soon"}})",
        R"({"rollout": {"shar": 0.1}})", R"({"harden": {"cases": 0}})",
        R"({"rollout": {"agents": [1]}})", R"([1])", R"({)"}) {
    EXPECT_FALSE(ParsePolicy(bad).ok()) << bad;
  }
  EXPECT_EQ(ParsePolicy(R"({"rollout": {"shar": 0.1}})").status().message(),
            "unknown member `shar` in rollout");
  EXPECT_EQ(FormatDurationUs(ParseDuration("36h").value()), "36h");
}

// The catalog's tools with the store and journal of the rollout fixture:
// what a session keeps of the values behind handles.
using SessionHandlesTest = RolloutTest;

TEST_F(SessionHandlesTest, ASessionKeepsABoundedNumberOfHandles) {
  ASSERT_TRUE(store_
                  ->Publish({{"keep.wf", R"(workflow t.keep 1.0.0 {
  summary "Keeps a private note."
  intent "keep a note"

  input note: { text: string private } "A note."
  output note: { text: string private } "The note."

  run {
    return { note: note }
  }

  test "keeps" {
    call { note: { text: "x" } }
    expect output.note.text == "x"
  }
}
)"}},
                            publisher_.secret_key)
                  .ok());
  for (auto [max, max_bytes, expect] :
       {std::tuple<size_t, size_t, size_t>{3, size_t{1} << 20, 3},
        {100, 16, 2}}) {
    server::ToolsOptions to;
    to.store = store_.get();
    to.journal = journal_.get();
    to.connectors = &connectors_;
    to.clock = &clock_;
    to.workflow_tools = false;
    to.max_handles_per_session = max;
    to.max_handle_bytes_per_session = max_bytes;
    auto tools = server::WorkflowTools::Create(std::move(to)).value();
    mcp::Engine engine(mcp::EngineOptions{}, tools.get());
    mcp::Principal p{"a", {}};
    p.grants.min_stage = "draft";
    mcp::Session s("s-keep", p);
    engine.Handle(
        s,
        mcp::MakeRequest(1, "initialize",
                         {{"protocolVersion", "2025-06-18"},
                          {"capabilities", Json::object()},
                          {"clientInfo", {{"name", "t"}, {"version", "1"}}}}),
        &channel_);
    for (int i = 0; i < 5; ++i) {
      Json r = engine.Handle(
          s,
          mcp::MakeRequest(
              10 + i, "tools/call",
              {{"name", "run_workflow"},
               {"arguments",
                {{"name", "t.keep"},
                 {"arguments", {{"note", {{"text", StrCat("note ", i)}}}}}}}}),
          &channel_);
      // The note is the person's: a handle for the agent.
      ASSERT_TRUE(
          r["result"]["structuredContent"]["outputs"]["note"]["text"].contains(
              "handle"))
          << r.dump();
      EXPECT_EQ(tools->handle_count("s-keep"),
                std::min<size_t>(static_cast<size_t>(i) + 1, expect))
          << "max " << max << ", bytes " << max_bytes << ", run " << i;
    }
    tools->SessionClosed("s-keep");
    EXPECT_EQ(tools->handle_count("s-keep"), 0u);
  }
}

}  // namespace
}  // namespace wfs::rollout
