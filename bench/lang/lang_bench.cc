// Benchmarks of the language front end. Targets (docs/benchmarks.md):
// a 10,000-line workflow checks in under 50 ms with peak memory under 64 MiB.
#include <sys/resource.h>

#include <cstdio>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/lang/workflow_gen.h"
#include "lang/compiler.h"

namespace wfs::bench {
namespace {

double PeakRssMiB() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // KiB -> MiB
}

void BM_Check10kLineWorkflow(benchmark::State& state) {
  const std::string src = BigWorkflow(10000);
  auto compiler = lang::Compiler::Create(lang::CompilerOptions{});
  for (auto _ : state) {
    auto out = compiler->Check({{"big.wf", src}});
    if (!out[0].ok) {
      state.SkipWithError("generated workflow does not check");
      std::fprintf(stderr, "%s\n",
                   lang::FormatDiagnostic(out[0].diagnostics[0],
                                          out[0].source.get())
                       .c_str());
      break;
    }
    benchmark::DoNotOptimize(out);
  }
  state.counters["lines"] = 10000;
  state.counters["bytes"] = static_cast<double>(src.size());
  state.counters["peak_rss_MiB"] = PeakRssMiB();
}
BENCHMARK(BM_Check10kLineWorkflow)->Unit(benchmark::kMillisecond);

void BM_CheckCatalogOf10kWorkflows(benchmark::State& state) {
  std::vector<lang::SourceText> files;
  for (int i = 0; i < 10000; ++i) {
    files.push_back({"w" + std::to_string(i) + ".wf", SmallWorkflow(i)});
  }
  for (auto _ : state) {
    auto compiler = lang::Compiler::Create(lang::CompilerOptions{});
    auto out = compiler->Check(files);
    for (const auto& f : out) {
      if (!f.ok) {
        state.SkipWithError("generated workflow does not check");
        break;
      }
    }
    benchmark::DoNotOptimize(out);
  }
  state.counters["workflows"] = 10000;
  state.counters["per_workflow_us"] = benchmark::Counter(
      10000, benchmark::Counter::kIsIterationInvariantRate |
                 benchmark::Counter::kInvert);
  state.counters["peak_rss_MiB"] = PeakRssMiB();
}
BENCHMARK(BM_CheckCatalogOf10kWorkflows)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace wfs::bench

BENCHMARK_MAIN();
