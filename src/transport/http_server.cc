#include "transport/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/strings.h"
#include "base/thread.h"
#include "base/worker_pool.h"
#include "transport/http_exchange.h"

namespace wfs::transport {
namespace {

using internal::Exchange;
using internal::ExchangeParams;
using internal::Mailbox;

// epoll tags for the two non-connection descriptors; connection ids start
// at 1 and never reach these.
constexpr uint64_t kListenerTag = ~uint64_t{0};
constexpr uint64_t kWakeTag = ~uint64_t{0} - 1;

constexpr size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerEvent = 4;  // fairness between connections
constexpr int kMaxEvents = 256;
constexpr int kMaxAcceptsPerEvent = 64;
// Timeouts are checked at least this often (real time), whatever the clock.
constexpr int64_t kMaxPollWaitMicros = 200'000;
// After EMFILE and friends, stop accepting for this long.
constexpr int64_t kAcceptPauseMicros = 100'000;
// After the last response on a closing connection: shutdown(SHUT_WR), then
// read and discard until the client closes, so that unread request bytes do
// not turn our close into a reset that destroys the response in flight.
constexpr int64_t kLingerMicros = 2'000'000;
constexpr size_t kLingerDiscardBytes = 1 << 20;
// While a request is being handled, read ahead (pipelined requests, and so
// that a closing client is noticed) up to this many buffered bytes.
constexpr size_t kMinPipelineBuffer = 64 * 1024;
constexpr size_t kShrinkOutputAbove = 1 << 20;
constexpr size_t kCompactOutputAbove = 64 * 1024;
// Connections over max_connections that still get a 503 (and linger);
// beyond this many at once they are closed without a word.
constexpr size_t kMinRejectSlack = 16;
constexpr std::string_view k100Continue = "HTTP/1.1 100 Continue\r\n\r\n";

int64_t ToMicros(std::chrono::milliseconds ms) {
  return static_cast<int64_t>(ms.count()) * 1000;
}

struct ListenAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  bool loopback = false;
  std::string text;  // normalised, without brackets
};

Result<ListenAddress> ParseListenAddress(const std::string& address,
                                         uint16_t port) {
  std::string host = address;
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  ListenAddress out;
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr = v4;
    out.length = sizeof(sockaddr_in);
    out.family = AF_INET;
    out.loopback = (ntohl(v4.s_addr) >> 24) == 127;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    sin6->sin6_addr = v6;
    out.length = sizeof(sockaddr_in6);
    out.family = AF_INET6;
    out.loopback = IN6_IS_ADDR_LOOPBACK(&v6) ||
                   (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  } else {
    return InvalidArgument(
        "listen address must be a numeric IPv4 or IPv6 address or "
        "\"localhost\", got " +
        Quote(address));
  }
  out.text = host;
  return out;
}

std::string FormatPeer(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
    return StrCat(buf, ":", ntohs(sin->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
    return StrCat("[", buf, "]:", ntohs(sin6->sin6_port));
  }
  return "unknown";
}

Status ValidateOptions(const HttpServerOptions& o, const HttpHandler* h) {
  if (h == nullptr) return InvalidArgument("HttpServer needs a handler");
  if (o.worker_threads < 1 || o.worker_threads > 1024) {
    return InvalidArgument("worker_threads must be 1..1024");
  }
  if (o.max_worker_threads > 4096) {
    return InvalidArgument("max_worker_threads must be at most 4096");
  }
  if (o.max_connections < 1) {
    return InvalidArgument("max_connections must be at least 1");
  }
  if (o.listen_backlog < 1) {
    return InvalidArgument("listen_backlog must be at least 1");
  }
  if (o.limits.max_header_bytes < 64 || o.limits.max_headers < 1 ||
      o.limits.max_url_bytes < 1) {
    return InvalidArgument(
        "limits: max_header_bytes must be at least 64, max_headers and "
        "max_url_bytes at least 1");
  }
  using std::chrono::milliseconds;
  if (o.header_timeout <= milliseconds(0) ||
      o.body_timeout <= milliseconds(0) || o.idle_timeout <= milliseconds(0) ||
      o.write_timeout <= milliseconds(0) ||
      o.shutdown_grace < milliseconds(0)) {
    return InvalidArgument("timeouts must be positive");
  }
  if (o.max_stream_buffer_bytes < 1) {
    return InvalidArgument("max_stream_buffer_bytes must be at least 1");
  }
  return Status::Ok();
}

// Runs the handler on a WorkerPool: a request waits for a free worker, and
// workers are added when the running handlers block. Queued requests are
// bounded by max_connections (one per connection).
class HandlerPool {
 public:
  HandlerPool(HttpHandler* handler, int min_threads, int max_threads)
      : handler_(handler),
        pool_(WorkerPoolOptions{.name = "wfs-http",
                                .min_threads = min_threads,
                                .max_threads = max_threads,
                                .throughput = true}) {}
  ~HandlerPool() { Shutdown(); }

  void Submit(HttpRequest request, HttpResponder responder) {
    // A dropped job's responder finishes into a closed mailbox.
    pool_.Submit([handler = handler_,
                  job = std::make_shared<Job>(
                      Job{std::move(request), std::move(responder)})] {
      try {
        handler->Handle(std::move(job->request), std::move(job->responder));
      } catch (...) {
        // The responder, moved into Handle, completed itself with a 500
        // when it was destroyed during unwinding.
      }
    });
  }

  // Drops queued jobs and joins the threads (waiting for running handlers).
  void Shutdown() { pool_.Shutdown(WorkerPool::Queued::kDrop); }

 private:
  struct Job {
    HttpRequest request;
    HttpResponder responder;
  };

  HttpHandler* const handler_;
  WorkerPool pool_;
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, HttpHandler* handler)
      : options_(options),
        handler_(handler),
        clock_(options.clock != nullptr ? options.clock : &system_clock_),
        header_timeout_(ToMicros(options.header_timeout)),
        body_timeout_(ToMicros(options.body_timeout)),
        idle_timeout_(ToMicros(options.idle_timeout)),
        write_timeout_(ToMicros(options.write_timeout)),
        pipeline_cap_(
            std::max(kMinPipelineBuffer, options.limits.max_header_bytes)),
        reject_slack_(std::max(kMinRejectSlack, options.max_connections / 8)),
        read_buf_(kReadChunk) {}

  ~Impl() {
    Stop();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
  }

  Status Init();
  void Stop();
  uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }
  HttpServerStats stats() const;

