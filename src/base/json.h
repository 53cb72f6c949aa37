// JSON values, bounded parsing and the canonical serialization that content
// ids and signatures cover.
#ifndef WFSTORE_BASE_JSON_H_
#define WFSTORE_BASE_JSON_H_

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace wfs {

// Objects keep their keys sorted (std::map), which makes dumps deterministic.
using Json = nlohmann::json;

struct JsonLimits {
  size_t max_bytes = 16 << 20;  // larger input is refused before parsing
  size_t max_depth = 64;        // nesting of arrays and objects
};

// Parses untrusted text. Refuses oversized or too deeply nested input before
// the recursive parser sees it, and invalid JSON with a message naming the
// byte offset. Never throws.
Result<Json> ParseJson(std::string_view text, const JsonLimits& limits = {});

// Members by reference, never a temporary, so `for (auto& [k, v] :
// JsonMember(j, "x").items())` is safe (`j.value("x", ...).items()` would
// iterate a destroyed temporary). Returns the member when it has the asked
// kind, else a shared empty object or array.
const Json& JsonObjectMember(const Json& j, const char* key);
const Json& JsonArrayMember(const Json& j, const char* key);
// An integer member, or `fallback` when it is absent or not an integer
// number. Unlike `j.value(key, 0)`, never converts a floating-point number
// (an out-of-range one, as untrusted input may hold, is undefined behavior
// to convert).
int64_t JsonIntMember(const Json& j, const char* key, int64_t fallback);
// Same for an int: `fallback` also when the member is outside int's range.
int JsonIntMember32(const Json& j, const char* key, int fallback);

// Canonical form: sorted keys, no insignificant whitespace, UTF-8 kept as is.
// Floating-point numbers are not allowed in canonical documents (callers use
// integers or decimal strings); this is asserted by the callers' schemas, not
// here. Never throws: strings must be valid UTF-8 (invalid bytes are replaced).
std::string CanonicalJson(const Json& value);
// Appends CanonicalJson(value) to `*out`, without the intermediate string.
// Nesting is walked with an explicit stack, so depth costs heap, not the
// thread's stack.
void AppendCanonicalJson(std::string* out, const Json& value);
// Appends `s` as a JSON string literal, byte for byte as CanonicalJson
// writes a string holding it (with quotes; invalid UTF-8 replaced).
void AppendJsonString(std::string* out, std::string_view s);

// Human-friendly form with two-space indentation (for --json output).
std::string PrettyJson(const Json& value);

}  // namespace wfs

#endif  // WFSTORE_BASE_JSON_H_
