#include "cli/runs_cmd.h"

#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "base/clock.h"
#include "base/strings.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/store_dir.h"
#include "connectors/sim/world.h"
#include "journal/runner.h"
#include "lang/compiler.h"

namespace wfs::cli {

namespace {

CLI::App* g_runs = nullptr;
CLI::App* g_show = nullptr;
CLI::App* g_recover = nullptr;
CLI::App* g_approve = nullptr;
CLI::App* g_deny = nullptr;

Json RunJson(const journal::RunRecord& r) {
  return {{"run_id", r.run_id},       {"workflow", r.workflow},
          {"content_id", r.content_id}, {"caller", r.caller},
          {"state", r.state},         {"inputs", r.inputs},
          {"outcome", r.outcome},     {"created", FormatRfc3339(r.created_us)},
          {"updated", FormatRfc3339(r.updated_us)}};
}

std::string EventLine(const journal::EventRecord& e) {
  std::string detail;
  if (e.kind == "intent") {
    detail = StrCat(e.data.value("action", ""), " ",
                    CanonicalJson(e.data.value("args", Json())), "  key ",
                    e.key);
  } else if (e.kind == "result") {
    detail = StrCat("effect ", e.effect, " done",
                    e.data.value("undo", Json()).is_null() ? "" : " (undoable)");
  } else if (e.kind == "error" || e.kind == "uncertain") {
    detail = StrCat("effect ", e.effect, ": ", e.data.value("message", ""));
  } else if (e.kind == "reconciled") {
    detail = StrCat("effect ", e.effect, e.data.value("happened", false)
                                             ? " had happened"
                                             : " had not happened");
  } else if (e.kind == "prompt") {
    detail = StrCat(e.data.value("kind", ""), ": ", e.data.value("text", ""));
  } else if (e.kind == "answer") {
    detail = CanonicalJson(e.data.value("answer", Json()));
  } else if (e.kind == "undo") {
    detail = StrCat("effect ", e.effect, " ",
                    e.data.value("ok", false) ? "undone" : "NOT undone: " +
                        e.data.value("error", std::string()));
  } else if (e.kind == "outcome") {
    detail = e.data.value("outcome", "");
    std::string err = e.data.value("error", "");
    if (!err.empty()) detail += ": " + err;
  }
  return StrCat("  #", e.seq, " ", e.kind, std::string(12 - std::min<size_t>(
                                                           e.kind.size(), 11),
                                                       ' '),
                detail);
}

// Builds the runner (journal, connectors, sub-workflows from the journal).
struct Env {
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<lang::Compiler> compiler;
  std::unique_ptr<CliConnectors> connectors;
  std::unique_ptr<journal::Runner> runner;
};

Result<Env> MakeEnv(const RunsFlags& flags) {
  Env env;
  WFS_ASSIGN_OR_RETURN(std::string dir, StoreDir(flags.store));
  WFS_ASSIGN_OR_RETURN(env.journal, OpenJournal(dir));
  env.compiler = lang::Compiler::Create(lang::CompilerOptions{});
  env.connectors = std::make_unique<CliConnectors>(
      connectors::sim::SchemaFromInterfaces(env.compiler->interfaces()));
  env.runner = std::make_unique<journal::Runner>(
      env.journal.get(), env.connectors.get(), nullptr);
  return env;
}

void PrintResult(const std::string& id, const runtime::RunResult& r) {
  std::cout << "run " << id << ": " << runtime::OutcomeName(r.outcome);
  if (!r.rule.empty()) std::cout << " (rule: " << r.rule << ")";
  std::cout << "\n";
  if (!r.error.empty()) std::cout << "  " << r.error << "\n";
  if (r.outcome == runtime::Outcome::kWaiting && !r.asked.empty()) {
    std::cout << "  waiting again: " << r.asked.back().text << "\n";
  }
}

}  // namespace

void AddRunsCommands(CLI::App& app, RunsFlags& flags) {
  g_runs = app.add_subcommand(
      "runs", "List journaled runs, show one with its journal, or recover "
              "runs a crash interrupted.");
  g_runs->add_option("--store", flags.store,
                     "Store directory (default $WFSTORE_HOME or ~/.wfstore)");
  g_runs->add_option("--state", flags.state,
                     "Only runs in this state (running, waiting, completed, "
                     "failed, denied, unanswered, violation, limit)");
  g_runs->add_option("--limit", flags.limit, "Most runs to list (default 50)");
  g_runs->add_flag("--json", flags.json, "Print JSON");
  g_show = g_runs->add_subcommand("show", "Show one run and its journal");
  g_show->add_option("run", flags.show_id, "The run id")->required();
  g_show->add_flag("--json", flags.json, "Print JSON");
  g_recover = g_runs->add_subcommand(
      "recover", "Resume runs left running by a crash (replaying what the "
                 "journal recorded)");
  g_recover->add_option("--store", flags.store, "Store directory");
  for (auto** cmd : {&g_approve, &g_deny}) {
    bool approve = cmd == &g_approve;
    *cmd = app.add_subcommand(
        approve ? "approve" : "deny",
        approve ? "Approve the question a waiting run asks, and let it go on"
                : "Deny the question a waiting run asks (the run stops and "
                  "compensates)");
    (*cmd)->add_option("run", flags.answer_id, "The run id")->required();
    (*cmd)->add_option("--store", flags.store, "Store directory");
    if (approve) {
      (*cmd)->add_option("--choose", flags.choose,
                         "For a choice: the candidate's number (from 1)")
          ->check(CLI::PositiveNumber);
    }
  }
}

int RunRunsCommand(CLI::App& app, const RunsFlags& flags) {
  (void)app;
  auto env = MakeEnv(flags);
  if (!env.ok()) {
    PrintError(env.status().message());
    return kExitUsage;
  }
  if (g_approve->parsed() || g_deny->parsed()) {
    runtime::Answer a = g_deny->parsed() ? runtime::Answer::Deny()
                        : flags.choose > 0
                            ? runtime::Answer::Choose(flags.choose - 1)
                            : runtime::Answer::Approve();
    runtime::FixedApprover later(runtime::Answer::Defer());
    auto r = env->runner->Answer(flags.answer_id, a, &later);
    if (!r.ok()) {
      PrintError(r.status().message());
      return r.status().code() == Code::kNotFound ||
                     r.status().code() == Code::kInvalidArgument
                 ? kExitUsage
                 : kExitFailure;
    }
    PrintResult(flags.answer_id, *r);
    if (r->outcome == runtime::Outcome::kWaiting) return kExitWaiting;
    return r->outcome == runtime::Outcome::kCompleted ? kExitOk : kExitFailure;
  }
  if (g_recover->parsed()) {
    runtime::FixedApprover later(runtime::Answer::Defer());
    std::vector<std::string> left;
    auto runs = env->runner->Recover(&later, &left);
    if (!runs.ok()) {
      PrintError(runs.status().message());
      return kExitFailure;
    }
    if (runs->empty()) std::cout << "no interrupted runs\n";
    if (!left.empty()) {
      std::cout << left.size()
                << " run(s) still running in a live process, left to it: "
                << StrJoin(left, ", ") << "\n";
    }
    for (const auto& [id, r] : *runs) PrintResult(id, r);
    return kExitOk;
  }
  if (g_show->parsed()) {
    auto run = env->journal->GetRun(flags.show_id);
    if (!run.ok()) {
      PrintError(run.status().message());
      return kExitUsage;
    }
    auto events = env->journal->Events(flags.show_id);
    if (!events.ok()) {
      PrintError(events.status().message());
      return kExitFailure;
    }
    if (flags.json) {
      Json ev = Json::array();
      for (const journal::EventRecord& e : *events) {
        ev.push_back({{"seq", e.seq}, {"kind", e.kind}, {"effect", e.effect},
                      {"key", e.key}, {"data", e.data},
                      {"at", FormatRfc3339(e.at_us)}});
      }
      Json j = RunJson(*run);
      j["events"] = std::move(ev);
      std::cout << PrettyJson(j) << "\n";
      return kExitOk;
    }
    std::cout << "run       " << run->run_id << "\n"
              << "workflow  " << run->workflow << "  " << run->content_id
              << "\n"
              << "state     " << run->state << "\n"
              << "caller    " << run->caller << "\n"
              << "started   " << FormatRfc3339(run->created_us) << "\n"
              << "inputs    " << CanonicalJson(run->inputs) << "\n"
              << "journal\n";
    for (const journal::EventRecord& e : *events) {
      std::cout << EventLine(e) << "\n";
    }
    return kExitOk;
  }
  auto runs = env->journal->ListRuns(flags.state, flags.limit);
  if (!runs.ok()) {
    PrintError(runs.status().message());
    return kExitFailure;
  }
  if (flags.json) {
    Json arr = Json::array();
    for (const journal::RunRecord& r : *runs) arr.push_back(RunJson(r));
    std::cout << PrettyJson(arr) << "\n";
    return kExitOk;
  }
  if (runs->empty()) std::cout << "no runs\n";
  for (const journal::RunRecord& r : *runs) {
    std::string note;
    if (r.state == "waiting") note = "  (wfstore approve|deny " + r.run_id + ")";
    if (r.state == "running") note = "  (interrupted? wfstore runs recover)";
    std::cout << r.run_id << "  " << FormatRfc3339(r.created_us) << "  "
              << r.state << "  " << r.workflow << note << "\n";
  }
  return kExitOk;
}

}  // namespace wfs::cli
