#include "cli/test_cmd.h"

#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "base/strings.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/workflows.h"
#include "testing/test_runner.h"

namespace wfs::cli {

void AddTestCommand(CLI::App& app, TestFlags& flags) {
  CLI::App* cmd = app.add_subcommand(
      "test",
      "Run the tests and properties of workflow files against simulators.");
  cmd->add_option("files", flags.paths,
                  "Workflow files or directories (searched for .wf)")
      ->required();
  cmd->add_option("--seed", flags.seed,
                  "Seed for generated property cases (default 1); a failure "
                  "prints the seed that reproduces it");
  cmd->add_option("--cases", flags.cases,
                  "Generated cases per property (default 200)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--filter", flags.filter,
                  "Run only tests whose name contains this text");
  cmd->add_flag("--json", flags.json, "Print the results as JSON");
  cmd->footer(
      "Prints one line per test and a closing `N passed, M failed` line.\n"
      "Exit status: 0 when everything passes, 1 when a test fails or a file "
      "has errors, 2 for usage errors.");
}

int RunTestCommand(const TestFlags& flags) {
  auto loaded = LoadWorkflows(flags.paths);
  if (!loaded.ok()) {
    PrintError(loaded.status().message());
    return kExitUsage;
  }
  bool color = UseColor(STDOUT_FILENO) && !flags.json;
  const char* green = color ? "\x1b[32m" : "";
  const char* red = color ? "\x1b[31m" : "";
  const char* reset = color ? "\x1b[0m" : "";
  testing::TestRunner runner(loaded->schema, &loaded->programs);
  testing::TestOptions opts;
  opts.seed = flags.seed;
  opts.property_cases = flags.cases;
  opts.filter = flags.filter;
  int passed = 0, failed = loaded->errors;
  Json all = Json::array();
  for (const runtime::ProgramPtr& p : loaded->ordered) {
    for (const testing::TestResult& r : runner.Run(*p, opts)) {
      r.passed ? ++passed : ++failed;
      if (flags.json) {
        all.push_back({{"workflow", r.workflow},
                       {"test", r.name},
                       {"property", r.property},
                       {"passed", r.passed},
                       {"message", r.message},
                       {"cases", r.cases},
                       {"seed", r.seed},
                       {"millis", r.millis},
                       {"counterexample", r.counterexample}});
        continue;
      }
      std::string kind =
          r.property ? StrCat(" [property, ", r.cases, " cases]") : "";
      std::cout << (r.passed ? StrCat(green, "ok  ", reset)
                             : StrCat(red, "FAIL", reset))
                << " " << r.workflow << ": " << r.name << kind << " ("
                << static_cast<int64_t>(r.millis) << " ms)\n";
      if (!r.passed) {
        std::cout << "     " << r.message << "\n";
        if (r.property) {
          std::cout << "     minimal failing case (seed " << flags.seed
                    << ", shrunk in " << r.shrink_steps
                    << " steps): " << CanonicalJson(r.counterexample) << "\n";
        }
      }
    }
  }
  if (flags.json) {
    std::cout << PrettyJson(Json{{"results", all},
                                 {"passed", passed},
                                 {"failed", failed}})
              << "\n";
  } else {
    std::cout << passed << " passed, " << failed << " failed\n";
  }
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace wfs::cli
