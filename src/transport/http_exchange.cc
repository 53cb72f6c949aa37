#include "transport/http_exchange.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace wfs::transport::internal {
namespace {

void AppendDecimal(std::string& out, size_t n) {
  char buf[24];
  size_t i = sizeof buf;
  do {
    buf[--i] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.append(buf + i, sizeof buf - i);
}

void AppendHex(std::string& out, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char buf[24];
  size_t i = sizeof buf;
  do {
    buf[--i] = kDigits[n & 0xf];
    n >>= 4;
  } while (n != 0);
  out.append(buf + i, sizeof buf - i);
}

void AppendStatusLine(std::string& out, int status) {
  out.append("HTTP/1.1 ");
  AppendDecimal(out, static_cast<size_t>(status));
  out.push_back(' ');
  out.append(HttpReasonPhrase(status));
  out.append("\r\n");
}

bool IsManagedField(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") ||
         EqualsIgnoreCase(name, "Transfer-Encoding") ||
         EqualsIgnoreCase(name, "Connection");
}

Status ValidateHead(int status, const HttpHeaders& headers) {
  if (status < 200 || status > 599) {
    return InvalidArgument("response status must be 200..599, got " +
                           std::to_string(status));
  }
  for (const HttpHeader& f : headers.fields()) {
    if (!IsHttpToken(f.name)) {
      return InvalidArgument("invalid response header field name");
    }
    if (!IsValidHeaderValue(f.value)) {
      return InvalidArgument("invalid byte in response header field " + f.name);
    }
  }
  return Status::Ok();
}

}  // namespace

// --- Mailbox ---------------------------------------------------------------

Result<std::shared_ptr<Mailbox>> Mailbox::Create() {
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    return Internal(std::string("eventfd: ") + std::strerror(errno));
  }
  return std::shared_ptr<Mailbox>(new Mailbox(fd));
}

Mailbox::~Mailbox() { ::close(event_fd_); }

void Mailbox::Post(std::shared_ptr<Exchange> exchange) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    wake = ready_.empty();
    ready_.push_back(std::move(exchange));
  }
  if (wake) Wake();
}

