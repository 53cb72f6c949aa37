#include "cli/check.h"

#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "base/json.h"
#include "base/strings.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "lang/compiler.h"

namespace wfs::cli {

void AddCheckCommand(CLI::App& app, CheckFlags& flags) {
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Check workflow (.wf) and connector interface (.wfi) files: types, "
      "totality, effect budgets, capabilities, scopes and label flow.");
  cmd->add_option("files", flags.paths,
                  "Files or directories (searched for .wf and .wfi)")
      ->required();
  cmd->add_option("--interfaces", flags.interface_paths,
                  "Extra connector interface files or directories; they "
                  "replace built-in interfaces of the same name");
  cmd->add_flag("--json", flags.json,
                "Print the diagnostics as a JSON array on stdout");
  cmd->add_flag("--emit-ir", flags.emit_ir,
                "Print the canonical IR of each clean workflow on stdout "
                "(one object, or an array for several files)");
  cmd->add_flag("-q,--quiet", flags.quiet,
                "Print only diagnostics, no per-file lines or summary");
  cmd->footer(
      "Exit status: 0 when every file is clean (warnings allowed), 1 when "
      "there are errors, 2 for usage errors.\n"
      "Example: wfstore check catalog/");
}

int RunCheck(const CheckFlags& flags) {
  auto paths = ExpandPaths(flags.paths, {".wf", ".wfi"});
  if (!paths.ok()) {
    PrintError(paths.status().message());
    return kExitUsage;
  }
  auto iface_paths = ExpandPaths(flags.interface_paths, {".wfi"});
  if (!iface_paths.ok()) {
    PrintError(iface_paths.status().message());
    return kExitUsage;
  }
  std::vector<std::string> all = *paths;
  all.insert(all.end(), iface_paths->begin(), iface_paths->end());
  auto sources = ReadSources(all);
  if (!sources.ok()) {
    PrintError(sources.status().message());
    return kExitUsage;
  }
  if (sources->workflows.empty() && sources->interfaces.empty()) {
    PrintError("no .wf or .wfi files found in the given paths");
    return kExitUsage;
  }

  lang::CompilerOptions opts;
  opts.interfaces = sources->interfaces;
  auto compiler = lang::Compiler::Create(opts);
  std::vector<lang::CompiledFile> results;
  // Report problems in the interfaces the user passed (built-ins are clean).
  for (const lang::CompiledFile& f : compiler->interface_files()) {
    bool user = false;
    for (const lang::SourceText& s : sources->interfaces) user |= s.path == f.path;
    if (user || !f.ok) results.push_back(f);
  }
  std::vector<lang::CompiledFile> checked =
      compiler->Check(sources->workflows);
  results.insert(results.end(), checked.begin(), checked.end());

  int errors = 0, warnings = 0, clean = 0, workflows = 0;
  for (const lang::CompiledFile& f : results) {
    errors += f.error_count();
    warnings += f.warning_count();
    if (!f.is_interface) {
      ++workflows;
      clean += f.ok;
    }
  }

  bool color = UseColor(STDOUT_FILENO) && !flags.json && !flags.emit_ir;
  std::ostream& diag_out = flags.emit_ir ? std::cerr : std::cout;
  if (flags.json) {
    Json arr = Json::array();
    for (const lang::CompiledFile& f : results) {
      for (const lang::Diagnostic& d : f.diagnostics) {
        arr.push_back(lang::DiagnosticToJson(d));
      }
    }
    std::cout << PrettyJson(arr) << "\n";
  } else {
    for (const lang::CompiledFile& f : results) {
      for (const lang::Diagnostic& d : f.diagnostics) {
        diag_out << lang::FormatDiagnostic(d, f.source.get(), color);
      }
      if (!flags.quiet && !flags.emit_ir && f.ok) {
        if (f.is_interface) {
          diag_out << "ok  " << f.path << "  connector " << f.name << " "
                   << f.version << "  " << f.content_id << "\n";
        } else {
          diag_out << "ok  " << f.path << "  " << f.name << "@" << f.version
                   << "  " << f.content_id << "\n";
        }
      }
    }
    if (!flags.quiet) {
      diag_out << StrCat("checked ", workflows, " workflow",
                         workflows == 1 ? "" : "s", ": ", clean, " clean, ",
                         workflows - clean, " with errors; ", errors,
                         " error", errors == 1 ? "" : "s", ", ", warnings,
                         " warning", warnings == 1 ? "" : "s")
               << "\n";
    }
  }
  if (flags.emit_ir) {
    std::vector<const lang::CompiledFile*> irs;
    for (const lang::CompiledFile& f : results) {
      if (!f.is_interface && f.ok) irs.push_back(&f);
    }
    if (irs.size() == 1) {
      std::cout << PrettyJson(irs[0]->ir()) << "\n";
    } else {
      Json arr = Json::array();
      for (const lang::CompiledFile* f : irs) arr.push_back(f->ir());
      std::cout << PrettyJson(arr) << "\n";
    }
  }
  return errors > 0 ? kExitFailure : kExitOk;
}

}  // namespace wfs::cli
