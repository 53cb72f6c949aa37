// Shared by the store's source files. Internal to src/store.
#ifndef WFSTORE_STORE_INTERNAL_H_
#define WFSTORE_STORE_INTERNAL_H_

#include <string>
#include <string_view>

#include "base/json.h"
#include "base/result.h"
#include "sql/sqlite.h"
#include "store/store.h"

namespace wfs::store::internal {

// In-toto predicate types of the store's attestations (docs/store.md).
inline constexpr char kPromotionType[] =
    "https://wfstore.dev/attestations/promotion/v1";
inline constexpr char kReviewType[] =
    "https://wfstore.dev/attestations/review/v1";
inline constexpr char kYankType[] = "https://wfstore.dev/attestations/yank/v1";
inline constexpr char kDeprecationType[] =
    "https://wfstore.dev/attestations/deprecation/v1";
inline constexpr char kDemotionType[] =
    "https://wfstore.dev/attestations/demotion/v1";
// Evidence produced outside the store and accepted by gates.
inline constexpr const char* kHardeningType = kHardeningPredicate;
inline constexpr const char* kRolloutType = kRolloutPredicate;

// Lower-case or upper-case hex to bytes; "" for malformed input.
inline std::string HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return "";
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// A string member of untrusted JSON, or "" when absent or not a string.
inline std::string StrMember(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace wfs::store::internal

#endif  // WFSTORE_STORE_INTERNAL_H_
