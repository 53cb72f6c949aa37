// Load generator for MCP servers: `tools/call` (or any request) from N
// concurrent clients, each waiting for its answer before sending the next,
// for a fixed time after a warm-up. Reports calls/s and latency
// percentiles, and the server's CPU time per call when it knows the
// server's pid. Any MCP server works: wfstore and the TypeScript SDK's are
// driven the same way (bench/mcp/run.sh runs them side by side).
//
//   mcp_bench --url=http://127.0.0.1:8750/mcp --clients=64
//     --params='{"name": "run_workflow", "arguments": {...}}' [--pid=PID]
//   mcp_bench --clients=64 --params=... -- wfstore serve --stdio --store S
//
// Streamable HTTP: each client is its own session (initialize, then
// notifications/initialized) on its own keep-alive connection; answers may
// be JSON or an SSE stream. stdio: the command is started with pipes and the
// N clients are N requests kept in flight on its one session. One epoll
// thread drives everything, so the generator costs one core at most.
//
// A call counts as ok when its answer has a `result` without `isError`;
// --expect=TEXT also requires TEXT in the answer. --protocol-version=V
// (2025-06-18 unless given) is the revision the clients negotiate; from
// 2025-11-25 on, wfstore's SSE answers are resumable streams. 2026-07-28
// and later are stateless: no initialize and no session; every request
// carries the revision and the client's capabilities in params._meta, and
// over HTTP its MCP-Protocol-Version, Mcp-Method and Mcp-Name headers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"

namespace {

using Clock = std::chrono::steady_clock;
using wfs::Json;

struct Config {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/mcp";
  std::vector<std::string> headers;  // extra HTTP header lines
  std::vector<std::string> command;  // stdio: the server to start
  int clients = 64;
  double seconds = 5;
  double warmup = 1;
  std::string method = "tools/call";
  Json params = Json::object();
  std::string expect;
  int pid = 0;  // the server's pid, for its CPU time
  std::string label = "server";
  std::string version = "2025-06-18";
};

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "mcp_bench: %s\n", why.c_str());
  std::exit(2);
}

bool ParseArgs(int argc, char** argv, Config* c) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) c->command.push_back(argv[i]);
      break;
    }
    size_t eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) return false;
    std::string k = a.substr(2, eq - 2), v = a.substr(eq + 1);
    if (k == "url") {
      const std::string scheme = "http://";
      if (v.rfind(scheme, 0) != 0) return false;
      std::string rest = v.substr(scheme.size());
      size_t slash = rest.find('/');
      std::string hostport = rest.substr(0, slash);
      c->path = slash == std::string::npos ? "/" : rest.substr(slash);
      size_t colon = hostport.rfind(':');
      if (colon == std::string::npos) return false;
      c->host = hostport.substr(0, colon);
      c->port = std::atoi(hostport.c_str() + colon + 1);
    } else if (k == "header") {
      c->headers.push_back(v);
    } else if (k == "clients") {
      c->clients = std::max(1, std::atoi(v.c_str()));
    } else if (k == "seconds") {
      c->seconds = std::atof(v.c_str());
    } else if (k == "warmup") {
      c->warmup = std::atof(v.c_str());
    } else if (k == "method") {
      c->method = v;
    } else if (k == "params") {
      auto j = wfs::ParseJson(v);
      if (!j.ok()) Die("--params is not JSON: " + j.status().message());
      c->params = *j;
    } else if (k == "expect") {
      c->expect = v;
    } else if (k == "pid") {
      c->pid = std::atoi(v.c_str());
    } else if (k == "label") {
      c->label = v;
    } else if (k == "protocol-version") {
      c->version = v;
    } else {
      return false;
    }
  }
  return c->port > 0 || !c->command.empty();
}

