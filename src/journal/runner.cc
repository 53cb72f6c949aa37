#include "journal/runner.h"

#include <cstdio>

#include "base/random.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "runtime/agent_view.h"
#include "runtime/types.h"

namespace wfs::journal {

using connectors::ActionResponse;
using runtime::Answer;

Code CodeFromName(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(Code::kInternal); ++i) {
    if (CodeName(static_cast<Code>(i)) == name) return static_cast<Code>(i);
  }
  return Code::kInternal;
}

namespace {

Json AnswerJson(const Answer& a) {
  if (a.kind == Answer::Kind::kChoose) return Json{{"choose", a.choice}};
  return runtime::AnswerText(a);
}

std::optional<Answer> AnswerFrom(const Json& j) {
  if (j.is_object() && j.contains("choose") &&
      j["choose"].is_number_integer()) {
    return Answer::Choose(j["choose"].get<int>());
  }
  if (!j.is_string()) return std::nullopt;
  std::string s = j.get<std::string>();
  if (s == "approve") return Answer::Approve();
  if (s == "deny") return Answer::Deny();
  if (s == "timeout") return Answer::Timeout();
  return std::nullopt;
}

std::string ConnectorOf(const std::string& qualified) {
  return qualified.substr(0, qualified.find('.'));
}

}  // namespace

RunLog::RunLog(Journal* journal, std::string run_id,
               const std::vector<EventRecord>& past,
               const connectors::ConnectorSet* connectors)
    : j_(journal), run_id_(std::move(run_id)), connectors_(connectors) {
  for (const EventRecord& e : past) {
    next_seq_ = std::max(next_seq_, e.seq + 1);
    if (e.kind == "intent") {
      pending_[e.effect] = e.key;
    } else if (e.kind == "result" ||
               (e.kind == "reconciled" && e.data.value("happened", false))) {
      ActionResponse r;
      r.result = e.data.value("result", Json());
      r.undo = e.data.value("undo", Json());
      results_.erase(e.effect);
      results_.emplace(e.effect, r);
      pending_.erase(e.effect);
    } else if (e.kind == "error" || e.kind == "uncertain") {
      results_.erase(e.effect);
      results_.emplace(e.effect,
                       Status(CodeFromName(e.data.value("code", "internal")),
                              e.data.value("message", "recorded failure")));
      pending_.erase(e.effect);
    } else if (e.kind == "reconciled") {
      pending_.erase(e.effect);  // did not happen: it runs again
    } else if (e.kind == "answer") {
      if (auto a = AnswerFrom(e.data.value("answer", Json()))) {
        answers_[JsonIntMember32(e.data, "prompt", -1)] = *a;
      }
    } else if (e.kind == "undo" && e.data.value("ok", false)) {
      undone_.insert(e.effect);
    }
  }
}

void RunLog::RecordLater(RunRecord run) {
  unrecorded_ = std::move(run);
  durable_ = false;
}

Status RunLog::Record(bool wait) {
  if (!unrecorded_) return error_;
  Status s = j_->CreateRun(*unrecorded_, wait);
  unrecorded_.reset();
  if (!s.ok() && error_.ok()) error_ = s;
  return s;
}

Status RunLog::Add(EventRecord e, bool wait) {
  if (unrecorded_) WFS_RETURN_IF_ERROR(Record(/*wait=*/false));
  e.seq = next_seq_++;
  Status s = j_->Append(run_id_, e, wait);
  if (!s.ok() && error_.ok()) error_ = s;
  return s;
}

