#include <gtest/gtest.h>

#include "base/clock.h"
#include "connectors/sim/simulators.h"
#include "runtime/agent_view.h"
#include "runtime/scope.h"
#include "runtime/types.h"
#include "tests/runtime/harness.h"

namespace wfs::runtime::test {
namespace {

const char* kMail = R"({"mail": {"messages": [
  {"id": "a", "mailbox": "INBOX", "from": "ann@example.com", "subject": "Hi", "body": "secret plans"},
  {"id": "b", "mailbox": "INBOX", "from": "bob@example.com", "subject": "Yo"}]}})";

std::string Header(const std::string& extra) {
  return "workflow t.w 1.0.0 {\n summary \"s\"\n intent \"i\"\n" + extra;
}

TEST(ValueTest, DecimalsAreExact) {
  EXPECT_EQ(ParseDecimal("42.50").value(), 42500000);
  EXPECT_EQ(FormatDecimal(42500000), "42.50");
  EXPECT_EQ(FormatDecimal(-1), "-0.000001");
  EXPECT_EQ(FormatDecimal(3000000), "3");
  EXPECT_FALSE(ParseDecimal("1.2345678").ok());
  EXPECT_FALSE(ParseDecimal("abc").ok());
  EXPECT_FALSE(ParseDecimal("1e5").ok());
  auto sum = ParseDecimal("0.10").value() + ParseDecimal("0.20").value();
  EXPECT_EQ(FormatDecimal(sum), "0.30");
}

TEST(ValueTest, TimesParseWithOffsets) {
  EXPECT_EQ(ParseTime("1970-01-01T00:00:00Z").value(), 0);
  EXPECT_EQ(ParseTime("2026-12-01T11:00:00+01:00").value(),
            ParseTime("2026-12-01T10:00:00Z").value());
  EXPECT_EQ(FormatTime(ParseTime("2026-12-01T10:00:00Z").value()),
            "2026-12-01T10:00:00Z");
  EXPECT_FALSE(ParseTime("2026-13-01T10:00:00Z").ok());
  EXPECT_FALSE(ParseTime("yesterday").ok());
}

TEST(ScopeTest, PathsStayUnderTheirRoot) {
  std::vector<std::string> roots = {"/repo"};
  EXPECT_TRUE(CheckPathInScope("src/a.py", roots).ok());
  EXPECT_TRUE(CheckPathInScope("src/../a.py", roots).ok());
  EXPECT_TRUE(CheckPathInScope("/repo", roots).ok());
  EXPECT_TRUE(CheckPathInScope("/repo/x/../y", roots).ok());
  EXPECT_FALSE(CheckPathInScope("../etc/passwd", roots).ok());
  EXPECT_FALSE(CheckPathInScope("a/../../b", roots).ok());
  EXPECT_FALSE(CheckPathInScope("/etc/passwd", roots).ok());
  EXPECT_FALSE(CheckPathInScope("/repo/../etc", roots).ok());
  EXPECT_FALSE(CheckPathInScope("/repository", roots).ok());
  EXPECT_FALSE(CheckPathInScope(std::string("a\0b", 3), roots).ok());
}

TEST(ScopeTest, DomainsMatchExactly) {
  std::vector<std::string> allowed = {"api.github.com"};
  EXPECT_TRUE(CheckDomainInScope("https://api.github.com/repos/x", allowed).ok());
  EXPECT_TRUE(CheckDomainInScope("https://API.GitHub.com:443/x", allowed).ok());
  EXPECT_FALSE(CheckDomainInScope("https://api.github.com.evil.io/", allowed).ok());
  EXPECT_FALSE(CheckDomainInScope("https://evil.io/@api.github.com", allowed).ok());
  EXPECT_FALSE(CheckDomainInScope("https://api.github.com@evil.io/", allowed).ok());
  EXPECT_FALSE(CheckDomainInScope("https://xn--pi-github-com.example/", allowed).ok());
  EXPECT_EQ(HostOf("ann@Example.COM"), "example.com");
}

