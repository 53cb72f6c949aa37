// SHA-256 digests for content ids, attestation subjects and idempotency keys.
#ifndef WFSTORE_BASE_SHA256_H_
#define WFSTORE_BASE_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace wfs {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);

// Lower-case hex of the digest (64 characters).
std::string Sha256Hex(std::string_view data);

std::string HexEncode(std::string_view bytes);

}  // namespace wfs

#endif  // WFSTORE_BASE_SHA256_H_