std::optional<Result<ActionResponse>> RunLog::Replay(
    const runtime::EffectEvent& e) {
  auto it = results_.find(e.seq);
  if (it != results_.end()) return it->second;
  auto p = pending_.find(e.seq);
  if (p == pending_.end()) return std::nullopt;
  // The intent is on disk but not its result: the process stopped between
  // the two. Ask the connector whether the effect happened.
  pending_.erase(p);
  connectors::Connector* conn =
      connectors_ ? connectors_->Find(ConnectorOf(e.action)) : nullptr;
  Result<std::optional<ActionResponse>> found =
      conn ? conn->Lookup(e.idempotency_key)
           : Result<std::optional<ActionResponse>>(Unavailable(
                 "connector " + ConnectorOf(e.action) + " is not configured"));
  EventRecord rec;
  rec.effect = e.seq;
  rec.key = e.idempotency_key;
  if (found.ok() && found->has_value()) {
    ++reconciled_;
    rec.kind = "reconciled";
    rec.data = {{"happened", true},
                {"result", (*found)->result},
                {"undo", (*found)->undo}};
    Add(rec, false).IgnoreError();
    return Result<ActionResponse>(**found);
  }
  if (found.ok()) {
    ++reconciled_;
    rec.kind = "reconciled";
    rec.data = {{"happened", false}};
    Add(rec, false).IgnoreError();
    return std::nullopt;  // it did not happen: run it now
  }
  ++uncertain_;
  rec.kind = "uncertain";
  std::string msg =
      StrCat(e.action,
             " was started before a crash and whether it happened "
             "cannot be told (",
             found.status().message(), ")");
  rec.data = {{"code", "aborted"}, {"message", msg}};
  Add(rec, false).IgnoreError();
  return Result<ActionResponse>(Aborted(msg));
}

Status RunLog::BeforeEffect(const runtime::EffectEvent& e) {
  // A read changes nothing: it needs no intent (its result is still recorded
  // so a replay sees what the run saw).
  if (e.effect == lang::Effect::kRead) return MakeDurable();
  EventRecord rec;
  rec.kind = "intent";
  rec.effect = e.seq;
  rec.key = e.idempotency_key;
  rec.data = {{"action", e.action},
              {"workflow", e.workflow},
              {"step", e.step},
              {"args", e.args ? *e.args : Json()}};
  Status s = Add(rec, /*wait=*/true);
  if (s.ok()) durable_ = true;
  return s;
}

void RunLog::AfterEffect(const runtime::EffectEvent& e,
                         const Result<ActionResponse>& r) {
  EventRecord rec;
  rec.effect = e.seq;
  rec.key = e.idempotency_key;
  if (r.ok()) {
    rec.kind = "result";
    rec.data = {{"result", r->result}, {"undo", r->undo}};
  } else {
    rec.kind = "error";
    rec.data = {{"code", std::string(CodeName(r.status().code()))},
                {"message", r.status().message()}};
  }
  Add(rec, false).IgnoreError();
}

std::optional<Answer> RunLog::BeforePrompt(const runtime::Prompt& p) {
  auto it = answers_.find(p.seq);
  if (it != answers_.end()) return it->second;
  // The question is about to reach the person: the run exists on disk
  // first. When it cannot be written, nobody is asked (the run ends
  // unanswered, and Finish reports the journal's error).
  if (!MakeDurable().ok()) return Answer::Timeout();
  return std::nullopt;
}

void RunLog::AfterPrompt(const runtime::Prompt& p, const Answer& a) {
  EventRecord q;
  q.kind = "prompt";
  q.data = {{"prompt", p.seq},
            {"kind",
             p.kind == runtime::Prompt::Kind::kConfirm ? "confirm" : "choose"},
            {"text", p.text},
            {"options", p.options},
            {"workflow", p.workflow},
            {"at", Json::array({p.line, p.col})}};
  Add(q, false).IgnoreError();
  if (a.kind == Answer::Kind::kDefer) return;
  EventRecord ans;
  ans.kind = "answer";
  ans.data = {{"prompt", p.seq}, {"answer", AnswerJson(a)}};
  Add(ans, false).IgnoreError();
}

bool RunLog::UndoneBefore(const runtime::UndoEvent& u) {
  return undone_.count(u.seq) > 0;
}

void RunLog::AfterUndo(const runtime::UndoEvent& u, const Status& s) {
  EventRecord rec;
  rec.kind = "undo";
  rec.effect = u.seq;
  rec.key = u.idempotency_key;
  rec.data = {
      {"undo", u.undo}, {"ok", s.ok()}, {"error", s.ok() ? "" : s.ToString()}};
  Add(rec, false).IgnoreError();
}

