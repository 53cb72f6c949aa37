#include "base/thread.h"

#include <pthread.h>
#include <sched.h>

#include <string>

namespace wfs {

void NameThisThread(std::string_view name) {
  std::string n(name.substr(0, 15));
  pthread_setname_np(pthread_self(), n.c_str());
}

void MarkThisThreadThroughput() {
#ifdef SCHED_BATCH
  sched_param p{};
  p.sched_priority = 0;
  pthread_setschedparam(pthread_self(), SCHED_BATCH, &p);
#endif
}

}  // namespace wfs