 private:
  enum class Mode {
    kOpen,       // reading requests, handling them, writing responses
    kClosing,    // writing a final response; then kLingering
    kLingering,  // write side shut; discarding input until the client closes
  };

  struct Connection {
    explicit Connection(const HttpLimits& limits) : parser(limits) {}

    uint64_t id = 0;
    int fd = -1;
    std::string peer;
    Mode mode = Mode::kOpen;
    bool rejected = false;  // over max_connections, getting a 503
    HttpRequestParser parser;
    // Output not yet accepted by the kernel: out[out_off..].
    std::string out;
    size_t out_off = 0;
    bool write_blocked = false;
    int64_t write_progress_at = 0;
    // The request being handled, if any.
    std::shared_ptr<Exchange> exchange;
    bool exchange_finished = false;  // every response byte taken from it
    bool gone_signaled = false;
    bool close_after = false;  // the current response asked for a close
    bool peer_eof = false;     // read returned 0: the client sends no more
    bool rdhup = false;        // peer closed its side while we were not reading
    bool served_any = false;
    uint32_t events = 0;  // registered with epoll
    HttpRequestParser::Phase last_phase = HttpRequestParser::Phase::kIdle;
    int64_t phase_start = 0;
    int64_t linger_until = 0;
    size_t discarded = 0;
    int64_t deadline = 0;  // 0: none
  };

  void Run();
  int PollTimeoutMillis() const;
  void BeginStop();
  bool OnlyLingeringLeft() const;
  void CloseAll();

  void AcceptAll();
  void PauseAccept();
  void ResumeAccept();

