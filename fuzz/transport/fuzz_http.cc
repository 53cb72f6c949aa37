// Fuzzes the HTTP/1.1 request parser (src/transport/http_parser.h).
//
// Input: one byte choosing limits and a chunking pattern, then the bytes a
// client would send. The stream is parsed twice, in one piece and in pieces
// whose sizes come from the input; both runs must agree exactly (the parser
// promises that splitting never changes the outcome), and every request must
// satisfy the parser's output invariants. Any disagreement aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "transport/http_parser.h"
#include "transport/sse.h"

namespace {

using wfs::transport::HttpHeader;
using wfs::transport::HttpLimits;
using wfs::transport::HttpRequest;
using wfs::transport::HttpRequestParser;

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  std::vector<HttpRequest> requests;
  HttpRequestParser::State state = HttpRequestParser::State::kNeedMore;
  int error_status = 0;
  int continues = 0;
};

void CheckRequest(const HttpRequest& r, const HttpLimits& limits) {
  Check(wfs::transport::IsHttpToken(r.method));
  Check(!r.target.empty() && r.target.size() <= limits.max_url_bytes);
  Check(!r.path.empty() && r.path[0] == '/');
  Check(r.version_minor == 0 || r.version_minor == 1);
  Check(r.headers.size() <= limits.max_headers);
  Check(r.body.size() <= limits.max_body_bytes);
  for (const HttpHeader& h : r.headers.fields()) {
    Check(wfs::transport::IsHttpToken(h.name));
    Check(wfs::transport::IsValidHeaderValue(h.value));
    Check(h.value.empty() || (h.value.front() != ' ' && h.value.back() != ' '));
  }
  Check(r.headers.Count("Content-Length") <= 1);
  Check(!r.headers.Has("Transfer-Encoding"));
  if (r.version_minor == 1) Check(r.headers.Count("Host") == 1);
  const std::string* cl = r.headers.Find("Content-Length");
  Check(cl != nullptr ? std::stoull(*cl) == r.body.size() : r.body.empty());
}

// Feeds `input` in pieces whose sizes cycle through `steps` (empty: all at
// once).
Outcome Run(std::string_view input, const std::vector<size_t>& steps,
            const HttpLimits& limits) {
  HttpRequestParser p(limits);
  Outcome out;
  size_t off = 0;
  size_t k = 0;
  for (;;) {
    size_t n = steps.empty() ? input.size() : steps[k++ % steps.size()];
    std::string_view piece = input.substr(off, n);
    off += piece.size();
    p.Feed(piece);
    for (;;) {
      out.state = p.Parse();
      if (p.TakeExpectContinue()) ++out.continues;
      if (out.state != HttpRequestParser::State::kComplete) break;
      Check(p.phase() == HttpRequestParser::Phase::kComplete);
      out.requests.push_back(p.TakeRequest());
      CheckRequest(out.requests.back(), limits);
    }
    if (out.state == HttpRequestParser::State::kError || off >= input.size()) {
      break;
    }
  }
  out.error_status = p.error_status();
  if (out.state == HttpRequestParser::State::kError) {
    Check(out.error_status >= 400 && out.error_status <= 505);
    Check(!p.error_message().empty());
  }
  return out;
}

bool Same(const HttpRequest& a, const HttpRequest& b) {
  if (a.method != b.method || a.target != b.target || a.path != b.path ||
      a.query != b.query || a.version_minor != b.version_minor ||
      a.body != b.body || a.keep_alive != b.keep_alive ||
      a.headers.size() != b.headers.size()) {
    return false;
  }
  for (size_t i = 0; i < a.headers.size(); ++i) {
    if (a.headers.fields()[i].name != b.headers.fields()[i].name ||
        a.headers.fields()[i].value != b.headers.fields()[i].value) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 256 * 1024) return 0;
  const uint8_t mode = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  HttpLimits limits;  // the defaults, or small ones that the input can hit
  if (mode & 1) {
    limits.max_header_bytes = 512;
    limits.max_headers = 8;
    limits.max_url_bytes = 64;
    limits.max_body_bytes = 256;
  }
  // Piece sizes from the mode byte and the first input bytes: 1..16.
  std::vector<size_t> steps;
  size_t count = 1 + ((mode >> 1) & 7);
  for (size_t i = 0; i < count; ++i) {
    uint8_t b = i < input.size() ? static_cast<uint8_t>(input[i]) : mode;
    steps.push_back(1 + ((b ^ (mode >> 4)) & 15));
  }

  Outcome whole = Run(input, {}, limits);
  Outcome split = Run(input, steps, limits);
  Check(whole.state == split.state);
  Check(whole.error_status == split.error_status);
  Check(whole.requests.size() == split.requests.size());
  for (size_t i = 0; i < whole.requests.size(); ++i) {
    Check(Same(whole.requests[i], split.requests[i]));
  }

  // The SSE formatter must produce one well-formed event for any body.
  std::string event = wfs::transport::FormatSseEvent(
      {.id = std::string(input.substr(0, 8)), .data = std::string(input)});
  Check(event.size() >= 2 && event.compare(event.size() - 2, 2, "\n\n") == 0);
  Check(event.find("\n\n") == event.size() - 2);
  return 0;
}
