#include "mcp/jsonrpc.h"

#include <utility>

#include "base/strings.h"

namespace wfs::mcp {
namespace {

Parsed Fail(int code, std::string message, Json id = nullptr) {
  Parsed p;
  p.failure = {code, std::move(message), std::move(id)};
  return p;
}

bool ValidId(const Json& id) {
  return id.is_string() || id.is_number_integer() || id.is_number_unsigned();
}

}  // namespace

Parsed ParseMessage(const Json& j) {
  if (j.is_array()) {
    return Fail(kInvalidRequest,
                "batches (JSON arrays) are not supported: send one message "
                "per request");
  }
  if (!j.is_object()) {
    return Fail(kInvalidRequest, "a message must be a JSON object");
  }
  Json id = nullptr;
  auto id_it = j.find("id");
  if (id_it != j.end()) {
    if (!ValidId(*id_it)) {
      return Fail(kInvalidRequest, "id must be a string or an integer");
    }
    id = *id_it;
  }
  auto v = j.find("jsonrpc");
  if (v == j.end() || !v->is_string() || v->get<std::string>() != "2.0") {
    return Fail(kInvalidRequest, "\"jsonrpc\" must be \"2.0\"", id);
  }
  Parsed p;
  Message& m = p.message;
  m.id = id;
  auto method = j.find("method");
  if (method != j.end()) {
    if (!method->is_string() || method->get<std::string>().empty()) {
      return Fail(kInvalidRequest, "method must be a non-empty string", id);
    }
    if (j.contains("result") || j.contains("error")) {
      return Fail(kInvalidRequest,
                  "a request cannot carry \"result\" or \"error\"", id);
    }
    m.method = method->get<std::string>();
    auto params = j.find("params");
    if (params != j.end() && !params->is_null()) {
      if (!params->is_object()) {
        return Fail(kInvalidRequest, "params must be an object", id);
      }
      m.params = *params;
    }
    m.kind = id_it == j.end() ? Message::Kind::kNotification
                              : Message::Kind::kRequest;
    p.ok = true;
    return p;
  }
  bool has_result = j.contains("result");
  bool has_error = j.contains("error");
  if (has_result == has_error) {
    return Fail(kInvalidRequest,
                has_result ? "a response cannot carry both result and error"
                           : "a message needs a method (request or "
                             "notification) or a result or error (response)",
                id);
  }
  if (id_it == j.end()) {
    // A response to a request whose id was unreadable has a null id.
    if (!j.contains("id")) {
      return Fail(kInvalidRequest, "a response needs an id");
    }
  }
  if (has_error) {
    const Json& e = j["error"];
    if (!e.is_object() || !e.contains("code") ||
        !e["code"].is_number_integer() || !e.contains("message") ||
        !e["message"].is_string()) {
      return Fail(kInvalidRequest,
                  "error must be an object with an integer code and a "
                  "string message",
                  id);
    }
    m.kind = Message::Kind::kError;
    m.error = e;
  } else {
    m.kind = Message::Kind::kResult;
    m.result = j["result"];
  }
  p.ok = true;
  return p;
}

Parsed ParseMessageText(std::string_view text) {
  auto j = ParseJson(text);
  if (!j.ok()) {
    return Fail(kParseError, StrCat("parse error: ", j.status().message()));
  }
  return ParseMessage(*j);
}

Json MakeResult(const Json& id, Json result) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

Json MakeError(const Json& id, int code, std::string_view message,
               const Json& data) {
  Json e = {{"code", code}, {"message", std::string(message)}};
  if (!data.is_null()) e["data"] = data;
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(e)}};
}

Json MakeError(const ParseFailure& f) {
  return MakeError(f.id, f.code, f.message);
}

Json MakeRequest(const Json& id, std::string_view method, Json params) {
  Json j = {{"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}};
  if (!params.is_null()) j["params"] = std::move(params);
  return j;
}

Json MakeNotification(std::string_view method, Json params) {
  Json j = {{"jsonrpc", "2.0"}, {"method", std::string(method)}};
  if (!params.is_null()) j["params"] = std::move(params);
  return j;
}

int ErrorCodeFor(const Status& s) {
  switch (s.code()) {
    case Code::kOk:
      return 0;
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kAlreadyExists:
      return kInvalidParams;
    case Code::kPermissionDenied:
    case Code::kUnauthenticated:
      return kForbidden;
    case Code::kUnimplemented:
      return kMethodNotFound;
    case Code::kCancelled:
      return kRequestCancelled;
    case Code::kResourceExhausted:
      return kLimitExceeded;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      return kUnavailable;
    case Code::kFailedPrecondition:
    case Code::kAborted:
      return kInvalidRequest;
    case Code::kDataLoss:
    case Code::kInternal:
      return kInternalError;
  }
  return kInternalError;
}

Json StatusError(const Json& id, const Status& s) {
  return MakeError(id, ErrorCodeFor(s), s.message(),
                   Json{{"status", std::string(CodeName(s.code()))}});
}

std::string IdKey(const Json& id) { return id.dump(); }

}  // namespace wfs::mcp
