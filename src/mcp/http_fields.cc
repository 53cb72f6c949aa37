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
    if (StartsWith(origin, scheme)) {
      return IsLoopbackHost(origin.substr(scheme.size()));
    }
  }
  return false;
}

bool AcceptsType(std::string_view accept, std::string_view type) {
  std::string a = ToLower(accept);
  if (a.find(type) != std::string::npos) return true;
  if (a.find("*/*") != std::string::npos) return true;
  std::string major(type.substr(0, type.find('/')));
  return a.find(major + "/*") != std::string::npos;
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
