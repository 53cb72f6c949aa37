// Credentials for the real connectors (docs/connectors.md, "Secrets").
//
// Connector config never holds a credential itself, only a reference:
//   {"env": "WFS_IMAP_PASSWORD"}          an environment variable
//   {"file": "/etc/wfstore/secrets/imap"}    a file of mode 0600 or stricter,
//                                         owned by the user; its content,
//                                         one trailing newline removed
// A Secret keeps the value out of every printable form: streaming, ToString
// and JSON give "<redacted>"; only Reveal() hands it to a protocol library.
// Every resolved secret is registered with the resolver, whose Redact()
// replaces any occurrence in text (error messages, audit records, logs)
// before it leaves the connector.
//
// Thread-safe: one resolver may serve every connector of a process.
#ifndef WFSTORE_CONNECTORS_SECRETS_H_
#define WFSTORE_CONNECTORS_SECRETS_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace wfs::connectors {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  // The value, for a protocol library only. Never log or format it.
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  std::string ToString() const { return "<redacted>"; }

 private:
  std::string value_;
};

inline std::ostream& operator<<(std::ostream& os, const Secret&) {
  return os << "<redacted>";
}

// JSON never carries a secret: a Secret serialises as "<redacted>".
inline void to_json(Json& j, const Secret&) { j = "<redacted>"; }

class SecretResolver {
 public:
  // Reads environment variables through `getenv` (injected; tests pass a
  // map). nullptr: the process environment.
  using GetEnv = std::function<std::optional<std::string>(const std::string&)>;
  explicit SecretResolver(GetEnv getenv = nullptr);

  SecretResolver(const SecretResolver&) = delete;
  SecretResolver& operator=(const SecretResolver&) = delete;

  // Resolves a reference (see above). InvalidArgument for a malformed
  // reference (not an object with exactly one of "env" or "file", a variable
  // name that is not [A-Za-z_][A-Za-z0-9_]*, a relative file path);
  // NotFound for an unset variable or missing file; PermissionDenied for a
  // file readable or writable by group or others, not owned by the user, or
  // not a regular file (links are not followed); FailedPrecondition for an
  // empty value or a file over 64 KiB. Messages name the variable or file,
  // never the value.
  Result<Secret> Resolve(const Json& ref);

  // Also redacts `derived`: a credential built from secrets, such as an
  // "Authorization" header value or a SASL PLAIN message. Empty text is
  // ignored.
  void AddDerived(std::string_view derived);

  // `text` with every resolved secret (and its base64 form, as used by HTTP
  // Basic and SASL PLAIN, at any alignment inside a longer encoded message)
  // and every derived credential replaced by "<redacted>".
  std::string Redact(std::string_view text) const;

  // Redact() applied to every string (and object key) inside `value`.
  Json RedactJson(const Json& value) const;

 private:
  void AddLocked(std::string text);

  GetEnv getenv_;
  mutable std::mutex mu_;
  std::vector<std::string> known_;  // values and encodings to redact
};

}  // namespace wfs::connectors

#endif  // WFSTORE_CONNECTORS_SECRETS_H_
