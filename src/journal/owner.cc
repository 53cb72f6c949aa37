#include "journal/owner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "base/random.h"
#include "base/strings.h"

namespace wfs::journal {

namespace {

constexpr size_t kIdBytes = 16;

// Ids are what Acquire makes (hex): anything else read from a journal is
// not a file name to open.
bool ValidId(const std::string& id) {
  if (id.size() != 2 * kIdBytes) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<OwnerLock>> OwnerLock::Acquire(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Unavailable(
        StrCat("cannot create ", Quote(dir), ": ", std::strerror(errno)));
  }
  std::string id = SecureRandomHex(kIdBytes);
  std::string path = StrCat(dir, "/", id);
  int fd = ::open(path.c_str(),
                  O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Unavailable(StrCat("cannot create the owner file ", Quote(path),
                              ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return Unavailable(StrCat("cannot lock the owner file ", Quote(path), ": ",
                              std::strerror(e)));
  }
  // Files of owners that ended without closing (killed) go now; a bounded
  // number per start, so a directory of thousands empties over a few.
  if (DIR* d = ::opendir(dir.c_str())) {
    int looked = 0;
    while (dirent* e = ::readdir(d)) {
      std::string other = e->d_name;
      if (other == id || !ValidId(other)) continue;
      if (++looked > 64) break;
      Alive(dir, other);  // removes the file of an ended owner
    }
    ::closedir(d);
  }
  return std::unique_ptr<OwnerLock>(
      new OwnerLock(std::move(path), std::move(id), fd));
}

OwnerLock::~OwnerLock() {
  ::unlink(path_.c_str());
  ::close(fd_);
}

bool OwnerLock::Alive(const std::string& dir, const std::string& id) {
  if (!ValidId(id)) return false;
  std::string path = StrCat(dir, "/", id);
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno != ENOENT && errno != ELOOP;  // unreadable: assume so
  // Any failure to lock counts as held: a run is never taken on a doubt.
  bool alive = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  if (!alive) ::unlink(path.c_str());
  ::close(fd);  // drops the lock taken to look
  return alive;
}

}  // namespace wfs::journal
