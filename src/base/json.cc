#include "base/json.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "base/strings.h"

namespace wfs {

namespace {

// Returns the offset at which nesting first exceeds `max_depth`, or npos.
size_t FindExcessiveNesting(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) return i;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return std::string_view::npos;
}

}  // namespace

Result<Json> ParseJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return InvalidArgument("JSON document of " + std::to_string(text.size()) +
                           " bytes exceeds the limit of " +
                           std::to_string(limits.max_bytes) + " bytes");
  }
  size_t deep = FindExcessiveNesting(text, limits.max_depth);
  if (deep != std::string_view::npos) {
    return InvalidArgument("JSON nesting deeper than " +
                           std::to_string(limits.max_depth) + " at byte " +
                           std::to_string(deep));
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // nlohmann's message starts with "[json.exception.parse_error.101] ".
    size_t close = what.find("] ");
    if (close != std::string::npos) what = what.substr(close + 2);
    return InvalidArgument("invalid JSON: " + what);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("invalid JSON: ") + e.what());
  }
}

const Json& JsonObjectMember(const Json& j, const char* key) {
  static const Json kEmpty = Json::object();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

int64_t JsonIntMember(const Json& j, const char* key, int64_t fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return fallback;
  return it->is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(
                                        it->get<uint64_t>(), INT64_MAX))
                                  : it->get<int64_t>();
}

int JsonIntMember32(const Json& j, const char* key, int fallback) {
  int64_t v = JsonIntMember(j, key, fallback);
  return v < INT32_MIN || v > INT32_MAX ? fallback : static_cast<int>(v);
}

const Json& JsonArrayMember(const Json& j, const char* key) {
  static const Json kEmpty = Json::array();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

namespace {

// nlohmann's own serialization, the definition of the canonical form; the
// fast paths below must produce the same bytes (fuzz_json checks).
std::string ReferenceDump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// What a byte of a string needs: 0 copied as is, 1 escaped, 2 part of a
// multi-byte sequence (copied once the string is known to be valid UTF-8).
constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) t[c] = 2;
  return t;
}();

template <typename Int>
void AppendInt(std::string* out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t start_size = out->size();
  out->push_back('"');
  bool checked_utf8 = false;
  size_t run = 0;  // start of the bytes not yet appended
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    uint8_t cls = kByteClass[c];
    if (cls == 0) continue;
    if (cls == 2) {
      if (!checked_utf8) {
        if (!IsValidUtf8(s.substr(i))) {
          // Replacement follows nlohmann's decoder exactly: let it do it.
          out->resize(start_size);
          out->append(ReferenceDump(Json(std::string(s))));
          return;
        }
        checked_utf8 = true;
      }
      continue;
    }
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, sizeof esc);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendCanonicalJson(std::string* out, const Json& value) {
  // One frame per open array or object: where its walk stands.
  struct Frame {
    const Json* container;
    Json::object_t::const_iterator member;
    size_t index = 0;
  };
  std::vector<Frame> stack;
  const Json* next = &value;
  while (true) {
    if (next != nullptr) {
      const Json& v = *next;
      next = nullptr;
      switch (v.type()) {
        case Json::value_t::null:
          out->append("null");
          break;
        case Json::value_t::boolean:
          out->append(v.get<bool>() ? "true" : "false");
          break;
        case Json::value_t::number_integer:
          AppendInt(out, v.get<int64_t>());
          break;
        case Json::value_t::number_unsigned:
          AppendInt(out, v.get<uint64_t>());
          break;
        case Json::value_t::string:
          AppendJsonString(out, v.get_ref<const std::string&>());
          break;
        case Json::value_t::object:
          out->push_back('{');
          stack.push_back(
              Frame{&v, v.get_ref<const Json::object_t&>().begin()});
          break;
        case Json::value_t::array:
          out->push_back('[');
          stack.push_back(Frame{&v, {}});
          break;
        default:  // floating point, binary, discarded: rare, nlohmann's way
          out->append(ReferenceDump(v));
      }
    }
    if (stack.empty()) return;
    Frame& f = stack.back();
    if (f.container->is_object()) {
      const Json::object_t& members =
          f.container->get_ref<const Json::object_t&>();
      if (f.member == members.end()) {
        out->push_back('}');
        stack.pop_back();
        continue;
      }
      if (f.member != members.begin()) out->push_back(',');
      AppendJsonString(out, f.member->first);
      out->push_back(':');
      next = &f.member->second;
      ++f.member;
    } else {
      const Json::array_t& items = f.container->get_ref<const Json::array_t&>();
      if (f.index == items.size()) {
        out->push_back(']');
        stack.pop_back();
        continue;
      }
      if (f.index != 0) out->push_back(',');
      next = &items[f.index++];
    }
  }
}

std::string CanonicalJson(const Json& value) {
  std::string out;
  // One allocation instead of a few doublings for a document of a few
  // members; one or two (`{}`, a run's inputs) may fit the string itself.
  if (value.is_structured() && value.size() > 2) out.reserve(256);
  AppendCanonicalJson(&out, value);
  return out;
}

std::string PrettyJson(const Json& value) {
  return value.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace wfs
