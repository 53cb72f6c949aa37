// HTTP/1.1 message types shared by the request parser and the server:
// headers with case-insensitive lookup, a parsed request, a full response.
#ifndef WFSTORE_TRANSPORT_HTTP_MESSAGE_H_
#define WFSTORE_TRANSPORT_HTTP_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wfs::transport {

struct HttpHeader {
  std::string name;  // as received or as given; compared case-insensitively
  std::string value;
};

// An ordered list of header fields. Names compare case-insensitively (ASCII);
// duplicates are kept in order. Lookups are linear: header lists are short
// (bounded by HttpLimits::max_headers on the request side).
class HttpHeaders {
 public:
  HttpHeaders() = default;
  HttpHeaders(std::initializer_list<HttpHeader> fields) : fields_(fields) {}

  void Add(std::string name, std::string value) {
    fields_.push_back({std::move(name), std::move(value)});
  }
  // Replaces every field named `name` with one field (appends when absent).
  void Set(std::string_view name, std::string value);
  // Removes every field named `name`; returns how many were removed.
  size_t Remove(std::string_view name);

  // Value of the first field named `name`, or nullptr when there is none.
  const std::string* Find(std::string_view name) const;
  // Value of the first field named `name`, or `fallback`.
  std::string_view Get(std::string_view name,
                       std::string_view fallback = {}) const;
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  size_t Count(std::string_view name) const;

  // True when a comma-separated field named `name` (all of its lines) holds
  // `token`, compared case-insensitively, e.g. HasToken("Connection",
  // "close").
  bool HasToken(std::string_view name, std::string_view token) const;

  const std::vector<HttpHeader>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<HttpHeader> fields_;
};

// One request as the handler sees it. The body is complete (Content-Length
// framing only; see HttpRequestParser).
struct HttpRequest {
  std::string method;     // case-sensitive token as sent, e.g. "GET"
  std::string target;     // request-target as sent, e.g. "/mcp?session=1"
  std::string path;       // target without query; "/" for "*" and bare URLs
  std::string query;      // after the first '?', without it; may be empty
  int version_minor = 1;  // HTTP/1.<version_minor>: 0 or 1
  HttpHeaders headers;
  std::string body;
  // Whether the client asked for the connection to stay open (HTTP/1.1
  // without "Connection: close", or HTTP/1.0 with "Connection: keep-alive").
  bool keep_alive = true;

  // Filled in by the server: the peer's address ("127.0.0.1:51234",
  // "[::1]:51234") and a per-server connection number (starts at 1).
  std::string peer;
  uint64_t connection_id = 0;
};

// A complete response. The server adds Content-Length, Date and Connection;
// fields named Content-Length, Transfer-Encoding or Connection given here are
// dropped ("Connection: close" is honoured: the server closes after it).
struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;
};

// "OK", "Not Found", ...; "Unknown" for codes without a registered phrase.
std::string_view HttpReasonPhrase(int status);

// True for a non-empty RFC 9110 token (method, header name).
bool IsHttpToken(std::string_view s);
// True when `s` may appear as a header field value: visible ASCII, obs-text,
// SP and HTAB; no CR, LF, NUL or other control bytes.
bool IsValidHeaderValue(std::string_view s);
// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// IMF-fixdate for the Date header, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string FormatHttpDate(int64_t micros_since_epoch);

}  // namespace wfs::transport

#endif  // WFSTORE_TRANSPORT_HTTP_MESSAGE_H_
