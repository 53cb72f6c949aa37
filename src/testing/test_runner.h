// Runs a workflow's `test` and `property` blocks against simulators.
//
// A test sets up a world (`given`), calls the workflow with inputs and
// scripted answers (`approve`, `deny`, `choose N`, `timeout`), optionally
// makes actions fail (`fault`), and checks `expect` conditions over the
// outputs, outcome, effects, undone effects, prompts and the world after the
// run. A property does the same over generated worlds and inputs (seeded,
// `cases` per property) and, on a failure, shrinks to a minimal failing case.
#ifndef WFSTORE_TESTING_TEST_RUNNER_H_
#define WFSTORE_TESTING_TEST_RUNNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "connectors/sim/world.h"
#include "runtime/interpreter.h"
#include "runtime/program.h"

namespace wfs::testing {

struct TestOptions {
  uint64_t seed = 1;
  int property_cases = 200;
  int max_shrink_steps = 1000;
  std::string filter;  // run tests whose name contains this
  runtime::Coverage* coverage = nullptr;
  runtime::ExecOptions exec;
};

struct TestResult {
  std::string workflow;  // name@version
  std::string name;
  bool property = false;
  bool passed = false;
  std::string message;      // why it failed
  int cases = 0;            // cases run (1 for tests)
  uint64_t seed = 0;        // reproduces a property failure
  Json counterexample;      // minimal failing case: {world, inputs, answers}
  int shrink_steps = 0;
  double millis = 0;
};

// One run of a workflow on a world, for tests, properties and hardening.
struct CaseSpec {
  Json world = Json::object();  // normalized world document
  Json inputs = Json::object();
  std::vector<runtime::Answer> answers;  // in order; beyond them: timeout
  bool answer_any = false;   // answers beyond the list are drawn at random
  uint64_t answer_seed = 0;
  std::vector<std::pair<std::string, int>> faults;  // (qualified action, after)
};

struct CaseRun {
  Status status;  // InvalidArgument when the inputs or world are malformed
  runtime::RunResult run;
  Json world_after;  // the world document after the run
  std::vector<runtime::Answer> answers_given;
};

class TestRunner {
 public:
  TestRunner(connectors::sim::WorldSchema schema,
             const runtime::ProgramResolver* resolver);

  std::vector<TestResult> Run(const runtime::Program& program,
                              const TestOptions& options);

  // Runs one case (used by tests, properties and the hardening pipeline).
  CaseRun RunCase(const runtime::Program& program, const CaseSpec& spec,
                  const TestOptions& options);

  // Evaluates an `expect` expression (IR tree form) after a run. `vars` holds
  // forall variables. Returns an error for a malformed tree.
  Result<runtime::Value> Evaluate(const Json& expr, const CaseRun& run,
                                  const std::map<std::string, runtime::Value>&
                                      vars) const;

  const connectors::sim::WorldSchema& schema() const { return schema_; }

 private:
  TestResult RunTest(const runtime::Program& p, const Json& test,
                     const TestOptions& options);
  TestResult RunProperty(const runtime::Program& p, const Json& test,
                         const TestOptions& options);
  // Checks a case's expectations; "" when all hold, else why not.
  std::string Check(const Json& test, const CaseRun& run,
                    const std::map<std::string, runtime::Value>& vars) const;
  Result<runtime::Value> WorldValue(const std::string& ref,
                                    const Json& world) const;

  connectors::sim::WorldSchema schema_;
  const runtime::ProgramResolver* resolver_;
};

}  // namespace wfs::testing

#endif  // WFSTORE_TESTING_TEST_RUNNER_H_
