#include "transport/http_message.h"

#include <array>
#include <cstdio>

namespace wfs::transport {
namespace {

constexpr char ToLowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// RFC 9110 tchar.
constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) {
    t[static_cast<unsigned char>(c)] = true;
  }
  return t;
}
constexpr std::array<bool, 256> kTokenTable = MakeTokenTable();

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
  }
  return true;
}

bool IsHttpToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kTokenTable[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

bool IsValidHeaderValue(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

void HttpHeaders::Set(std::string_view name, std::string value) {
  Remove(name);
  fields_.push_back({std::string(name), std::move(value)});
}

size_t HttpHeaders::Remove(std::string_view name) {
  size_t before = fields_.size();
  std::erase_if(fields_, [&](const HttpHeader& h) {
    return EqualsIgnoreCase(h.name, name);
  });
  return before - fields_.size();
}

const std::string* HttpHeaders::Find(std::string_view name) const {
  for (const HttpHeader& h : fields_) {
    if (EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

std::string_view HttpHeaders::Get(std::string_view name,
                                  std::string_view fallback) const {
  const std::string* v = Find(name);
  return v ? std::string_view(*v) : fallback;
}

size_t HttpHeaders::Count(std::string_view name) const {
  size_t n = 0;
  for (const HttpHeader& h : fields_) {
    if (EqualsIgnoreCase(h.name, name)) ++n;
  }
  return n;
}

bool HttpHeaders::HasToken(std::string_view name,
                           std::string_view token) const {
  for (const HttpHeader& h : fields_) {
    if (!EqualsIgnoreCase(h.name, name)) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = TrimOws(rest.substr(0, comma));
      if (EqualsIgnoreCase(item, token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::string_view HttpReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::string FormatHttpDate(int64_t micros_since_epoch) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun",
                                          "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr",
                                            "May", "Jun", "Jul", "Aug",
                                            "Sep", "Oct", "Nov", "Dec"};
  int64_t secs = micros_since_epoch / 1000000;
  if (secs < 0) secs = 0;
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  int64_t z = days + 719468;
  int64_t era = z / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                        kDays[days % 7], static_cast<int>(d), kMonths[m - 1],
                        static_cast<int>(y), static_cast<int>(rem / 3600),
                        static_cast<int>(rem / 60 % 60),
                        static_cast<int>(rem % 60));
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

}  // namespace wfs::transport
