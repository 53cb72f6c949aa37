// Keeping credentials out of what a protocol client returns. Credentials
// themselves are resolved by SecretResolver (connectors/secrets.h) from the
// references in a connector's config; a client keeps a Redactor of the
// secrets it holds, and every message that leaves it holding server text
// (errors, results, undo records) passes through it: each secret, and its
// base64 and percent-encoded forms, become "<redacted>" (as Secret prints).
#ifndef WFSTORE_CONNECTORS_HTTP_SECRETS_H_
#define WFSTORE_CONNECTORS_HTTP_SECRETS_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace wfs::connectors {

// Replaces secrets in text. Copyable; holds the secrets it redacts.
class Redactor {
 public:
  // Adds a secret (ignored when empty) and its derived forms: base64 of the
  // value and of SASL PLAIN's "\0user\0value", and percent-encoding.
  void Add(const std::string& secret, const std::string& user = "");
  std::string Redact(std::string_view text) const;
  Status Redact(const Status& s) const;
  bool empty() const { return forms_.empty(); }

 private:
  std::vector<std::string> forms_;
};

}  // namespace wfs::connectors

#endif  // WFSTORE_CONNECTORS_HTTP_SECRETS_H_
