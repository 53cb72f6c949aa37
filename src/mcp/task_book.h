// The bookkeeping both kinds of tasks share (the tasks of 2025-11-25
// sessions, mcp/tasks.h, and of the tasks extension, mcp/task_table.h):
// tasks by owner and id, the limits on how many an owner holds and runs and
// the server runs, expiry after the ttl, and the threads that run them.
// Internal to the mcp module.
//
// T is the task: `const std::string& id()`, `bool expired(int64_t now_us)`,
// `std::shared_ptr<std::atomic<bool>> cancel_flag()`, `bool Cancel(const
// std::string& why)` (false once ended) and `void Finish(Result<Json>)`.
#ifndef WFSTORE_MCP_TASK_BOOK_H_
#define WFSTORE_MCP_TASK_BOOK_H_

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "base/strings.h"
#include "base/worker_pool.h"
#include "mcp/tasks.h"

namespace wfs::mcp {

template <typename Owner, typename T>
class TaskBook {
 public:
  // Uses max_per_session (tasks an owner holds, ended ones until they are
  // forgotten), max_running_per_session, max_running. `holder` names the
  // owner in a refusal ("this session holds", "you hold").
  TaskBook(const TaskOptions& options, const Clock* clock, std::string holder)
      : options_(options),
        clock_(clock),
        holder_(std::move(holder)),
        pool_(WorkerPoolOptions{
            .name = "wfs-task", .min_threads = 1, .max_threads = 256}) {}
  // The owner of the book cancels the tasks and waits (Wait) first; the
  // pool's threads are joined here.
  ~TaskBook() = default;

