// HTTP over libcurl for the real connectors: bounded (response size,
// timeouts), no redirects, no proxy from the environment, only http and
// https, errors as Status values with secrets redacted. Never throws.
#ifndef WFSTORE_CONNECTORS_HTTP_CURL_CLIENT_H_
#define WFSTORE_CONNECTORS_HTTP_CURL_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "connectors/http/secrets.h"

namespace wfs::connectors {

// curl_global_init, once per process. libcurl needs it before any handle is
// made; the connectors' factories call it (the one process-wide mutable
// state the connectors touch, guarded by std::call_once).
void EnsureCurlInitialized();

struct CurlLimits {
  int64_t timeout_ms = 30000;
  int64_t connect_timeout_ms = 10000;
  size_t max_response_bytes = size_t{8} << 20;
  std::string proxy;    // "" = none (environment proxies are ignored)
  std::string ca_file;  // "" = the system's trust store
  // Refuse to talk to loopback, private, link-local and other non-public
  // addresses (checked on the address actually connected to, so DNS cannot
  // smuggle one in). For connectors whose URLs a workflow chooses.
  bool public_addresses_only = false;
};

// Reads the common knobs from a connector config: timeout_ms,
// connect_timeout_ms, max_response_bytes, proxy, ca_file.
Result<CurlLimits> CurlLimitsFromConfig(const Json& config,
                                        const std::string& context);

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool has_body = false;
  std::string user;  // HTTP Basic when set
  std::string password;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  std::map<std::string, std::string> headers;  // lower-case names, last wins
};

class HttpClient {
 public:
  HttpClient(CurlLimits limits, Redactor redactor);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request; any HTTP status is a response. Errors: InvalidArgument
  // (bad URL or scheme), Unavailable (no connection, TLS failure),
  // DeadlineExceeded, ResourceExhausted (response over the bound),
  // PermissionDenied (a non-public address when only public ones are
  // allowed). Messages are redacted. Thread-safe (serialised; the
  // connection is kept for the next call).
  Result<HttpResponse> Send(const HttpRequest& request);

  const Redactor& redactor() const { return redactor_; }

 private:
  CurlLimits limits_;
  Redactor redactor_;
  std::mutex mu_;
  void* curl_ = nullptr;  // CURL*
};

// The parts of a URL as libcurl reads it. Host lower-cased, IPv6 in
// brackets; port 0 when not given.
struct UrlParts {
  std::string scheme;
  std::string host;
  int port = 0;
  std::string user;
  std::string path;
  std::string query;
};
Result<UrlParts> ParseUrl(const std::string& url);

// True for "localhost", 127.0.0.0/8 and [::1].
bool IsLoopbackHost(const std::string& host);

// Maps an HTTP error status to a Status code (404 NotFound, 401
// Unauthenticated, 403 PermissionDenied, 409/412 FailedPrecondition,
// 400/422 InvalidArgument, 408/429/5xx Unavailable).
Code CodeForHttpStatus(long status);

}  // namespace wfs::connectors

#endif  // WFSTORE_CONNECTORS_HTTP_CURL_CLIENT_H_
