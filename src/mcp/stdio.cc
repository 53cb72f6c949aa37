#include "mcp/stdio.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "base/strings.h"
#include "base/worker_pool.h"
#include "mcp/jsonrpc.h"

namespace wfs::mcp {
namespace {

class StdioChannel : public ClientChannel {
 public:
  explicit StdioChannel(int fd) : fd_(fd) {}

  Status Send(const Json& message) override {
    std::string line;
    AppendCanonicalJson(&line, message);
    line += '\n';
    std::lock_guard<std::mutex> lock(mu_);
    if (broken_) return Unavailable("the client's input is closed");
    size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        broken_ = true;
        return Unavailable(
            StrCat("writing to the client failed: ", std::strerror(errno)));
      }
      off += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

 private:
  const int fd_;
  std::mutex mu_;
  bool broken_ = false;
};

// Counts running request threads; Wait() blocks until none is left.
class Inflight {
 public:
  void Add() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return n_ < limit_; });
    ++n_;
  }
  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    --n_;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return n_ == 0; });
  }
  void set_limit(int n) { limit_ = n; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
  int limit_ = 64;
};

}  // namespace

Status ServeStdio(Engine& engine, Session& session,
                  const StdioOptions& options) {
  StdioChannel channel(options.out_fd);
  // Lists that change reach the client while its input is open.
  engine.Listen(&session, &channel);
  Inflight inflight;
  inflight.set_limit(options.max_concurrent);
  // Two workers run calls back to back; more are added when calls block
  // (waiting for the person's answer, which this thread reads).
  WorkerPool pool(WorkerPoolOptions{
      .name = "wfs-call",
      .min_threads = 2,
      .max_threads = std::max(2, options.max_concurrent),
      .throughput = true});

  auto handle = [&](std::string line) {
    Parsed p = ParseMessageText(line);
    if (!p.ok) {
      channel.Send(MakeError(p.failure)).IgnoreError();
      return;
    }
    if (!p.message.is_request()) {
      // Notifications and responses are quick: handle them in order.
      engine.HandleParsed(session, p.message, &channel);
      return;
    }
    if (!Engine::IsStreamingMethod(p.message.method)) {
      // Quick requests (ping, lists, reads) are answered in order, here.
      Json reply = engine.HandleParsed(session, p.message, &channel);
      if (!reply.is_null()) channel.Send(reply).IgnoreError();
      return;
    }
    inflight.Add();
    pool.Submit(
        [&engine, &session, &channel, &inflight, m = std::move(p.message)] {
          Json reply = engine.HandleParsed(session, m, &channel);
          // A request the client cancelled gets no response (its
          // notifications/cancelled ended it; the end of input too).
          bool cancelled = reply.contains("error") &&
                           reply["error"].value("code", 0) == kRequestCancelled;
          if (!reply.is_null() && !cancelled) channel.Send(reply).IgnoreError();
          inflight.Done();
        });
  };

  std::string buf;
  bool skipping = false;  // inside an over-long line
  char chunk[64 * 1024];
  Status result;
  while (true) {
    ssize_t n = ::read(options.in_fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = Unavailable(StrCat("reading stdin: ", std::strerror(errno)));
      break;
    }
    if (n == 0) break;
    size_t start = 0;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      if (chunk[i] != '\n') continue;
      if (!skipping) {
        buf.append(chunk + start, i - start);
        std::string line = std::move(buf);
        buf.clear();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!Trim(line).empty()) handle(std::move(line));
      }
      skipping = false;
      start = i + 1;
    }
    if (!skipping) {
      buf.append(chunk + start, static_cast<size_t>(n) - start);
      if (buf.size() > options.max_line_bytes) {
        channel
            .Send(MakeError(nullptr, kParseError,
                            StrCat("message longer than ",
                                   options.max_line_bytes, " bytes")))
            .IgnoreError();
        buf.clear();
        skipping = true;
      }
    }
  }
  if (!skipping && !Trim(buf).empty()) handle(std::move(buf));
  // Input ended: nothing can answer an elicitation any more.
  engine.EndSession(&session);  // closes it
  inflight.Wait();
  return result;
}

}  // namespace wfs::mcp