std::vector<std::shared_ptr<Exchange>> Mailbox::TakeAll() {
  uint64_t count;
  // Clear the eventfd before taking the list, so that a post racing with us
  // either lands in this batch or wakes the loop again.
  while (::read(event_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  std::vector<std::shared_ptr<Exchange>> out;
  std::lock_guard<std::mutex> lock(mu_);
  out.swap(ready_);
  return out;
}

void Mailbox::Wake() {
  uint64_t one = 1;
  // EAGAIN means the counter is saturated: the loop is awake anyway.
  while (::write(event_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void Mailbox::Close() {
  std::vector<std::shared_ptr<Exchange>> drop;
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  drop.swap(ready_);
}

// --- Exchange --------------------------------------------------------------

Exchange::Exchange(ExchangeParams params) : params_(std::move(params)) {}

Status Exchange::CheckWritableLocked(const char* what) const {
  if (closed_) {
    return Cancelled(std::string(what) + ": the client is gone");
  }
  if (overflow_) {
    return ResourceExhausted(std::string(what) +
                             ": the client is not reading; connection closed");
  }
  return Status::Ok();
}

void Exchange::AppendHeadLocked(int status, const HttpHeaders& headers,
                                bool streaming, size_t body_size) {
  const bool no_body_status = status == 204 || status == 304;
  discard_body_ = params_.head_request || no_body_status;
  chunked_ = streaming && !discard_body_ && params_.version_minor == 1;
  close_after_ = !params_.keep_alive ||
                 params_.mailbox->stopping.load(std::memory_order_relaxed) ||
                 headers.HasToken("Connection", "close") ||
                 (streaming && !discard_body_ && !chunked_);
  std::string& out = pending_;
  out.reserve(out.size() + 160 + (discard_body_ ? 0 : body_size));
  AppendStatusLine(out, status);
  for (const HttpHeader& f : headers.fields()) {
    if (IsManagedField(f.name)) continue;
    out.append(f.name);
    out.append(": ");
    out.append(f.value);
    out.append("\r\n");
  }
  if (!headers.Has("Date") && params_.clock != nullptr) {
    out.append("Date: ");
    out.append(FormatHttpDate(params_.clock->NowMicros()));
    out.append("\r\n");
  }
  if (!streaming) {
    if (!no_body_status) {
      out.append("Content-Length: ");
      AppendDecimal(out, body_size);
      out.append("\r\n");
    }
  } else if (chunked_) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  if (close_after_) {
    out.append("Connection: close\r\n");
  } else if (params_.version_minor == 0) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

void Exchange::NotifyLocked() {
  if (queued_) return;
  queued_ = true;
  params_.mailbox->Post(shared_from_this());
}

Status Exchange::Respond(HttpResponse response) {
  std::lock_guard<std::mutex> lock(mu_);
  WFS_RETURN_IF_ERROR(CheckWritableLocked("Respond"));
  if (phase_ != Phase::kNew) {
    return FailedPrecondition("Respond: a response was already started");
  }
  WFS_RETURN_IF_ERROR(ValidateHead(response.status, response.headers));
  AppendHeadLocked(response.status, response.headers, /*streaming=*/false,
                   response.body.size());
  if (!discard_body_) pending_.append(response.body);
  phase_ = Phase::kDone;
  NotifyLocked();
  return Status::Ok();
}

Status Exchange::StartStream(int status, HttpHeaders headers,
                             std::string_view first) {
  std::lock_guard<std::mutex> lock(mu_);
  WFS_RETURN_IF_ERROR(CheckWritableLocked("StartStream"));
  if (phase_ != Phase::kNew) {
    return FailedPrecondition("StartStream: a response was already started");
  }
  WFS_RETURN_IF_ERROR(ValidateHead(status, headers));
  AppendHeadLocked(status, headers, /*streaming=*/true, 0);
  phase_ = Phase::kStreaming;
  Status s = AppendPieceLocked(first, /*limited=*/true);
  NotifyLocked();
  return s;
}

Status Exchange::Write(std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  WFS_RETURN_IF_ERROR(CheckWritableLocked("Write"));
  if (phase_ != Phase::kStreaming) {
    return FailedPrecondition(phase_ == Phase::kNew
                                  ? "Write: call StartStream first"
                                  : "Write: the response is complete");
  }
  if (data.empty() || discard_body_) return Status::Ok();
  Status s = AppendPieceLocked(data, /*limited=*/true);
  NotifyLocked();
  return s;
}

Status Exchange::AppendPieceLocked(std::string_view data, bool limited) {
  if (data.empty() || discard_body_) return Status::Ok();
  size_t unsent = pending_.size() +
                  loop_unsent_.load(std::memory_order_relaxed) + data.size();
  if (limited && unsent > params_.max_stream_buffer_bytes) {
    overflow_ = true;
    pending_.clear();
    pending_.shrink_to_fit();
    return ResourceExhausted(
        "Write: the client is not reading; stream buffer limit of " +
        std::to_string(params_.max_stream_buffer_bytes) +
        " bytes exceeded, connection closed");
  }
  if (chunked_) {
    AppendHex(pending_, data.size());
    pending_.append("\r\n");
    pending_.append(data);
    pending_.append("\r\n");
  } else {
    pending_.append(data);
  }
  return Status::Ok();
}

Status Exchange::End(std::string_view last) {
  std::lock_guard<std::mutex> lock(mu_);
  WFS_RETURN_IF_ERROR(CheckWritableLocked("End"));
  if (phase_ != Phase::kStreaming) {
    return FailedPrecondition(phase_ == Phase::kNew
                                  ? "End: call StartStream first"
                                  : "End: the response is complete");
  }
  // The last piece is not held to the stream buffer limit: like a full
  // response, it is the answer, and nothing comes after it.
  AppendPieceLocked(last, /*limited=*/false).IgnoreError();
  if (chunked_) pending_.append("0\r\n\r\n");
  phase_ = Phase::kDone;
  NotifyLocked();
  return Status::Ok();
}

void Exchange::Abandon() {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_ || overflow_ || phase_ == Phase::kDone) {
    return;
  }
  if (phase_ == Phase::kNew) {
    static constexpr std::string_view kBody =
        "the request handler did not respond\n";
    AppendHeadLocked(500, HttpHeaders{{"Content-Type", "text/plain"}},
                     /*streaming=*/false, kBody.size());
    if (!discard_body_) pending_.append(kBody);
  } else if (chunked_) {
    pending_.append("0\r\n\r\n");
  }
  phase_ = Phase::kDone;
  NotifyLocked();
}

size_t Exchange::unsent_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size() + loop_unsent_.load(std::memory_order_relaxed);
}

void Exchange::OnGone(std::function<void()> callback) {
  std::unique_lock<std::mutex> lock(mu_);
  if (gone_.load(std::memory_order_relaxed)) {
    lock.unlock();
    if (callback) callback();
    return;
  }
  on_gone_ = std::move(callback);
}

Exchange::Output Exchange::TakeOutput(std::string& out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (out.empty()) {
    out.swap(pending_);
  } else {
    out.append(pending_);
  }
  pending_.clear();
  queued_ = false;
  return Output{phase_ == Phase::kDone, close_after_, overflow_};
}

void Exchange::MarkGone(bool closed) {
  std::function<void()> callback;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed && !closed_) {
      closed_ = true;
      std::string().swap(pending_);
    }
    if (gone_.load(std::memory_order_relaxed)) return;
    gone_.store(true, std::memory_order_release);
    callback = std::move(on_gone_);
    on_gone_ = nullptr;
  }
  if (callback) callback();
}

void Exchange::Detach() {
  std::function<void()> drop;
  std::lock_guard<std::mutex> lock(mu_);
  drop.swap(on_gone_);
}

std::string CannedResponse(int status, std::string_view message,
                           int64_t now_micros) {
  std::string out;
  out.reserve(200 + message.size());
  AppendStatusLine(out, status);
  out.append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  AppendDecimal(out, message.size() + 1);
  out.append("\r\nDate: ");
  out.append(FormatHttpDate(now_micros));
  out.append("\r\nConnection: close\r\n");
  if (status == 503) out.append("Retry-After: 1\r\n");
  out.append("\r\n");
  out.append(message);
  out.push_back('\n');
  return out;
}

}  // namespace wfs::transport::internal
