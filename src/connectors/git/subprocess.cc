#include "connectors/git/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <tuple>

#include "base/strings.h"

namespace wfs::connectors::git {

namespace {

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

Result<ProcessResult> RunProcess(const ProcessOptions& o) {
  if (o.argv.empty() || o.argv[0].empty() || o.argv[0][0] != '/') {
    return InvalidArgument("RunProcess: argv[0] must be an absolute path");
  }
  if (access(o.argv[0].c_str(), X_OK) != 0) {
    return NotFound(
        StrCat("cannot run ", Quote(o.argv[0]), ": ", strerror(errno)));
  }
  // stdin is a socket so that writing to a child that stopped reading fails
  // with EPIPE under MSG_NOSIGNAL instead of raising SIGPIPE.
  int in_pair[2] = {-1, -1};
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0 ||
      pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    for (int* p : {in_pair, out_pipe, err_pipe}) {
      CloseFd(p[0]);
      CloseFd(p[1]);
    }
    return Internal(StrCat("cannot make pipes: ", strerror(e)));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pair[1], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A process group of its own, so a timeout kills the child's children too;
  // default signal dispositions in the child.
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
  std::vector<char*> argv;
  for (const std::string& a : o.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : o.env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, o.argv[0].c_str(), &fa, &attr, argv.data(),
                       envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  CloseFd(in_pair[1]);
  CloseFd(out_pipe[1]);
  CloseFd(err_pipe[1]);
  if (rc != 0) {
    CloseFd(in_pair[0]);
    CloseFd(out_pipe[0]);
    CloseFd(err_pipe[0]);
    return Internal(
        StrCat("cannot run ", Quote(o.argv[0]), ": ", strerror(rc)));
  }
  int in_fd = in_pair[0];
  int out_fd = out_pipe[0];
  int err_fd = err_pipe[0];
  fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
  size_t written = 0;
  if (o.stdin_data.empty()) {
    shutdown(in_fd, SHUT_WR);
    CloseFd(in_fd);
  }
  ProcessResult res;
  Status failure = Status::Ok();
  const int64_t deadline = NowMs() + o.timeout_ms;
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in_fd >= 0) {
      idx_in = n;
      fds[n++] = {in_fd, POLLOUT, 0};
    }
    if (out_fd >= 0) {
      idx_out = n;
      fds[n++] = {out_fd, POLLIN, 0};
    }
    if (err_fd >= 0) {
      idx_err = n;
      fds[n++] = {err_fd, POLLIN, 0};
    }
    int64_t left = deadline - NowMs();
    if (left <= 0) {
      failure = DeadlineExceeded(StrCat(Quote(o.argv[0]), " took longer than ",
                                        o.timeout_ms, " ms and was stopped"));
      break;
    }
    int pr = poll(fds, static_cast<nfds_t>(n),
                  static_cast<int>(left > 1000 ? 1000 : left));
    if (pr < 0) {
      if (errno == EINTR) continue;
      failure = Internal(StrCat("poll: ", strerror(errno)));
      break;
    }
    if (idx_in >= 0 && fds[idx_in].revents != 0) {
      ssize_t w = send(in_fd, o.stdin_data.data() + written,
                       o.stdin_data.size() - written, MSG_NOSIGNAL);
      if (w > 0) written += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
          written == o.stdin_data.size()) {
        shutdown(in_fd, SHUT_WR);
        CloseFd(in_fd);
      }
    }
    for (auto [idx, fd, sink, cap] :
         {std::tuple<int, int*, std::string*, size_t>{idx_out, &out_fd,
                                                      &res.out, o.max_stdout},
          std::tuple<int, int*, std::string*, size_t>{
              idx_err, &err_fd, &res.err, o.max_stderr}}) {
      if (idx < 0 || fds[idx].revents == 0) continue;
      ssize_t r = read(*fd, buf, sizeof buf);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) {
        CloseFd(*fd);
        continue;
      }
      if (sink->size() + static_cast<size_t>(r) > cap) {
        if (sink == &res.out && o.truncate_stdout) {
          sink->append(buf, cap - std::min(cap, sink->size()));
          res.stdout_truncated = true;
          CloseFd(*fd);
          continue;
        }
        if (sink == &res.out) {
          failure =
              ResourceExhausted(StrCat(Quote(o.argv[0]), " wrote more than ",
                                       cap, " bytes and was stopped"));
        }
        sink->append(buf, cap - std::min(cap, sink->size()));
      } else {
        sink->append(buf, static_cast<size_t>(r));
      }
    }
    if (!failure.ok()) break;
  }
  CloseFd(in_fd);
  CloseFd(out_fd);
  CloseFd(err_fd);
  if (!failure.ok()) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!failure.ok()) return failure;
  if (WIFEXITED(wstatus)) {
    res.exit_code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    res.exit_code = 128 + WTERMSIG(wstatus);
  }
  return res;
}

}  // namespace wfs::connectors::git
