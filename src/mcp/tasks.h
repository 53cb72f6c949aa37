// Task-augmented tool calls (MCP 2025-11-25, experimental): a tools/call
// with params.task is answered at once with a task; the call runs on a task
// thread, and the client polls it (tasks/get), lists its tasks (tasks/list),
// cancels one (tasks/cancel) or waits for its result (tasks/result).
//
// What the call sends to the client while it runs (an elicitation request,
// progress) travels on the stream of a tasks/result request waiting for it,
// tagged with the task (_meta "io.modelcontextprotocol/related-task"). A
// request with no tasks/result waiting is kept, and the task shows
// `input_required` until the client asks for the result; notifications with
// no one waiting are dropped.
//
// Tasks belong to the session that made them: no other session sees them.
// They are kept `ttl` after their creation (finished or not, a task older
// than its ttl is forgotten, a running one cancelled first), and ended with
// their session (EndSession cancels them and waits for their threads).
// A request the call sent to a tasks/result stream that ended before the
// client answered goes again to the next tasks/result.
#ifndef WFSTORE_MCP_TASKS_H_
#define WFSTORE_MCP_TASKS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "mcp/channel.h"
#include "mcp/session.h"

namespace wfs::mcp {

template <typename Owner, typename T>
class TaskBook;  // mcp/task_book.h

// The _meta key that ties a message to a task.
inline constexpr char kRelatedTaskKey[] =
    "io.modelcontextprotocol/related-task";

struct TaskOptions {
  // How long a task is kept after its creation when the client asks for no
  // ttl, and the longest it may ask for.
  int64_t default_ttl_ms = 60 * 60 * 1000;
  int64_t max_ttl_ms = 24 * 60 * 60 * 1000;
  // The poll interval suggested to clients.
  int64_t poll_interval_ms = 250;
  // The shortest ttl granted (a client asking less gets this).
  int64_t min_ttl_ms = 1000;
  // Tasks a session may hold at once (finished ones count until forgotten),
  // tasks of one session running at once, and tasks running at once in
  // all: more are refused (ResourceExhausted), so that no client holds
  // every task thread.
  size_t max_per_session = 256;
  int max_running_per_session = 16;
  int max_running = 128;
  const Clock* clock = nullptr;  // null: the system clock
};

class TaskRegistry {
 public:
  explicit TaskRegistry(TaskOptions options);
  // Cancels every task and waits for their threads.
  ~TaskRegistry();

  // The call a task runs: given the channel its messages go to and the
  // flag that cancels it; returns the CallToolResult or a status.
  using Job = std::function<Result<Json>(ClientChannel* channel,
                                         std::shared_ptr<std::atomic<bool>>)>;

  // Starts `job` as a task of `session`, kept `ttl_ms` (negative: the
  // default). Returns the CreateTaskResult ({task}). ResourceExhausted when
  // the session holds max_per_session tasks.
  Result<Json> Start(Session& session, int64_t ttl_ms, Job job);
  // tasks/get: the task ({taskId, status, ...}). InvalidArgument for an
  // unknown id (or another session's).
  Result<Json> Get(Session& session, const Json& params);
  // tasks/list: the session's tasks, newest first (the engine pages them).
  std::vector<Json> List(Session& session);
  // tasks/cancel: cancels a task that has not finished; InvalidArgument for
  // one that has.
  Result<Json> Cancel(Session& session, const Json& params);
  // tasks/result: waits until the task finishes, then returns what the
  // call returned (its result, with the task in _meta, or its error).
  // While it waits, the call's messages go to `channel` (null: none can be
  // delivered, so the call's requests fail at once). Cancelled when
  // `cancelled` is set (the tasks/result request was cancelled) or the
  // session closes.
  Result<Json> Await(Session& session, const Json& params,
                     ClientChannel* channel,
                     const std::atomic<bool>* cancelled);
  // The session ends: closes it (no task starts for it any more), cancels
  // its tasks, waits for their threads (a run stops at its next wait for
  // the client or ends; one that has not started never does) and forgets
  // them.
  void EndSession(Session* session);
  // Whether tasks of `session` are still running.
  bool Running(Session* session);

 private:
  class Task;
  Result<std::shared_ptr<Task>> Find(Session& session, const Json& params);

  TaskOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  // By session; last: its threads are joined first.
  std::unique_ptr<TaskBook<Session*, Task>> book_;
};

}  // namespace wfs::mcp

#endif  // WFSTORE_MCP_TASKS_H_
