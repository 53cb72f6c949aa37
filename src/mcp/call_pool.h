// Threads for requests that may run long (tools/call: a run may wait
// minutes for the person to answer an elicitation), kept off the threads
// that read the transport. A thread is made when no idle one is left, so a
// task never waits behind another; idle threads are kept for the next
// tasks. Callers bound how many tasks run at once.
//
//   CallPool pool;
//   pool.Submit([&] { Handle(request); });
#ifndef WFSTORE_MCP_CALL_POOL_H_
#define WFSTORE_MCP_CALL_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace wfs::mcp {

class CallPool {
 public:
  CallPool() = default;
  CallPool(const CallPool&) = delete;
  CallPool& operator=(const CallPool&) = delete;
  // Runs the tasks already submitted, then joins the threads.
  ~CallPool();

  void Submit(std::function<void()> task);

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  int idle_ = 0;
  bool stopping_ = false;
};

}  // namespace wfs::mcp

#endif  // WFSTORE_MCP_CALL_POOL_H_