  // Adds `task` to `owner`'s and runs `job` on a task thread; the task
  // counts as running until the job has ended and the task has finished
  // with what it returned (a task cancelled before a thread takes it never
  // runs its job: it finishes Cancelled). ResourceExhausted when the owner
  // holds or runs as many tasks as it may, or the server runs as many as it
  // may; Unavailable when `closed` (asked under the book's lock) says the
  // owner is gone.
  Status Start(const Owner& owner, std::shared_ptr<T> task,
               std::function<Result<Json>()> job,
               const std::function<bool()>& closed = nullptr) {
    std::vector<std::shared_ptr<T>> expired;
    Status admitted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed && closed()) return Unavailable("the session has ended");
      expired = TakeExpiredLocked(owner);
      auto& mine = tasks_[owner];
      int& running = running_[owner];
      if (running >= options_.max_running_per_session) {
        admitted = ResourceExhausted(
            StrCat(holder_, " ", running,
                   " running tasks; wait for some to finish, or cancel them"));
      } else if (mine.size() >= options_.max_per_session) {
        admitted = ResourceExhausted(StrCat(
            holder_, " ", mine.size(),
            " tasks, ended ones included; each is forgotten once its ttl "
            "has passed"));
      } else if (total_running_ >= options_.max_running) {
        admitted = ResourceExhausted(
            "the server runs as many tasks as it may; try again later");
      } else {
        mine[task->id()] = task;
        ++running;
        ++total_running_;
      }
    }
    CancelExpired(expired);
    WFS_RETURN_IF_ERROR(admitted);
    auto done = [this, owner] {
      std::lock_guard<std::mutex> lock(mu_);
      --running_[owner];
      --total_running_;
      done_cv_.notify_all();
    };
    bool queued = pool_.Submit([task, job = std::move(job), done] {
      if (task->cancel_flag()->load()) {
        task->Finish(Cancelled("cancelled before it started"));
      } else {
        // A job that throws fails its task, as a handler that throws fails
        // its request (Engine::Dispatch); nothing else stops.
        Result<Json> r = Internal("unreachable");
        try {
          r = job();
        } catch (const std::exception& e) {
          r = Internal(StrCat("internal error in the task: ", e.what()));
        }
        task->Finish(std::move(r));
      }
      done();
    });
    if (!queued) {
      task->Finish(Unavailable("the server is stopping"));
      done();
    }
    return Status::Ok();
  }

  // The owner's task that params.taskId names; InvalidArgument when it is
  // missing or names none of the owner's (`unknown`: the message's end).
  Result<std::shared_ptr<T>> Find(const Owner& owner, const Json& params,
                                  std::string_view unknown) {
    if (!params.is_object() || !params.contains("taskId") ||
        !params["taskId"].is_string()) {
      return InvalidArgument("params.taskId (a string) is required");
    }
    std::string id = params["taskId"].template get<std::string>();
    std::shared_ptr<T> found;
    std::vector<std::shared_ptr<T>> expired;
    {
      std::lock_guard<std::mutex> lock(mu_);
      expired = TakeExpiredLocked(owner);
      auto o = tasks_.find(owner);
      if (o != tasks_.end()) {
        auto t = o->second.find(id);
        if (t != o->second.end()) found = t->second;
      }
    }
    CancelExpired(expired);
    if (found == nullptr) {
      return InvalidArgument(StrCat("no task ", Quote(id), unknown));
    }
    return found;
  }

  // The owner's tasks (null: every owner's), the expired ones forgotten.
  std::vector<std::shared_ptr<T>> Tasks(const Owner* owner) {
    std::vector<std::shared_ptr<T>> all, expired;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (owner != nullptr) expired = TakeExpiredLocked(*owner);
      for (auto& [o, mine] : tasks_) {
        if (owner != nullptr && !(o == *owner)) continue;
        for (auto& [id, t] : mine) all.push_back(t);
      }
    }
    CancelExpired(expired);
    return all;
  }

  // The owners holding tasks.
  std::vector<Owner> Owners() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Owner> out;
    for (auto& [o, mine] : tasks_) out.push_back(o);
    return out;
  }

  // Waits until none of the owner's tasks runs (null: no task at all); with
  // `forget`, then forgets the owner's tasks.
  void Wait(const Owner* owner, bool forget) {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] {
      if (owner == nullptr) return total_running_ == 0;
      auto r = running_.find(*owner);
      return r == running_.end() || r->second == 0;
    });
    if (forget && owner != nullptr) {
      tasks_.erase(*owner);
      running_.erase(*owner);
    }
  }

  bool Running(const Owner& owner) {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = running_.find(owner);
    return r != running_.end() && r->second > 0;
  }

  int running() {
    std::lock_guard<std::mutex> lock(mu_);
    return total_running_;
  }

 private:
  // Forgets `owner`'s tasks older than their ttl, and every owner's once a
  // second (an owner may never come back), and returns them for the caller
  // to cancel once mu_ is released. Call with mu_ held.
  std::vector<std::shared_ptr<T>> TakeExpiredLocked(const Owner& owner) {
    std::vector<std::shared_ptr<T>> expired;
    int64_t now = clock_->NowMicros();
    bool everyone = now - last_full_sweep_us_ >= kFullSweepEveryUs;
    if (everyone) last_full_sweep_us_ = now;
    for (auto o = tasks_.begin(); o != tasks_.end();) {
      if (!everyone && !(o->first == owner)) {
        ++o;
        continue;
      }
      for (auto t = o->second.begin(); t != o->second.end();) {
        if (t->second->expired(now)) {
          expired.push_back(std::move(t->second));
          t = o->second.erase(t);
        } else {
          ++t;
        }
      }
      // An owner with no task left is forgotten (its running count is 0).
      auto r = running_.find(o->first);
      if (o->second.empty() && (r == running_.end() || r->second == 0)) {
        if (r != running_.end()) running_.erase(r);
        o = tasks_.erase(o);
      } else {
        ++o;
      }
    }
    return expired;
  }

  static void CancelExpired(const std::vector<std::shared_ptr<T>>& expired) {
    for (const auto& t : expired) t->Cancel("its ttl passed");
  }

  static constexpr int64_t kFullSweepEveryUs = 1000 * 1000;

  const TaskOptions options_;
  const Clock* const clock_;
  const std::string holder_;
  std::mutex mu_;
  std::condition_variable done_cv_;  // a task's job ended
  std::map<Owner, std::map<std::string, std::shared_ptr<T>>> tasks_;
  std::map<Owner, int> running_;  // tasks whose job has not ended
  int total_running_ = 0;
  int64_t last_full_sweep_us_ = 0;
  WorkerPool pool_;  // last: joined first
};

}  // namespace wfs::mcp

#endif  // WFSTORE_MCP_TASK_BOOK_H_
