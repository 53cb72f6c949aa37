#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "base/random.h"
#include "base/strings.h"

namespace wfs {

namespace {
Status ErrnoStatus(const std::string& what, const std::string& path) {
  int e = errno;
  Code code = e == ENOENT ? Code::kNotFound
              : (e == EACCES || e == EPERM) ? Code::kPermissionDenied
              : e == ENOSPC ? Code::kResourceExhausted
                            : Code::kUnavailable;
  return Status(code, StrCat("cannot ", what, " ", path, ": ", strerror(e)));
}
}  // namespace

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    Status s = ErrnoStatus("stat", path);
    close(fd);
    return s;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return InvalidArgument(StrCat(path, " is not a regular file"));
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    close(fd);
    return InvalidArgument(StrCat(path, " is larger than ", max_bytes,
                                  " bytes"));
  }
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t r = read(fd, out.data() + got, out.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      Status s = ErrnoStatus("read", path);
      close(fd);
      return s;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  close(fd);
  return out;
}

Status WriteFileAtomic(const std::string& path, const std::string& data,
                       int mode) {
  // A fresh name per write: O_EXCL guarantees the file is new (so `mode`
  // applies and nothing else holds it), O_NOFOLLOW refuses a planted symlink.
  std::string tmp = StrCat(path, ".tmp.", getpid(), ".", SecureRandomHex(6));
  int fd = open(tmp.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus("create", tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = write(fd, data.data() + done, data.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      Status s = ErrnoStatus("write", tmp);
      close(fd);
      unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(w);
  }
  if (fsync(fd) != 0) {
    Status s = ErrnoStatus("sync", tmp);
    close(fd);
    unlink(tmp.c_str());
    return s;
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = ErrnoStatus("rename", tmp);
    unlink(tmp.c_str());
    return s;
  }
  std::string dir = ".";
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status::Ok();
}

}  // namespace wfs
