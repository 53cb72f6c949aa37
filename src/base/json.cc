#include "base/json.h"

#include <algorithm>
#include <cstdint>
#include <string>

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

std::string CanonicalJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string PrettyJson(const Json& value) {
  return value.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace wfs
