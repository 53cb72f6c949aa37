// The readiness report (`wfstore readiness`, docs/rollout.md): how much
// engineering rigor stands behind what the agents did. From the run
// journal and the store: which workflows agents ran, at which stage each
// was when it ran (promotions and demotions are dated), their grades now,
// the share of runs that went through hardened workflows versus drafts and
// unpublished files run under supervision, and the denials and violations
// the runtime stopped.
#ifndef WFSTORE_ROLLOUT_READINESS_H_
#define WFSTORE_ROLLOUT_READINESS_H_

#include <cstdint>
#include <string>

#include "base/json.h"
#include "base/result.h"
#include "journal/journal.h"
#include "store/store.h"

namespace wfs::rollout {

struct ReadinessOptions {
  std::string agent;     // only this caller; empty for all
  int64_t since_us = 0;  // runs created at or after
};

// docs/rollout.md lists the report's members.
Result<Json> Readiness(store::Store& store, journal::Journal& journal,
                       const ReadinessOptions& options);

}  // namespace wfs::rollout

#endif  // WFSTORE_ROLLOUT_READINESS_H_
