// HttpServer: an HTTP/1.1 server on epoll for the MCP Streamable HTTP
// transport.
//
//   class Hello : public HttpHandler {
//     void Handle(HttpRequest req, HttpResponder r) override {
//       r.Respond({200, {{"Content-Type", "text/plain"}}, "hello\n"})
//           .IgnoreError();
//     }
//   } hello;
//   HttpServerOptions opts;                  // 127.0.0.1, free port
//   WFS_ASSIGN_OR_RETURN(auto server, HttpServer::Start(opts, &hello));
//   server->port();                          // the bound port
//   ...
//   server->Stop();                          // or let the destructor stop
//
// Threads: one event-loop thread owns every socket (accept, read, parse,
// write, timeouts); `worker_threads` threads call the handler, more (up to
// `max_worker_threads`) when the running handlers block (base/worker_pool.h).
// A handler may return before responding and complete the HttpResponder
// later from any thread; responders wake the loop through an eventfd.
//
// Per connection, requests are handled one at a time in arrival order:
// pipelined requests wait, buffered, until the previous response has been
// written. Malformed or over-limit requests get an error status and that
// connection is closed; other connections are not affected. See
// docs/http-server.md for limits, timeouts and status codes.
#ifndef WFSTORE_TRANSPORT_HTTP_SERVER_H_
#define WFSTORE_TRANSPORT_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "base/clock.h"
#include "base/result.h"
#include "transport/http_message.h"
#include "transport/http_parser.h"
#include "transport/http_responder.h"

namespace wfs::transport {

// Called on a worker thread, once per request. May block (a call waiting
// for a person): the server adds workers when every one is blocked, up to
// max_worker_threads, after which requests wait. Streams may also continue
// on other threads through the responder. Must be thread-safe: several
// workers call it at once. Exceptions are caught and answered with a 500.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void Handle(HttpRequest request, HttpResponder responder) = 0;
};

// Adapts a callable to HttpHandler.
class FunctionHandler final : public HttpHandler {
 public:
  using Fn = std::function<void(HttpRequest, HttpResponder)>;
  explicit FunctionHandler(Fn fn) : fn_(std::move(fn)) {}
  void Handle(HttpRequest request, HttpResponder responder) override {
    fn_(std::move(request), std::move(responder));
  }

 private:
  Fn fn_;
};

struct HttpServerOptions {
  // Numeric IPv4 or IPv6 address ("127.0.0.1", "::1", "[::1]") or
  // "localhost" (127.0.0.1).
  std::string address = "127.0.0.1";
  // 0 picks a free port; HttpServer::port() reports it.
  uint16_t port = 0;
  // Binding an address other than loopback is refused unless this is set:
  // the server has no authentication of its own.
  bool allow_non_loopback = false;
  int listen_backlog = 1024;

  // Threads that run the handler, and the most there may be when handlers
  // block (less than worker_threads: worker_threads).
  int worker_threads = 4;
  int max_worker_threads = 256;
  // Open connections. Connections beyond it get "503 Service Unavailable"
  // and are closed.
  size_t max_connections = 1024;

  HttpLimits limits;

  // From a connection's first byte (or its accept) to the end of the request
  // head: 408 and close (a silent close when nothing at all was received).
  std::chrono::milliseconds header_timeout{10'000};
  // From the end of the head to the end of the body: 408 and close.
  std::chrono::milliseconds body_timeout{30'000};
  // Keep-alive: a connection idle between requests this long is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  // Output pending with no byte accepted by the client for this long: close.
  std::chrono::milliseconds write_timeout{30'000};
  // Stop(): how long in-flight responses may take before everything closes.
  std::chrono::milliseconds shutdown_grace{5'000};

  // Streaming responses: unsent bytes allowed per connection before the
  // connection is closed (see HttpResponder).
  size_t max_stream_buffer_bytes = 1 << 20;

  // Time source for timeouts and the Date field; nullptr: the system clock.
  // Must outlive the server. Timeouts are checked at least every 200 ms of
  // real time, so a FakeClock advanced by a test is noticed within that.
  const Clock* clock = nullptr;
};

// Counters since Start(); read with relaxed ordering (monotonic, not a
// consistent snapshot).
struct HttpServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0;  // over max_connections (503)
  uint64_t connections_open = 0;      // right now
  uint64_t requests = 0;              // handed to the handler
  uint64_t bad_requests = 0;          // answered by the server with 4xx/5xx
  uint64_t timeouts = 0;              // header, body or write timeouts
  uint64_t clients_gone = 0;          // closed before a response completed
  uint64_t stream_overflows = 0;      // closed by the stream buffer limit
};

class HttpServer {
 public:
  // Binds, listens and starts the loop and the workers. `handler` must
  // outlive the server. Errors: kInvalidArgument for bad options or a
  // non-loopback address without allow_non_loopback; kUnavailable when the
  // address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, HttpHandler* handler);

  // Stops (see Stop()).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the chosen one when options.port was 0).
  uint16_t port() const;
  // The bound address as given in the options, normalised ("127.0.0.1").
  const std::string& address() const;

  // Closes the listener and idle connections at once; lets in-flight
  // responses finish (they carry "Connection: close") for up to
  // shutdown_grace; then closes every connection (their responders see the
  // client gone) and joins the threads. Waits for running Handle() calls to
  // return; queued requests are dropped. Idempotent, thread-safe; must not
  // be called from a handler or a client-gone callback.
  void Stop();

  HttpServerStats stats() const;

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wfs::transport

#endif  // WFSTORE_TRANSPORT_HTTP_SERVER_H_
