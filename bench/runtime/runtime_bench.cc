// Interpreter benchmarks (docs/benchmarks.md). Targets: under 2 us of
// interpreter overhead per step; over 100,000 runs/s of a 5-step workflow
// against simulators, single thread.
#include <cstdio>

#include <benchmark/benchmark.h>

#include "connectors/sim/simulators.h"
#include "connectors/sim/world.h"
#include "lang/compiler.h"
#include "runtime/interpreter.h"
#include "runtime/program.h"

namespace wfs::bench {
namespace {

struct Fixture {
  std::unique_ptr<lang::Compiler> compiler =
      lang::Compiler::Create(lang::CompilerOptions{});
  runtime::ProgramPtr Compile(const std::string& src) {
    auto out = compiler->Check({{"b.wf", src}});
    if (!out[0].ok) {
      for (const auto& d : out[0].diagnostics) {
        std::fprintf(stderr, "%s",
                     lang::FormatDiagnostic(d, out[0].source.get()).c_str());
      }
      std::abort();
    }
    return runtime::Program::FromIr(out[0].ir(), out[0].content_id).value();
  }
};

// Pure computation: each loop iteration executes a fixed number of steps.
void BM_InterpreterStep(benchmark::State& state) {
  Fixture fx;
  auto p = fx.Compile(R"(workflow bench.steps 1.0.0 {
  summary "s"
  intent "i"
  input n: int "n"
  output total: int "t"
  run {
    var total = 0
    let xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
    for x in xs limit 20 {
      for y in xs limit 20 {
        total = total + x * y + n
      }
    }
    return { total: total }
  }
})");
  runtime::ExecContext ctx;
  Json inputs = {{"n", 1}};
  int64_t steps = 0;
  for (auto _ : state) {
    auto r = runtime::Execute(*p, inputs, ctx);
    steps += r->steps;
    benchmark::DoNotOptimize(r);
  }
  state.counters["steps_per_run"] =
      benchmark::Counter(static_cast<double>(steps) / state.iterations());
  // Seconds per step, shown with an SI prefix (e.g. 30n = 30 ns).
  state.counters["time_per_step"] = benchmark::Counter(
      static_cast<double>(steps),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_InterpreterStep);

// A 5-step workflow with one simulator call (a read: the world stays the same
// between runs).
void BM_FiveStepWorkflow(benchmark::State& state) {
  Fixture fx;
  auto p = fx.Compile(R"(workflow bench.five 1.0.0 {
  summary "s"
  intent "i"
  input id: mail.MessageId "m"
  input mailbox: mail.Mailbox "b"
  output flagged: int "f"
  uses mail.read
  scope mail.mailbox = mailbox
  run {
    let m = mail.get(id)
    return { flagged: len(m.flags) }
  }
})");
  auto world = connectors::sim::World::FromJson(
      Json::parse(R"({"mail": {"messages": [
        {"id": "a", "mailbox": "INBOX", "subject": "hi", "flags": ["x"]}]}})"),
      connectors::sim::SchemaFromInterfaces(fx.compiler->interfaces()));
  auto sims = connectors::sim::MakeSimulators(&*world);
  connectors::ConnectorSet set;
  for (auto& s : sims) set.Add(s.get());
  runtime::ExecContext ctx;
  ctx.connectors = &set;
  Json inputs = {{"id", "a"}, {"mailbox", "INBOX"}};
  int64_t steps = 0;
  for (auto _ : state) {
    auto r = runtime::Execute(*p, inputs, ctx);
    if (r->outcome != runtime::Outcome::kCompleted) {
      state.SkipWithError("run failed");
      break;
    }
    steps += r->steps;
    benchmark::DoNotOptimize(r);
  }
  state.counters["steps_per_run"] =
      benchmark::Counter(static_cast<double>(steps) / state.iterations());
  state.counters["runs_per_s"] =
      benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FiveStepWorkflow);

}  // namespace
}  // namespace wfs::bench

BENCHMARK_MAIN();