Status RunLog::Finish(const runtime::RunResult& r, const runtime::Program& p) {
  Json outcome = {{"outcome", runtime::OutcomeName(r.outcome)},
                  {"error", r.error},
                  {"rule", r.rule},
                  {"reconciled", reconciled_},
                  {"uncertain", uncertain_}};
  if (r.outcome == runtime::Outcome::kCompleted) {
    runtime::HandleTable handles;
    outcome["outputs"] = runtime::AgentView(p, r.outputs, &handles, "h");
  }
  Json undo = Json::array();
  for (const runtime::UndoRecord& u : r.undo) {
    undo.push_back({{"effect", u.seq},
                    {"action", u.action},
                    {"ok", u.ok},
                    {"error", u.error}});
  }
  outcome["undo"] = std::move(undo);
  Status s;
  if (r.outcome == runtime::Outcome::kWaiting) {
    // Durable before the caller is told to answer it (the answer may come
    // from another process).
    Record(/*wait=*/false).IgnoreError();
    s = j_->SetState(run_id_, "waiting", outcome, /*wait=*/true);
  } else if (unrecorded_) {
    // It touched nothing: one record, the run as it ended.
    unrecorded_->state = runtime::OutcomeName(r.outcome);
    unrecorded_->outcome = std::move(outcome);
    s = j_->RecordFinishedRun(std::move(*unrecorded_), next_seq_++,
                              /*wait=*/false);
    unrecorded_.reset();
  } else {
    // Rides along with the next commit: the run's effects' intents are
    // already durable, and a crash before that commit only leaves the run
    // to recovery (or, for a run that touched nothing, unrecorded).
    s = j_->FinishRun(run_id_, next_seq_++, runtime::OutcomeName(r.outcome),
                      outcome, /*wait=*/false);
  }
  if (!s.ok() && error_.ok()) error_ = s;
  return error_;
}

Status RunLog::MakeDurable() {
  if (durable_) return error_;
  Status s = unrecorded_ ? Record(/*wait=*/true) : j_->Flush();
  if (!s.ok() && error_.ok()) error_ = s;
  durable_ = error_.ok();
  return error_;
}

namespace {

class NoConnectors : public ConnectorLease {
 public:
  const connectors::ConnectorSet& set() const override { return set_; }

 private:
  connectors::ConnectorSet set_;
};

// Sub-workflows: the caller's resolver first, then programs recorded in the
// journal (a run resumed after a restart may have no other source).
class JournalResolver : public runtime::ProgramResolver {
 public:
  JournalResolver(Journal* j, const runtime::ProgramResolver* next)
      : j_(j), next_(next) {}
  runtime::ProgramPtr Find(const std::string& name,
                           const std::string& version) const override {
    if (next_) {
      if (auto p = next_->Find(name, version)) return p;
    }
    auto found = j_->FindProgram(name, version);
    if (!found.ok()) return nullptr;
    auto ir = ParseJson(found->second, JsonLimits{1u << 30, 256});
    if (!ir.ok()) return nullptr;
    auto p = runtime::Program::FromIr(*ir, found->first);
    return p.ok() ? *p : nullptr;
  }

 private:
  Journal* j_;
  const runtime::ProgramResolver* next_;
};

}  // namespace

Runner::Runner(Journal* journal, ConnectorProvider* provider,
               const runtime::ProgramResolver* resolver, RunnerOptions options)
    : journal_(journal),
      provider_(provider),
      resolver_(resolver),
      options_(options) {}

Status Runner::RecordPrograms(const runtime::Program& program, int depth) {
  if (depth > 16) return Status::Ok();
  {
    std::lock_guard<std::mutex> l(recorded_mu_);
    if (recorded_.count(program.content_id)) return Status::Ok();
  }
  WFS_RETURN_IF_ERROR(journal_->PutProgram(program.content_id, program.name,
                                           program.version,
                                           CanonicalJson(program.ir)));
  {
    std::lock_guard<std::mutex> l(recorded_mu_);
    recorded_.insert(program.content_id);
  }
  for (const Json& d : JsonArrayMember(program.ir, "deps")) {
    if (!resolver_) break;
    auto sub = resolver_->Find(d.value("name", ""), d.value("version", ""));
    if (sub) WFS_RETURN_IF_ERROR(RecordPrograms(*sub, depth + 1));
  }
  return Status::Ok();
}

Result<runtime::ProgramPtr> Runner::LoadProgram(const std::string& content_id) {
  WFS_ASSIGN_OR_RETURN(std::string ir_text, journal_->GetProgram(content_id));
  if ("sha256:" + Sha256Hex(ir_text) != content_id) {
    return DataLoss("the journal's copy of " + content_id +
                    " does not match its content id");
  }
  WFS_ASSIGN_OR_RETURN(Json ir, ParseJson(ir_text, JsonLimits{1u << 30, 256}));
  return runtime::Program::FromIr(ir, content_id);
}