// utime + stime of a process, in seconds.
double CpuSeconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return 0;
  size_t close = line.rfind(')');
  std::istringstream in(line.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Stats {
  std::vector<double> latencies_us;  // measured calls only
  long ok = 0, errors = 0;
  std::string first_error;
  bool measuring = false;
  int pid = 0;  // the server, for its CPU time over the measured window
  double cpu_start = -1, cpu_stop = -1;

  void Tick(Clock::time_point now, Clock::time_point start,
            Clock::time_point stop) {
    measuring = now >= start && now < stop;
    if (pid == 0) return;
    if (now >= start && cpu_start < 0) cpu_start = CpuSeconds(pid);
    if (now >= stop && cpu_stop < 0) cpu_stop = CpuSeconds(pid);
  }

  void Record(Clock::time_point sent, const std::string& answer,
              const std::string& expect) {
    if (!measuring) return;
    double us =
        std::chrono::duration<double, std::micro>(Clock::now() - sent).count();
    bool good = answer.find("\"result\"") != std::string::npos &&
                answer.find("\"isError\":true") == std::string::npos &&
                (expect.empty() || answer.find(expect) != std::string::npos);
    if (good) {
      ++ok;
      latencies_us.push_back(us);
    } else {
      ++errors;
      if (first_error.empty()) first_error = answer.substr(0, 300);
    }
  }
};

bool Stateless(const Config& c) { return c.version >= "2026-07-28"; }

std::string Request(int64_t id, const Config& c) {
  if (!Stateless(c)) {
    return Json{{"jsonrpc", "2.0"},
                {"id", id},
                {"method", c.method},
                {"params", c.params}}
        .dump();
  }
  Json params = c.params;
  params["_meta"] = {
      {"io.modelcontextprotocol/protocolVersion", c.version},
      {"io.modelcontextprotocol/clientCapabilities", Json::object()}};
  return Json{{"jsonrpc", "2.0"},
              {"id", id},
              {"method", c.method},
              {"params", std::move(params)}}
      .dump();
}

std::string Initialize(int64_t id, const Config& c) {
  return Json{{"jsonrpc", "2.0"},
              {"id", id},
              {"method", "initialize"},
              {"params",
               {{"protocolVersion", c.version},
                {"capabilities", Json::object()},
                {"clientInfo", {{"name", "mcp_bench"}, {"version", "1"}}}}}}
      .dump();
}

constexpr char kInitialized[] =
    R"({"jsonrpc":"2.0","method":"notifications/initialized"})";

// ---- Streamable HTTP
// ---------------------------------------------------------

struct HttpClient {
  int fd = -1;
  int step = 0;  // 0 initialize, 1 initialized, 2 calls
  std::string session;
  std::string out;
  size_t out_off = 0;
  std::string in;
  Clock::time_point sent;
  int64_t next_id = 1;
};

// A complete response at the front of `in`: its status, headers (lowercase
// names) and body (de-chunked); false when more bytes are needed.
bool TakeResponse(std::string& in, int* status, std::string* headers,
                  std::string* body) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::string head = in.substr(0, end + 2);
  std::string lower = head;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
  size_t pos = end + 4;
  body->clear();
  size_t cl = lower.find("\r\ncontent-length:");
  if (cl != std::string::npos) {
    size_t n = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
    if (in.size() < pos + n) return false;
    body->assign(in, pos, n);
    pos += n;
  } else if (lower.find("\r\ntransfer-encoding: chunked") !=
             std::string::npos) {
    while (true) {
      size_t eol = in.find("\r\n", pos);
      if (eol == std::string::npos) return false;
      size_t n = std::strtoul(in.c_str() + pos, nullptr, 16);
      if (n == 0) {
        if (in.size() < eol + 4) return false;
        pos = eol + 4;
        break;
      }
      if (in.size() < eol + 2 + n + 2) return false;
      body->append(in, eol + 2, n);
      pos = eol + 2 + n + 2;
    }
  }
  *status = std::atoi(head.c_str() + 9);
  *headers = lower;
  // Keep the session id with its original case.
  size_t sid = lower.find("\r\nmcp-session-id:");
  if (sid != std::string::npos) {
    size_t v = sid + 17;
    while (v < head.size() && head[v] == ' ') ++v;
    size_t e = head.find("\r\n", v);
    *headers += "\nSID=" + head.substr(v, e - v);
  }
  in.erase(0, pos);
  return true;
}

