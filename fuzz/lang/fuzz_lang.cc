// Fuzzes the whole language front end: lexer, parser, checker, lowering and
// the signature reader, on workflow and interface text.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/json.h"
#include "lang/compiler.h"

namespace {

// The compiler's type table grows with every checked file; start over now and
// then so long runs measure the checker, not the table.
wfs::lang::Compiler& SharedCompiler() {
  static std::unique_ptr<wfs::lang::Compiler> compiler;
  static int uses = 0;
  if (!compiler || ++uses % 256 == 0) {
    compiler = wfs::lang::Compiler::Create(wfs::lang::CompilerOptions{});
  }
  return *compiler;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string text(reinterpret_cast<const char*>(data), size);
  wfs::lang::Compiler& compiler = SharedCompiler();
  auto out = compiler.Check({{"fuzz.wf", text}});
  for (const auto& f : out) {
    for (const auto& d : f.diagnostics) {
      // Rendering must cope with any span the checker produced.
      (void)wfs::lang::FormatDiagnostic(d, f.source.get());
      (void)wfs::lang::DiagnosticToJson(d);
    }
    if (f.ok) {
      auto again = wfs::ParseJson(f.canonical_ir, {1u << 30, 256});
      if (!again.ok()) __builtin_trap();  // our own IR must parse
      auto sig = wfs::lang::SignatureFromIr(*again, compiler.types());
      if (!sig.ok()) __builtin_trap();  // ... and read back
      if (!again.ok() || wfs::CanonicalJson(*again) != f.canonical_ir) {
        __builtin_trap();  // canonical form must be a fixed point
      }
    }
  }
  if (text.find("connector") != std::string::npos) {
    wfs::lang::CompilerOptions opts;
    opts.interfaces = {{"fuzz.wfi", text}};
    auto c = wfs::lang::Compiler::Create(opts);
    for (const auto& f : c->interface_files()) {
      for (const auto& d : f.diagnostics) {
        (void)wfs::lang::FormatDiagnostic(d, f.source.get());
      }
    }
  }
  return 0;
}
