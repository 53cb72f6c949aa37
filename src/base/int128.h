// A 128-bit integer for exact intermediate arithmetic (decimal products).
#ifndef WFSTORE_BASE_INT128_H_
#define WFSTORE_BASE_INT128_H_

namespace wfs {
__extension__ typedef __int128 Int128;
}  // namespace wfs

#endif  // WFSTORE_BASE_INT128_H_
