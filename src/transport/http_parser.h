// Incremental HTTP/1.1 request parser.
//
// Used by HttpServer for every connection and fed directly by the fuzzer.
// Bytes arrive in arbitrary pieces through Feed(); Parse() advances over what
// is buffered and stops at the end of one request, so pipelined requests are
// taken one at a time, in order:
//
//   HttpRequestParser p(limits);
//   p.Feed(bytes);
//   while (p.Parse() == HttpRequestParser::State::kComplete) {
//     HttpRequest r = p.TakeRequest();   // the parser moves to the next one
//   }
//   if (p.state() == HttpRequestParser::State::kError) -> p.error_status()
//
// The result never depends on how the input was split. Work is linear in the
// input: each byte is scanned a bounded number of times. Memory is bounded by
// the limits below plus whatever the caller feeds beyond the current request.
//
// Framing: Content-Length bodies only. Transfer-Encoding is refused (411 for
// chunked, 501 for other codings, 400 when combined with Content-Length or on
// HTTP/1.0). Lines must end in CRLF; a bare LF or CR is a 400. Obsolete line
// folding is a 400. HTTP/1.1 requests need exactly one Host field.
// Once an error is reported the parser stays in the error state: the
// connection cannot be resynchronised and should be closed after the error
// response.
#ifndef WFSTORE_TRANSPORT_HTTP_PARSER_H_
#define WFSTORE_TRANSPORT_HTTP_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "transport/http_message.h"

namespace wfs::transport {

struct HttpLimits {
  // Request line, header fields and the blank line (and any empty lines
  // before the request line), in bytes. Over it: 431.
  size_t max_header_bytes = 16 * 1024;
  // Number of header fields. Over it: 431.
  size_t max_headers = 100;
  // Length of the request-target. Over it: 414.
  size_t max_url_bytes = 8 * 1024;
  // Content-Length. Over it: 413 (sent before the body is read).
  size_t max_body_bytes = 4 * 1024 * 1024;
};

class HttpRequestParser {
 public:
  enum class State {
    kNeedMore,  // the current request is incomplete; Feed() more bytes
    kComplete,  // a request is ready: TakeRequest()
    kError,     // malformed or over a limit: error_status(), error_message()
  };
  // Where the current request is, for read timeouts.
  enum class Phase {
    kIdle,      // no byte of the next request received yet
    kHead,      // inside the request line or header fields
    kBody,      // head complete, body incomplete
    kComplete,  // a request is ready
    kError,
  };

  explicit HttpRequestParser(const HttpLimits& limits);

  // Appends received bytes. Cheap; parsing happens in Parse().
  void Feed(std::string_view bytes);

  // Advances over the buffered bytes. Idempotent when nothing was fed.
  State Parse();

  // Precondition: Parse() returned kComplete. Returns the request and moves
  // to the next one (bytes after it stay buffered).
  HttpRequest TakeRequest();

  State state() const;
  Phase phase() const { return phase_; }

  // After kError: the HTTP status to answer with (400, 408 is never set
  // here, 411, 413, 414, 417, 431, 501, 505) and a short reason.
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }

  // True once per request whose head asked for "Expect: 100-continue" while
  // its body has not fully arrived: the caller should send
  // "HTTP/1.1 100 Continue" now.
  bool TakeExpectContinue();

  // Bytes received and not yet returned as part of a request.
  size_t buffered_bytes() const { return buf_.size() - pos_; }

 private:
  State Fail(int status, std::string message);
  State ScanHead();
  void UpdateLineStats(size_t from, size_t to);
  void ResetLineStats();
  bool CheckLinePrefix(size_t len);
  bool ParseRequestLine(std::string_view line);
  bool ParseHeaderLine(std::string_view line);
  bool FinishHead();
  void ResetRequest();

  HttpLimits limits_;
  std::string buf_;
  size_t pos_ = 0;         // first byte of the current request
  size_t line_start_ = 0;  // first byte of the line being scanned
  size_t scan_ = 0;        // bytes before this hold no unprocessed LF
  // About the current line, relative to line_start_ (kNone: not seen yet).
  static constexpr size_t kNone = ~size_t{0};
  size_t first_cr_ = kNone;
  size_t sp1_ = kNone;  // request line: first and second space
  size_t sp2_ = kNone;
  size_t body_start_ = 0;  // first body byte (phase kBody)
  Phase phase_ = Phase::kIdle;
  bool have_request_line_ = false;
  bool expect_continue_ = false;
  size_t content_length_ = 0;
  HttpRequest request_;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace wfs::transport

#endif  // WFSTORE_TRANSPORT_HTTP_PARSER_H_
