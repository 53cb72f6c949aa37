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

// The first CR or LF in `data` (npos when none); memchr is vectorised,
// where find_first_of walks the text once per character.
size_t LineBreak(std::string_view data) {
  if (data.empty()) return std::string_view::npos;
  const char* begin = data.data();
  const void* cr = std::memchr(begin, '\r', data.size());
  size_t end = cr != nullptr
                   ? static_cast<size_t>(static_cast<const char*>(cr) - begin)
                   : data.size();
  const void* lf = std::memchr(begin, '\n', end);
  if (lf != nullptr) {
    return static_cast<size_t>(static_cast<const char*>(lf) - begin);
  }
  return end == data.size() ? std::string_view::npos : end;
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
  std::string_view data = event.data;
  for (;;) {
    size_t br = LineBreak(data);
    out.append("data: ");
    out.append(data.substr(0, br));
    out.push_back('\n');
    if (br == std::string_view::npos) break;
    size_t skip =
        (data[br] == '\r' && br + 1 < data.size() && data[br + 1] == '\n') ? 2
                                                                           : 1;
    data.remove_prefix(br + skip);
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
