#include "cli/run_cmd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "base/file.h"
#include "base/random.h"
#include "base/strings.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/store_dir.h"
#include "cli/workflows.h"
#include "journal/runner.h"
#include "connectors/sim/simulators.h"
#include "runtime/agent_view.h"
#include "runtime/interpreter.h"
#include "runtime/types.h"

namespace wfs::cli {

namespace {

// Asks on the controlling terminal, so that piped stdin cannot answer.
class TerminalApprover : public runtime::Approver {
 public:
  runtime::Answer Ask(const runtime::Prompt& p) override {
    FILE* tty = std::fopen("/dev/tty", "r+");
    if (tty == nullptr) return runtime::Answer::Timeout();
    std::fprintf(tty, "\n%s (%s, line %u):\n  %s\n",
                 p.kind == runtime::Prompt::Kind::kConfirm ? "Confirm"
                                                           : "Choose",
                 p.workflow.c_str(), p.line, p.text.c_str());
    runtime::Answer a = runtime::Answer::Deny();
    char line[256];
    if (p.kind == runtime::Prompt::Kind::kConfirm) {
      std::fprintf(tty, "Approve? [y/N] ");
      std::fflush(tty);
      if (std::fgets(line, sizeof line, tty) != nullptr &&
          (line[0] == 'y' || line[0] == 'Y')) {
        a = runtime::Answer::Approve();
      }
    } else {
      for (size_t i = 0; i < p.options.size(); ++i) {
        std::fprintf(tty, "  %zu) %s\n", i + 1, p.options[i].c_str());
      }
      std::fprintf(tty, "Pick a number (empty to cancel): ");
      std::fflush(tty);
      if (std::fgets(line, sizeof line, tty) != nullptr) {
        int n = std::atoi(line);
        if (n >= 1 && static_cast<size_t>(n) <= p.options.size()) {
          a = runtime::Answer::Choose(n - 1);
        }
      }
    }
    std::fclose(tty);
    return a;
  }
};

// Parses --arg k=v against the input's type: text types take the value as it
// is; others take JSON (numbers, true/false, lists, records).
Result<Json> ParseArgs(const runtime::Program& p, const RunFlags& flags) {
  Json args = Json::object();
  if (!flags.args_json.empty()) {
    WFS_ASSIGN_OR_RETURN(args, ParseJson(flags.args_json));
    if (!args.is_object()) {
      return InvalidArgument("--args must be a JSON object");
    }
  }
  for (const std::string& kv : flags.args) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument(StrCat("--arg ", Quote(kv),
                                    ": expected NAME=VALUE"));
    }
    std::string name = kv.substr(0, eq);
    std::string value = kv.substr(eq + 1);
    const runtime::InputSpec* in = nullptr;
    for (const runtime::InputSpec& x : p.inputs) {
      if (x.name == name) in = &x;
    }
    if (in == nullptr) {
      std::vector<std::string> names;
      for (const runtime::InputSpec& x : p.inputs) names.push_back(x.name);
      return InvalidArgument(StrCat(p.name, " has no input `", name,
                                    "` (inputs: ", StrJoin(names, ", "), ")"));
    }
    const runtime::RType* t = in->type.get();
    if (t->k == runtime::RType::kOptional) t = t->elem.get();
    const runtime::RType& base = runtime::Base(*t);
    if (base.k == runtime::RType::kString || base.k == runtime::RType::kEnum ||
        base.k == runtime::RType::kTime || base.k == runtime::RType::kBytes ||
        base.k == runtime::RType::kDecimal) {
      args[name] = value;
    } else {
      auto j = ParseJson(value);
      if (!j.ok()) {
        return InvalidArgument(StrCat("--arg ", name, ": ",
                                      j.status().message(), " (",
                                      runtime::TypeName(*in->type),
                                      " values are JSON)"));
      }
      args[name] = *j;
    }
  }
  return args;
}

std::string ArgText(const runtime::CallRecord& c) {
  std::string out;
  const Json labels = c.LabelsJson();
  for (const auto& [k, v] : c.args.items()) {
    if (!out.empty()) out += ", ";
    std::string text = CanonicalJson(v);
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    std::string prov;
    if (labels.contains(k)) {
      for (const Json& pv : labels[k]["prov"]) {
        if (!prov.empty()) prov += "+";
        prov += pv.get<std::string>();
      }
      std::string conf = labels[k].value("conf", "public");
      if (conf != "public") prov += "," + conf;
    }
    out += StrCat(k, ": ", text, " [", prov, "]");
  }
  return out;
}

}  // namespace