  void OnConnectionEvent(Connection* c, uint32_t events);
  bool OnReadable(Connection* c, uint32_t events);
  bool DiscardInput(Connection* c);
  bool ProcessInput(Connection* c);
  void Dispatch(Connection* c);
  void ProcessMailbox();
  bool OnExchangeOutput(Connection* c);
  bool Flush(Connection* c);
  bool FlushAndAdvance(Connection* c);
  bool CompleteExchange(Connection* c);
  bool SendErrorAndClose(Connection* c, int status, std::string_view message);
  bool StartLinger(Connection* c);
  void SignalGone(Connection* c);
  void CloseConnection(Connection* c);
  void Refresh(Connection* c);
  void UpdateInterest(Connection* c);
  void UpdateDeadline(Connection* c);
  void Sweep();
  void OnTimeout(Connection* c);

  const HttpServerOptions options_;
  HttpHandler* const handler_;
  SystemClock system_clock_;
  const Clock* const clock_;
  const int64_t header_timeout_;
  const int64_t body_timeout_;
  const int64_t idle_timeout_;
  const int64_t write_timeout_;
  const size_t pipeline_cap_;
  const size_t reject_slack_;

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  uint16_t port_ = 0;
  std::string address_;
  std::shared_ptr<Mailbox> mailbox_;
  std::unique_ptr<HandlerPool> pool_;
  std::thread loop_thread_;
  std::mutex stop_mu_;
  bool stopped_ = false;

  // Loop-thread state.
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> conns_;
  uint64_t next_id_ = 1;
  size_t active_ = 0;     // connections that are not rejected
  size_t rejecting_ = 0;  // rejected connections still open
  int64_t now_ = 0;
  int64_t next_sweep_ = 0;
  bool accept_paused_ = false;
  int64_t accept_resume_at_ = 0;
  bool stop_started_ = false;
  int64_t stop_deadline_ = 0;
  std::vector<char> read_buf_;
  std::vector<uint64_t> expired_;

  struct Counters {
    std::atomic<uint64_t> accepted{0};
    std::atomic<uint64_t> rejected{0};
    std::atomic<uint64_t> open{0};
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> bad_requests{0};
    std::atomic<uint64_t> timeouts{0};
    std::atomic<uint64_t> gone{0};
    std::atomic<uint64_t> overflows{0};
  } counters_;
};

namespace {
void Bump(std::atomic<uint64_t>& c) {
  c.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

Status HttpServer::Impl::Init() {
  WFS_ASSIGN_OR_RETURN(ListenAddress addr,
                       ParseListenAddress(options_.address, options_.port));
  if (!addr.loopback && !options_.allow_non_loopback) {
    return InvalidArgument("refusing to listen on non-loopback address " +
                           Quote(addr.text) +
                           ": the server has no authentication of its own; set "
                           "allow_non_loopback to expose it");
  }
  address_ = addr.text;
  listen_fd_ =
      ::socket(addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    return Unavailable(StrCat("socket: ", std::strerror(errno)));
  }
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (addr.family == AF_INET6) {
    ::setsockopt(listen_fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr.storage),
             addr.length) != 0) {
    return Unavailable(StrCat("cannot listen on ", addr.text, " port ",
                              options_.port, ": ", std::strerror(errno)));
  }
  if (::listen(listen_fd_, options_.listen_backlog) != 0) {
    return Unavailable(StrCat("listen: ", std::strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound),
                    &bound_len) != 0) {
    return Unavailable(StrCat("getsockname: ", std::strerror(errno)));
  }
  port_ = bound.ss_family == AF_INET6
              ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
              : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    return Internal(StrCat("epoll_create1: ", std::strerror(errno)));
  }
  WFS_ASSIGN_OR_RETURN(mailbox_, Mailbox::Create());
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerTag;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) {
    return Internal(StrCat("epoll_ctl: ", std::strerror(errno)));
  }
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, mailbox_->event_fd(), &ev) != 0) {
    return Internal(StrCat("epoll_ctl: ", std::strerror(errno)));
  }
  pool_ = std::make_unique<HandlerPool>(
      handler_, options_.worker_threads,
      std::max(options_.worker_threads, options_.max_worker_threads));
  loop_thread_ = std::thread([this] {
    NameThisThread("wfs-http-loop");
    Run();
  });
  return Status::Ok();
}

