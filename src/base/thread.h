// Thread helpers.
#ifndef WFSTORE_BASE_THREAD_H_
#define WFSTORE_BASE_THREAD_H_

#include <string_view>

namespace wfs {

// Names the calling thread (as `top -H`, `ps -L`, perf and debuggers show
// it); names longer than the system's 15 bytes are cut. Best effort.
void NameThisThread(std::string_view name);

}  // namespace wfs

#endif  // WFSTORE_BASE_THREAD_H_
