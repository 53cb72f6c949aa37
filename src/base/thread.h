// Thread helpers.
#ifndef WFSTORE_BASE_THREAD_H_
#define WFSTORE_BASE_THREAD_H_

#include <string_view>

namespace wfs {

// Names the calling thread (as `top -H`, `ps -L`, perf and debuggers show
// it); names longer than the system's 15 bytes are cut. Best effort.
void NameThisThread(std::string_view name);

// Tells the scheduler that the calling thread does throughput work (it is
// handed tasks by a thread that waits on the network): waking it does not
// preempt a running thread (Linux's SCHED_BATCH), so the thread that hands
// out the work keeps its processor instead of losing it to each thread it
// wakes. A woken thread still runs at once on an idle processor. Only a
// thread under the default policy changes (one the process was started
// with another policy for keeps it). Threads and processes the thread
// starts inherit the policy. Returns whether the thread is now a
// throughput thread; does nothing where the system has no such policy.
bool MarkThisThreadThroughput();

// Undoes MarkThisThreadThroughput (for a thread that must react promptly,
// such as a timer, started by a throughput thread).
void ClearThisThreadThroughput();

}  // namespace wfs

#endif  // WFSTORE_BASE_THREAD_H_
