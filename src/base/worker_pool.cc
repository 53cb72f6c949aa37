#include "base/worker_pool.h"

#include <algorithm>
#include <string>
#include <system_error>
#include <utility>

#include "base/thread.h"

namespace wfs {

WorkerPool::WorkerPool(WorkerPoolOptions options) : options_(options) {
  std::lock_guard<std::mutex> lock(mu_);
  int n = std::max(1, options_.min_threads);
  for (int i = 0; i < n; ++i) {
    if (!AddThreadLocked()) break;  // the watchdog adds them later
  }
  watchdog_ = std::thread([this] { Watch(); });
}

WorkerPool::~WorkerPool() { Shutdown(Queued::kRun); }

size_t WorkerPool::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_.size();
}

bool WorkerPool::AddThreadLocked() {
  try {
    threads_.emplace_back([this] { Work(); });
    return true;
  } catch (const std::system_error&) {
    return false;  // the system refuses more threads: make do with these
  }
}

bool WorkerPool::Submit(std::function<void()> task) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    lock.unlock();
    task = nullptr;  // destroyed outside the lock: it may own a responder
    return false;
  }
  tasks_.push_back(std::move(task));
  // sleeping_ still counts workers already notified (they decrement it once
  // they hold the lock again), so only sleeping_ > signaled_ proves that a
  // worker is left to wake. Invariant: signaled_ <= the notified workers
  // not yet awake, hence a queued task is never left while a worker sleeps
  // un-notified. The notification goes out after the lock is released, so
  // the woken worker does not wake only to wait for it.
  if (tasks_.size() <= signaled_) return true;
  if (sleeping_ > signaled_) {
    ++signaled_;
    lock.unlock();
    cv_.notify_one();
  } else if (watch_idle_) {
    // Every worker is busy: the task waits, and the watchdog times it.
    watch_idle_ = false;
    lock.unlock();
    watch_cv_.notify_one();
  }
  return true;
}

void WorkerPool::Work() {
  NameThisThread(options_.name);
  if (options_.throughput) MarkThisThreadThroughput();
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    while (tasks_.empty()) {
      if (stopping_) return;
      ++sleeping_;
      cv_.wait(lock);
      --sleeping_;
      // Every wake, notified or spurious, uses up one signal, so signaled_
      // never exceeds the wake-ups still on their way.
      if (signaled_ > 0) --signaled_;
    }
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    ++taken_;
    if (stopping_ && tasks_.empty()) watch_cv_.notify_one();  // may exit
    lock.unlock();
    task();
    task = nullptr;
    lock.lock();
  }
}

void WorkerPool::Watch() {
  NameThisThread(std::string(options_.name) + "-watch");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (tasks_.empty()) {
      if (stopping_) return;
      watch_idle_ = true;
      watch_cv_.wait(lock);
      watch_idle_ = false;
      continue;
    }
    // A whole stall, not merely until the next wake-up (a notification for
    // shutdown, or a spurious one), with tasks waiting and none taken.
    uint64_t taken = taken_;
    auto deadline = std::chrono::steady_clock::now() + options_.stall;
    while (!tasks_.empty() && taken_ == taken &&
           std::chrono::steady_clock::now() < deadline) {
      watch_cv_.wait_until(lock, deadline);
    }
    if (tasks_.empty() || taken_ != taken) continue;
    // Tasks waited a whole stall while no worker took one: the workers are
    // blocked. One more thread per waiting task not already promised a
    // worker.
    size_t waiting = tasks_.size() - std::min(tasks_.size(), signaled_);
    size_t most = static_cast<size_t>(
        std::max(options_.max_threads, options_.min_threads));
    size_t room = most - std::min(most, threads_.size());
    for (size_t i = 0; i < std::min(waiting, room); ++i) {
      if (!AddThreadLocked()) break;
    }
  }
}

void WorkerPool::Shutdown(Queued queued) {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (joined_) return;
    joined_ = true;
    stopping_ = true;
    if (queued == Queued::kDrop) dropped.swap(tasks_);
  }
  cv_.notify_all();
  watch_cv_.notify_all();
  dropped.clear();
  // The watchdog goes first (it exits once the queue is empty), so that no
  // thread is added while the workers are joined.
  watchdog_.join();
  for (std::thread& t : threads_) t.join();
}

}  // namespace wfs
