// Durable runs: starting, resuming after a crash or an answer, and recovery,
// on top of the journal and the interpreter.
//
// A run is recorded (program, inputs, connector configuration) before it
// starts. Every effect's intent is durable before the connector is called;
// its result, prompts, answers and undo steps follow in order. Resuming is
// deterministic replay: recorded results are used instead of calling
// connectors again, recorded answers instead of asking again; an effect whose
// intent was recorded without a result is reconciled through the connector
// (Lookup by idempotency key): done (its result is used), not done (it runs
// now), or unknown (the run fails, compensates and reports it as uncertain).
#ifndef WFSTORE_JOURNAL_RUNNER_H_
#define WFSTORE_JOURNAL_RUNNER_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "connectors/connector.h"
#include "journal/journal.h"
#include "runtime/interpreter.h"
#include "runtime/program.h"

namespace wfs::journal {

// The connectors one run uses, rebuilt from the run's recorded
// configuration (e.g. {"kind": "sim", "world": "/path/world.json"}).
class ConnectorLease {
 public:
  virtual ~ConnectorLease() = default;
  virtual const connectors::ConnectorSet& set() const = 0;
};

class ConnectorProvider {
 public:
  virtual ~ConnectorProvider() = default;
  virtual Result<std::unique_ptr<ConnectorLease>> Open(const Json& config) = 0;
};

// The journal's view of one run, as interpreter hooks.
class RunLog : public runtime::ExecHooks {
 public:
  RunLog(Journal* journal, std::string run_id,
         const std::vector<EventRecord>& past,
         const connectors::ConnectorSet* connectors);

  // For a fresh run not yet in the journal: its record is queued when it is
  // first needed, and waited for before the run's first effect, read or
  // question (a run is durable before it touches the world). A run that
  // touches nothing is recorded once, as it ended.
  void RecordLater(RunRecord run);
  // Queues the run's record now if it is still to be written (a run that
  // stops without an outcome stays `running`, for recovery).
  Status Record(bool wait);

  std::optional<Result<connectors::ActionResponse>> Replay(
      const runtime::EffectEvent& e) override;
  Status BeforeEffect(const runtime::EffectEvent& e) override;
  void AfterEffect(const runtime::EffectEvent& e,
                   const Result<connectors::ActionResponse>& r) override;
  std::optional<runtime::Answer> BeforePrompt(
      const runtime::Prompt& p) override;
  void AfterPrompt(const runtime::Prompt& p, const runtime::Answer& a) override;
  bool UndoneBefore(const runtime::UndoEvent& u) override;
  void AfterUndo(const runtime::UndoEvent& u, const Status& s) override;

  // Records the outcome and the run's final (or waiting) state. A waiting
  // state is durable on return; a final one rides along with the next commit
  // (the journal's reads see it at once).
  Status Finish(const runtime::RunResult& r, const runtime::Program& p);

  int reconciled() const { return reconciled_; }
  int uncertain() const { return uncertain_; }
  // The first journal write error (the run must not go on without its log).
  Status error() const { return error_; }

 private:
  Status Add(EventRecord e, bool wait);
  // Waits until everything this run queued is on disk (once).
  Status MakeDurable();

  Journal* j_;
  std::string run_id_;
  const connectors::ConnectorSet* connectors_;
  int64_t next_seq_ = 1;
  std::map<int64_t, Result<connectors::ActionResponse>> results_;
  std::map<int64_t, std::string> pending_;  // intent without a result: key
  std::map<int, runtime::Answer> answers_;
  std::set<int64_t> undone_;
  int reconciled_ = 0;
  int uncertain_ = 0;
  Status error_;
  bool durable_ = true;  // everything queued so far is known to be on disk
  std::optional<RunRecord> unrecorded_;
};

// A fresh run id: "r-", the time in microseconds (14 hex digits), then 32
// random bits (8 hex digits). Time first, so the journal's rows of
// consecutive runs are appended next to each other in its B-trees instead
// of splitting pages all over them; the random part keeps ids of one
// microsecond apart and is what RunIdDraw reads.
std::string NewRunId(const Clock& clock);
// The random part of a NewRunId as a uniform number in [0, 1) (0 for ids
// of another shape).
double RunIdDraw(const std::string& run_id);

struct RunnerOptions {
  runtime::ExecOptions exec;
  const Clock* clock = nullptr;
};

class Runner {
 public:
  Runner(Journal* journal, ConnectorProvider* provider,
         const runtime::ProgramResolver* resolver, RunnerOptions options = {});

  // Records a new run and executes it. `run_id` empty: a fresh one.
  // `granted`: the capabilities the caller's grant allows (empty: no limit
  // beyond the workflow's `uses`); recorded with the run (in its connector
  // configuration, as "granted") and enforced again when it resumes.
  // `fresh_id`: `run_id` was made by NewRunId for this run, so it cannot be
  // taken; any other given id is checked before the run starts (which
  // costs a commit).
  Result<runtime::RunResult> Start(const runtime::Program& program,
                                   const Json& inputs,
                                   const Json& connector_config,
                                   runtime::Approver* approver,
                                   const std::string& caller,
                                   std::string run_id = "",
                                   const std::set<std::string>& granted = {},
                                   bool fresh_id = false);
  // Continues a run that is running (after a crash) or waiting.
  Result<runtime::RunResult> Resume(const std::string& run_id,
                                    runtime::Approver* approver);
  // Records the person's answer to the question a waiting run waits on,
  // then resumes it. FailedPrecondition when the run is not waiting.
  Result<runtime::RunResult> Answer(const std::string& run_id,
                                    const runtime::Answer& answer,
                                    runtime::Approver* approver);
  // Resumes a waiting run whose question `approver` asks again (an
  // elicitation), once this process has taken it from waiting
  // (Journal::TakeWaiting). FailedPrecondition when it no longer waits.
  Result<runtime::RunResult> ResumeWaiting(const std::string& run_id,
                                           runtime::Approver* approver);
  // Resumes every run left running by a process that ended (a crash), once
  // it claimed it (Journal::Claim); runs other live processes are executing
  // are theirs. Waiting runs keep waiting.
  // `left` (optional): the running runs left to their live processes.
  Result<std::vector<std::pair<std::string, runtime::RunResult>>> Recover(
      runtime::Approver* approver, std::vector<std::string>* left = nullptr);

  // The program a run executes (from the journal).
  Result<runtime::ProgramPtr> LoadProgram(const std::string& content_id);

 private:
  // `fresh`: a run just started, with no events to replay; `recorded`: its
  // record is in the journal (else the run's log writes it when needed).
  Result<runtime::RunResult> Execute(const runtime::Program& program,
                                     const RunRecord& run,
                                     runtime::Approver* approver, bool fresh,
                                     bool recorded);
  Status RecordPrograms(const runtime::Program& program, int depth);

  Journal* journal_;
  std::mutex recorded_mu_;
  std::set<std::string> recorded_;  // content ids known to be in the journal
  ConnectorProvider* provider_;
  const runtime::ProgramResolver* resolver_;
  RunnerOptions options_;
};

// Status codes by name ("unavailable") for recorded errors.
Code CodeFromName(const std::string& name);

}  // namespace wfs::journal

#endif  // WFSTORE_JOURNAL_RUNNER_H_
