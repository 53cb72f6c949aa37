// JSON-RPC 2.0 messages as MCP uses them (docs/mcp.md): parsing untrusted
// messages into requests, notifications and responses, building replies, and
// the one place where a Status becomes a protocol error.
#ifndef WFSTORE_MCP_JSONRPC_H_
#define WFSTORE_MCP_JSONRPC_H_

#include <string>
#include <string_view>

#include "base/json.h"
#include "base/result.h"
#include "base/status.h"

namespace wfs::mcp {

// JSON-RPC and MCP error codes.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// Server-defined range (-32000 to -32099).
inline constexpr int kForbidden = -32001;        // the caller's grant refuses
inline constexpr int kResourceNotFound = -32002;  // MCP: resources/read
inline constexpr int kRequestCancelled = -32800;
inline constexpr int kLimitExceeded = -32003;  // a budget or size limit
inline constexpr int kUnavailable = -32004;    // a dependency is down
// Reserved by MCP 2026-07-28 (-32020 to -32099).
inline constexpr int kHeaderMismatch = -32020;  // HTTP headers vs the body
inline constexpr int kMissingClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;

struct Message {
  enum class Kind { kRequest, kNotification, kResult, kError };
  Kind kind = Kind::kRequest;
  Json id;             // requests and responses: string or integer
  std::string method;  // requests and notifications
  Json params;         // object, or null when absent
  Json result;         // kResult
  Json error;          // kError: {code, message, data?}

  bool is_request() const { return kind == Kind::kRequest; }
  bool is_response() const {
    return kind == Kind::kResult || kind == Kind::kError;
  }
};

// A message that could not be accepted, with the error to answer and the id
// to answer it under (null when the id itself was unusable).
struct ParseFailure {
  int code = kInvalidRequest;
  std::string message;
  Json id;
};

// Checks one decoded message: "jsonrpc": "2.0"; an id that is a string or an
// integer (never null); a method that is a string; params, when present, an
// object (MCP never uses positional params); a response with exactly one of
// result and error. Arrays (batches) are refused: MCP since 2025-06-18 does
// not allow them.
struct Parsed {
  bool ok = false;
  Message message;        // when ok
  ParseFailure failure;   // when not
};
Parsed ParseMessage(const Json& j);

// Parses text (bounded: see JsonLimits) and then the message.
Parsed ParseMessageText(std::string_view text);

Json MakeResult(const Json& id, Json result);
Json MakeError(const Json& id, int code, std::string_view message,
               const Json& data = nullptr);
Json MakeError(const ParseFailure& f);
Json MakeRequest(const Json& id, std::string_view method, Json params);
Json MakeNotification(std::string_view method, Json params);

// The JSON-RPC error code for a status. The single mapping from the
// project's error model to the protocol's; `data.status` carries the
// status name so clients can tell the cases apart.
int ErrorCodeFor(const Status& s);
Json StatusError(const Json& id, const Status& s);

// Text of an id for maps and logs ("7", "\"abc\"").
std::string IdKey(const Json& id);

}  // namespace wfs::mcp

#endif  // WFSTORE_MCP_JSONRPC_H_