TEST(RuntimeTest, LabelsReachTheAgentBoundary) {
  Harness h;
  auto p = h.Program(h.Ir(Header(R"(
  input id: mail.MessageId "m"
  input mailbox: mail.Mailbox "b"
  output m: mail.Message "the message"
  uses mail.read
  scope mail.mailbox = mailbox
  run {
    let m = mail.get(id)
    return { m: m }
  }
})")));
  auto r = h.Run(*p, Json::parse(kMail), {{"id", "a"}, {"mailbox", "INBOX"}});
  ASSERT_EQ(r.run.outcome, Outcome::kCompleted) << Dump(r.run);
  HandleTable handles;
  Json view = AgentView(*p, r.run.outputs, &handles, "h");
  EXPECT_EQ(view["m"]["id"], "a");            // trusted: text
  EXPECT_EQ(view["m"]["mailbox"], "INBOX");
  EXPECT_TRUE(view["m"]["subject"].contains("handle"));  // untrusted
  EXPECT_TRUE(view["m"]["body"].contains("handle"));     // private
  EXPECT_EQ(handles.size(), 3u);  // from, subject, body (`to` is empty)
  for (const auto& [id, v] : handles) EXPECT_TRUE(NeedsHandle(v.label()));
}

TEST(RuntimeTest, ViolationsNameTheRuleTheParameterAndTheOrigin) {
  Harness h;
  Json ir = h.CatalogIr("mail/forward_to_contact.wf");
  ASSERT_EQ(RemoveOps(ir["code"], "confirm"), 1);
  auto p = h.Program(ir);
  Json world = Json::parse(kMail);
  world["contacts"]["contacts"] = Json::parse(
      R"([{"id": "c1", "name": "Eve", "email": "eve@example.com"}])");
  auto r = h.Run(*p, world, {{"id", "a"}, {"mailbox", "INBOX"}, {"to", "Eve"}});
  EXPECT_EQ(r.run.outcome, Outcome::kViolation) << Dump(r.run);
  EXPECT_EQ(r.run.rule, "private-to-unconfirmed");
  EXPECT_NE(r.run.error.find("`to`"), std::string::npos) << r.run.error;
  EXPECT_NE(r.run.error.find("field `body` of mail.get"), std::string::npos)
      << r.run.error;
  EXPECT_TRUE(world["mail"].value("sent", Json::array()).empty());
  EXPECT_TRUE(r.world_after["mail"]["sent"].empty());
  ASSERT_FALSE(r.run.calls.empty());
  EXPECT_EQ(r.run.calls.back().decision, "refused");
  EXPECT_EQ(r.run.calls.back().LabelsJson()["to"]["prov"],
            Json::array({"literal", "directory"}));
}

TEST(RuntimeTest, IrreversibleAgentChosenTargetsNeedTheConfirmation) {
  Harness h;
  Json ir = h.CatalogIr("payments/pay_payee.wf");
  ASSERT_EQ(RemoveOps(ir["code"], "confirm"), 1);
  auto p = h.Program(ir);
  Json world = Json::parse(R"({"payments": {
    "payees": [{"id": "p1", "name": "City Power", "iban": "DE02100100109307118603"}],
    "accounts": [{"id": "checking", "balance": "1000.00"}]}})");
  auto r = h.Run(*p, world,
                 {{"payee", "City Power"}, {"amount", "42.50"},
                  {"account", "checking"}, {"memo", "m"}});
  EXPECT_EQ(r.run.outcome, Outcome::kViolation) << Dump(r.run);
  EXPECT_EQ(r.run.rule, "irreversible-agent-target");
  EXPECT_TRUE(r.world_after["payments"]["payments"].empty());
}

