// Threads for tasks that are usually short but may block for long (a
// tools/call waiting minutes for the person's answer, a connector waiting
// on a server).
//
// `min_threads` threads run tasks first come first served. A sleeping
// thread is woken only when the queue holds more tasks than threads already
// woken for it, so under load one thread runs several tasks in a row
// instead of each task costing a wake-up and a context switch. When tasks
// wait and no thread has taken one for `stall`, the busy threads are taken
// to be blocked, and a thread is added for each waiting task, up to
// `max_threads`; added threads stay for later tasks. So a task never waits
// for good behind blocked ones (the answer a blocked call waits for gets a
// thread), and a burst of short tasks does not grow the pool.
//
//   WorkerPool pool(WorkerPoolOptions{.min_threads = 4});
//   pool.Submit([&] { Handle(request); });
//   pool.Shutdown(WorkerPool::Queued::kDrop);  // or let the destructor run
//                                              // what is queued
#ifndef WFSTORE_BASE_WORKER_POOL_H_
#define WFSTORE_BASE_WORKER_POOL_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace wfs {

struct WorkerPoolOptions {
  const char* name = "wfs-worker";  // the threads' name (NameThisThread)
  int min_threads = 4;     // at least 1
  int max_threads = 1024;  // at least min_threads
  // How long queued tasks may see no thread take a task before threads are
  // added.
  std::chrono::microseconds stall{2000};
  // The threads mark themselves MarkThisThreadThroughput(): submitting a
  // task does not cost the submitter its processor.
  bool throughput = false;
};

class WorkerPool {
 public:
  explicit WorkerPool(WorkerPoolOptions options = {});
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Shutdown(Queued::kRun).
  ~WorkerPool();

  // Queues a task. Returns false (and destroys the task unrun) once the
  // pool is shutting down. Thread-safe; tasks may submit more tasks.
  bool Submit(std::function<void()> task);

  enum class Queued { kRun, kDrop };
  // Stops taking tasks, runs (kRun) or destroys unrun (kDrop) the queued
  // ones, waits for running tasks and joins the threads. Idempotent; must
  // not be called from a task.
  void Shutdown(Queued queued);

  // Threads started so far (min_threads plus those added).
  size_t threads() const;

 private:
  void Work();
  void Watch();
  // False when the system refuses another thread.
  bool AddThreadLocked();

  const WorkerPoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;        // workers wait here for tasks
  std::condition_variable watch_cv_;  // the watchdog waits here
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  std::thread watchdog_;
  size_t sleeping_ = 0;  // workers waiting on cv_
  size_t signaled_ = 0;  // notify_one() calls not yet matched by a wake
  uint64_t taken_ = 0;   // tasks taken by a worker, ever
  bool watch_idle_ = false;  // the watchdog sleeps until a task queues
  bool stopping_ = false;
  bool joined_ = false;
};

}  // namespace wfs

#endif  // WFSTORE_BASE_WORKER_POOL_H_