std::string HttpPost(const Config& c, const HttpClient& cl,
                     const std::string& body) {
  std::string r = "POST " + c.path + " HTTP/1.1\r\nHost: " + c.host + ":" +
                  std::to_string(c.port) +
                  "\r\nContent-Type: application/json\r\n"
                  "Accept: application/json, text/event-stream\r\n";
  if (!cl.session.empty()) {
    r += "Mcp-Session-Id: " + cl.session +
         "\r\nMCP-Protocol-Version: " + c.version + "\r\n";
  }
  if (Stateless(c)) {
    r += "MCP-Protocol-Version: " + c.version + "\r\nMcp-Method: " + c.method +
         "\r\n";
    if (c.params.contains("name") && c.params["name"].is_string()) {
      r += "Mcp-Name: " + c.params["name"].get<std::string>() + "\r\n";
    }
  }
  for (const std::string& h : c.headers) r += h + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

void Flush(HttpClient& cl) {
  while (cl.out_off < cl.out.size()) {
    ssize_t n = ::send(cl.fd, cl.out.data() + cl.out_off,
                       cl.out.size() - cl.out_off, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EAGAIN) return;
      Die(std::string("send: ") + std::strerror(errno));
    }
    cl.out_off += static_cast<size_t>(n);
  }
  cl.out.clear();
  cl.out_off = 0;
}

void Send(const Config& c, HttpClient& cl, const std::string& body) {
  cl.out = HttpPost(c, cl, body);
  cl.out_off = 0;
  cl.sent = Clock::now();
  Flush(cl);
}

void RunHttp(const Config& c, Stats* stats, Clock::time_point* start,
             Clock::time_point* stop) {
  int ep = epoll_create1(0);
  std::vector<HttpClient> clients(static_cast<size_t>(c.clients));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(c.port));
  if (inet_pton(AF_INET, c.host.c_str(), &addr.sin_addr) != 1) {
    Die("--url: the host must be a numeric IPv4 address");
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    HttpClient& cl = clients[i];
    cl.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(cl.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) !=
        0) {
      Die(std::string("connect: ") + std::strerror(errno));
    }
    int one = 1;
    setsockopt(cl.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, cl.fd, &ev);
    if (Stateless(c)) {
      cl.step = 2;
      Send(c, cl, Request(cl.next_id++, c));
    } else {
      Send(c, cl, Initialize(cl.next_id++, c));
    }
  }
  *start = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(c.warmup));
  *stop = *start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(c.seconds));
  size_t active = clients.size();
  std::vector<epoll_event> events(clients.size());
  char buf[65536];
  while (active > 0) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    stats->Tick(Clock::now(), *start, *stop);
    for (int e = 0; e < n; ++e) {
      HttpClient& cl = clients[events[e].data.u64];
      ssize_t got = ::recv(cl.fd, buf, sizeof buf, 0);
      if (got <= 0) Die("the server closed a connection");
      cl.in.append(buf, static_cast<size_t>(got));
      int status = 0;
      std::string headers, body;
      while (TakeResponse(cl.in, &status, &headers, &body)) {
        if (cl.step == 0) {
          size_t sid = headers.find("\nSID=");
          if (status != 200 || sid == std::string::npos) {
            Die("initialize failed: " + std::to_string(status) + " " + body);
          }
          cl.session = headers.substr(sid + 5);
          cl.step = 1;
          Send(c, cl, kInitialized);
          continue;
        }
        if (cl.step == 1) {
          if (status != 202 && status != 200) Die("initialized refused");
          cl.step = 2;
        } else {
          stats->Record(cl.sent, body, c.expect);
        }
        if (Clock::now() >= *stop) {
          ::close(cl.fd);
          --active;
          break;
        }
        Send(c, cl, Request(cl.next_id++, c));
      }
    }
  }
  ::close(ep);
}

// ---- stdio
// -------------------------------------------------------------------

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0)
      Die(std::string("write to the server: ") + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
}

