// Internal to src/connectors/sim: scalar parsing shared by the world loader
// and the simulators (exact decimals, RFC 3339 times, paths, safe JSON field
// access that never throws).
#ifndef WFSTORE_CONNECTORS_SIM_VALUES_H_
#define WFSTORE_CONNECTORS_SIM_VALUES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace wfs::connectors::sim {

// Decimal text <-> integer micro-units ("42.5" <-> 42'500'000). Accepts an
// optional sign, at most 12 integer digits and at most 6 fractional digits.
Result<int64_t> ParseDecimalMicros(std::string_view text);
// "42.50" for 42.5, "3" for 3, "0.000001"; at least two fractional digits
// when there is a fraction (the runtime's display form).
std::string FormatDecimalMicros(int64_t micros);

// RFC 3339 date-time ("2026-12-01T10:00:00Z", "...T11:00:00.5+01:00") to
// microseconds since the Unix epoch, offsets applied.
Result<int64_t> ParseTimeMicros(std::string_view text);

// Lexically normalises an absolute path: collapses "//" and ".", resolves
// "..", drops a trailing "/" ("/a/./b/../c/" -> "/a/c"; "/.." -> "/").
// InvalidArgument when `path` is not absolute.
Result<std::string> NormalizeAbsolutePath(std::string_view path);
// True when `path` is `dir` or below it (both normalised, absolute).
bool PathWithin(std::string_view path, std::string_view dir);
// `path` relative to `dir` (PathWithin must hold); "" for dir itself.
std::string RelativeTo(std::string_view path, std::string_view dir);
// Joins a normalised absolute directory and a relative path without "."/"..".
std::string JoinPath(std::string_view dir, std::string_view rel);

// Case-insensitive (ASCII) substring test; "" is contained in everything.
bool ContainsFold(std::string_view haystack, std::string_view needle);

// Safe access to possibly malformed JSON records: a missing field or one of
// another kind reads as the fallback.
const Json* FieldOf(const Json& record, std::string_view name);
std::string StringField(const Json& record, std::string_view name,
                        std::string_view fallback = "");
int64_t IntField(const Json& record, std::string_view name,
                 int64_t fallback = 0);
bool IsInt64(const Json& value);

// The record without its "_"-prefixed (private) fields, as a server would
// return it.
Json PublicRecord(const Json& record);

// The lower-cased domain of an email address, or "" when it is not one.
std::string EmailDomain(std::string_view address);
// The one domain of mail.send's `to` (an address or a list of them), the key
// of the recipient_domain scope; InvalidArgument for no recipient, a value
// that is not an address, or addresses in several domains.
Result<std::string> RecipientDomain(const Json& to);
// The lower-cased host of an absolute http(s) URL (the key of the http
// connector's host scope); InvalidArgument saying what is wrong otherwise.
Result<std::string> UrlHost(const std::string& url);

// {"action": action, "args": args}.
Json UndoRecord(std::string_view action, Json args);

}  // namespace wfs::connectors::sim

#endif  // WFSTORE_CONNECTORS_SIM_VALUES_H_
