// The language front end's public entry point: load connector interfaces,
// check workflow files, lower them to canonical IR.
//
//   CompilerOptions opts;                       // built-in interfaces
//   auto compiler = Compiler::Create(opts);
//   std::vector<CompiledFile> out = compiler->Check({{path, text}, ...});
//   out[i].ok, out[i].diagnostics, out[i].ir, out[i].content_id
//
// Checking never throws and never crashes on malformed input; every problem
// is a Diagnostic (see diagnostics.h and docs/language.md for the codes).
#ifndef WFSTORE_LANG_COMPILER_H_
#define WFSTORE_LANG_COMPILER_H_

#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "lang/checker.h"
#include "lang/diagnostics.h"
#include "lang/interfaces.h"
#include "lang/lexer.h"
#include "lang/parser.h"
#include "lang/source.h"

namespace wfs::lang {

struct SourceText {
  std::string path;
  std::string text;
};

struct CompiledFile {
  std::string path;
  bool is_interface = false;
  bool ok = false;  // no errors (warnings allowed)
  std::vector<Diagnostic> diagnostics;  // sorted by position
  std::shared_ptr<SourceFile> source;
  // Workflows that checked clean:
  std::string name;
  std::string version;
  std::string canonical_ir;  // the IR as canonical JSON (docs/ir.md)
  std::string content_id;    // "sha256:<hex of canonical_ir>"
  std::shared_ptr<WorkflowSignature> signature;

  // The IR parsed (built on each call; keep the result when used often).
  Json ir() const;

  int error_count() const;
  int warning_count() const;
};

struct CompilerOptions {
  // Load the starter interfaces built into the binary (catalog/interfaces).
  bool builtin_interfaces = true;
  // Extra interface files; one with the same connector name as a built-in
  // replaces it.
  std::vector<SourceText> interfaces;
  // Resolves sub-workflows that are not in the checked batch (e.g. the store).
  const WorkflowResolver* resolver = nullptr;
  LexOptions lex;
  ParseOptions parse;
};

class Compiler {
 public:
  static std::unique_ptr<Compiler> Create(const CompilerOptions& options);

  // Results for the interface files (built-in ones included); a connector
  // whose file has errors is unavailable to workflows.
  const std::vector<CompiledFile>& interface_files() const {
    return interface_files_;
  }
  const InterfaceSet& interfaces() const { return *interfaces_; }
  InterfaceSet& interfaces() { return *interfaces_; }
  TypeTable& types() { return *types_; }

  // Checks a batch of workflow files. Sub-workflow calls resolve within the
  // batch first (checked in dependency order), then through the resolver.
  std::vector<CompiledFile> Check(const std::vector<SourceText>& workflows);

 private:
  explicit Compiler(const CompilerOptions& options);
  CompilerOptions options_;
  std::unique_ptr<TypeTable> types_;
  std::unique_ptr<InterfaceSet> interfaces_;
  std::vector<CompiledFile> interface_files_;
};

// The starter interfaces compiled into the binary: (file name, text).
const std::vector<SourceText>& BuiltinInterfaces();

}  // namespace wfs::lang

#endif  // WFSTORE_LANG_COMPILER_H_