TEST(RuntimeTest, StepMemoryAndTimeLimitsStopCleanly) {
  Harness h;
  auto p = h.Program(h.Ir(Header(R"(
  input s: string "s"
  output out: string "o"
  run {
    var t = s
    for i in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20] {
      t = t + t
    }
    return { out: t }
  }
})")));
  ExecOptions small;
  small.max_steps = 20;
  auto r = h.Run(*p, Json::object(), {{"s", "x"}}, {}, small);
  EXPECT_EQ(r.run.outcome, Outcome::kLimit);
  EXPECT_NE(r.run.error.find("steps"), std::string::npos);
  ExecOptions mem;
  mem.max_bytes = 100000;
  auto r2 = h.Run(*p, Json::object(), {{"s", "0123456789"}}, {}, mem);
  EXPECT_EQ(r2.run.outcome, Outcome::kLimit);
  EXPECT_NE(r2.run.error.find("bytes"), std::string::npos);
  auto r3 = h.Run(*p, Json::object(), {{"s", "x"}});
  EXPECT_EQ(r3.run.outcome, Outcome::kCompleted);
  EXPECT_EQ(r3.run.outputs.RawField("out")->s().size(), 1u << 20);
}

// A clock that jumps a second on every reading.
class RushingClock : public Clock {
 public:
  int64_t NowMicros() const override { return t_ += 1000000; }
  int64_t MonotonicMicros() const override { return t_ += 1000000; }

 private:
  mutable int64_t t_ = 0;
};

TEST(RuntimeTest, WallTimeLimit) {
  Harness h;
  auto p = h.Program(h.Ir(Header(R"(
  input n: int "n"
  run {
    var k = 0
    for i in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] {
      for j in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] { k = k + 1 }
    }
  }
})")));
  RushingClock clock;
  ExecContext ctx;
  ctx.clock = &clock;
  ctx.options.max_wall_micros = 5000000;
  auto r = Execute(*p, {{"n", 1}}, ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, Outcome::kLimit);
  EXPECT_NE(r->error.find("wall-time"), std::string::npos);
}

