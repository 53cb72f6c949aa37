// The tools agents use over MCP (docs/mcp.md): find_workflows,
// describe_workflow, run_workflow, get_run, answer_run, and each stable
// workflow as its own tool. Backed by the store (packages, reports), the
// discovery index, the journal (durable runs) and the connectors.
//
// Confirmations reach the person, never the model: a run's `confirm` and
// `choose` go to the client as elicitation requests when the client declared
// elicitation (in a stateless call, 2026-07-28, as the call's input request,
// answered in the client's retry), else the run waits (durably) for
// `wfstore approve` or the console. No argument of any tool can answer a
// question.
#ifndef WFSTORE_SERVER_WORKFLOW_TOOLS_H_
#define WFSTORE_SERVER_WORKFLOW_TOOLS_H_

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "discovery/demand_log.h"
#include "discovery/search_index.h"
#include "journal/journal.h"
#include "journal/runner.h"
#include "mcp/engine.h"
#include "rollout/controller.h"
#include "runtime/agent_view.h"
#include "store/store.h"

namespace wfs::server {

struct ToolsOptions {
  store::Store* store = nullptr;                     // required
  journal::Journal* journal = nullptr;               // required
  journal::ConnectorProvider* connectors = nullptr;  // required
  // The connector configuration every run records (see ConnectorProvider).
  Json connector_config = Json{{"kind", "sim-memory"}};
  // Where unmet queries are recorded; null: not recorded.
  discovery::DemandLog* demand = nullptr;
  // How long a run waits for the person to answer an elicitation before it
  // suspends (and waits for `wfstore approve`).
  std::chrono::milliseconds elicit_timeout{std::chrono::minutes(10)};
  // A run that waits for the person (`wfstore approve`), followed as a task
  // by a client of the tasks extension: how often it is told to poll
  // (pollIntervalMs; the person takes seconds at least).
  std::chrono::milliseconds task_poll{std::chrono::seconds(1)};
  // Offer each stable workflow as its own tool.
  bool workflow_tools = true;
  runtime::ExecOptions exec;
  const Clock* clock = nullptr;
  // Staged rollout: routes calls between a canary and stable and rolls a
  // failing canary back, signing the demotion with `rollout_key`. Null: the
  // store's resolution alone.
  rollout::Controller* rollout = nullptr;
  const crypto::SecretKey* rollout_key = nullptr;
  // Operational messages (a canary rolled back); null: dropped.
  std::function<void(const std::string&)> log;
  // Declare that the tools and resources lists announce changes
  // (listChanged): set it only when something calls TakeListChanges
  // regularly and passes what it reports to Engine::NotifyListChanged.
  bool announce_list_changes = false;
  // The handles a session keeps (the values behind untrusted or private
  // outputs): at most this many, holding at most this many bytes of JSON;
  // the oldest go first (a stdio session may last for days). The values
  // stay in the journal for `wfstore runs show`.
  size_t max_handles_per_session = 1024;
  size_t max_handle_bytes_per_session = size_t{16} << 20;
};

// What changed in the lists clients see since the last look, by workflow
// name: whose own tool (its newest stable version) came, went or moved to
// another version; whose resource came, went or changed.
struct ListChanges {
  std::set<std::string> tools;
  std::set<std::string> resources;

  // Whether `caller`'s tools or resources list changed: its grants cover a
  // workflow that changed (a caller without the run grant lists no
  // workflow tools; without find, no resources).
  bool ToolsChangedFor(const mcp::Principal& caller) const;
  bool ResourcesChangedFor(const mcp::Principal& caller) const;
};

class WorkflowTools : public mcp::ToolProvider {
 public:
  static Result<std::unique_ptr<WorkflowTools>> Create(ToolsOptions options);

  Result<std::vector<mcp::Tool>> ListTools(
      const mcp::Principal& caller) override;
  Result<Json> CallTool(mcp::CallContext& ctx, const std::string& name,
                        const Json& arguments) override;
  Result<std::vector<mcp::Resource>> ListResources(
      const mcp::Principal& caller) override;
  Result<Json> ReadResource(const mcp::Principal& caller,
                            const std::string& uri) override;
  Result<std::vector<mcp::ResourceTemplate>> ListResourceTemplates(
      const mcp::Principal& caller) override;
  void SessionClosed(const std::string& session_id) override;
  // Runs as tasks of the tasks extension (RunTask): the caller's own.
  Result<Json> GetTask(const mcp::Principal& caller,
                       const std::string& task_id) override;
  Status CancelTask(const mcp::Principal& caller,
                    const std::string& task_id) override;
  mcp::ProviderFeatures Features() const override;

