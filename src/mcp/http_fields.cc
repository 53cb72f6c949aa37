#include "mcp/http_fields.h"

#include <cmath>

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

namespace {

// Standard Base64 (RFC 4648 section 4) with its padding; nullopt otherwise.
std::optional<std::string> DecodeBase64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    bool last = i + 4 == in.size();
    int pad = 0;
    uint32_t bits = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = in[i + k];
      if (c == '=' && last && k >= 2) {
        ++pad;
        bits <<= 6;
        continue;
      }
      int v = value(c);
      if (v < 0 || pad > 0) return std::nullopt;
      bits = bits << 6 | static_cast<uint32_t>(v);
    }
    out.push_back(static_cast<char>(bits >> 16 & 0xff));
    if (pad < 2) out.push_back(static_cast<char>(bits >> 8 & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(bits & 0xff));
  }
  return out;
}

}  // namespace

std::optional<std::string> DecodeMirroredValue(std::string_view field) {
  constexpr std::string_view kOpen = "=?base64?", kClose = "?=";
  if (field.size() >= kOpen.size() + kClose.size() &&
      field.substr(0, kOpen.size()) == kOpen &&
      field.substr(field.size() - kClose.size()) == kClose) {
    return DecodeBase64(field.substr(
        kOpen.size(), field.size() - kOpen.size() - kClose.size()));
  }
  for (char c : field) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!(u == '\t' || (u >= 0x20 && u <= 0x7e))) return std::nullopt;
  }
  return std::string(field);
}

namespace {

void CollectMirrored(const Json& schema, std::vector<std::string>* path,
                     std::vector<MirroredParam>* out) {
  if (path->size() >= 8 || !schema.is_object()) return;
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object()) return;
  for (const auto& [name, sub] : props->items()) {
    if (!sub.is_object()) continue;
    path->push_back(name);
    auto h = sub.find("x-mcp-header");
    if (h != sub.end() && h->is_string() && !h->get<std::string>().empty()) {
      out->push_back({*path, h->get<std::string>()});
    }
    CollectMirrored(sub, path, out);
    path->pop_back();
  }
}

// The value at `path` in `args`; null when any step is missing.
const Json* ValueAt(const Json& args, const std::vector<std::string>& path) {
  const Json* v = &args;
  for (const std::string& key : path) {
    if (!v->is_object()) return nullptr;
    auto it = v->find(key);
    if (it == v->end()) return nullptr;
    v = &*it;
  }
  return v;
}

// The integers a client can mirror exactly: JavaScript's safe range.
constexpr int64_t kSafeInteger = (int64_t{1} << 53) - 1;

// A decimal integer ("-42", "42", "42.0"): digits only, an optional minus,
// an optional fraction of zeros; nullopt otherwise or beyond the safe range.
std::optional<int64_t> ParseMirroredInteger(std::string_view t) {
  bool negative = !t.empty() && t[0] == '-';
  if (negative) t.remove_prefix(1);
  size_t dot = t.find('.');
  std::string_view digits = t.substr(0, dot);
  if (dot != std::string_view::npos &&
      (dot + 1 == t.size() ||
       t.substr(dot + 1).find_first_not_of('0') != std::string_view::npos)) {
    return std::nullopt;
  }
  if (digits.empty() || digits.size() > 16) return std::nullopt;
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > kSafeInteger) return std::nullopt;
  return negative ? -v : v;
}

// The body's value as an exact integer in the safe range (a float only
// when integral); nullopt otherwise.
std::optional<int64_t> BodyInteger(const Json& value) {
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(kSafeInteger)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_number_integer()) {
    int64_t i = value.get<int64_t>();
    if (i > kSafeInteger || i < -kSafeInteger) return std::nullopt;
    return i;
  }
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (!(d >= -static_cast<double>(kSafeInteger) &&
          d <= static_cast<double>(kSafeInteger)) ||
        d != std::trunc(d)) {
      return std::nullopt;
    }
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

// Whether `text` (a decoded field) stands for `value`.
bool Mirrors(const std::string& text, const Json& value) {
  if (value.is_string()) return text == value.get<std::string>();
  if (value.is_boolean()) return text == (value.get<bool>() ? "true" : "false");
  if (value.is_number()) {
    std::optional<int64_t> want = BodyInteger(value);
    std::optional<int64_t> got = ParseMirroredInteger(text);
    return want && got && *want == *got;
  }
  return false;
}

}  // namespace

std::vector<MirroredParam> MirroredParams(const Json& input_schema) {
  std::vector<MirroredParam> out;
  std::vector<std::string> path;
  CollectMirrored(input_schema, &path, &out);
  return out;
}

std::string MirroredParamMismatch(const std::vector<MirroredParam>& params,
                                  const transport::HttpHeaders& headers,
                                  const Json& arguments) {
  for (const MirroredParam& p : params) {
    std::string name = StrCat("Mcp-Param-", p.header);
    if (headers.Count(name) > 1) {
      return StrCat(name, " header appears more than once");
    }
    std::string where = StrCat("params.arguments.", StrJoin(p.path, "."));
    const Json* value = ValueAt(arguments, p.path);
    const std::string* f = headers.Find(name);
    if (value == nullptr || value->is_null()) {
      if (f != nullptr) {
        return StrCat(name, " header is present but ", where, " is not");
      }
      continue;
    }
    if (f == nullptr) {
      return StrCat(name, " header is missing (", where, " is present)");
    }
    std::optional<std::string> decoded = DecodeMirroredValue(*f);
    if (!decoded) {
      return StrCat(name, " header is neither plain ASCII nor =?base64?...?=");
    }
    if (!Mirrors(*decoded, *value)) {
      return StrCat(name, " header ", Quote(*decoded), " does not match ",
                    where);
    }
  }
  return "";
}

}  // namespace wfs::mcp
