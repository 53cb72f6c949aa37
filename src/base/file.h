// Whole-file reads and crash-safe whole-file writes.
#ifndef WFSTORE_BASE_FILE_H_
#define WFSTORE_BASE_FILE_H_

#include <cstddef>
#include <string>

#include "base/result.h"

namespace wfs {

// Reads a regular file. Refuses files larger than `max_bytes`.
Result<std::string> ReadFile(const std::string& path,
                             size_t max_bytes = 64 << 20);

// Writes `data` to a temporary file beside `path`, fsyncs it, renames it over
// `path` and fsyncs the directory: readers see the old or the new content,
// never a mix. `mode` applies to a newly created file.
Status WriteFileAtomic(const std::string& path, const std::string& data,
                       int mode = 0644);

}  // namespace wfs

#endif  // WFSTORE_BASE_FILE_H_