void RunStdio(Config& c, Stats* stats, Clock::time_point* start,
              Clock::time_point* stop) {
  int to[2], from[2];
  if (pipe(to) != 0 || pipe(from) != 0) Die("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(to[0], 0);
    dup2(from[1], 1);
    close(to[1]);
    close(from[0]);
    std::vector<char*> argv;
    for (std::string& s : c.command) argv.push_back(s.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::perror("exec");
    _exit(127);
  }
  close(to[0]);
  close(from[1]);
  stats->pid = pid;
  int in = to[1], out = from[0];
  std::string pending;
  char buf[65536];
  auto read_line = [&](std::string* line) {
    while (true) {
      size_t nl = pending.find('\n');
      if (nl != std::string::npos) {
        *line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        return;
      }
      ssize_t n = ::read(out, buf, sizeof buf);
      if (n <= 0) Die("the server closed its output");
      pending.append(buf, static_cast<size_t>(n));
    }
  };
  std::string line;
  if (!Stateless(c)) {
    WriteAll(in, Initialize(0, c) + "\n");
    read_line(&line);
    if (line.find("\"result\"") == std::string::npos) {
      Die("initialize failed: " + line);
    }
    WriteAll(in, std::string(kInitialized) + "\n");
  }
  std::vector<Clock::time_point> sent(static_cast<size_t>(c.clients));
  auto send_call = [&](int slot) {
    sent[static_cast<size_t>(slot)] = Clock::now();
    WriteAll(in, Request(slot + 1, c) + "\n");
  };
  for (int i = 0; i < c.clients; ++i) send_call(i);
  *start = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(c.warmup));
  *stop = *start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(c.seconds));
  int outstanding = c.clients;
  while (outstanding > 0) {
    read_line(&line);
    auto j = wfs::ParseJson(line);
    if (!j.ok() || !j->is_object() || !j->contains("id") ||
        j->contains("method")) {
      continue;  // a notification or a request from the server
    }
    int slot = (*j)["id"].get<int>() - 1;
    if (slot < 0 || slot >= c.clients) continue;
    Clock::time_point now = Clock::now();
    stats->Tick(now, *start, *stop);
    stats->Record(sent[static_cast<size_t>(slot)], line, c.expect);
    if (now >= *stop) {
      --outstanding;
    } else {
      send_call(slot);
    }
  }
  close(in);
  int st = 0;
  waitpid(pid, &st, 0);
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  if (!ParseArgs(argc, argv, &c)) {
    std::fprintf(stderr,
                 "usage: mcp_bench (--url=http://127.0.0.1:PORT/mcp "
                 "[--header='Name: value'] [--pid=PID] | -- COMMAND...)\n"
                 "  [--clients=64] [--seconds=5] [--warmup=1] "
                 "[--method=tools/call] [--params=JSON] [--expect=TEXT] "
                 "[--label=NAME] [--protocol-version=2025-06-18]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  Stats stats;
  Clock::time_point start, stop;
  bool stdio = !c.command.empty();
  stats.pid = c.pid;
  if (stdio) {
    RunStdio(c, &stats, &start, &stop);
  } else {
    RunHttp(c, &stats, &start, &stop);
  }
  std::vector<double>& l = stats.latencies_us;
  std::sort(l.begin(), l.end());
  auto pct = [&](double p) {
    return l.empty()
               ? 0.0
               : l[std::min(l.size() - 1, static_cast<size_t>(p * l.size()))] /
                     1000.0;
  };
  double rate = static_cast<double>(stats.ok) / c.seconds;
  std::printf(
      "%-28s %-5s clients=%-3d calls/s=%9.0f  p50=%7.3f ms  p90=%7.3f ms  "
      "p99=%7.3f ms  max=%7.3f ms  ok=%ld errors=%ld",
      c.label.c_str(), stdio ? "stdio" : "http", c.clients, rate, pct(0.50),
      pct(0.90), pct(0.99), l.empty() ? 0.0 : l.back() / 1000.0, stats.ok,
      stats.errors);
  if (stats.cpu_start >= 0 && stats.cpu_stop >= 0 && stats.ok > 0) {
    std::printf("  server_cpu/call=%.1f us",
                (stats.cpu_stop - stats.cpu_start) * 1e6 /
                    static_cast<double>(stats.ok));
  }
  std::printf("\n");
  if (stats.errors > 0) {
    std::fprintf(stderr, "first error: %s\n", stats.first_error.c_str());
  }
  return stats.errors > 0 || stats.ok == 0 ? 1 : 0;
}
