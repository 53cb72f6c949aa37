// in-toto Statement v1, signed in DSSE envelopes: wfstore's attestations.
//
//   {"_type": "https://in-toto.io/Statement/v1",
//    "subject": [{"name": NAME, "digest": {"sha256": HEX}}, ...],
//    "predicateType": URI,
//    "predicate": {...}}
//
// The envelope's payloadType is "application/vnd.in-toto+json" and its
// payload is the canonical JSON of the statement (sorted keys, no spaces).
// Every function is thread-safe; none throws.
#ifndef WFSTORE_CRYPTO_INTOTO_H_
#define WFSTORE_CRYPTO_INTOTO_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "crypto/dsse.h"
#include "crypto/keys.h"

namespace wfs::crypto {

inline constexpr std::string_view kInTotoStatementType =
    "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kInTotoPayloadType =
    "application/vnd.in-toto+json";
inline constexpr size_t kMaxStatementSubjects = 1024;

struct Subject {
  std::string name;    // may be empty (written as "")
  std::string sha256;  // 64 lower-case hex digits

  bool operator==(const Subject&) const = default;
};

struct Statement {
  std::vector<Subject> subjects;  // at least one
  std::string predicate_type;     // non-empty, e.g. a URI
  Json predicate = Json::object();

  bool operator==(const Statement&) const = default;
};

// The Statement JSON. kInvalidArgument when there is no subject, more than
// kMaxStatementSubjects, a digest that is not 64 lower-case hex digits, an
// empty predicate type, a predicate that is not an object, or text that is
// not valid UTF-8.
Result<Json> StatementToJson(const Statement& statement);

// Reads a Statement from JSON (untrusted). Requires _type to be exactly
// kInTotoStatementType and every subject to carry a sha256 digest (other
// digest algorithms and unknown fields are ignored). A missing predicate
// reads as {}. kInvalidArgument naming the field at fault otherwise.
Result<Statement> StatementFromJson(const Json& json);
// The same, from payload text (bounded by ParseJson's defaults).
Result<Statement> ParseStatement(std::string_view payload);

// Signs the statement's canonical JSON into a DSSE envelope with payloadType
// kInTotoPayloadType. Errors as StatementToJson.
Result<DsseEnvelope> SignStatement(const Statement& statement,
                                   const SecretKey& key);

struct VerifiedStatement {
  Statement statement;
  std::vector<std::string> key_ids;  // KeyIdHex of the keys that verified
};

// Verifies the envelope (see VerifyDsse), then checks that its payloadType
// is kInTotoPayloadType (kInvalidArgument otherwise) and parses the payload
// as a Statement (kInvalidArgument when it is not one). Nothing is parsed
// before the signature is checked.
Result<VerifiedStatement> VerifyStatement(const DsseEnvelope& envelope,
                                          std::span<const PublicKey> keys);

}  // namespace wfs::crypto

#endif  // WFSTORE_CRYPTO_INTOTO_H_
