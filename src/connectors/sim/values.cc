#include "connectors/sim/values.h"

#include <cstdio>
#include <limits>
#include <vector>

#include "base/strings.h"

namespace wfs::connectors::sim {

namespace {

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Days since 1970-01-01 for a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

Result<int64_t> ParseDecimalMicros(std::string_view text) {
  std::string_view t = text;
  bool neg = false;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    neg = t[0] == '-';
    t.remove_prefix(1);
  }
  size_t dot = t.find('.');
  std::string_view ip = t.substr(0, dot);
  std::string_view fp =
      dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  if (ip.empty() || !AllDigits(ip) || !AllDigits(fp) ||
      (dot != std::string_view::npos && fp.empty())) {
    return InvalidArgument(StrCat("not a decimal number: ", Quote(text)));
  }
  if (ip.size() > 12) {
    return InvalidArgument(StrCat("decimal out of range: ", Quote(text)));
  }
  if (fp.size() > 6) {
    return InvalidArgument(
        StrCat("decimal has more than 6 fractional digits: ", Quote(text)));
  }
  int64_t v = 0;
  for (char c : ip) v = v * 10 + (c - '0');
  int64_t f = 0;
  for (size_t i = 0; i < 6; ++i) {
    f = f * 10 + (i < fp.size() ? fp[i] - '0' : 0);
  }
  v = v * 1000000 + f;
  return neg ? -v : v;
}

std::string FormatDecimalMicros(int64_t micros) {
  bool neg = micros < 0;
  uint64_t m = neg ? static_cast<uint64_t>(-(micros + 1)) + 1
                   : static_cast<uint64_t>(micros);
  std::string out = (neg ? "-" : "") + std::to_string(m / 1000000);
  uint64_t frac = m % 1000000;
  if (frac != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%06llu",
                  static_cast<unsigned long long>(frac));
    std::string f = buf;
    while (!f.empty() && f.back() == '0') f.pop_back();
    if (f.size() == 1) f += "0";
    out += "." + f;
  }
  return out;
}