std::string NewRunId(const Clock& clock) {
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%014llx",
                static_cast<unsigned long long>(clock.NowMicros()));
  return StrCat("r-", stamp, SecureRandomHex(4));
}

double RunIdDraw(const std::string& run_id) {
  if (run_id.size() != 24) return 0;
  uint32_t bits = 0;
  for (char c : run_id.substr(16)) {
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                   : -1;
    if (v < 0) return 0;
    bits = bits * 16 + static_cast<uint32_t>(v);
  }
  return bits / 4294967296.0;
}

Result<runtime::RunResult> Runner::Start(const runtime::Program& program,
                                         const Json& inputs,
                                         const Json& connector_config,
                                         runtime::Approver* approver,
                                         const std::string& caller,
                                         std::string run_id,
                                         const std::set<std::string>& granted,
                                         bool fresh_id) {
  // A fresh id cannot collide, so its record need not be waited for here
  // (RunLog waits before the run's first effect, read or question); an id
  // the caller chose may be taken and is checked now.
  bool chosen_id = !run_id.empty() && !fresh_id;
  if (run_id.empty()) {
    SystemClock system;
    run_id = NewRunId(options_.clock != nullptr ? *options_.clock : system);
  }
  // Inputs are checked before anything is recorded.
  WFS_RETURN_IF_ERROR(runtime::CheckInputs(program, inputs));
  WFS_RETURN_IF_ERROR(RecordPrograms(program, 0));
  RunRecord run;
  run.run_id = run_id;
  run.workflow = program.name + "@" + program.version;
  run.content_id = program.content_id;
  run.caller = caller;
  run.inputs = inputs;
  run.connectors = connector_config;
  if (!granted.empty()) run.connectors["granted"] = granted;
  run.created_us = journal_->NowMicros();  // even when recorded at its end
  if (chosen_id) WFS_RETURN_IF_ERROR(journal_->CreateRun(run, /*wait=*/true));
  return Execute(program, run, approver, /*fresh=*/true,
                 /*recorded=*/chosen_id);
}

Result<runtime::RunResult> Runner::Execute(const runtime::Program& program,
                                           const RunRecord& run,
                                           runtime::Approver* approver,
                                           bool fresh, bool recorded) {
  // A workflow that uses no connector and calls no other workflow cannot
  // reach one: it runs without opening them.
  std::unique_ptr<ConnectorLease> lease;
  if (program.uses.empty() && program.workflow_calls.empty()) {
    lease = std::make_unique<NoConnectors>();
  } else {
    WFS_ASSIGN_OR_RETURN(lease, provider_->Open(run.connectors));
  }
  std::vector<EventRecord> past;
  if (!fresh) {
    WFS_ASSIGN_OR_RETURN(past, journal_->Events(run.run_id));
  }
  RunLog log(journal_, run.run_id, past, &lease->set());
  if (!recorded) log.RecordLater(run);
  JournalResolver resolver(journal_, resolver_);
  runtime::ExecContext ctx;
  ctx.connectors = &lease->set();
  ctx.approver = approver;
  ctx.hooks = &log;
  ctx.resolver = &resolver;
  ctx.clock = options_.clock;
  ctx.run_id = run.run_id;
  ctx.caller = run.caller;
  ctx.options = options_.exec;
  for (const Json& g : JsonArrayMember(run.connectors, "granted")) {
    if (g.is_string()) ctx.granted.insert(g.get<std::string>());
  }
  Result<runtime::RunResult> executed =
      runtime::Execute(program, run.inputs, ctx);
  if (!executed.ok()) {
    // Left running, for recovery to finish, as a run that stopped here.
    log.Record(/*wait=*/false).IgnoreError();
    return executed.status();
  }
  runtime::RunResult& r = *executed;
  Status s = log.Finish(r, program);
  if (!s.ok()) {
    return s.WithContext(
        "the run's journal could not be written; the run "
        "will be recovered on the next start");
  }
  return r;
}

