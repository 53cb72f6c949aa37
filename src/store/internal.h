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

// A string member of untrusted JSON, or "" when absent or not a string.
inline std::string StrMember(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace wfs::store::internal

#endif  // WFSTORE_STORE_INTERNAL_H_
