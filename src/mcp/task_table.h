// Tasks of the tasks extension (io.modelcontextprotocol/tasks, MCP
// 2026-07-28): a stateless tools/call the server chooses to run on its own
// is answered with a task handle (CreateTaskResult); the client polls the
// task (tasks/get, which inlines its result, its error or the input it
// waits for), answers that input (tasks/update) and cancels it
// (tasks/cancel). docs/mcp.md, "Tasks".
//
// Unlike the tasks of 2025-11-25 sessions (mcp/tasks.h), these outlive the
// request that made them (a stateless request has no session) and belong to
// their caller, the agent identity: another caller's task is unknown to it.
// Input the call needs while it runs waits in its task (status
// input_required, listed by tasks/get under keys the table mints, unique
// over the task's life) until tasks/update answers it; nothing is sent to
// the client. A task is kept `default_ttl_ms` after its creation; an older
// one is forgotten, cancelled first if it still runs.
#ifndef WFSTORE_MCP_TASK_TABLE_H_
#define WFSTORE_MCP_TASK_TABLE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "mcp/tasks.h"

namespace wfs::mcp {

template <typename Owner, typename T>
class TaskBook;  // mcp/task_book.h

// The extension's identifier, under capabilities.extensions.
inline constexpr char kTasksExtension[] = "io.modelcontextprotocol/tasks";

// Checks the client's answers to input requests (params.inputResponses of
// a tools/call retry or of tasks/update): an object whose every value is an
// object (the client's result for the request under that key).
Status CheckInputResponses(const Json& responses);

// How a task's call asks its client for input while it runs.
class TaskInput {
 public:
  virtual ~TaskInput() = default;
  // Puts `requests` ({key: {"method": ..., "params": ...}}, at most 16) to
  // the client at once: the task shows input_required with them until
  // tasks/update has answered every one (the client may answer some at a
  // time). Returns the client's results by the keys of `requests`.
  // Cancelled when the task is cancelled or forgotten, DeadlineExceeded
  // after `timeout` (the requests are then withdrawn).
  virtual Result<Json> Ask(const Json& requests,
                           std::chrono::milliseconds timeout) = 0;
  // Describes where the call stands (the task's statusMessage, shown to
  // the client by tasks/get until the task ends or the next report).
  virtual void Report(const std::string& message) = 0;
};

class TaskTable {
 public:
  // Uses default_ttl_ms, poll_interval_ms, max_per_session (tasks one
  // caller holds), max_running_per_session (tasks of one caller running at
  // once), max_running and clock.
  explicit TaskTable(TaskOptions options);
  // Cancels every task and waits for their threads.
  ~TaskTable();

  // The call a task runs: the way it asks for input, and the flag set when
  // the task is cancelled. Returns the CallToolResult (a result with
  // isError completes the task too) or a status (the task fails with it as
  // a JSON-RPC error).
  using Job = std::function<Result<Json>(
      TaskInput& input, std::shared_ptr<std::atomic<bool>> cancelled)>;

  // Starts `job` as a task of `owner` and returns the CreateTaskResult
  // (resultType "task" and the task's fields). The task is visible to Get
  // before this returns. ResourceExhausted when the owner holds or runs as
  // many tasks as it may, or the server runs as many as it may.
  Result<Json> Start(const std::string& owner, Job job);
  // tasks/get: the task with what its status carries (inputRequests,
  // result, error). InvalidArgument for an unknown id (or another
  // owner's), or a malformed request.
  Result<Json> Get(const std::string& owner, const Json& params);
  // tasks/update: params.inputResponses ({key: result}) answers the
  // requests still outstanding under those keys; other keys are ignored.
  // Returns the empty acknowledgement.
  Result<Json> Update(const std::string& owner, const Json& params);
  // tasks/cancel: cancels a task still running; one that has ended stays
  // as it is. Returns the empty acknowledgement.
  Result<Json> Cancel(const std::string& owner, const Json& params);

  // Tasks not ended, over all owners.
  int running();

 private:
  class Task;
  Result<std::shared_ptr<Task>> Find(const std::string& owner,
                                     const Json& params);

  TaskOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  // By owner; last: its threads are joined first.
  std::unique_ptr<TaskBook<std::string, Task>> book_;
};

}  // namespace wfs::mcp

#endif  // WFSTORE_MCP_TASK_TABLE_H_