void AddRunCommand(CLI::App& app, RunFlags& flags) {
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run a workflow against simulators on a world file, printing its "
      "outputs and every effect with its arguments, labels and decision.");
  cmd->add_option("workflow", flags.workflow, "The workflow file (.wf)")
      ->required();
  cmd->add_option("--arg", flags.args,
                  "An input as NAME=VALUE (repeatable); text inputs take the "
                  "value as it is, others JSON");
  cmd->add_option("--args", flags.args_json, "All inputs as a JSON object");
  cmd->add_option("--world", flags.world,
                  "World file (JSON: {\"mail\": {\"messages\": [...]}, ...}); "
                  "it is updated after the run unless --dry-run");
  cmd->add_flag("--dry-run", flags.dry_run,
                "Run on a copy of the world; print the planned effects and "
                "change nothing");
  auto* approve = cmd->add_flag("--approve", flags.approve,
                                "Approve every confirmation (scripts)");
  auto* deny =
      cmd->add_flag("--deny", flags.deny, "Deny every confirmation (scripts)");
  approve->excludes(deny);
  cmd->add_flag("--json", flags.json, "Print the result as JSON");
  cmd->add_flag("--audit", flags.audit,
                "Include the structured audit record (with --json)");
  cmd->add_option("--store", flags.store,
                  "Store directory holding the run journal (default "
                  "$WFSTORE_HOME or ~/.wfstore)");
  cmd->footer(
      "Without --approve or --deny, confirmations are asked on the terminal; "
      "with no terminal the run waits: answer later with `wfstore approve "
      "RUN` or `wfstore deny RUN` (it survives restarts).\n"
      "Every run except a dry run is journaled: `wfstore runs` lists them.\n"
      "Untrusted or private outputs are shown as handles unless the workflow "
      "marks them `reveal`.\n"
      "Exit status: 0 when the run completed, 3 when it waits for an "
      "answer, 1 otherwise, 2 for usage errors.\n"
      "Example: wfstore run catalog/mail/delete_message.wf --arg id=b "
      "--arg mailbox=INBOX --world world.json --approve");
}

