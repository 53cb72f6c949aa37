// An exclusive advisory lock on a file (flock), held while the object lives.
// It excludes other processes and other FileLocks of this process on the
// same path (each takes its own open file description). Local filesystems
// only: where flock is emulated with fcntl (some network filesystems), locks
// of one process do not exclude each other.
//
//   WFS_ASSIGN_OR_RETURN(FileLock lock, FileLock::Take(dir + "/x.lock"));
//   ... // exclusive until `lock` goes
#ifndef WFSTORE_BASE_FILE_LOCK_H_
#define WFSTORE_BASE_FILE_LOCK_H_

#include <optional>
#include <string>

#include "base/result.h"

namespace wfs {

class FileLock {
 public:
  // Waits for the lock on `path` (created, 0600, when absent).
  static Result<FileLock> Take(const std::string& path);
  // The lock when no one holds it; nullopt when someone does.
  static Result<std::optional<FileLock>> TryTake(const std::string& path);

  FileLock(FileLock&& o) noexcept;
  FileLock& operator=(FileLock&& o) noexcept;
  FileLock(const FileLock&) = delete;
  ~FileLock();  // releases the lock

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  static Result<std::optional<FileLock>> Lock(const std::string& path,
                                              bool wait);
  int fd_;
};

}  // namespace wfs

#endif  // WFSTORE_BASE_FILE_LOCK_H_