void HttpServer::Impl::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (loop_thread_.joinable()) {
    mailbox_->stopping.store(true);
    mailbox_->Wake();
    loop_thread_.join();
  }
  if (mailbox_) mailbox_->Close();
  if (pool_) pool_->Shutdown();
}

HttpServerStats HttpServer::Impl::stats() const {
  auto get = [](const std::atomic<uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  HttpServerStats s;
  s.connections_accepted = get(counters_.accepted);
  s.connections_rejected = get(counters_.rejected);
  s.connections_open = get(counters_.open);
  s.requests = get(counters_.requests);
  s.bad_requests = get(counters_.bad_requests);
  s.timeouts = get(counters_.timeouts);
  s.clients_gone = get(counters_.gone);
  s.stream_overflows = get(counters_.overflows);
  return s;
}

// --- The loop --------------------------------------------------------------

void HttpServer::Impl::Run() {
  epoll_event events[kMaxEvents];
  now_ = clock_->MonotonicMicros();
  next_sweep_ = now_ + kMaxPollWaitMicros;
  for (;;) {
    if (!stop_started_ && mailbox_->stopping.load()) BeginStop();
    if (stop_started_ && (now_ >= stop_deadline_ || OnlyLingeringLeft())) {
      break;
    }
    int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, PollTimeoutMillis());
    if (n < 0) {
      if (errno != EINTR) break;  // cannot happen with valid descriptors
      n = 0;
    }
    now_ = clock_->MonotonicMicros();
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kListenerTag) {
        AcceptAll();
      } else if (tag == kWakeTag) {
        ProcessMailbox();
      } else {
        auto it = conns_.find(tag);
        if (it != conns_.end()) {
          OnConnectionEvent(it->second.get(), events[i].events);
        }
      }
    }
    if (accept_paused_ && now_ >= accept_resume_at_) ResumeAccept();
    if (now_ >= next_sweep_) Sweep();
  }
  CloseAll();
}

int HttpServer::Impl::PollTimeoutMillis() const {
  int64_t wake = next_sweep_;
  if (accept_paused_) wake = std::min(wake, accept_resume_at_);
  if (stop_started_) wake = std::min(wake, stop_deadline_);
  int64_t d = std::min(wake - now_, kMaxPollWaitMicros);
  if (d <= 0) return 0;
  return static_cast<int>((d + 999) / 1000);
}

void HttpServer::Impl::BeginStop() {
  stop_started_ = true;
  stop_deadline_ = now_ + ToMicros(options_.shutdown_grace);
  if (listen_fd_ >= 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  accept_paused_ = false;
  // Idle connections and requests still being received close now; those
  // with a request in flight finish it (and then close).
  std::vector<Connection*> idle;
  for (auto& [id, c] : conns_) {
    if (c->mode == Mode::kOpen && c->exchange == nullptr)
      idle.push_back(c.get());
  }
  for (Connection* c : idle) CloseConnection(c);
}

bool HttpServer::Impl::OnlyLingeringLeft() const {
  for (const auto& [id, c] : conns_) {
    if (c->mode != Mode::kLingering) return false;
  }
  return true;
}

void HttpServer::Impl::CloseAll() {
  while (!conns_.empty()) CloseConnection(conns_.begin()->second.get());
}

void HttpServer::Impl::AcceptAll() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM) {
        PauseAccept();
      }
      return;  // EAGAIN, or an error we wait out
    }
    Bump(counters_.accepted);
    const bool reject = active_ >= options_.max_connections;
    if (reject) {
      Bump(counters_.rejected);
      if (rejecting_ >= reject_slack_) {
        ::close(fd);
        continue;
      }
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto owned = std::make_unique<Connection>(options_.limits);
    Connection* c = owned.get();
    c->id = next_id_++;
    c->fd = fd;
    c->peer = FormatPeer(ss);
    c->phase_start = now_;
    c->events = EPOLLIN | EPOLLRDHUP;
    epoll_event ev{};
    ev.events = c->events;
    ev.data.u64 = c->id;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      continue;
    }
    conns_.emplace(c->id, std::move(owned));
    counters_.open.fetch_add(1, std::memory_order_relaxed);
    if (reject) {
      c->rejected = true;
      ++rejecting_;
      if (SendErrorAndClose(c, 503, "too many connections; retry later")) {
        Refresh(c);
      }
    } else {
      ++active_;
      Refresh(c);
    }
  }
}

