#include "transport/http_parser.h"

#include <cstring>
#include <utility>

namespace wfs::transport {
namespace {

// Longest method accepted; longer ones are a 400 (no registered method comes
// close, and it bounds the work on a partial request line).
constexpr size_t kMaxMethodBytes = 32;
// "HTTP/1.1" is 8 bytes; allow a little slack before calling a partial
// version malformed.
constexpr size_t kMaxVersionBytes = 16;
// Content-Length values with more digits are certainly over any limit (and
// would overflow when converted).
constexpr size_t kMaxLengthDigits = 15;
// Once this many consumed bytes sit at the front of the buffer, they are
// erased even when unconsumed bytes follow.
constexpr size_t kCompactThreshold = 64 * 1024;

bool IsTargetByte(unsigned char c) { return c > 0x20 && c < 0x7f; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

}  // namespace

HttpRequestParser::HttpRequestParser(const HttpLimits& limits)
    : limits_(limits) {}

void HttpRequestParser::Feed(std::string_view bytes) {
  if (phase_ == Phase::kError || bytes.empty()) return;
  buf_.append(bytes.data(), bytes.size());
}

HttpRequestParser::State HttpRequestParser::state() const {
  switch (phase_) {
    case Phase::kComplete:
      return State::kComplete;
    case Phase::kError:
      return State::kError;
    default:
      return State::kNeedMore;
  }
}

HttpRequestParser::State HttpRequestParser::Fail(int status,
                                                 std::string message) {
  phase_ = Phase::kError;
  error_status_ = status;
  error_message_ = std::move(message);
  buf_.clear();
  buf_.shrink_to_fit();
  pos_ = line_start_ = scan_ = body_start_ = 0;
  ResetLineStats();
  return State::kError;
}

HttpRequestParser::State HttpRequestParser::Parse() {
  if (phase_ == Phase::kError) return State::kError;
  if (phase_ == Phase::kComplete) return State::kComplete;
  if (phase_ == Phase::kIdle || phase_ == Phase::kHead) {
    State s = ScanHead();
    if (s != State::kNeedMore || phase_ != Phase::kBody) return s;
  }
  // Phase::kBody.
  if (buf_.size() - body_start_ >= content_length_) {
    phase_ = Phase::kComplete;
    return State::kComplete;
  }
  return State::kNeedMore;
}

HttpRequestParser::State HttpRequestParser::ScanHead() {
  for (;;) {
    const char* base = buf_.data();
    const void* found = scan_ < buf_.size() ? std::memchr(base + scan_, '\n',
                                                          buf_.size() - scan_)
                                            : nullptr;
    const size_t stop =
        found ? static_cast<size_t>(static_cast<const char*>(found) - base)
              : buf_.size();
    UpdateLineStats(scan_, stop);
    scan_ = stop;
    if (buf_.size() > pos_) phase_ = Phase::kHead;
    // Bytes of the current line before its LF (all of them so far when the
    // LF has not arrived). The same checks run on a partial and on a
    // complete line, so the outcome does not depend on where input was
    // split.
    const size_t len = stop - line_start_;
    if (!CheckLinePrefix(len)) return State::kError;
    if (found == nullptr) return State::kNeedMore;

    const size_t nl = stop;
    if (len == 0 || buf_[nl - 1] != '\r') {
      return Fail(400, "line not terminated by CRLF");
    }
    std::string_view line(base + line_start_, len - 1);
    const size_t head_bytes = nl + 1 - pos_;
    line_start_ = scan_ = nl + 1;
    ResetLineStats();
    if (!have_request_line_) {
      if (line.empty()) {
        // RFC 9112 2.2: ignore empty lines before the request line (they
        // still count towards the head size).
        if (head_bytes > limits_.max_header_bytes) {
          return Fail(431, "request head exceeds the size limit");
        }
        continue;
      }
      if (!ParseRequestLine(line)) return State::kError;
      have_request_line_ = true;
    } else if (line.empty()) {
      if (head_bytes > limits_.max_header_bytes) {
        return Fail(431, "request head exceeds the size limit");
      }
      if (!FinishHead()) return State::kError;
      body_start_ = nl + 1;
      phase_ = Phase::kBody;
      return State::kNeedMore;  // Parse() checks the body
    } else if (!ParseHeaderLine(line)) {
      return State::kError;
    }
    if (head_bytes > limits_.max_header_bytes) {
      return Fail(431, "request head exceeds the size limit");
    }
  }
}

void HttpRequestParser::UpdateLineStats(size_t from, size_t to) {
  const char* base = buf_.data();
  if (first_cr_ == kNone && from < to) {
    const void* cr = std::memchr(base + from, '\r', to - from);
    if (cr != nullptr) {
      first_cr_ = static_cast<size_t>(static_cast<const char*>(cr) - base) -
                  line_start_;
    }
  }
  if (have_request_line_) return;
  while (sp2_ == kNone && from < to) {
    const void* sp = std::memchr(base + from, ' ', to - from);
    if (sp == nullptr) break;
    size_t at = static_cast<size_t>(static_cast<const char*>(sp) - base);
    (sp1_ == kNone ? sp1_ : sp2_) = at - line_start_;
    from = at + 1;
  }
}

void HttpRequestParser::ResetLineStats() { first_cr_ = sp1_ = sp2_ = kNone; }

// Errors that a prefix of `len` bytes of the current line already decides
// (so that a client cannot stream an endless method, URL or header). Each
// check has a threshold: the prefix length at which it becomes decidable.
// The one with the smallest threshold wins, which makes the outcome
// independent of how the input was split.
bool HttpRequestParser::CheckLinePrefix(size_t len) {
  size_t best = kNone;
  int status = 0;
  const char* message = "";
  auto consider = [&](size_t threshold, int s, const char* m) {
    if (threshold <= len && threshold < best) {
      best = threshold;
      status = s;
      message = m;
    }
  };
  // A CR anywhere but right before the LF.
  if (first_cr_ != kNone && first_cr_ + 1 < len) {
    consider(first_cr_ + 2, 400, "bare CR in request head");
  }
  if (!have_request_line_) {
    if (sp1_ == kNone || sp1_ > kMaxMethodBytes) {
      consider(kMaxMethodBytes + 1, 400, "request method too long or missing");
    } else {
      const size_t target = sp1_ + 1;
      if (sp2_ == kNone || sp2_ - target > limits_.max_url_bytes) {
        consider(target + limits_.max_url_bytes + 1, 414,
                 "request target exceeds the length limit");
      } else {
        consider(sp2_ + 1 + kMaxVersionBytes + 1, 400,
                 "malformed HTTP version");
      }
    }
  }
  const size_t head_before = line_start_ - pos_;
  consider(limits_.max_header_bytes - head_before + 1, 431,
           "request head exceeds the size limit");
  if (best == kNone) return true;
  Fail(status, message);
  return false;
}

bool HttpRequestParser::ParseRequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || sp1 > kMaxMethodBytes) {
    Fail(400, "malformed request line");
    return false;
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view rest = line.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  std::string_view target = rest.substr(0, sp2);
  if (target.size() > limits_.max_url_bytes) {
    Fail(414, "request target exceeds the length limit");
    return false;
  }
  if (!IsHttpToken(method)) {
    Fail(400, "malformed request method");
    return false;
  }
  if (sp2 == std::string_view::npos) {
    Fail(400, "malformed request line (no HTTP version)");
    return false;
  }
  std::string_view version = rest.substr(sp2 + 1);
  if (target.empty()) {
    Fail(400, "empty request target");
    return false;
  }
  for (char c : target) {
    if (!IsTargetByte(static_cast<unsigned char>(c))) {
      Fail(400, "invalid byte in request target");
      return false;
    }
  }
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" ||
      !is_digit(version[5]) || version[6] != '.' || !is_digit(version[7])) {
    Fail(400, "malformed HTTP version");
    return false;
  }
  if (version[5] != '1') {
    Fail(505, "only HTTP/1.x is supported");
    return false;
  }
  // HTTP/1.2 and later minor versions are answered as HTTP/1.1.
  request_.version_minor = version[7] == '0' ? 0 : 1;

