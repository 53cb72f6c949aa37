// DSSE (Dead Simple Signing Envelope) v1 with Ed25519 signatures.
//
// JSON envelope:
//   {"payload": base64(body), "payloadType": type,
//    "signatures": [{"keyid": KeyIdHex(id), "sig": base64(signature)}]}
// Each signature is pure Ed25519 (not prehashed) over
//   PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body
// with lengths in ASCII decimal. The keyid is an unauthenticated hint and is
// never used to decide whether a signature counts. docs/signing.md shows how
// wfstore's attestations use it (see also crypto/intoto.h).
// Every function is thread-safe; none throws.
#ifndef WFSTORE_CRYPTO_DSSE_H_
#define WFSTORE_CRYPTO_DSSE_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "crypto/keys.h"

namespace wfs::crypto {

// Bounds ParseDsseEnvelope enforces on untrusted input.
inline constexpr size_t kMaxDsseEnvelopeBytes = 16 << 20;
inline constexpr size_t kMaxDsseSignatures = 16;
inline constexpr size_t kMaxDsseKeyIdBytes = 256;
inline constexpr size_t kMaxDsseSigBytes = 1024;  // room for other algorithms

struct DsseSignature {
  std::string keyid;  // hint only; "" when absent
  std::string sig;    // raw signature bytes (decoded)

  bool operator==(const DsseSignature&) const = default;
};

struct DsseEnvelope {
  std::string payload_type;  // UTF-8
  std::string payload;       // raw body bytes (decoded)
  std::vector<DsseSignature> signatures;

  bool operator==(const DsseEnvelope&) const = default;
};

// The Pre-Authentication Encoding the signatures cover.
std::string DssePae(std::string_view payload_type, std::string_view payload);

// An envelope holding `payload` with one signature by `key` (keyid =
// KeyIdHex of its key id). kInvalidArgument when `payload_type` is empty or
// not valid UTF-8 (it could not be carried in JSON unchanged).
Result<DsseEnvelope> SignDsse(std::string_view payload_type,
                              std::string_view payload, const SecretKey& key);

// Adds a signature by `key` to `envelope` (for several signers). The same
// checks as SignDsse, plus kResourceExhausted when the envelope already has
// kMaxDsseSignatures signatures.
Status AddDsseSignature(DsseEnvelope* envelope, const SecretKey& key);

// The JSON envelope (standard base64 with padding).
Json DsseEnvelopeToJson(const DsseEnvelope& envelope);
// Its canonical text (sorted keys, no whitespace).
std::string FormatDsseEnvelope(const DsseEnvelope& envelope);

// Parses a JSON envelope from untrusted text. Accepts standard and URL-safe
// base64, padded or not, as the spec requires; ignores unknown fields.
// kInvalidArgument, with the field at fault, when the text is not JSON,
// exceeds the bounds above, lacks payload/payloadType/signatures/sig, has a
// field of the wrong type, bad base64, or no signatures.
Result<DsseEnvelope> ParseDsseEnvelope(std::string_view json_text);
Result<DsseEnvelope> DsseEnvelopeFromJson(const Json& json);

// Verifies the envelope against trusted public keys: a key is accepted when
// any signature in the envelope verifies under it, whatever the keyids say.
// Returns KeyIdHex of each accepted key, in the order of `keys` (duplicate
// keys count once). Errors: kInvalidArgument when `keys` is empty;
// kUnauthenticated when no signature verifies under any of the keys.
// Callers that need t-of-n check the size of the result, and must still
// check payload_type before trusting the payload.
Result<std::vector<std::string>> VerifyDsse(const DsseEnvelope& envelope,
                                            std::span<const PublicKey> keys);

}  // namespace wfs::crypto

#endif  // WFSTORE_CRYPTO_DSSE_H_