void HttpServer::Impl::PauseAccept() {
  if (accept_paused_ || listen_fd_ < 0) return;
  accept_paused_ = true;
  accept_resume_at_ = now_ + kAcceptPauseMicros;
  epoll_event ev{};
  ev.events = 0;
  ev.data.u64 = kListenerTag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
}

void HttpServer::Impl::ResumeAccept() {
  accept_paused_ = false;
  if (listen_fd_ < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerTag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
}

// --- Connections -----------------------------------------------------------

void HttpServer::Impl::OnConnectionEvent(Connection* c, uint32_t events) {
  if (events & (EPOLLERR | EPOLLHUP)) {
    // Reset, or both directions shut (e.g. the client closed while we
    // linger). Nothing more can be delivered.
    CloseConnection(c);
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP)) {
    if (!OnReadable(c, events)) return;
  }
  if (events & EPOLLOUT) {
    if (!FlushAndAdvance(c)) return;
  }
  Refresh(c);
}

bool HttpServer::Impl::OnReadable(Connection* c, uint32_t events) {
  if (c->mode == Mode::kLingering) return DiscardInput(c);
  if (c->mode != Mode::kOpen || c->peer_eof) return true;
  for (int i = 0; i < kReadsPerEvent; ++i) {
    if (c->exchange != nullptr && c->parser.buffered_bytes() >= pipeline_cap_) {
      // Read-ahead is full; only a peer close is of interest now.
      if (events & EPOLLRDHUP) {
        c->rdhup = true;
        SignalGone(c);
      }
      break;
    }
    ssize_t n = ::recv(c->fd, read_buf_.data(), read_buf_.size(), 0);
    if (n > 0) {
      c->parser.Feed(
          std::string_view(read_buf_.data(), static_cast<size_t>(n)));
      if (static_cast<size_t>(n) < read_buf_.size()) break;
      continue;
    }
    if (n == 0) {
      c->peer_eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    CloseConnection(c);
    return false;
  }
  if (c->peer_eof) SignalGone(c);
  return ProcessInput(c);
}

bool HttpServer::Impl::DiscardInput(Connection* c) {
  for (int i = 0; i < kReadsPerEvent; ++i) {
    ssize_t n = ::recv(c->fd, read_buf_.data(), read_buf_.size(), 0);
    if (n > 0) {
      c->discarded += static_cast<size_t>(n);
      if (c->discarded > kLingerDiscardBytes) {
        CloseConnection(c);  // enough courtesy
        return false;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    CloseConnection(c);  // EOF or error: the client has closed
    return false;
  }
  return true;  // every read was full; more on the next event
}

bool HttpServer::Impl::ProcessInput(Connection* c) {
  if (c->mode != Mode::kOpen || c->exchange != nullptr) return true;
  switch (c->parser.Parse()) {
    case HttpRequestParser::State::kComplete:
      Dispatch(c);
      return true;
    case HttpRequestParser::State::kError:
      Bump(counters_.bad_requests);
      return SendErrorAndClose(c, c->parser.error_status(),
                               c->parser.error_message());
    case HttpRequestParser::State::kNeedMore:
      break;
  }
  if (c->parser.TakeExpectContinue() && !c->peer_eof) {
    c->out.append(k100Continue);
    if (!Flush(c)) return false;
  }
  if (c->peer_eof) {
    // The client will send no more and no request is complete.
    CloseConnection(c);
    return false;
  }
  return true;
}

void HttpServer::Impl::Dispatch(Connection* c) {
  HttpRequest request = c->parser.TakeRequest();
  request.peer = c->peer;
  request.connection_id = c->id;
  ExchangeParams params;
  params.connection_id = c->id;
  params.head_request = request.method == "HEAD";
  params.version_minor = request.version_minor;
  params.keep_alive = request.keep_alive;
  params.max_stream_buffer_bytes = options_.max_stream_buffer_bytes;
  params.mailbox = mailbox_;
  params.clock = clock_;
  auto exchange = std::make_shared<Exchange>(std::move(params));
  c->exchange = exchange;
  c->exchange_finished = false;
  c->gone_signaled = false;
  c->close_after = false;
  c->served_any = true;
  // Forces UpdateDeadline to restart the phase clock after this request.
  c->last_phase = HttpRequestParser::Phase::kComplete;
  Bump(counters_.requests);
  if (c->peer_eof || c->rdhup) SignalGone(c);
  pool_->Submit(std::move(request), HttpResponder(std::move(exchange)));
}

void HttpServer::Impl::ProcessMailbox() {
  for (std::shared_ptr<Exchange>& ex : mailbox_->TakeAll()) {
    auto it = conns_.find(ex->connection_id());
    if (it == conns_.end() || it->second->exchange != ex) continue;  // stale
    Connection* c = it->second.get();
    if (OnExchangeOutput(c)) Refresh(c);
  }
}

bool HttpServer::Impl::OnExchangeOutput(Connection* c) {
  Exchange::Output o = c->exchange->TakeOutput(c->out);
  if (o.overflow) {
    Bump(counters_.overflows);
    CloseConnection(c);
    return false;
  }
  if (o.close_after) c->close_after = true;
  if (o.finished) c->exchange_finished = true;
  return FlushAndAdvance(c);
}

bool HttpServer::Impl::Flush(Connection* c) {
  if (c->out.empty()) return true;
  if (!c->write_blocked) c->write_progress_at = now_;
  while (c->out_off < c->out.size()) {
    ssize_t n = ::send(c->fd, c->out.data() + c->out_off,
                       c->out.size() - c->out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_off += static_cast<size_t>(n);
      c->write_progress_at = now_;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    CloseConnection(c);  // EPIPE, ECONNRESET: the client is gone
    return false;
  }
  if (c->out_off == c->out.size()) {
    c->out.clear();
    c->out_off = 0;
    if (c->out.capacity() > kShrinkOutputAbove) c->out.shrink_to_fit();
    c->write_blocked = false;
  } else {
    c->write_blocked = true;
    if (c->out_off >= kCompactOutputAbove && c->out_off * 2 >= c->out.size()) {
      c->out.erase(0, c->out_off);
      c->out_off = 0;
    }
  }
  return true;
}

bool HttpServer::Impl::FlushAndAdvance(Connection* c) {
  if (!Flush(c)) return false;
  size_t unsent = c->out.size() - c->out_off;
  if (c->exchange != nullptr) c->exchange->SetLoopUnsent(unsent);
  if (unsent > 0) return true;  // EPOLLOUT continues
  if (c->mode == Mode::kClosing) return StartLinger(c);
  if (c->exchange != nullptr && c->exchange_finished) {
    return CompleteExchange(c);
  }
  return true;
}

bool HttpServer::Impl::CompleteExchange(Connection* c) {
  c->exchange->Detach();
  c->exchange.reset();
  c->exchange_finished = false;
  if (c->close_after || c->peer_eof || c->rdhup || stop_started_) {
    c->mode = Mode::kClosing;
    return StartLinger(c);
  }
  return ProcessInput(c);  // a pipelined request may be waiting
}

bool HttpServer::Impl::SendErrorAndClose(Connection* c, int status,
                                         std::string_view message) {
  c->mode = Mode::kClosing;
  c->out.append(internal::CannedResponse(status, message, clock_->NowMicros()));
  return FlushAndAdvance(c);
}

bool HttpServer::Impl::StartLinger(Connection* c) {
  if (c->peer_eof) {
    CloseConnection(c);
    return false;
  }
  ::shutdown(c->fd, SHUT_WR);
  c->mode = Mode::kLingering;
  c->linger_until = now_ + kLingerMicros;
  return true;
}

void HttpServer::Impl::SignalGone(Connection* c) {
  if (c->exchange == nullptr || c->gone_signaled) return;
  c->gone_signaled = true;
  Bump(counters_.gone);
  c->exchange->MarkGone(/*closed=*/false);
}

void HttpServer::Impl::CloseConnection(Connection* c) {
  if (c->exchange != nullptr) {
    const bool complete = c->exchange_finished && c->out.empty();
    if (!complete && !c->gone_signaled) Bump(counters_.gone);
    c->gone_signaled = true;
    c->exchange->MarkGone(/*closed=*/true);
    c->exchange.reset();
  }
  ::close(c->fd);  // also removes it from the epoll set
  if (c->rejected) {
    --rejecting_;
  } else {
    --active_;
  }
  counters_.open.fetch_sub(1, std::memory_order_relaxed);
  conns_.erase(c->id);
}

void HttpServer::Impl::Refresh(Connection* c) {
  UpdateInterest(c);
  UpdateDeadline(c);
}

void HttpServer::Impl::UpdateInterest(Connection* c) {
  uint32_t want = 0;
  switch (c->mode) {
    case Mode::kOpen:
      if (!c->peer_eof) {
        if (c->exchange == nullptr ||
            c->parser.buffered_bytes() < pipeline_cap_) {
          want |= EPOLLIN | EPOLLRDHUP;
        } else if (!c->rdhup) {
          want |= EPOLLRDHUP;
        }
      }
      break;
    case Mode::kClosing:
      break;
    case Mode::kLingering:
      want |= EPOLLIN | EPOLLRDHUP;
      break;
  }
  if (!c->out.empty()) want |= EPOLLOUT;
  if (want == c->events) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = c->id;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
  c->events = want;
}

void HttpServer::Impl::UpdateDeadline(Connection* c) {
  int64_t d = 0;
  if (!c->out.empty()) {
    d = c->write_progress_at + write_timeout_;
  } else if (c->mode == Mode::kLingering) {
    d = c->linger_until;
  } else if (c->mode == Mode::kOpen && c->exchange == nullptr) {
    HttpRequestParser::Phase phase = c->parser.phase();
    if (phase != c->last_phase) {
      c->last_phase = phase;
      c->phase_start = now_;
    }
    switch (phase) {
      case HttpRequestParser::Phase::kIdle:
        d = c->phase_start + (c->served_any ? idle_timeout_ : header_timeout_);
        break;
      case HttpRequestParser::Phase::kHead:
        d = c->phase_start + header_timeout_;
        break;
      case HttpRequestParser::Phase::kBody:
        d = c->phase_start + body_timeout_;
        break;
      default:
        break;
    }
  }
  c->deadline = d;
  if (d != 0 && d < next_sweep_) next_sweep_ = d;
}

void HttpServer::Impl::Sweep() {
  next_sweep_ = now_ + kMaxPollWaitMicros;
  expired_.clear();
  for (const auto& [id, c] : conns_) {
    if (c->deadline == 0) continue;
    if (c->deadline <= now_) {
      expired_.push_back(id);
    } else if (c->deadline < next_sweep_) {
      next_sweep_ = c->deadline;
    }
  }
  for (uint64_t id : expired_) {
    auto it = conns_.find(id);
    if (it != conns_.end()) OnTimeout(it->second.get());
  }
}

void HttpServer::Impl::OnTimeout(Connection* c) {
  if (!c->out.empty()) {  // the client stopped reading
    Bump(counters_.timeouts);
    CloseConnection(c);
    return;
  }
  if (c->mode == Mode::kOpen && c->exchange == nullptr) {
    switch (c->parser.phase()) {
      case HttpRequestParser::Phase::kHead:
        Bump(counters_.timeouts);
        Bump(counters_.bad_requests);
        if (SendErrorAndClose(c, 408, "timed out reading the request head")) {
          Refresh(c);
        }
        return;
      case HttpRequestParser::Phase::kBody:
        Bump(counters_.timeouts);
        Bump(counters_.bad_requests);
        if (SendErrorAndClose(c, 408, "timed out reading the request body")) {
          Refresh(c);
        }
        return;
      default:
        break;  // idle keep-alive connection: close quietly
    }
  }
  CloseConnection(c);
}

// --- HttpServer ------------------------------------------------------------

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, HttpHandler* handler) {
  WFS_RETURN_IF_ERROR(ValidateOptions(options, handler));
  auto impl = std::make_unique<Impl>(options, handler);
  WFS_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port(); }
const std::string& HttpServer::address() const { return impl_->address(); }
void HttpServer::Stop() { impl_->Stop(); }
HttpServerStats HttpServer::stats() const { return impl_->stats(); }

}  // namespace wfs::transport
