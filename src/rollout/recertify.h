// Keeping workflows current (docs/rollout.md): when the connector
// interfaces, a dependency or the hardening policy change, workflows that
// reached `hardened` or later are re-checked, re-tested and re-hardened;
// those that fail are demoted (with the reason in their report), those
// that pass get fresh evidence.
#ifndef WFSTORE_ROLLOUT_RECERTIFY_H_
#define WFSTORE_ROLLOUT_RECERTIFY_H_

#include <functional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "crypto/keys.h"
#include "harden/harden.h"
#include "rollout/policy.h"
#include "store/store.h"

namespace wfs::rollout {

harden::HardenOptions HardenOptionsFor(const HardenPolicy& policy);
// The evidence predicate of a hardening run: the report plus the
// interfaces and policy it was judged against (what recertification
// compares).
Json HardeningEvidence(const harden::HardenReport& report,
                       const harden::HardenOptions& options,
                       const std::string& interfaces_digest);

struct RecertifyOptions {
  // Re-run every workflow at `hardened` or later, changed or not.
  bool all = false;
  // Only this workflow (NAME or NAME@VERSION); empty for all.
  std::string only;
  // Report what is affected without re-running anything.
  bool dry_run = false;
  // Per workflow: (name@version, done, total).
  std::function<void(const std::string&, int, int)> progress;
  // One process recertifies a store at a time (an flock on
  // STORE/recertify.lock): wait for another's pass to end, or (false)
  // return Unavailable at once, as servers do, which would only repeat it.
  bool wait_for_others = true;
};

struct RecertifyResult {
  std::string workflow;              // name@version
  std::string stage;                 // before
  std::vector<std::string> changed;  // why it was affected
  // "recertified", "demoted", "affected" (dry run)
  std::string verdict;
  std::string stage_after;
  std::string reason;  // demoted: why
  Json ToJson() const;
};

// Recertifies the affected workflows, signing evidence and demotions with
// `key` (the store's own, usually).
Result<std::vector<RecertifyResult>> Recertify(store::Store& store,
                                               const Policy& policy,
                                               const RecertifyOptions& options,
                                               const crypto::SecretKey& key);

}  // namespace wfs::rollout

#endif  // WFSTORE_ROLLOUT_RECERTIFY_H_
