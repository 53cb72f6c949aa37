// A deliberately simple, blocking HTTP/1.1 client on raw sockets for the
// transport tests: it sends exactly the bytes a test gives it and parses
// responses (Content-Length, chunked, or until close). Every read has a
// deadline so that a broken server fails a test instead of hanging it.
#ifndef WFSTORE_TESTS_TRANSPORT_HTTP_TEST_CLIENT_H_
#define WFSTORE_TESTS_TRANSPORT_HTTP_TEST_CLIENT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "transport/http_message.h"

namespace wfs::transport::testing {

using Clock = std::chrono::steady_clock;

struct ClientResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  std::vector<std::string> chunks;  // chunked responses: each chunk
};

class TestClient {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{5000};

  static std::unique_ptr<TestClient> Connect(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return nullptr;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return nullptr;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return std::unique_ptr<TestClient>(new TestClient(fd));
  }

  ~TestClient() { Close(); }

  int fd() const { return fd_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Sends a GET with the Host field and optional extra header lines (each
  // ending in CRLF).
  bool SendGet(std::string_view path, std::string_view extra = "") {
    return Send(std::string("GET ") + std::string(path) +
                " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n");
  }

  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads one complete response. nullopt on timeout, EOF or a malformed
  // response (`error()` says which).
  std::optional<ClientResponse> ReadResponse(
      bool head_request = false,
      std::chrono::milliseconds timeout = kDefaultTimeout) {
    auto deadline = Clock::now() + timeout;
    std::optional<ClientResponse> r = ReadHead(deadline);
    if (!r) return r;
    if (head_request || r->status == 204 || r->status == 304) return r;
    if (r->headers.HasToken("Transfer-Encoding", "chunked")) {
      for (;;) {
        std::optional<std::string> chunk = ReadChunk(deadline);
        if (!chunk) return std::nullopt;
        if (chunk->empty()) break;
        r->body += *chunk;
        r->chunks.push_back(std::move(*chunk));
      }
      return r;
    }
    if (const std::string* cl = r->headers.Find("Content-Length")) {
      size_t n = std::stoul(*cl);
      if (!Fill(n, deadline)) return std::nullopt;
      r->body = buf_.substr(0, n);
      buf_.erase(0, n);
      return r;
    }
    // Close-delimited.
    while (ReadSome(deadline) > 0) {
    }
    r->body = std::move(buf_);
    buf_.clear();
    return r;
  }

  // Reads the status line and header fields only.
  std::optional<ClientResponse> ReadHead(Clock::time_point deadline) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (ReadSome(deadline) <= 0) {
        error_ = "no complete response head";
        return std::nullopt;
      }
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    ClientResponse r;
    size_t eol = head.find("\r\n");
    std::string status_line = head.substr(0, eol);
    if (status_line.compare(0, 9, "HTTP/1.1 ") != 0 ||
        status_line.size() < 12) {
      error_ = "bad status line: " + status_line;
      return std::nullopt;
    }
    r.status = std::stoi(status_line.substr(9, 3));
    while (eol != std::string::npos) {
      size_t start = eol + 2;
      eol = head.find("\r\n", start);
      std::string line = head.substr(
          start, eol == std::string::npos ? std::string::npos : eol - start);
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers.Add(line.substr(0, colon), value);
    }
    return r;
  }

  // One chunk of a chunked body; "" for the last one, nullopt on error.
  std::optional<std::string> ReadChunk(
      Clock::time_point deadline = Clock::now() + kDefaultTimeout) {
    size_t eol;
    while ((eol = buf_.find("\r\n")) == std::string::npos) {
      if (ReadSome(deadline) <= 0) return std::nullopt;
    }
    size_t size = std::stoul(buf_.substr(0, eol), nullptr, 16);
    buf_.erase(0, eol + 2);
    if (!Fill(size + 2, deadline)) return std::nullopt;
    std::string data = buf_.substr(0, size);
    buf_.erase(0, size + 2);
    return data;
  }

  // True when the server closes the connection (EOF or reset) before the
  // timeout. Bytes received meanwhile stay in buffer().
  bool WaitClosed(std::chrono::milliseconds timeout = kDefaultTimeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      ssize_t n = ReadSome(deadline);
      if (n == 0 || n == -2) return true;
      if (n == -1) return false;
    }
  }

  const std::string& error() const { return error_; }
  std::string& buffer() { return buf_; }

 private:
  explicit TestClient(int fd) : fd_(fd) {}

  bool Fill(size_t n, Clock::time_point deadline) {
    while (buf_.size() < n) {
      if (ReadSome(deadline) <= 0) {
        error_ = "short body";
        return false;
      }
    }
    return true;
  }

  // >0 bytes read, 0 EOF, -1 timeout, -2 error (reset).
  ssize_t ReadSome(Clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - Clock::now());
      if (left.count() < 0) return -1;
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) continue;  // re-check the deadline
      char tmp[16384];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return -2;
      buf_.append(tmp, static_cast<size_t>(n));
      return n;
    }
  }

  int fd_;
  std::string buf_;
  std::string error_;
};

// Polls `pred` every millisecond until it holds or `timeout` passes.
inline bool WaitFor(
    const std::function<bool()>& pred,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace wfs::transport::testing

#endif  // WFSTORE_TESTS_TRANSPORT_HTTP_TEST_CLIENT_H_