Result<runtime::RunResult> Runner::Resume(const std::string& run_id,
                                          runtime::Approver* approver) {
  WFS_ASSIGN_OR_RETURN(RunRecord run, journal_->GetRun(run_id));
  if (run.state != "running" && run.state != "waiting") {
    return FailedPrecondition(StrCat("run ", run_id, " is ", run.state,
                                     "; only running or waiting runs resume"));
  }
  WFS_ASSIGN_OR_RETURN(runtime::ProgramPtr program,
                       LoadProgram(run.content_id));
  return Execute(*program, run, approver, /*fresh=*/false, /*recorded=*/true);
}

namespace {
Status AnsweredMeanwhile(const std::string& run_id) {
  return FailedPrecondition(StrCat("run ", run_id,
                                   " was answered meanwhile, elsewhere; "
                                   "`wfstore runs show ",
                                   run_id, "` shows how"));
}
}  // namespace

Result<runtime::RunResult> Runner::Answer(const std::string& run_id,
                                          const runtime::Answer& answer,
                                          runtime::Approver* approver) {
  WFS_ASSIGN_OR_RETURN(RunRecord run, journal_->GetRun(run_id));
  if (run.state != "waiting") {
    return FailedPrecondition(StrCat("run ", run_id, " is ", run.state,
                                     ", not waiting for an answer"));
  }
  WFS_ASSIGN_OR_RETURN(std::vector<EventRecord> events,
                       journal_->Events(run_id));
  int prompt = -1;
  std::set<int> answered;
  for (const EventRecord& e : events) {
    if (e.kind == "prompt") prompt = JsonIntMember32(e.data, "prompt", -1);
    if (e.kind == "answer") {
      answered.insert(JsonIntMember32(e.data, "prompt", -1));
    }
  }
  if (prompt < 0 || answered.count(prompt)) {
    return FailedPrecondition("run " + run_id + " has no open question");
  }
  for (const EventRecord& e : events) {
    if (e.kind == "prompt" && JsonIntMember32(e.data, "prompt", -1) == prompt &&
        answer.kind == runtime::Answer::Kind::kChoose) {
      size_t n = e.data.value("options", Json::array()).size();
      if (answer.choice < 0 || static_cast<size_t>(answer.choice) >= n) {
        return InvalidArgument(StrCat("choice ", answer.choice + 1,
                                      " is not among the ", n, " options"));
      }
    }
  }
  EventRecord rec;
  rec.seq = events.empty() ? 1 : events.back().seq + 1;
  rec.kind = "answer";
  rec.data = {{"prompt", prompt}, {"answer", AnswerJson(answer)}};
  // Taken first: of two answers at once one counts. A crash before the
  // answer is written leaves the run running, and recovery brings it back
  // to the question.
  WFS_ASSIGN_OR_RETURN(bool taken, journal_->TakeWaiting(run_id));
  if (!taken) return AnsweredMeanwhile(run_id);
  Status appended = journal_->Append(run_id, rec, /*wait=*/true);
  if (appended.code() == Code::kAlreadyExists) {
    return AnsweredMeanwhile(run_id);
  }
  WFS_RETURN_IF_ERROR(appended);
  return Resume(run_id, approver);
}

Result<runtime::RunResult> Runner::ResumeWaiting(const std::string& run_id,
                                                 runtime::Approver* approver) {
  WFS_ASSIGN_OR_RETURN(bool taken, journal_->TakeWaiting(run_id));
  if (!taken) return AnsweredMeanwhile(run_id);
  return Resume(run_id, approver);
}

Result<std::vector<std::pair<std::string, runtime::RunResult>>> Runner::Recover(
    runtime::Approver* approver, std::vector<std::string>* left) {
  WFS_ASSIGN_OR_RETURN(std::vector<RunRecord> runs,
                       journal_->ListRuns("running", 1 << 30));
  std::vector<std::pair<std::string, runtime::RunResult>> out;
  for (const RunRecord& run : runs) {
    // A run another live process is executing is left to it.
    WFS_ASSIGN_OR_RETURN(bool claimed, journal_->Claim(run.run_id));
    if (!claimed) {
      if (left != nullptr) left->push_back(run.run_id);
      continue;
    }
    auto r = Resume(run.run_id, approver);
    if (!r.ok()) return r.status().WithContext("recovering " + run.run_id);
    out.emplace_back(run.run_id, std::move(*r));
  }
  return out;
}

}  // namespace wfs::journal