  std::string_view path_and_query;
  if (target[0] == '/') {
    path_and_query = target;
  } else if (target == "*") {
    if (method != "OPTIONS") {
      Fail(400, "asterisk-form target is only allowed with OPTIONS");
      return false;
    }
    path_and_query = "/";
  } else if (StartsWithIgnoreCase(target, "http://") ||
             StartsWithIgnoreCase(target, "https://")) {
    // absolute-form: keep the path and query, drop scheme and authority.
    size_t authority = target.find("//") + 2;
    size_t slash = target.find_first_of("/?", authority);
    if (authority == target.size() || slash == authority) {
      Fail(400, "absolute-form target without a host");
      return false;
    }
    path_and_query = slash == std::string_view::npos ? std::string_view("/")
                                                     : target.substr(slash);
  } else {
    Fail(400, "unsupported request target form");
    return false;
  }
  size_t q = path_and_query.find('?');
  request_.method.assign(method);
  request_.target.assign(target);
  if (q == std::string_view::npos) {
    request_.path.assign(path_and_query);
    request_.query.clear();
  } else {
    request_.path.assign(path_and_query.substr(0, q));
    request_.query.assign(path_and_query.substr(q + 1));
  }
  if (request_.path.empty() || request_.path[0] != '/') {
    request_.path.insert(0, "/");
  }
  return true;
}