int RunRunCommand(const RunFlags& flags) {
  auto loaded = LoadWorkflows({flags.workflow});
  if (!loaded.ok()) {
    PrintError(loaded.status().message());
    return kExitUsage;
  }
  if (loaded->ordered.size() != 1) {
    PrintError(loaded->errors > 0
                   ? flags.workflow + " has errors (see above)"
                   : "expected exactly one workflow in " + flags.workflow);
    return loaded->errors > 0 ? kExitFailure : kExitUsage;
  }
  const runtime::Program& program = *loaded->ordered[0];
  auto args = ParseArgs(program, flags);
  if (!args.ok()) {
    PrintError(args.status().message());
    return kExitUsage;
  }
  Json world_doc = Json::object();
  if (!flags.world.empty()) {
    auto text = ReadFile(flags.world);
    if (!text.ok()) {
      PrintError(text.status().message());
      return kExitUsage;
    }
    auto parsed = ParseJson(*text);
    if (!parsed.ok()) {
      PrintError(flags.world + ": " + parsed.status().message());
      return kExitUsage;
    }
    world_doc = *parsed;
  }
  auto world = connectors::sim::World::FromJson(world_doc, loaded->schema);
  if (!world.ok()) {
    PrintError(flags.world + ": " + world.status().message());
    return kExitUsage;
  }
  TerminalApprover terminal;
  runtime::FixedApprover approve(runtime::Answer::Approve());
  runtime::FixedApprover deny(runtime::Answer::Deny());
  runtime::FixedApprover defer(runtime::Answer::Defer());
  runtime::Approver* approver =
      flags.approve      ? static_cast<runtime::Approver*>(&approve)
      : flags.deny       ? static_cast<runtime::Approver*>(&deny)
      : isatty(STDIN_FILENO) ? static_cast<runtime::Approver*>(&terminal)
                             : static_cast<runtime::Approver*>(&defer);
  Result<runtime::RunResult> result = runtime::RunResult{};
  std::string run_id;
  if (flags.dry_run) {
    // A copy of the world, nothing journaled, nothing saved.
    auto sims = connectors::sim::MakeSimulators(&*world);
    connectors::ConnectorSet set;
    for (auto& s : sims) set.Add(s.get());
    runtime::ExecContext ctx;
    ctx.connectors = &set;
    ctx.approver = approver == &defer ? static_cast<runtime::Approver*>(&approve)
                                      : approver;
    ctx.resolver = &loaded->programs;
    ctx.run_id = "dry-" + SecureRandomHex(6);
    ctx.caller = "cli";
    result = runtime::Execute(program, *args, ctx);
  } else {
    auto dir = StoreDir(flags.store);
    if (!dir.ok()) {
      PrintError(dir.status().message());
      return kExitUsage;
    }
    auto journal = OpenJournal(*dir);
    if (!journal.ok()) {
      PrintError(journal.status().message());
      return kExitFailure;
    }
    Json config = {{"kind", "sim-memory"}};
    if (!flags.world.empty()) {
      config = {{"kind", "sim"},
                {"world", std::filesystem::absolute(flags.world).string()}};
    }
    CliConnectors provider(loaded->schema);
    journal::Runner runner(journal->get(), &provider, &loaded->programs);
    run_id = "r-" + SecureRandomHex(6);
    result = runner.Start(program, *args, config, approver, "cli", run_id);
  }
  if (!result.ok()) {
    PrintError(result.status().message());
    return result.status().code() == Code::kInvalidArgument ? kExitUsage
                                                             : kExitFailure;
  }
  const runtime::RunResult& r = *result;
  runtime::HandleTable handles;
  Json outputs = r.outcome == runtime::Outcome::kCompleted
                     ? runtime::AgentView(program, r.outputs, &handles, "h")
                     : Json(nullptr);
  if (flags.json) {
    Json j = {{"workflow", program.name + "@" + program.version},
              {"content_id", program.content_id},
              {"run_id", r.run_id},
              {"outcome", runtime::OutcomeName(r.outcome)},
              {"outputs", outputs},
              {"dry_run", flags.dry_run}};
    if (!r.error.empty()) j["error"] = r.error;
    if (!r.rule.empty()) j["rule"] = r.rule;
    Json audit = r.Audit(program);
    j["calls"] = audit["calls"];
    j["undo"] = audit["undo"];
    j["decisions"] = audit["decisions"];
    if (flags.audit) j["audit"] = audit;
    if (flags.dry_run) j["world_after"] = world->ToJson();
    if (!run_id.empty()) j["run_id"] = run_id;
    std::cout << PrettyJson(j) << "\n";
  } else {
    std::cout << "workflow  " << program.name << "@" << program.version
              << "  " << program.content_id << "\n";
    std::cout << "outcome   " << runtime::OutcomeName(r.outcome);
    if (!r.rule.empty()) std::cout << " (rule: " << r.rule << ")";
    std::cout << "\n";
    if (!r.error.empty()) std::cout << "reason    " << r.error << "\n";
    if (!outputs.is_null()) {
      std::cout << "outputs\n";
      for (const auto& [k, v] : outputs.items()) {
        std::cout << "  " << k << ": " << CanonicalJson(v) << "\n";
      }
      if (!handles.empty()) {
        std::cout << "  (handles stand for untrusted or private values the "
                     "agent does not see as text)\n";
      }
    }
    std::cout << "calls\n";
    if (r.calls.empty()) std::cout << "  (none)\n";
    for (const runtime::CallRecord& c : r.calls) {
      std::cout << "  #" << c.seq << " " << c.action << "(" << ArgText(c)
                << ")  " << c.effect << "  " << c.decision;
      if (!c.rule.empty()) std::cout << " [" << c.rule << "]";
      if (!c.ok && c.decision != "refused") std::cout << " error: " << c.error;
      if (c.undone) std::cout << "  undone";
      std::cout << "\n";
    }
    if (!r.undo.empty()) {
      std::cout << "compensation\n";
      for (const runtime::UndoRecord& u : r.undo) {
        std::cout << "  undo #" << u.seq << " with " << u.action << ": "
                  << (u.ok ? "done" : "FAILED " + u.error) << "\n";
      }
    }
    if (flags.dry_run) {
      std::cout << "dry run: nothing was changed\n";
    } else {
      std::cout << "run       " << run_id << " (wfstore runs show " << run_id
                << ")\n";
    }
    if (r.outcome == runtime::Outcome::kWaiting) {
      const runtime::Prompt& p = r.asked.back();
      std::cout << "waiting   for the person to answer: " << p.text << "\n";
      for (size_t i = 0; i < p.options.size(); ++i) {
        std::cout << "          " << i + 1 << ") " << p.options[i] << "\n";
      }
      std::cout << "          answer with `wfstore approve " << run_id
                << "`" << (p.options.empty() ? "" : " --choose N")
                << " or `wfstore deny " << run_id << "`\n";
    }
  }
  if (r.outcome == runtime::Outcome::kWaiting) return kExitWaiting;
  return r.outcome == runtime::Outcome::kCompleted ? kExitOk : kExitFailure;
}

}  // namespace wfs::cli
