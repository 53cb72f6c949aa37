// Helpers for src/lang tests.
#ifndef WFSTORE_TESTS_LANG_TEST_UTIL_H_
#define WFSTORE_TESTS_LANG_TEST_UTIL_H_

#include <string>
#include <vector>

#include "lang/compiler.h"

namespace wfs::lang::testing_util {

// Checks one workflow source with the built-in interfaces.
inline CompiledFile CheckOne(const std::string& text,
                             const std::string& path = "t.wf") {
  auto compiler = Compiler::Create(CompilerOptions{});
  std::vector<CompiledFile> out = compiler->Check({{path, text}});
  return out[0];
}

// The diagnostic codes, in order.
inline std::vector<std::string> Codes(const CompiledFile& f) {
  std::vector<std::string> out;
  for (const Diagnostic& d : f.diagnostics) out.push_back(d.code);
  return out;
}

inline bool HasCode(const CompiledFile& f, const std::string& code) {
  for (const Diagnostic& d : f.diagnostics) {
    if (d.code == code) return true;
  }
  return false;
}

inline std::string Dump(const CompiledFile& f) {
  std::string out;
  for (const Diagnostic& d : f.diagnostics) {
    out += FormatDiagnostic(d, f.source.get());
  }
  return out;
}

// Wraps a run block in a workflow header with the given extra header lines.
inline std::string Workflow(const std::string& header,
                            const std::string& body) {
  return "workflow t.w 1.0.0 {\n  summary \"s\"\n  intent \"i\"\n" + header +
         "\n  run {\n" + body + "\n  }\n}\n";
}

}  // namespace wfs::lang::testing_util

#endif  // WFSTORE_TESTS_LANG_TEST_UTIL_H_
