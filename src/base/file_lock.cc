#include "base/file_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "base/strings.h"

namespace wfs {

Result<std::optional<FileLock>> FileLock::Lock(const std::string& path,
                                               bool wait) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Unavailable(
        StrCat("cannot open ", Quote(path), ": ", std::strerror(errno)));
  }
  FileLock lock(fd);  // closes fd on every return below but the last
  while (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    if (errno == EINTR) continue;
    if (!wait && errno == EWOULDBLOCK) return std::optional<FileLock>();
    return Unavailable(
        StrCat("cannot lock ", Quote(path), ": ", std::strerror(errno)));
  }
  return std::optional<FileLock>(std::move(lock));
}

Result<FileLock> FileLock::Take(const std::string& path) {
  WFS_ASSIGN_OR_RETURN(std::optional<FileLock> lock, Lock(path, true));
  return std::move(*lock);
}

Result<std::optional<FileLock>> FileLock::TryTake(const std::string& path) {
  return Lock(path, false);
}

FileLock::FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace wfs
