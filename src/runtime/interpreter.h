// The interpreter: runs a Program under labels, budgets, scopes and the
// person's approvals.
//
//   ExecContext ctx;                 // connectors, approver, limits, ...
//   Result<RunResult> r = Execute(*program, inputs_json, ctx);
//
// Execution is deterministic given the connectors' answers and the person's
// answers, which is what lets the journal replay a run after a crash
// (ExecHooks). The interpreter uses an explicit stack of frames (sub-workflow
// calls), conditions and loops; it never recurses on workflow structure.
// Every rule the checker proves is checked again before each connector call;
// a violation stops the run, compensates and names the rule, the parameter
// and where the offending value came from.
#ifndef WFSTORE_RUNTIME_INTERPRETER_H_
#define WFSTORE_RUNTIME_INTERPRETER_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "connectors/connector.h"
#include "runtime/program.h"
#include "runtime/value.h"

namespace wfs::runtime {

enum class Outcome {
  kCompleted,   // returned its outputs
  kFailed,      // `fail`, a connector error, a run-time error
  kDenied,      // the person said no
  kUnanswered,  // nobody answered in time
  kViolation,   // a rule stopped it (labels, scopes, budgets, capabilities)
  kLimit,       // steps, memory, wall time or call depth ran out
  kWaiting,     // suspended until someone answers (Answer::kDefer)
};
const char* OutcomeName(Outcome o);

struct Prompt {
  enum class Kind { kConfirm, kChoose };
  Kind kind = Kind::kConfirm;
  std::string text;                  // the confirmation or the question
  std::vector<std::string> options;  // choose: the candidates, as shown
  std::string workflow;              // name@version asking
  uint32_t line = 0;
  uint32_t col = 0;
  int seq = 0;  // n-th prompt of the run, from 0
};

struct Answer {
  enum class Kind { kApprove, kDeny, kChoose, kTimeout, kDefer };
  Kind kind = Kind::kTimeout;
  int choice = -1;  // kChoose: index into Prompt::options
  static Answer Approve() { return {Kind::kApprove, -1}; }
  static Answer Deny() { return {Kind::kDeny, -1}; }
  static Answer Timeout() { return {Kind::kTimeout, -1}; }
  static Answer Defer() { return {Kind::kDefer, -1}; }
  static Answer Choose(int i) { return {Kind::kChoose, i}; }
};
std::string AnswerText(const Answer& a);

// The person's channel. Never the agent: an agent's arguments cannot answer.
class Approver {
 public:
  virtual ~Approver() = default;
  virtual Answer Ask(const Prompt& prompt) = 0;
};

// Answers every prompt the same way (scripts: --approve / --deny).
class FixedApprover : public Approver {
 public:
  explicit FixedApprover(Answer a) : a_(a) {}
  Answer Ask(const Prompt&) override { return a_; }

 private:
  Answer a_;
};

// Answers from a list in order; a prompt beyond the list times out.
class ScriptedApprover : public Approver {
 public:
  explicit ScriptedApprover(std::vector<Answer> answers)
      : answers_(std::move(answers)) {}
  Answer Ask(const Prompt&) override {
    return next_ < answers_.size() ? answers_[next_++] : Answer::Timeout();
  }

