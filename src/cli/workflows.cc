#include "cli/workflows.h"

#include <unistd.h>

#include <iostream>

#include "cli/common.h"

namespace wfs::cli {

Result<LoadedWorkflows> LoadWorkflows(const std::vector<std::string>& paths) {
  WFS_ASSIGN_OR_RETURN(std::vector<std::string> files,
                       ExpandPaths(paths, {".wf", ".wfi"}));
  WFS_ASSIGN_OR_RETURN(SourceSet sources, ReadSources(files));
  LoadedWorkflows out;
  lang::CompilerOptions opts;
  opts.interfaces = sources.interfaces;
  out.compiler = lang::Compiler::Create(opts);
  bool color = UseColor(STDERR_FILENO);
  for (const lang::CompiledFile& f : out.compiler->interface_files()) {
    for (const lang::Diagnostic& d : f.diagnostics) {
      std::cerr << lang::FormatDiagnostic(d, f.source.get(), color);
    }
  }
  out.files = out.compiler->Check(sources.workflows);
  for (const lang::CompiledFile& f : out.files) {
    for (const lang::Diagnostic& d : f.diagnostics) {
      if (d.severity == lang::Severity::kError) {
        std::cerr << lang::FormatDiagnostic(d, f.source.get(), color);
      }
    }
    if (!f.ok) {
      ++out.errors;
      continue;
    }
    auto program = runtime::Program::FromIr(f.ir(), f.content_id);
    if (!program.ok()) {
      PrintError(f.path + ": " + program.status().message());
      ++out.errors;
      continue;
    }
    out.programs.Add(*program);
    out.ordered.push_back(*program);
  }
  out.schema = connectors::sim::SchemaFromInterfaces(out.compiler->interfaces());
  return out;
}

}  // namespace wfs::cli
