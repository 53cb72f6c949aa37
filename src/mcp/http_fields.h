// The header fields of MCP's Streamable HTTP transport that wfstore reads
// from untrusted clients: Host, Origin, Accept, Authorization,
// Last-Event-ID, and the values mirrored from the body (Mcp-Name,
// Mcp-Param-*). Pure functions over the fields' text, so that each can be
// tested and fuzzed alone.
#ifndef WFSTORE_MCP_HTTP_FIELDS_H_
#define WFSTORE_MCP_HTTP_FIELDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "transport/http_message.h"

namespace wfs::mcp {

// "localhost", "127.0.0.1" or "[::1]" (any case), optionally followed by
// ":" and a port of 1 to 5 digits.
bool IsLoopbackHost(std::string_view host);

// "http://" or "https://" (any case) followed by a loopback host
// (IsLoopbackHost).
bool IsLoopbackOrigin(std::string_view origin);

// Whether an Accept field value admits `type` ("application/json"): one
// of its comma-separated media ranges is the type itself, "*/*", or the
// type's major wildcard ("application/*"), in any case, without a zero
// weight ("q=0").
bool AcceptsType(std::string_view accept, std::string_view type);

// The token of an Authorization field value "Bearer <token>" (scheme in any
// case, surrounding blanks trimmed); empty when the field is not a bearer
// credential or carries no token.
std::string_view BearerToken(std::string_view authorization);

// An SSE event id as this server numbers events: "<stream>.<seq>", both
// decimal, at most 18 digits each, stream at least 1.
struct EventId {
  int64_t stream = 0;
  int64_t seq = 0;
};
std::optional<EventId> ParseEventId(std::string_view text);
std::string FormatEventId(EventId id);

// The value a 2026-07-28 mirrored header (Mcp-Name, Mcp-Param-*) carries:
// the field itself when it is plain (visible ASCII, spaces and tabs, not in
// the sentinel form), or the bytes of "=?base64?<standard Base64>?=".
// nullopt for other characters and for Base64 that does not decode.
std::optional<std::string> DecodeMirroredValue(std::string_view field);

// A tool parameter a client mirrors into a header (2026-07-28, SEP-2243):
// the `x-mcp-header` value `header` on the property at `path`, a chain of
// `properties` keys from the root of the tool's inputSchema. The field is
// Mcp-Param-<header>.
struct MirroredParam {
  std::vector<std::string> path;
  std::string header;
};

// The parameters `input_schema` (a tool's own, trusted) marks with a string
// `x-mcp-header`, found through `properties` only (at most 8 deep).
std::vector<MirroredParam> MirroredParams(const Json& input_schema);

// Whether a request's Mcp-Param-* fields agree with its arguments: "" when
// they do, else what does not. Each parameter's field may appear once at
// most (with two, an intermediary may read the other one). For each
// parameter whose value the arguments hold (not null), its field must be
// there, decode (DecodeMirroredValue)
// and equal the value: a string as is; an integer (or an integral number)
// within +-(2^53 - 1) as decimal digits, optionally with a minus and a
// fraction of zeros ("42", "42.0"), compared exactly; a boolean as "true"
// or "false"; other values cannot be mirrored. A field for a parameter the
// arguments leave out does not match either.
std::string MirroredParamMismatch(const std::vector<MirroredParam>& params,
                                  const transport::HttpHeaders& headers,
                                  const Json& arguments);

}  // namespace wfs::mcp

#endif  // WFSTORE_MCP_HTTP_FIELDS_H_
