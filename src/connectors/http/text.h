// Text encodings the connectors share: making server text safe to cross the
// JSON boundary, and base64. No network dependency (library wfs_conn_text),
// so the parsers of the fuzz build can use them.
#ifndef WFSTORE_CONNECTORS_HTTP_TEXT_H_
#define WFSTORE_CONNECTORS_HTTP_TEXT_H_

#include <string>
#include <string_view>

namespace wfs::connectors {

// Text that can cross the JSON boundary: each invalid UTF-8 sequence (one
// bad byte and the continuation bytes after it) is replaced by U+FFFD. The
// result is always valid UTF-8; valid input comes back unchanged.
std::string ToValidUtf8(std::string_view s);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string PercentEncode(std::string_view s);

// Standard base64 (RFC 4648, "+/" alphabet, "=" padding) of any bytes.
std::string Base64Encode(std::string_view data);

}  // namespace wfs::connectors

#endif  // WFSTORE_CONNECTORS_HTTP_TEXT_H_
