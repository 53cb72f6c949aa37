// Values against interface types, for the interface-declared HTTP
// connectors (http_connector.h): checking arguments, and mapping a server's
// JSON answer to an action's return type. Types are in the IR's JSON form
// (docs/ir.md): "string", "int", ..., {"list": T}, {"optional": T},
// {"enum": [...]}, {"record": [{"name", "type"}...]}, {"nominal": N,
// "base": T}.
//
// A server's answer is untrusted: these functions never throw, bound their
// recursion and the lists they build, and refuse what does not fit with
// InvalidArgument naming the place ("result.labels[0]: expected a string,
// got {...}"). No network dependency (library wfs_conn_http_map; fuzzed by
// fuzz/connectors/fuzz_conn_http_map.cc).
#ifndef WFSTORE_CONNECTORS_HTTP_RESPONSE_MAP_H_
#define WFSTORE_CONNECTORS_HTTP_RESPONSE_MAP_H_

#include <cstddef>
#include <string>

#include "base/json.h"
#include "base/result.h"

namespace wfs::connectors::http {

// Most list elements and nesting levels a mapping produces.
inline constexpr size_t kMaxMappedItems = 10000;
inline constexpr int kMaxMappedDepth = 32;

// OK when `value` has `type` exactly (arguments): InvalidArgument "`x`
// must be an integer", "`x.y` is missing", "`x.z` is unknown".
Status CheckValue(const Json& value, const Json& type, const std::string& path);

// `value` (a server's JSON) as `type`:
//   - records keep their declared fields, in the server's names unless
//     `field_map` says otherwise: per nominal type (qualified "tracker.Issue"
//     or local "Issue" name), field -> path in the server's object, a
//     dot-separated list of member names where "x[]" maps the rest of the
//     path over the array x: {"Issue": {"author": "user.login", "labels":
//     "labels[].name"}}. Other fields are dropped.
//   - a missing field is an error unless its type is optional (null);
//   - null where a string or a list is expected reads as "" or [] (servers
//     write null for an empty text); other nulls are errors unless optional;
//   - scalars must have the right JSON kind (no "7" for an int); decimals
//     and times are checked; enums must hold one of their values.
Result<Json> MapResponse(const Json& value, const Json& type,
                         const Json& field_map, const std::string& path);

// The value at a field_map path ("user.login", "labels[].name") inside
// `src`; null when a member is missing.
Json ExtractPath(const Json& src, const std::string& path);

}  // namespace wfs::connectors::http

#endif  // WFSTORE_CONNECTORS_HTTP_RESPONSE_MAP_H_
