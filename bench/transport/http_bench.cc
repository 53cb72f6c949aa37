// Load driver for the HTTP server: N keep-alive connections, each sending
// one request at a time (no pipelining) as fast as the server answers, for a
// fixed time after a warm-up. Reports requests/s and latency percentiles.
//
//   http_bench                          # in-process server, 1/16/64 conns
//   http_bench --connections=64 --seconds=10
//   http_bench --port=3000 --path=/mcp  # an external server on 127.0.0.1
//   http_bench --get                    # GET / instead of a JSON-RPC POST
//
// By default it starts an HttpServer in this process with a trivial handler
// that answers a small JSON-RPC result, and drives it with a JSON-RPC POST
// like an MCP client's. The client is one epoll thread on raw sockets
// (--client-threads to add more), so on a 2-core machine the client and the
// server share the cores: the figures are for the pair. server_cpu_us is the
// server's CPU time per request (process CPU minus the client threads'),
// which, unlike latency, barely depends on what else the machine runs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "transport/http_server.h"

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Config {
  std::vector<int> connections = {1, 16, 64};
  double seconds = 5;
  double warmup = 1;
  int port = 0;  // 0: start an in-process server
  std::string path = "/mcp";
  bool get = false;
  int workers = 4;
  int client_threads = 1;
};

bool ParseIntList(std::string_view s, std::vector<int>* out) {
  out->clear();
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string item(s.substr(0, comma));
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 10);
    if (end == item.c_str() || *end != '\0' || v < 1 || v > 100000) {
      return false;
    }
    out->push_back(static_cast<int>(v));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return !out->empty();
}

bool ParseArgs(int argc, char** argv, Config* c) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view name) -> const char* {
      if (a.substr(0, name.size()) == name && a.size() > name.size() &&
          a[name.size()] == '=') {
        return argv[i] + name.size() + 1;
      }
      return nullptr;
    };
    if (const char* v = value("--connections")) {
      if (!ParseIntList(v, &c->connections)) return false;
    } else if (const char* v2 = value("--seconds")) {
      c->seconds = std::atof(v2);
    } else if (const char* v3 = value("--warmup")) {
      c->warmup = std::atof(v3);
    } else if (const char* v4 = value("--port")) {
      c->port = std::atoi(v4);
    } else if (const char* v5 = value("--path")) {
      c->path = v5;
    } else if (const char* v6 = value("--workers")) {
      c->workers = std::atoi(v6);
    } else if (const char* v7 = value("--client-threads")) {
      c->client_threads = std::max(1, std::atoi(v7));
    } else if (a == "--get") {
      c->get = true;
    } else {
      return false;
    }
  }
  return c->seconds > 0 && c->warmup >= 0;
}

constexpr std::string_view kRpcBody =
    R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}})";
constexpr std::string_view kRpcResult =
    R"({"jsonrpc":"2.0","id":1,"result":{"tools":[]}})";

std::string BuildRequest(const Config& c) {
  std::string host = "127.0.0.1:" + std::to_string(c.port);
  if (c.get) {
    return "GET " + c.path + " HTTP/1.1\r\nHost: " + host +
           "\r\nAccept: application/json\r\n\r\n";
  }
  return "POST " + c.path + " HTTP/1.1\r\nHost: " + host +
         "\r\nContent-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\n"
         "Content-Length: " +
         std::to_string(kRpcBody.size()) + "\r\n\r\n" + std::string(kRpcBody);
}

// Length of the first complete response in `buf`, 0 when incomplete,
// -1 when it cannot be framed (no Content-Length).
long ResponseLength(std::string_view buf) {
  size_t head_end = buf.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return 0;
  std::string_view head = buf.substr(0, head_end);
  size_t pos = 0;
  long body = -1;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    static constexpr std::string_view kName = "content-length:";
    if (head.size() - pos < kName.size()) break;
    bool match = true;
    for (size_t i = 0; i < kName.size(); ++i) {
      char ch = head[pos + i];
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      if (ch != kName[i]) {
        match = false;
        break;
      }
    }
    if (match)
      body =
          std::atol(std::string(head.substr(pos + kName.size(), 20)).c_str());
  }
  if (body < 0) return -1;
  long total = static_cast<long>(head_end) + 4 + body;
  return static_cast<long>(buf.size()) >= total ? total : 0;
}

struct ClientConn {
  int fd = -1;
  std::string in;
  size_t sent = 0;
  SteadyClock::time_point started;
};

struct ThreadResult {
  std::vector<uint32_t> latencies_us;  // measured window only
  uint64_t errors = 0;
  double cpu_seconds = 0;  // this client thread's CPU in the window
};

double CpuSeconds(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) +
         static_cast<double>(ts.tv_nsec) * 1e-9;
}

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int flags = 1;
  ::ioctl(fd, FIONBIO, &flags);
  return fd;
}