 private:
  std::vector<Answer> answers_;
  size_t next_ = 0;
};

// One connector call, as seen by hooks and the log.
struct EffectEvent {
  int seq = 0;   // run-wide call number, from 0 (the same on every replay)
  int step = 0;  // the call site in the workflow
  std::string workflow;  // name@version
  std::string action;    // qualified
  lang::Effect effect = lang::Effect::kRead;
  const Json* args = nullptr;  // valid during the hook call
  std::string idempotency_key;
};

struct UndoEvent {
  int seq = 0;  // the effect being undone
  std::string connector;
  Json undo;  // {"action": ..., "args": ...}
  std::string idempotency_key;
};

// Observation and durability. The journal implements these; defaults do
// nothing.
class ExecHooks {
 public:
  virtual ~ExecHooks() = default;
  // When a run is replayed: the recorded outcome of this effect (a response,
  // or the error it failed with), or nullopt when it was not recorded. No
  // side effects. Asked before the checks that consult connectors about the
  // world, since the world may have changed since the effect happened.
  virtual std::optional<Result<connectors::ActionResponse>> Replay(
      const EffectEvent& e);
  // Before a new connector call, after every check passed: record the
  // intent. An error stops the run before the connector is called.
  virtual Status BeforeEffect(const EffectEvent& e);
  virtual void AfterEffect(const EffectEvent& e,
                           const Result<connectors::ActionResponse>& r);
  // Before asking the person: a recorded answer replays it.
  virtual std::optional<Answer> BeforePrompt(const Prompt& p);
  virtual void AfterPrompt(const Prompt& p, const Answer& a);
  // Compensation: true when this undo step already ran (before a crash);
  // the interpreter then skips it.
  virtual bool UndoneBefore(const UndoEvent& u);
  virtual void AfterUndo(const UndoEvent& u, const Status& s);
};

struct ExecOptions {
  int64_t max_steps = 1'000'000;
  size_t max_bytes = 64 << 20;  // bytes of values the run may create
  int64_t max_wall_micros = 120'000'000;
  int max_call_depth = 16;
};

// Which branches a run took, per workflow content id: (branch, side), with
// side 1 = then / loop entered / approved / asked, 2 = else / skipped /
// denied / picked without asking.
using Coverage = std::map<std::string, std::set<std::pair<int, int>>>;

struct ExecContext {
  const connectors::ConnectorSet* connectors = nullptr;
  Approver* approver = nullptr;  // null: every prompt times out
  ExecHooks* hooks = nullptr;
  const ProgramResolver* resolver = nullptr;  // sub-workflows
  const Clock* clock = nullptr;               // null: the system clock
  std::string run_id = "run";
  std::string caller;                         // who started the run (audit)
  // Capabilities the caller's grant allows ("mail.delete"); empty: no
  // restriction beyond the workflow's own `uses`.
  std::set<std::string> granted;
  ExecOptions options;
  Coverage* coverage = nullptr;
};

struct CallRecord {
  int seq = 0;
  int step = 0;
  std::string workflow;
  std::string action;
  std::string effect;  // class
  bool read = true;
  Json args;
  std::vector<std::pair<std::string, Label>> arg_labels;  // flattened
  std::string decision; // "allowed", "replayed", "refused"
  std::string rule;     // when refused
  bool ok = false;
  std::string error;
  Json result;
  bool undone = false;
  // The connector returned an undo record (a no-op change has none).
  bool undoable = false;
  uint32_t line = 0;
  uint32_t col = 0;

  // param -> {"prov": [...], "conf": ...}
  Json LabelsJson() const;
};

struct UndoRecord {
  int seq = 0;
  std::string action;  // qualified undo action
  Json args;
  bool ok = false;
  std::string error;
};

struct RunResult {
  Outcome outcome = Outcome::kFailed;
  std::string error;  // why it did not complete
  std::string rule;   // kViolation: the rule
  Value outputs;      // kCompleted: a record of the outputs
  std::vector<CallRecord> calls;
  std::vector<UndoRecord> undo;
  std::vector<Prompt> asked;
  std::vector<Answer> answers;
  int64_t steps = 0;
  std::string run_id;
  std::string caller;
  Json inputs;  // as given
  std::vector<std::pair<std::string, Label>> input_labels;
  int64_t started_micros = 0;
  int64_t finished_micros = 0;

  // The structured audit record: workflow, caller, inputs with labels, every
  // decision, effects, undo, outcome.
  Json Audit(const Program& program) const;
  // Effects that changed something (non-read calls that were allowed).
  std::vector<const CallRecord*> Effects() const;
};

// Checks `inputs` (a JSON object) against the program's input types:
// InvalidArgument naming the first bad, missing or unknown input.
Status CheckInputs(const Program& program, const Json& inputs);

// Runs `program` with `inputs` (a JSON object; validated against the input
// types: a bad argument is InvalidArgument before anything runs).
Result<RunResult> Execute(const Program& program, const Json& inputs,
                          ExecContext& ctx);

// A label in JSON: {"prov": [...], "conf": ...}.
Json LabelJson(const Label& l);

}  // namespace wfs::runtime

#endif  // WFSTORE_RUNTIME_INTERPRETER_H_
