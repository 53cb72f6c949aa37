#include "mcp/http_fields.h"

#include "base/strings.h"
#include "transport/http_message.h"

namespace wfs::mcp {
namespace {

// A decimal count: digits only, 1 to 18 of them.
std::optional<int64_t> ParseCount(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  for (std::string_view h : {"localhost", "127.0.0.1", "[::1]"}) {
    if (host.size() < h.size() ||
        !transport::EqualsIgnoreCase(host.substr(0, h.size()), h)) {
      continue;
    }
    if (host.size() == h.size()) return true;
    if (host[h.size()] == ':') {
      std::string_view port = host.substr(h.size() + 1);
      bool digits = !port.empty() && port.size() <= 5;
      for (char c : port) digits = digits && c >= '0' && c <= '9';
      if (digits) return true;
    }
  }
  return false;
}

bool IsLoopbackOrigin(std::string_view origin) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() >= scheme.size() &&
        transport::EqualsIgnoreCase(origin.substr(0, scheme.size()), scheme)) {
      return IsLoopbackHost(origin.substr(scheme.size()));
    }
  }
  return false;
}

bool AcceptsType(std::string_view accept, std::string_view type) {
  std::string_view major = type.substr(0, type.find('/'));
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view element = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view()
                                             : accept.substr(comma + 1);
    size_t semi = element.find(';');
    std::string_view range = Trim(element.substr(0, semi));
    bool matches =
        transport::EqualsIgnoreCase(range, type) || range == "*/*" ||
        (range.size() == major.size() + 2 &&
         transport::EqualsIgnoreCase(range.substr(0, major.size()), major) &&
         range.substr(major.size()) == "/*");
    if (!matches) continue;
    // A weight of zero ("q=0", "q=0.000") refuses the type.
    bool refused = false;
    std::string_view params = semi == std::string_view::npos
                                  ? std::string_view()
                                  : element.substr(semi + 1);
    while (!params.empty()) {
      size_t next = params.find(';');
      std::string_view param = Trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view()
                                              : params.substr(next + 1);
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') &&
          param[1] == '=') {
        std::string_view q = Trim(param.substr(2));
        refused = !q.empty() && q[0] == '0' &&
                  q.find_first_not_of("0.") == std::string_view::npos;
      }
    }
    if (!refused) return true;
  }
  return false;
}

std::string_view BearerToken(std::string_view authorization) {
  if (authorization.size() <= 7 ||
      !transport::EqualsIgnoreCase(authorization.substr(0, 7), "Bearer ")) {
    return {};
  }
  return Trim(authorization.substr(7));
}

std::optional<EventId> ParseEventId(std::string_view text) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::optional<int64_t> stream = ParseCount(text.substr(0, dot));
  std::optional<int64_t> seq = ParseCount(text.substr(dot + 1));
  if (!stream || !seq || *stream < 1) return std::nullopt;
  return EventId{*stream, *seq};
}

std::string FormatEventId(EventId id) { return StrCat(id.stream, ".", id.seq); }

}  // namespace wfs::mcp
