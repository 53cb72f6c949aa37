#include "base/thread.h"

#include <pthread.h>
#include <sched.h>

#include <string>

namespace wfs {

void NameThisThread(std::string_view name) {
  std::string n(name.substr(0, 15));
  pthread_setname_np(pthread_self(), n.c_str());
}

bool MarkThisThreadThroughput() {
#ifdef SCHED_BATCH
  int policy = 0;
  sched_param p{};
  if (pthread_getschedparam(pthread_self(), &policy, &p) != 0) return false;
  if (policy == SCHED_BATCH) return true;
  if (policy != SCHED_OTHER) return false;
  p.sched_priority = 0;
  return pthread_setschedparam(pthread_self(), SCHED_BATCH, &p) == 0;
#else
  return false;
#endif
}

void ClearThisThreadThroughput() {
#ifdef SCHED_BATCH
  int policy = 0;
  sched_param p{};
  if (pthread_getschedparam(pthread_self(), &policy, &p) != 0) return;
  if (policy != SCHED_BATCH) return;
  p.sched_priority = 0;
  pthread_setschedparam(pthread_self(), SCHED_OTHER, &p);
#endif
}

}  // namespace wfs