TEST(RuntimeTest, CompensationRunsInReverseAndReportsEachStep) {
  Harness h;
  auto p = h.Program(h.Ir(Header(R"(
  input mailbox: mail.Mailbox "b"
  uses mail.read, mail.update
  scope mail.mailbox = [mailbox, "Archive"]
  limit mail.update <= 10
  run {
    mail.flag("a", "\\Seen")
    mail.move("a", "Archive")
    mail.move("b", "Archive")
    fail "stop here"
  }
})")));
  auto r = h.Run(*p, Json::parse(kMail), {{"mailbox", "INBOX"}});
  EXPECT_EQ(r.run.outcome, Outcome::kFailed);
  EXPECT_EQ(r.run.error, "stop here");
  ASSERT_EQ(r.run.undo.size(), 3u);
  EXPECT_EQ(r.run.undo[0].seq, 2);  // last effect first
  EXPECT_EQ(r.run.undo[1].seq, 1);
  EXPECT_EQ(r.run.undo[2].seq, 0);
  for (const Json& m : r.world_after["mail"]["messages"]) {
    EXPECT_EQ(m["mailbox"], "INBOX");
    EXPECT_TRUE(m["flags"].empty());
  }
  for (const CallRecord& c : r.run.calls) EXPECT_TRUE(c.undone) << c.action;
}

TEST(RuntimeTest, SubWorkflowEffectsCountAgainstTheCallersBudget) {
  Harness h;
  Json callee = h.Ir(R"(workflow lib.move_one 1.0.0 {
  summary "s"
  intent "i"
  input id: mail.MessageId "m"
  input mailbox: mail.Mailbox "b"
  uses mail.update
  scope mail.mailbox = [mailbox, "Archive"]
  limit mail.update <= 1
  run { mail.move(id, "Archive") }
})");
  auto callee_p = h.Program(callee);
  auto out = h.compiler().Check({{"caller.wf", R"(workflow lib.caller 1.0.0 {
  summary "s"
  intent "i"
  input mailbox: mail.Mailbox "b"
  uses mail.update
  scope mail.mailbox = [mailbox, "Archive"]
  limit mail.update <= 2
  run {
    let x = workflow lib.move_one@1.0.0(id: "a", mailbox: mailbox)
    let y = workflow lib.move_one@1.0.0(id: "b", mailbox: mailbox)
  }
})"}});
  // The caller's check needs the callee in the same batch.
  auto both = h.compiler().Check(
      {{"callee.wf", R"(workflow lib.move_one 1.0.0 {
  summary "s"
  intent "i"
  input id: mail.MessageId "m"
  input mailbox: mail.Mailbox "b"
  uses mail.update
  scope mail.mailbox = [mailbox, "Archive"]
  limit mail.update <= 1
  run { mail.move(id, "Archive") }
})"},
       {"caller.wf", R"(workflow lib.caller 1.0.0 {
  summary "s"
  intent "i"
  input mailbox: mail.Mailbox "b"
  uses mail.update
  scope mail.mailbox = [mailbox, "Archive"]
  limit mail.update <= 2
  run {
    let x = workflow lib.move_one@1.0.0(id: "a", mailbox: mailbox)
    let y = workflow lib.move_one@1.0.0(id: "b", mailbox: mailbox)
  }
})"}});
  ASSERT_TRUE(both[1].ok);
  EXPECT_EQ(both[0].content_id, "sha256:" + Sha256Hex(CanonicalJson(callee)));
  Json caller_ir = both[1].ir();
  auto caller = h.Program(caller_ir);
  auto r = h.Run(*caller, Json::parse(kMail), {{"mailbox", "INBOX"}});
  EXPECT_EQ(r.run.outcome, Outcome::kCompleted) << Dump(r.run);
  EXPECT_EQ(r.run.Effects().size(), 2u);
  // Tamper: the caller allows only one update in total.
  caller_ir["limits"]["mail.update"] = 1;
  auto tampered = h.Program(caller_ir);
  auto r2 = h.Run(*tampered, Json::parse(kMail), {{"mailbox", "INBOX"}});
  EXPECT_EQ(r2.run.outcome, Outcome::kViolation) << Dump(r2.run);
  EXPECT_EQ(r2.run.rule, "budget");
  // A sub-workflow that is not the pinned one is refused.
  Json wrong = caller_ir;
  wrong["limits"]["mail.update"] = 2;
  for (Json& op : wrong["code"]) {
    if (op["op"] == "workflow") op["content_id"] = "sha256:0000";
  }
  auto pinned = h.Program(wrong);
  auto r3 = h.Run(*pinned, Json::parse(kMail), {{"mailbox", "INBOX"}});
  EXPECT_EQ(r3.run.rule, "pinned-dependency") << Dump(r3.run);
  (void)out;
  (void)callee_p;
}

// Records effects and answers, then replays them.
class Recorder : public ExecHooks {
 public:
  std::optional<Result<connectors::ActionResponse>> Replay(
      const EffectEvent& e) override {
    auto it = recorded_.find(e.seq);
    if (replay_ && it != recorded_.end()) {
      return Result<connectors::ActionResponse>(it->second);
    }
    return std::nullopt;
  }
  void AfterEffect(const EffectEvent& e,
                   const Result<connectors::ActionResponse>& r) override {
    ++calls_;
    if (r.ok()) recorded_[e.seq] = *r;
    keys_.push_back(e.idempotency_key);
  }
  std::optional<Answer> BeforePrompt(const Prompt& p) override {
    auto it = answers_.find(p.seq);
    if (replay_ && it != answers_.end()) return it->second;
    return std::nullopt;
  }
  void AfterPrompt(const Prompt& p, const Answer& a) override {
    answers_[p.seq] = a;
  }
  bool replay_ = false;
  int calls_ = 0;
  std::map<int, connectors::ActionResponse> recorded_;
  std::map<int, Answer> answers_;
  std::vector<std::string> keys_;
};

TEST(RuntimeTest, ReplayUsesRecordedEffectsAndAnswers) {
  Harness h;
  auto p = h.Program(h.CatalogIr("mail/delete_message.wf"));
  auto world = connectors::sim::World::FromJson(
      Json::parse(kMail),
      connectors::sim::SchemaFromInterfaces(h.compiler().interfaces()));
  ASSERT_TRUE(world.ok());
  auto sims = connectors::sim::MakeSimulators(&*world);
  connectors::ConnectorSet set;
  for (auto& s : sims) set.Add(s.get());
  Recorder rec;
  ScriptedApprover approve({Answer::Approve()});
  ExecContext ctx;
  ctx.connectors = &set;
  ctx.approver = &approve;
  ctx.hooks = &rec;
  ctx.run_id = "r1";
  auto first = Execute(*p, {{"id", "b"}, {"mailbox", "INBOX"}}, ctx);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->outcome, Outcome::kCompleted);
  EXPECT_EQ(rec.calls_, 2);
  EXPECT_EQ(rec.keys_[1], "r1/1/1");  // run / step / call number
  // Replay against the changed world: the connector is not called again and
  // the person is not asked again; the outcome is the same.
  rec.replay_ = true;
  FixedApprover never(Answer::Deny());
  ctx.approver = &never;
  auto second = Execute(*p, {{"id", "b"}, {"mailbox", "INBOX"}}, ctx);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->outcome, Outcome::kCompleted);
  EXPECT_EQ(rec.calls_, 2);
  EXPECT_EQ(second->calls[1].decision, "replayed");
}