  // Looks whether the catalog moved (Store::Generation) and reports what
  // changed in the tools and resources lists since the last call, including
  // changes a tool call noticed first. Cheap when nothing moved: call it
  // every few hundred milliseconds.
  Result<ListChanges> TakeListChanges();

  // The scope a request needs ("find" or "run"), for the HTTP endpoint's
  // insufficient_scope answer.
  std::string ScopeFor(const mcp::Message& m) const;

  // Handles kept for a session (for tests).
  size_t handle_count(const std::string& session_id) const;

 private:
  explicit WorkflowTools(ToolsOptions options);

  Result<Json> Find(mcp::CallContext& ctx, const Json& args);
  Result<Json> Describe(mcp::CallContext& ctx, const Json& args);
  // `route_range`: the range the rollout may route within (the workflow
  // tools pass "" while naming the stable version in `range`); null: range.
  Result<Json> Run(mcp::CallContext& ctx, const std::string& name,
                   const std::string& range, const Json& inputs,
                   const std::string* route_range = nullptr);
  // Lets the rollout judge a finished run of name@version.
  void AfterRun(const std::string& name, const std::string& version);
  Result<Json> GetRun(mcp::CallContext& ctx, const Json& args);
  Result<Json> AnswerRun(mcp::CallContext& ctx, const Json& args);
  // A stateless call whose run now waits for the person's answer from the
  // console or CLI (the client cannot elicit): when the client declared
  // the tasks extension, the call is answered with the run as a task
  // (RunTask; tasks/get reads the journal, so the task outlives the server
  // process and any server on the store answers for it). Cancelling the
  // task is acknowledged; the run still waits for the person.
  void AnswerWithRunTask(mcp::CallContext& ctx, const std::string& run_id,
                         const runtime::RunResult& r);
  // Resumes a run waiting on the person, asking through the client (its
  // elicitation; in a stateless call, the answer the retry brought).
  Result<Json> ResumeWaiting(mcp::CallContext& ctx,
                             const journal::RunRecord& rec);

  // The package `name`@`range` if the caller may see it, else NotFound or
  // PermissionDenied with the reason.
  Result<store::PackageInfo> Visible(const mcp::Principal& caller,
                                     const std::string& name,
                                     const std::string& range);
  // Whether `routed` (a canary a workflow's own tool was routed to) takes
  // the same inputs and has the same annotations as the stable version the
  // tool advertises.
  bool SameToolContract(const store::PackageInfo& routed,
                        const std::string& stable_version,
                        const mcp::Principal& caller);
  // The program of a published version, loaded (and verified) once.
  Result<runtime::ProgramPtr> LoadProgram(const store::PackageInfo& p);
  // A run's result as the agent sees it (handles for untrusted and private
  // values, kept for the session) plus content for the person.
  Json RunToolResult(mcp::CallContext& ctx, const runtime::Program& program,
                     const std::string& run_id, const runtime::RunResult& r);
  Json RunRecordResult(const journal::RunRecord& record);
  // A run as a task of the tasks extension (the task's id is the run's):
  // working while it waits or runs, completed with RunRecordResult once it
  // ended; kept as long as the journal keeps the run.
  Json RunTask(const journal::RunRecord& record);

  ToolsOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  std::unique_ptr<journal::Runner> runner_;

  // Rebuilds the search index and the stable workflows offered as tools
  // when the catalog's generation moved since they were built (through this
  // process or another: Store::Generation). Calls that use them call it.
  Status RefreshIfChanged();

  std::mutex refresh_mu_;  // one rebuild at a time; taken before mu_
  mutable std::mutex mu_;
  uint64_t indexed_generation_ = 0;  // of index_ and stable_
  std::unique_ptr<discovery::SearchIndex> index_;
  std::vector<store::PackageInfo> stable_;  // offered as their own tools
  // What the lists showed at the last rebuild ("name@version" of stable_;
  // the workflows' resources), and what changed since TakeListChanges.
  std::map<std::string, std::string> listed_tools_;      // name: version
  std::map<std::string, std::string> listed_resources_;  // name: description
  ListChanges changes_;
  // Programs by name@version: a published version never changes, and the
  // store verified it (digest and signature) when it was first loaded.
  // Whether a version may still be run (yanked, stage, grants) is checked
  // on every call.
  std::map<std::string, runtime::ProgramPtr> programs_;
  // A session's handles, oldest first, with their sizes (JSON bytes).
  struct SessionHandles {
    runtime::HandleTable table;
    std::deque<std::pair<std::string, size_t>> order;
    size_t bytes = 0;
  };
  std::map<std::string, SessionHandles> handles_;  // by session
};

}  // namespace wfs::server

#endif  // WFSTORE_SERVER_WORKFLOW_TOOLS_H_
