// HttpResponder: the handler's side of one request/response exchange.
//
// A handler gets one HttpResponder per request and completes it exactly once,
// now or later, from any thread:
//   (a) Respond(response): a full response; or
//   (b) StartStream(status, headers), any number of Write(bytes), End():
//       a streamed body (chunked on HTTP/1.1, close-delimited on HTTP/1.0),
//       e.g. Server-Sent Events (see sse.h).
// Every method is thread-safe. Writes from several threads are applied in
// the order they take the responder's lock.
//
// Client gone: when the client closes its side of the connection, or the
// connection closes, before the response is done (reset, a failed or timed
// out write, stream buffer overflow, server stop), client_gone() turns true
// and the callback given to OnClientGone() runs once. Once the connection is
// actually closed, calls return kCancelled. A client that only half-closed
// (shutdown(SHUT_WR)) may still read, so until the socket fails what the
// handler sends is still delivered; a streaming handler should stop anyway.
//
// Backpressure: bytes written but not yet accepted by the kernel are counted;
// a Write() that takes them over HttpServerOptions::max_stream_buffer_bytes
// fails with kResourceExhausted and the connection is closed (the client is
// not reading). Full responses are not subject to that limit.
//
// Move-only. Destroying a responder that has not completed its exchange
// completes it: with a 500 when nothing was sent, with End() when streaming.
// To share it between callbacks, hold it in a std::shared_ptr.
#ifndef WFSTORE_TRANSPORT_HTTP_RESPONDER_H_
#define WFSTORE_TRANSPORT_HTTP_RESPONDER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "base/status.h"
#include "transport/http_message.h"

namespace wfs::transport {

namespace internal {
class Exchange;
}  // namespace internal

class HttpResponder {
 public:
  // An invalid responder (every call fails with kFailedPrecondition).
  HttpResponder() = default;
  // Used by the server.
  explicit HttpResponder(std::shared_ptr<internal::Exchange> exchange);
  HttpResponder(HttpResponder&& other) noexcept = default;
  // Completes this responder's exchange (see above) before taking `other`'s.
  HttpResponder& operator=(HttpResponder&& other) noexcept;
  HttpResponder(const HttpResponder&) = delete;
  HttpResponder& operator=(const HttpResponder&) = delete;
  ~HttpResponder();

  // Sends a full response. `status` must be 200..599 and the header fields
  // valid (kInvalidArgument otherwise, and nothing is sent). For HEAD
  // requests the body is not sent; 204 and 304 never carry one.
  // kFailedPrecondition when a response was already started,
  // kCancelled when the connection is closed.
  Status Respond(HttpResponse response);

  // Sends the status line and header fields of a streamed response, and
  // `first`, the body's first piece, when given (one hand-over to the
  // event loop instead of two).
  Status StartStream(int status, HttpHeaders headers,
                     std::string_view first = {});
  // Sends one piece of the streamed body (empty pieces are ignored).
  // kResourceExhausted when the client does not keep up (connection closed).
  Status Write(std::string_view data);
  // Sends `last`, the body's last piece, when given, and ends the streamed
  // body; on HTTP/1.1 the connection may then serve the next request.
  // `last` is not held to the stream buffer limit (a full response is not
  // either): it completes the exchange.
  Status End(std::string_view last = {});

  // Bytes written (head included) that the client has not yet accepted.
  // A producer can pace itself on this to stay under the stream buffer
  // limit; Write() itself never blocks.
  size_t unsent_bytes() const;

  bool client_gone() const;
  // Registers `callback` (replacing an earlier one) to run once when the
  // client goes away before the response is complete. Runs on the server's
  // event-loop thread, so it must be quick and must not block (set a flag,
  // signal a condition variable); it may call this responder's methods.
  // When the client is already gone it runs at once on the calling thread.
  // It is dropped, without running, when the response completes.
  void OnClientGone(std::function<void()> callback);

  // False for a default-constructed or moved-from responder.
  bool valid() const { return exchange_ != nullptr; }

 private:
  std::shared_ptr<internal::Exchange> exchange_;
};

}  // namespace wfs::transport

#endif  // WFSTORE_TRANSPORT_HTTP_RESPONDER_H_