bool HttpRequestParser::ParseHeaderLine(std::string_view line) {
  if (request_.headers.size() >= limits_.max_headers) {
    Fail(431, "too many header fields");
    return false;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    // Also catches obs-fold continuation lines (they start with SP/HTAB and
    // rarely hold a colon; those that do fail the token check below).
    Fail(400, "malformed header field");
    return false;
  }
  std::string_view name = line.substr(0, colon);
  if (!IsHttpToken(name)) {
    Fail(400, "malformed header field name");
    return false;
  }
  std::string_view value = TrimOws(line.substr(colon + 1));
  if (!IsValidHeaderValue(value)) {
    Fail(400, "invalid byte in header field value");
    return false;
  }
  request_.headers.Add(std::string(name), std::string(value));
  return true;
}

bool HttpRequestParser::FinishHead() {
  const HttpHeaders& h = request_.headers;
  const bool http11 = request_.version_minor == 1;
  size_t hosts = h.Count("Host");
  if (hosts > 1 || (http11 && hosts == 0)) {
    Fail(400, hosts > 1 ? "more than one Host field" : "missing Host field");
    return false;
  }
  const std::string* te = h.Find("Transfer-Encoding");
  size_t lengths = h.Count("Content-Length");
  if (te != nullptr) {
    if (lengths > 0) {
      Fail(400, "both Transfer-Encoding and Content-Length");
      return false;
    }
    if (!http11) {
      Fail(400, "Transfer-Encoding in an HTTP/1.0 request");
      return false;
    }
    // The final coding decides the framing; every field line counts.
    std::string_view last;
    for (const HttpHeader& f : h.fields()) {
      if (!EqualsIgnoreCase(f.name, "Transfer-Encoding")) continue;
      std::string_view v = f.value;
      size_t comma = v.rfind(',');
      last = TrimOws(comma == std::string_view::npos ? v : v.substr(comma + 1));
    }
    if (EqualsIgnoreCase(last, "chunked")) {
      Fail(411,
           "chunked request bodies are not supported; send "
           "Content-Length");
      return false;
    }
    Fail(501, "unsupported Transfer-Encoding");
    return false;
  }
  content_length_ = 0;
  if (lengths > 1) {
    Fail(400, "more than one Content-Length field");
    return false;
  }
  if (lengths == 1) {
    std::string_view v = *h.Find("Content-Length");
    if (v.empty()) {
      Fail(400, "empty Content-Length");
      return false;
    }
    for (char c : v) {
      if (c < '0' || c > '9') {
        Fail(400, "malformed Content-Length");
        return false;
      }
    }
    size_t digits = v.find_first_not_of('0');
    if (digits != std::string_view::npos &&
        v.size() - digits > kMaxLengthDigits) {
      Fail(413, "request body exceeds the size limit");
      return false;
    }
    uint64_t n = 0;
    for (char c : v) n = n * 10 + static_cast<uint64_t>(c - '0');
    if (n > limits_.max_body_bytes) {
      Fail(413, "request body exceeds the size limit");
      return false;
    }
    content_length_ = static_cast<size_t>(n);
  }
  if (const std::string* expect = h.Find("Expect")) {
    if (!EqualsIgnoreCase(*expect, "100-continue") || h.Count("Expect") > 1) {
      Fail(417, "unsupported expectation");
      return false;
    }
    expect_continue_ = http11 && content_length_ > 0;
  }
  if (http11) {
    request_.keep_alive = !h.HasToken("Connection", "close");
  } else {
    request_.keep_alive = h.HasToken("Connection", "keep-alive") &&
                          !h.HasToken("Connection", "close");
  }
  return true;
}

bool HttpRequestParser::TakeExpectContinue() {
  if (phase_ != Phase::kBody || !expect_continue_) return false;
  expect_continue_ = false;
  return true;
}

HttpRequest HttpRequestParser::TakeRequest() {
  if (phase_ != Phase::kComplete) return HttpRequest();
  HttpRequest out = std::move(request_);
  out.body.assign(buf_, body_start_, content_length_);
  pos_ = body_start_ + content_length_;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
    if (buf_.capacity() > 4 * kCompactThreshold) buf_.shrink_to_fit();
  } else if (pos_ >= kCompactThreshold || pos_ * 2 >= buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  ResetRequest();
  return out;
}

void HttpRequestParser::ResetRequest() {
  request_ = HttpRequest();
  line_start_ = scan_ = body_start_ = pos_;
  ResetLineStats();
  phase_ = Phase::kIdle;
  have_request_line_ = false;
  expect_continue_ = false;
  content_length_ = 0;
}

}  // namespace wfs::transport
