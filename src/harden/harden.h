// The hardening pipeline (docs/hardening.md): what a workflow must survive
// before the store's `hardened` gate accepts it.
//
//   testing::TestRunner runner(schema, &resolver);
//   HardenReport r = Harden(program, runner, options).value();
//   r.passed; r.ToJson();   // the evidence predicate
//
// Phases: the workflow's tests and properties (with branch coverage of its
// IR); adversarial cases generated from its contract and its tests' worlds
// (injection payloads planted in every untrusted field, hostile inputs,
// denied and unanswered confirmations, connector faults mid-run); mutation
// testing of its IR (flipped conditions, dropped confirmations, widened
// limits) against its own tests. A case fails when an effect ran with
// attacker-chosen data in a target argument, a budget was exceeded, an
// effect escaped its scope, or a stopped run left a reversible effect
// uncompensated.
#ifndef WFSTORE_HARDEN_HARDEN_H_
#define WFSTORE_HARDEN_HARDEN_H_

#include <functional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "runtime/program.h"
#include "testing/test_runner.h"

namespace wfs::harden {

// The injection corpus: direct instructions, tool-call imitations, encoded
// and Unicode-confusable variants, payloads aimed at each kind of target.
// Every payload names an attacker-controlled target containing kMarker.
inline constexpr char kMarker[] = "evil.example";
const std::vector<std::string>& InjectionPayloads();

struct HardenOptions {
  uint64_t seed = 1;
  int property_cases = 200;
  // Cases per mutant (properties run with fewer cases).
  int mutant_property_cases = 25;
  // Pass thresholds (fractions).
  double min_branch_coverage = 0.5;
  double min_mutation_score = 0.5;
  // Phase progress: (phase, done, total).
  std::function<void(const std::string&, int, int)> progress;
};

struct Finding {
  std::string phase;  // "adversarial", "tests", "mutation"
  std::string kind;   // "target", "budget", "scope", "uncompensated", ...
  std::string name;   // the case
  std::string detail;
};

struct HardenReport {
  std::string workflow;  // name@version
  std::string content_id;
  int tests = 0, tests_failed = 0;
  int branch_sides = 0, branch_sides_covered = 0;
  std::vector<std::string> uncovered;  // "line 12: confirm denied"
  int adversarial_cases = 0;
  int payloads = 0;
  int mutants = 0, mutants_killed = 0;
  std::vector<std::string> surviving_mutants;
  std::vector<Finding> findings;  // failed cases
  double seconds = 0;
  bool passed = false;
  std::vector<std::string> reasons;  // why it did not pass

  double coverage() const {
    return branch_sides == 0 ? 1.0
                             : static_cast<double>(branch_sides_covered) /
                                   branch_sides;
  }
  double mutation_score() const {
    return mutants == 0 ? 1.0 : static_cast<double>(mutants_killed) / mutants;
  }
  // The evidence predicate ({"passed", counts, findings, thresholds}).
  Json ToJson(const HardenOptions& options) const;
};

Result<HardenReport> Harden(const runtime::Program& program,
                            testing::TestRunner& runner,
                            const HardenOptions& options);

}  // namespace wfs::harden

#endif  // WFSTORE_HARDEN_HARDEN_H_
