// Internal to src/transport: the state one request/response exchange shares
// between the handler's threads (through HttpResponder) and the server's
// event loop, and the mailbox through which handlers wake the loop.
//
// Locking: Exchange::mu_ may be held while taking Mailbox::mu_, never the
// other way round. The loop never holds either lock while calling out.
#ifndef WFSTORE_TRANSPORT_HTTP_EXCHANGE_H_
#define WFSTORE_TRANSPORT_HTTP_EXCHANGE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/status.h"
#include "transport/http_message.h"

namespace wfs::transport::internal {

class Exchange;

// Exchanges with new output, handed from any thread to the loop. Owns the
// eventfd that wakes the loop; outlives the server while responders hold it.
class Mailbox {
 public:
  static Result<std::shared_ptr<Mailbox>> Create();
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  int event_fd() const { return event_fd_; }

  // Queues `exchange` for the loop and wakes it. Dropped after Close().
  void Post(std::shared_ptr<Exchange> exchange);
  // Loop side: clears the eventfd, then returns everything posted so far.
  std::vector<std::shared_ptr<Exchange>> TakeAll();
  // Wakes the loop without posting.
  void Wake();
  // Drops queued exchanges and refuses further posts (server stopped).
  void Close();

  // Set once the server begins to stop: responses then carry
  // "Connection: close".
  std::atomic<bool> stopping{false};

 private:
  explicit Mailbox(int event_fd) : event_fd_(event_fd) {}

  const int event_fd_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Exchange>> ready_;
  bool closed_ = false;
};

struct ExchangeParams {
  uint64_t connection_id = 0;
  bool head_request = false;
  int version_minor = 1;
  bool keep_alive = true;  // the request's wish
  size_t max_stream_buffer_bytes = 1 << 20;
  std::shared_ptr<Mailbox> mailbox;
  const Clock* clock = nullptr;  // for the Date field
};

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  explicit Exchange(ExchangeParams params);

  // Responder side (any thread). See HttpResponder.
  Status Respond(HttpResponse response);
  Status StartStream(int status, HttpHeaders headers,
                     std::string_view first = {});
  Status Write(std::string_view data);
  Status End(std::string_view last = {});
  // Completes an unfinished exchange: 500 when nothing was sent, End() when
  // streaming. No-op when done or gone.
  void Abandon();
  bool gone() const { return gone_.load(std::memory_order_acquire); }
  size_t unsent_bytes() const;
  void OnGone(std::function<void()> callback);

  // Loop side.
  struct Output {
    bool finished = false;     // every byte of the response has been taken
    bool close_after = false;  // close the connection after this response
    bool overflow = false;     // the stream buffer limit was exceeded
  };
  // Moves pending bytes to the end of `out` (swaps when `out` is empty).
  Output TakeOutput(std::string& out);
  // Unsent bytes held by the loop for this exchange (for backpressure).
  void SetLoopUnsent(size_t n) {
    loop_unsent_.store(n, std::memory_order_relaxed);
  }
  // The client went away before the response completed: sets gone and runs
  // the callback (on this thread) the first time. `closed`: the connection
  // is closed, so further calls fail with kCancelled; otherwise (the client
  // half-closed) a response is still delivered if it can be.
  void MarkGone(bool closed);
  // The response completed: drops the callback.
  void Detach();
  uint64_t connection_id() const { return params_.connection_id; }

 private:
  enum class Phase { kNew, kStreaming, kDone };

  Status CheckWritableLocked(const char* what) const;
  void AppendHeadLocked(int status, const HttpHeaders& headers, bool streaming,
                        size_t body_size);
  void NotifyLocked();
  // Appends one piece of a streamed body (chunk-framed when chunked). A
  // `limited` piece that takes the unsent bytes over the stream buffer
  // limit drops what is pending and fails (the connection closes).
  Status AppendPieceLocked(std::string_view data, bool limited);

  const ExchangeParams params_;
  std::atomic<bool> gone_{false};
  std::atomic<size_t> loop_unsent_{0};

  mutable std::mutex mu_;
  Phase phase_ = Phase::kNew;
  bool chunked_ = false;       // streaming with chunked framing
  bool discard_body_ = false;  // HEAD, 204, 304: no body bytes on the wire
  bool close_after_ = false;
  bool overflow_ = false;
  bool closed_ = false;
  bool queued_ = false;  // posted to the mailbox, not yet taken
  std::string pending_;
  std::function<void()> on_gone_;
};

// "HTTP/1.1 <status> <reason>" response with a text/plain body and
// "Connection: close", for errors the server answers itself.
std::string CannedResponse(int status, std::string_view message,
                           int64_t now_micros);

}  // namespace wfs::transport::internal

#endif  // WFSTORE_TRANSPORT_HTTP_EXCHANGE_H_
