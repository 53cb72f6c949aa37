// Server-Sent Events framing (WHATWG HTML, "Server-sent events").
//
//   responder.StartStream(200, SseResponseHeaders());
//   responder.Write(FormatSseEvent({.id = "7", .event = "message",
//                                   .data = json_text}));
#ifndef WFSTORE_TRANSPORT_SSE_H_
#define WFSTORE_TRANSPORT_SSE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "transport/http_message.h"

namespace wfs::transport {

struct SseEvent {
  std::string id;     // omitted when empty
  std::string event;  // omitted when empty (the client's default: "message")
  std::string data;   // one "data:" line per line; CRLF, CR and LF all split
  int64_t retry_ms = -1;  // "retry:" when >= 0
};

// One event, terminated by the blank line. Line breaks in `id` and `event`
// (which the format cannot carry) are replaced by spaces. An event with no
// fields still yields a "data:" line so that it dispatches.
std::string FormatSseEvent(const SseEvent& event);

// A comment line (": text\n\n"); clients ignore it. Useful as a keep-alive
// that also detects a vanished client on the next write.
std::string FormatSseComment(std::string_view text);

// Content-Type: text/event-stream, Cache-Control: no-cache.
HttpHeaders SseResponseHeaders();

}  // namespace wfs::transport

#endif  // WFSTORE_TRANSPORT_SSE_H_