TEST(RuntimeTest, BadInputsAreRefusedBeforeAnythingRuns) {
  Harness h;
  auto p = h.Program(h.CatalogIr("payments/pay_payee.wf"));
  ExecContext ctx;
  auto r = Execute(*p, {{"payee", "x"}, {"amount", "12.3456789"},
                        {"account", "a"}, {"memo", "m"}}, ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("amount"), std::string::npos);
  auto r2 = Execute(*p, {{"payee", "x"}}, ctx);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("missing input"), std::string::npos);
  auto r3 = Execute(*p, {{"payee", "x"}, {"amount", "1"}, {"account", "a"},
                         {"memo", "m"}, {"extra", 1}}, ctx);
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.status().message().find("no input `extra`"), std::string::npos);
}

TEST(RuntimeTest, AuditRecordHasInputsDecisionsEffectsAndOutcome) {
  Harness h;
  auto p = h.Program(h.CatalogIr("mail/delete_message.wf"));
  auto r = h.Run(*p, Json::parse(kMail), {{"id", "b"}, {"mailbox", "INBOX"}},
                 {Answer::Approve()});
  Json a = r.run.Audit(*p);
  EXPECT_EQ(a["workflow"]["name"], "mail.delete_message");
  EXPECT_EQ(a["workflow"]["content_id"], p->content_id);
  EXPECT_EQ(a["inputs"]["id"]["value"], "b");
  EXPECT_EQ(a["inputs"]["id"]["label"]["prov"], Json::array({"agent"}));
  EXPECT_EQ(a["outcome"], "completed");
  ASSERT_EQ(a["calls"].size(), 2u);
  EXPECT_EQ(a["calls"][1]["action"], "mail.delete");
  EXPECT_EQ(a["calls"][1]["decision"], "allowed");
  bool confirm_seen = false;
  for (const Json& d : a["decisions"]) {
    if (d["kind"] == "confirm") {
      confirm_seen = true;
      EXPECT_EQ(d["answer"], "approve");
      EXPECT_NE(d["text"].get<std::string>().find("Yo"), std::string::npos);
    }
  }
  EXPECT_TRUE(confirm_seen);
}

TEST(RuntimeTest, ChooseAlwaysAsksAboutUntrustedCandidates) {
  Harness h;
  auto p = h.Program(h.Ir(Header(R"(
  input mailbox: mail.Mailbox "b"
  output picked: mail.Email "who"
  uses mail.read
  scope mail.mailbox = mailbox
  run {
    let found = mail.find(mailbox, "ann")
    let senders = [found[0].from]
    choose who from senders "Which sender?"
    return { picked: who }
  }
})")));
  auto r = h.Run(*p, Json::parse(kMail), {{"mailbox", "INBOX"}},
                 {Answer::Choose(0)});
  ASSERT_EQ(r.run.outcome, Outcome::kCompleted) << Dump(r.run);
  EXPECT_EQ(r.run.asked.size(), 1u);  // one candidate, but untrusted: asked
  EXPECT_EQ(r.run.outputs.RawField("picked")->Flatten().prov,
            static_cast<uint8_t>(kProvPerson));
}

}  // namespace
}  // namespace wfs::runtime::test