Result<int64_t> ParseTimeMicros(std::string_view t) {
  auto bad = [&]() {
    return InvalidArgument(StrCat("not an RFC 3339 time: ", Quote(t),
                                  " (expected e.g. 2026-12-01T10:00:00Z)"));
  };
  auto num = [&](size_t pos, size_t len, int* out) {
    if (pos + len > t.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, s;
  if (t.size() < 20 || !num(0, 4, &y) || t[4] != '-' || !num(5, 2, &mo) ||
      t[7] != '-' || !num(8, 2, &d) ||
      (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || !num(11, 2, &h) ||
      t[13] != ':' || !num(14, 2, &mi) || t[16] != ':' || !num(17, 2, &s)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 ||
      mi > 59 || s > 60) {
    return bad();
  }
  size_t p = 19;
  int64_t frac_micros = 0;
  if (p < t.size() && t[p] == '.') {
    ++p;
    size_t start = p;
    int64_t scale = 100000;
    while (p < t.size() && t[p] >= '0' && t[p] <= '9') {
      frac_micros += (t[p] - '0') * scale;
      scale /= 10;
      ++p;
      if (p - start > 9) return bad();
    }
    if (p == start) return bad();
  }
  int64_t offset = 0;
  if (p < t.size() && (t[p] == 'Z' || t[p] == 'z')) {
    ++p;
  } else if (p < t.size() && (t[p] == '+' || t[p] == '-')) {
    int oh, om;
    if (!num(p + 1, 2, &oh) || p + 3 >= t.size() || t[p + 3] != ':' ||
        !num(p + 4, 2, &om) || oh > 23 || om > 59) {
      return bad();
    }
    offset = (oh * 3600 + om * 60) * (t[p] == '+' ? 1 : -1);
    p += 6;
  } else {
    return bad();
  }
  if (p != t.size()) return bad();
  int64_t days =
      DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t seconds = days * 86400 + h * 3600 + mi * 60 + s - offset;
  return seconds * 1000000 + frac_micros;
}

Result<std::string> NormalizeAbsolutePath(std::string_view path) {
  if (path.empty() || path[0] != '/') {
    return InvalidArgument(StrCat("not an absolute path: ", Quote(path)));
  }
  std::vector<std::string> parts;
  for (const std::string& c : StrSplit(path, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(c);
  }
  return "/" + StrJoin(parts, "/");
}

bool PathWithin(std::string_view path, std::string_view dir) {
  if (dir == "/") return !path.empty() && path[0] == '/';
  if (path == dir) return true;
  return path.size() > dir.size() && StartsWith(path, dir) &&
         path[dir.size()] == '/';
}

std::string RelativeTo(std::string_view path, std::string_view dir) {
  if (path == dir) return "";
  size_t skip = dir == "/" ? 1 : dir.size() + 1;
  if (path.size() < skip) return "";
  return std::string(path.substr(skip));
}

std::string JoinPath(std::string_view dir, std::string_view rel) {
  if (rel.empty()) return std::string(dir);
  if (dir == "/") return StrCat("/", rel);
  return StrCat(dir, "/", rel);
}

bool ContainsFold(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  return ToLower(haystack).find(ToLower(needle)) != std::string::npos;
}

const Json* FieldOf(const Json& record, std::string_view name) {
  if (!record.is_object()) return nullptr;
  auto it = record.find(name);
  return it == record.end() ? nullptr : &*it;
}

std::string StringField(const Json& record, std::string_view name,
                        std::string_view fallback) {
  const Json* f = FieldOf(record, name);
  if (f == nullptr || !f->is_string()) return std::string(fallback);
  return f->get<std::string>();
}

bool IsInt64(const Json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return true;
  return value.is_number_unsigned() &&
         value.get<uint64_t>() <=
             static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

int64_t IntField(const Json& record, std::string_view name, int64_t fallback) {
  const Json* f = FieldOf(record, name);
  if (f == nullptr || !IsInt64(*f)) return fallback;
  return f->get<int64_t>();
}

Json PublicRecord(const Json& record) {
  if (!record.is_object()) return record;
  Json out = Json::object();
  for (auto it = record.begin(); it != record.end(); ++it) {
    if (!StartsWith(it.key(), "_")) out[it.key()] = it.value();
  }
  return out;
}

Json UndoRecord(std::string_view action, Json args) {
  Json undo = Json::object();
  undo["action"] = std::string(action);
  undo["args"] = std::move(args);
  return undo;
}

std::string EmailDomain(std::string_view address) {
  size_t at = address.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 >= address.size()) {
    return "";
  }
  return ToLower(address.substr(at + 1));
}

Result<std::string> RecipientDomain(const Json& value) {
  std::vector<std::string> addresses;
  if (value.is_string()) {
    addresses.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const Json& v : value) {
      if (!v.is_string()) {
        return InvalidArgument("mail.send: recipients must be strings");
      }
      addresses.push_back(v.get<std::string>());
    }
  } else {
    return InvalidArgument("mail.send: recipients must be strings");
  }
  std::string domain;
  for (const std::string& a : addresses) {
    std::string d = EmailDomain(a);
    if (d.empty()) {
      return InvalidArgument(
          StrCat("mail.send: ", Quote(a), " is not an email address"));
    }
    if (!domain.empty() && d != domain) {
      return InvalidArgument(
          "mail.send: recipients in several domains; ask for one address at "
          "a time");
    }
    domain = d;
  }
  if (domain.empty()) return InvalidArgument("mail.send: no recipient");
  return domain;
}

constexpr size_t kMaxUrlBytes = 8192;

Result<std::string> UrlHost(const std::string& url) {
  auto bad = [&](const char* why) {
    return InvalidArgument(StrCat(
        "http: ", Quote(url), " is not an absolute http(s) URL (", why, ")"));
  };
  if (url.size() > kMaxUrlBytes) return bad("too long");
  const std::string lower = ToLower(url);
  size_t start;
  if (StartsWith(lower, "http://")) {
    start = 7;
  } else if (StartsWith(lower, "https://")) {
    start = 8;
  } else {
    return bad("the scheme must be http or https");
  }
  size_t end = lower.find_first_of("/?#", start);
  std::string authority =
      lower.substr(start, end == std::string::npos ? end : end - start);
  size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  std::string host;
  std::string rest;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return bad("unterminated IPv6 address");
    host = authority.substr(0, close + 1);
    rest = authority.substr(close + 1);
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    rest = colon == std::string::npos ? "" : authority.substr(colon);
  }
  if (!rest.empty()) {
    if (rest[0] != ':' || rest.size() == 1 || rest.size() > 6) {
      return bad("bad port");
    }
    for (size_t i = 1; i < rest.size(); ++i) {
      if (rest[i] < '0' || rest[i] > '9') return bad("bad port");
    }
  }
  if (host.empty()) return bad("no host");
  for (unsigned char c : host) {
    if (c <= ' ' || c == 0x7f) return bad("invalid host");
  }
  return host;
}

}  // namespace wfs::connectors::sim
