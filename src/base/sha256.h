// SHA-256 digests for content ids, attestation subjects and idempotency keys.
#ifndef WFSTORE_BASE_SHA256_H_
#define WFSTORE_BASE_SHA256_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wfs {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);

// Lower-case hex of the digest (64 characters).
std::string Sha256Hex(std::string_view data);

std::string HexEncode(std::string_view bytes);
// Bytes of lower- or upper-case hex; nullopt for odd lengths and non-hex
// characters.
std::optional<std::string> HexDecode(std::string_view hex);

// HMAC-SHA-256 (RFC 2104) of `message` under `key`.
Sha256Digest HmacSha256(std::string_view key, std::string_view message);
// Whether `a` and `b` are equal, in time that depends only on their sizes
// (for comparing authentication codes).
bool EqualInConstantTime(std::string_view a, std::string_view b);

}  // namespace wfs

#endif  // WFSTORE_BASE_SHA256_H_
