// The deployment's policy (docs/rollout.md): hardening thresholds and how
// canaries roll out, read from STORE/policy.json (defaults when absent).
//
//   Policy p = LoadPolicy(store_dir).value();
//   p.harden.min_mutation;  p.rollout.share;  p.Digest();
//
// The digest is recorded with every hardening run, so a changed policy
// marks the workflows hardened under the old one for recertification.
#ifndef WFSTORE_ROLLOUT_POLICY_H_
#define WFSTORE_ROLLOUT_POLICY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace wfs::rollout {

struct HardenPolicy {
  double min_coverage = 0.5;  // branch coverage, 0..1
  double min_mutation = 0.5;  // mutants killed, 0..1
  int cases = 200;            // cases per property
  uint64_t seed = 1;
};

// How much worse than stable a canary may be before it is rolled back.
// Rates are fractions of finished runs; a margin is the largest allowed
// excess of the canary's rate over stable's (0.05: five points).
struct Margins {
  double failure = 0.05;       // failed or ran out of limits
  double violation = 0.02;     // a rule stopped the run
  double compensation = 0.05;  // effects were undone
  double denial = 0.10;        // the person said no
  // p95 latency of completed runs: rolled back when the canary's exceeds
  // stable's by this factor and by at least latency_floor_ms (below that
  // it is noise). 0 disables.
  double latency_ratio = 3.0;
  double latency_floor_ms = 100;
};

struct RolloutPolicy {
  double share = 0.1;               // of calls that may take either version
  std::vector<std::string> agents;  // always routed to the canary
  int min_runs = 50;                // canary runs before any verdict
  int64_t soak_us = 24LL * 3600 * 1000000;  // before `stable` is allowed
  Margins margins;

  Json ToJson() const;
};

struct Policy {
  HardenPolicy harden;
  RolloutPolicy rollout;

  Json ToJson() const;
  // sha256 of the canonical JSON of the hardening part (what a hardening
  // run's verdict depends on).
  std::string HardenDigest() const;
};

// Parses a policy document; every member is optional, unknown members and
// out-of-range values are InvalidArgument naming the member.
Result<Policy> ParsePolicy(const std::string& text);
Result<RolloutPolicy> ParseRolloutPolicy(const Json& j,
                                         const RolloutPolicy& defaults);
// STORE/policy.json, or the defaults when the file does not exist.
Result<Policy> LoadPolicy(const std::string& store_dir);

// "90s", "15m", "2h", "7d", "0" -> microseconds.
Result<int64_t> ParseDuration(const std::string& text);
std::string FormatDurationUs(int64_t us);

}  // namespace wfs::rollout

#endif  // WFSTORE_ROLLOUT_POLICY_H_
