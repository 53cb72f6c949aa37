// Test harness for src/runtime: compiles workflow source with the built-in
// interfaces and runs it on simulators through testing::TestRunner.
#ifndef WFSTORE_TESTS_RUNTIME_HARNESS_H_
#define WFSTORE_TESTS_RUNTIME_HARNESS_H_

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/sha256.h"
#include "connectors/sim/world.h"
#include "lang/compiler.h"
#include "runtime/interpreter.h"
#include "runtime/program.h"
#include "testing/test_runner.h"

namespace wfs::runtime::test {

class Harness {
 public:
  Harness()
      : compiler_(lang::Compiler::Create(lang::CompilerOptions{})),
        runner_(connectors::sim::SchemaFromInterfaces(compiler_->interfaces()),
                &programs_) {}

  // Checks `src` (which must be clean) and returns its IR.
  Json Ir(const std::string& src) {
    auto out = compiler_->Check({{"t.wf", src}});
    std::string diags;
    for (const auto& d : out[0].diagnostics) {
      diags += lang::FormatDiagnostic(d, out[0].source.get());
    }
    EXPECT_TRUE(out[0].ok) << diags;
    return out[0].ir();
  }
  // The IR of a starter catalog workflow.
  Json CatalogIr(const std::string& rel) {
    const char* dir = std::getenv("WFS_SOURCE_DIR");
    auto text = ReadFile(std::string(dir ? dir : ".") + "/catalog/" + rel);
    EXPECT_TRUE(text.ok()) << rel;
    return Ir(*text);
  }
  ProgramPtr Program(const Json& ir) {
    auto p = Program::FromIr(ir, "sha256:" + Sha256Hex(CanonicalJson(ir)));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    programs_.Add(*p);
    return *p;
  }
  testing::CaseRun Run(const runtime::Program& p, const Json& world,
                       const Json& inputs, std::vector<Answer> answers = {},
                       ExecOptions exec = {}) {
    testing::CaseSpec spec;
    spec.world = world;
    spec.inputs = inputs;
    spec.answers = std::move(answers);
    testing::TestOptions opts;
    opts.exec = exec;
    testing::CaseRun r = runner_.RunCase(p, spec, opts);
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    return r;
  }

  ProgramSet& programs() { return programs_; }
  lang::Compiler& compiler() { return *compiler_; }

 private:
  std::unique_ptr<lang::Compiler> compiler_;
  ProgramSet programs_;
  testing::TestRunner runner_;
};

// Removes every op of kind `op` from the IR's code (at any depth): what a
// checker bypass or a tampered package would run.
inline int RemoveOps(Json& block, const std::string& op) {
  int removed = 0;
  if (!block.is_array()) return 0;
  Json kept = Json::array();
  for (Json& o : block) {
    if (o.value("op", "") == op) {
      ++removed;
      continue;
    }
    for (const char* k : {"then", "else", "body"}) {
      if (o.contains(k)) removed += RemoveOps(o[k], op);
    }
    kept.push_back(o);
  }
  block = kept;
  return removed;
}

inline std::string Dump(const RunResult& r) {
  std::string s = std::string(OutcomeName(r.outcome)) + " " + r.rule + ": " +
                  r.error + "\n";
  for (const CallRecord& c : r.calls) {
    s += "  " + c.action + " " + c.decision + " " + c.rule + " " + c.error +
         "\n";
  }
  return s;
}

}  // namespace wfs::runtime::test

#endif  // WFSTORE_TESTS_RUNTIME_HARNESS_H_
