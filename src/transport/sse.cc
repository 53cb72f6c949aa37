#include "transport/sse.h"

#include <cstring>

namespace wfs::transport {
namespace {

void AppendField(std::string& out, std::string_view name,
                 std::string_view value) {
  out.append(name);
  out.append(": ");
  for (char c : value) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  out.push_back('\n');
}

}  // namespace

std::string FormatSseEvent(const SseEvent& event) {
  std::string out;
  out.reserve(event.data.size() + event.id.size() + event.event.size() + 32);
  if (!event.id.empty()) AppendField(out, "id", event.id);
  if (!event.event.empty()) AppendField(out, "event", event.event);
  if (event.retry_ms >= 0) {
    out.append("retry: ");
    out.append(std::to_string(event.retry_ms));
    out.push_back('\n');
  }
  // One line per CR, LF or CRLF in the data. memchr is vectorised (where
  // find_first_of walks the text once per character); the next CR is
  // looked for again only once passed, so the scan stays linear.
  const char* p = event.data.data();
  const char* end = p + event.data.size();
  const char* cr = static_cast<const char*>(std::memchr(p, '\r', end - p));
  if (cr == nullptr) cr = end;
  for (;;) {
    const char* lf = static_cast<const char*>(std::memchr(p, '\n', cr - p));
    const char* br = lf != nullptr ? lf : cr;
    out.append("data: ");
    out.append(p, br);
    out.push_back('\n');
    if (br == end) break;
    p = br + ((*br == '\r' && br + 1 < end && br[1] == '\n') ? 2 : 1);
    if (p > cr) {
      cr = static_cast<const char*>(std::memchr(p, '\r', end - p));
      if (cr == nullptr) cr = end;
    }
  }
  out.push_back('\n');
  return out;
}

std::string FormatSseComment(std::string_view text) {
  std::string out = ": ";
  for (char c : text) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  out.append("\n\n");
  return out;
}

HttpHeaders SseResponseHeaders() {
  return HttpHeaders{{"Content-Type", "text/event-stream"},
                     {"Cache-Control", "no-cache"}};
}

}  // namespace wfs::transport