// Drives `n` connections until `end`; records latencies after `measure_from`.
void RunClient(int port, int n, const std::string& request,
               SteadyClock::time_point measure_from,
               SteadyClock::time_point end, ThreadResult* result) {
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<ClientConn> conns(static_cast<size_t>(n));
  result->latencies_us.reserve(1 << 20);
  auto send_request = [&](ClientConn& c) {
    c.started = SteadyClock::now();
    ssize_t w = ::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
    if (w != static_cast<ssize_t>(request.size())) {
      ++result->errors;  // a small request always fits a fresh socket buffer
      return false;
    }
    return true;
  };
  for (int i = 0; i < n; ++i) {
    ClientConn& c = conns[static_cast<size_t>(i)];
    c.fd = ConnectLoopback(port);
    if (c.fd < 0) {
      std::fprintf(stderr, "connect failed: %s\n", std::strerror(errno));
      std::exit(1);
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    send_request(c);
  }
  std::vector<epoll_event> events(static_cast<size_t>(n));
  char buf[65536];
  bool measuring = false;
  double cpu_start = 0;
  while (SteadyClock::now() < end) {
    if (!measuring && SteadyClock::now() >= measure_from) {
      measuring = true;
      cpu_start = CpuSeconds(CLOCK_THREAD_CPUTIME_ID);
    }
    int k = ::epoll_wait(ep, events.data(), n, 100);
    for (int e = 0; e < k; ++e) {
      ClientConn& c = conns[events[static_cast<size_t>(e)].data.u32];
      ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        std::fprintf(stderr, "server closed a connection\n");
        std::exit(1);
      }
      c.in.append(buf, static_cast<size_t>(r));
      long len = ResponseLength(c.in);
      if (len < 0) {
        std::fprintf(stderr, "response without Content-Length\n");
        std::exit(1);
      }
      if (len == 0) continue;
      auto now = SteadyClock::now();
      if (c.in.compare(0, 12, "HTTP/1.1 200") != 0) ++result->errors;
      c.in.erase(0, static_cast<size_t>(len));
      if (now >= measure_from) {
        result->latencies_us.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now -
                                                                  c.started)
                .count()));
      }
      if (now < end) send_request(c);
    }
  }
  if (measuring) {
    result->cpu_seconds = CpuSeconds(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
  }
  for (ClientConn& c : conns) ::close(c.fd);
  ::close(ep);
}

void RunOne(const Config& cfg, int port, int connections, bool in_process) {
  std::string request = BuildRequest(cfg);
  auto start = SteadyClock::now();
  auto measure_from = start + std::chrono::duration_cast<SteadyClock::duration>(
                                  std::chrono::duration<double>(cfg.warmup));
  auto end = measure_from + std::chrono::duration_cast<SteadyClock::duration>(
                                std::chrono::duration<double>(cfg.seconds));
  int threads = std::min(cfg.client_threads, connections);
  std::vector<ThreadResult> results(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    int share = connections / threads + (t < connections % threads ? 1 : 0);
    pool.emplace_back(RunClient, port, share, std::cref(request), measure_from,
                      end, &results[static_cast<size_t>(t)]);
  }
  // Process CPU over the measured window; minus the client threads' own,
  // it is the server's (when it runs in this process).
  std::this_thread::sleep_until(measure_from);
  double process_cpu = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
  std::this_thread::sleep_until(end);
  process_cpu = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - process_cpu;
  for (std::thread& t : pool) t.join();
  std::vector<uint32_t> all;
  uint64_t errors = 0;
  double client_cpu = 0;
  for (ThreadResult& r : results) {
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
    errors += r.errors;
    client_cpu += r.cpu_seconds;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) -> double {
    if (all.empty()) return 0;
    size_t i = static_cast<size_t>(p * static_cast<double>(all.size() - 1));
    return all[i];
  };
  double server_us_per_req = all.empty() ? 0
                                         : (process_cpu - client_cpu) * 1e6 /
                                               static_cast<double>(all.size());
  std::printf("%11d %12.0f %9.0f %9.0f %9.0f %9.0f %9.0f %8llu %13.2f\n",
              connections, static_cast<double>(all.size()) / cfg.seconds,
              pct(0.50), pct(0.90), pct(0.99), pct(0.999), pct(1.0),
              static_cast<unsigned long long>(errors),
              in_process ? server_us_per_req : 0.0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  if (!ParseArgs(argc, argv, &cfg)) {
    std::fprintf(stderr,
                 "usage: http_bench [--connections=1,16,64] [--seconds=5] "
                 "[--warmup=1] [--port=N] [--path=/mcp] [--get] "
                 "[--workers=4] [--client-threads=1]\n");
    return 2;
  }
  wfs::transport::FunctionHandler handler([](wfs::transport::HttpRequest,
                                             wfs::transport::HttpResponder r) {
    r.Respond(
         {200, {{"Content-Type", "application/json"}}, std::string(kRpcResult)})
        .IgnoreError();
  });
  std::unique_ptr<wfs::transport::HttpServer> server;
  int port = cfg.port;
  if (port == 0) {
    wfs::transport::HttpServerOptions opts;
    opts.worker_threads = cfg.workers;
    auto started = wfs::transport::HttpServer::Start(opts, &handler);
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", started.status().ToString().c_str());
      return 1;
    }
    server = std::move(started).value();
    port = server->port();
    cfg.port = port;
  }
  std::printf(
      "# %s %s, %s server on port %d, %.1f s per run after %.1f s "
      "warm-up, %d client thread(s)\n",
      cfg.get ? "GET" : "POST (JSON-RPC)", cfg.path.c_str(),
      server ? "in-process" : "external", port, cfg.seconds, cfg.warmup,
      cfg.client_threads);
  if (server) std::printf("# server: %d worker threads\n", cfg.workers);
  std::printf("%11s %12s %9s %9s %9s %9s %9s %8s %13s\n", "connections",
              "requests/s", "p50_us", "p90_us", "p99_us", "p99.9_us", "max_us",
              "errors", "server_cpu_us");
  for (int n : cfg.connections) RunOne(cfg, port, n, server != nullptr);
  return 0;
}
