#include "cli/harden_cmd.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "base/strings.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/store_cmd.h"
#include "cli/workflows.h"
#include "cli/store_dir.h"
#include "harden/harden.h"
#include "rollout/policy.h"
#include "rollout/recertify.h"
#include "testing/test_runner.h"

namespace wfs::cli {
namespace {

void PrintSummary(const harden::HardenReport& r) {
  std::cout << (r.passed ? "PASSED " : "FAILED ") << r.workflow << "  "
            << r.content_id << "  (" << FormatFixed(r.seconds, 1) << " s)\n";
  std::cout << "  tests        " << r.tests - r.tests_failed << " of "
            << r.tests << " passed\n";
  std::cout << "  coverage     " << r.branch_sides_covered << " of "
            << r.branch_sides << " branch sides ("
            << static_cast<int>(r.coverage() * 100) << "%)\n";
  for (size_t i = 0; i < r.uncovered.size() && i < 10; ++i) {
    std::cout << "                 uncovered: " << r.uncovered[i] << "\n";
  }
  int adversarial_failed = 0;
  for (const harden::Finding& f : r.findings) {
    adversarial_failed += f.phase == "adversarial";
  }
  std::cout << "  adversarial  " << r.adversarial_cases - adversarial_failed
            << " of " << r.adversarial_cases << " cases held ("
            << r.payloads << " injection payloads)\n";
  std::cout << "  mutation     " << r.mutants_killed << " of " << r.mutants
            << " mutants killed (" << static_cast<int>(r.mutation_score() * 100)
            << "%)\n";
  for (size_t i = 0; i < r.surviving_mutants.size() && i < 10; ++i) {
    std::cout << "                 survived: " << r.surviving_mutants[i] << "\n";
  }
  size_t shown = 0;
  for (const harden::Finding& f : r.findings) {
    if (shown++ == 20) {
      std::cout << "  ... " << r.findings.size() - 20 << " more finding(s)\n";
      break;
    }
    std::cout << "  " << f.phase << " " << f.kind << ": " << f.name << ": "
              << f.detail << "\n";
  }
  for (const std::string& why : r.reasons) {
    std::cout << "  not hardened: " << why << "\n";
  }
}

}  // namespace

void AddHardenCommand(CLI::App& app, HardenFlags& flags) {
  CLI::App* cmd = app.add_subcommand(
      "harden",
      "Run the hardening pipeline on a stored workflow (NAME[@VERSION]) or a "
      "file: tests with branch coverage, adversarial cases, mutation "
      "testing. A stored workflow that passes gets signed evidence for the "
      "`hardened` gate.");
  cmd->add_option("workflow", flags.target, "NAME[@VERSION] or a .wf file")
      ->required();
  cmd->add_option("--store", flags.store, "Store directory");
  cmd->add_option("--key", flags.key,
                  "Key that signs the evidence (default: the store's own)");
  cmd->add_option("--passphrase-file", flags.passphrase_file,
                  "Passphrase for an encrypted --key");
  cmd->add_flag("--json", flags.json, "Print the report as JSON");
  cmd->add_flag("--no-record", flags.no_record,
                "Do not record evidence in the store");
  cmd->add_option("--seed", flags.seed, "Seed for properties (default 1)");
  cmd->add_option("--cases", flags.cases, "Cases per property (default 200)");
  cmd->add_option("--min-coverage", flags.min_coverage,
                  "Branch coverage needed, 0..1 (default: the store's policy, "
                  "else 0.5)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--min-mutation", flags.min_mutation,
                  "Mutation score needed, 0..1 (default: the store's policy, "
                  "else 0.5)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->footer(
      "Exit status: 0 when it passed, 1 when it did not, 2 for usage "
      "errors.\nThen: wfstore promote NAME@VERSION hardened");
  flags.command = cmd;
}

int RunHardenCommand(const HardenFlags& flags) {
  if (flags.command == nullptr || !flags.command->parsed()) return -1;
  bool is_file = EndsWith(flags.target, ".wf") ||
                 std::filesystem::exists(flags.target);
  // Thresholds from the store's policy (STORE/policy.json), unless given.
  rollout::HardenPolicy hp;
  if (!is_file || !flags.store.empty()) {
    auto dir = StoreDir(flags.store);
    auto policy = dir.ok() ? rollout::LoadPolicy(*dir)
                           : Result<rollout::Policy>(dir.status());
    if (!policy.ok()) {
      PrintError(policy.status().message());
      return kExitUsage;
    }
    hp = policy->harden;
  }
  harden::HardenOptions options = rollout::HardenOptionsFor(hp);
  if (flags.seed) options.seed = *flags.seed;
  if (flags.cases) options.property_cases = *flags.cases;
  if (flags.min_coverage) options.min_branch_coverage = *flags.min_coverage;
  if (flags.min_mutation) options.min_mutation_score = *flags.min_mutation;
  bool tty = isatty(STDERR_FILENO) != 0 && !flags.json;
  options.progress = [tty](const std::string& phase, int done, int total) {
    if (!tty) return;
    std::cerr << "\r  " << phase << " " << done << "/" << total << "      "
              << std::flush;
    if (done == total) std::cerr << "\n";
  };

  Result<harden::HardenReport> report = Internal("unset");
  std::unique_ptr<store::Store> st;
  std::string name, version;
  if (is_file) {
    auto loaded = LoadWorkflows({flags.target});
    if (!loaded.ok()) {
      PrintError(loaded.status().message());
      return kExitUsage;
    }
    if (loaded->ordered.size() != 1) {
      PrintError(loaded->errors > 0
                     ? flags.target + " has errors (see above)"
                     : "expected exactly one workflow in " + flags.target);
      return loaded->errors > 0 ? kExitFailure : kExitUsage;
    }
    testing::TestRunner runner(loaded->schema, &loaded->programs);
    report = harden::Harden(*loaded->ordered[0], runner, options);
  } else {
    auto opened = OpenStore(flags.store);
    if (!opened.ok()) {
      PrintError(opened.status().message());
      return kExitFailure;
    }
    st = std::move(*opened);
    name = flags.target;
    size_t at = name.find('@');
    std::string range;
    if (at != std::string::npos) {
      range = name.substr(at + 1);
      name = name.substr(0, at);
    }
    auto info = st->Resolve(name, range);
    if (!info.ok()) {
      PrintError(info.status().message());
      return kExitUsage;
    }
    version = info->version;
    auto program = st->LoadProgram(name, version);
    if (!program.ok()) {
      PrintError(program.status().message());
      return kExitFailure;
    }
    testing::TestRunner runner(st->schema(), &st->programs());
    report = harden::Harden(**program, runner, options);
  }
  if (!report.ok()) {
    PrintError(report.status().message());
    return kExitFailure;
  }
  Json evidence = st != nullptr ? rollout::HardeningEvidence(
                                      *report, options, st->InterfacesDigest())
                                : report->ToJson(options);
  std::string recorded;
  if (st != nullptr && report->passed && !flags.no_record) {
    auto key = flags.key.empty() ? st->StoreKey()
                                 : LoadKey(flags.key, flags.passphrase_file);
    if (!key.ok()) {
      PrintError(key.status().message());
      return kExitFailure;
    }
    auto a = st->RecordEvidence(name, version, store::kHardeningPredicate,
                                evidence, *key);
    if (!a.ok()) {
      PrintError(StrCat("recording the evidence: ", a.status().message()));
      return kExitFailure;
    }
    recorded = a->signer;
  }
  if (flags.json) {
    if (!recorded.empty()) evidence["recorded_by"] = recorded;
    std::cout << PrettyJson(evidence) << "\n";
  } else {
    PrintSummary(*report);
    if (!recorded.empty()) {
      std::cout << "evidence recorded, signed by " << recorded
                << "; next: wfstore promote " << name << "@" << version
                << " hardened\n";
    }
  }
  return report->passed ? kExitOk : kExitFailure;
}

}  // namespace wfs::cli
