// Benchmarks of the staged rollout (docs/benchmarks.md, "Rollout").
//
//   BM_EvaluateEveryTenRuns/N  a canary rolling out beside stable, with N
//                              runs already in the journal (one in ten of
//                              them the canary's); each iteration records
//                              ten more runs (one canary) and evaluates
//                              the rollout, as the server does after every
//                              tenth canary run of a policy with the default
//                              minimum of 100 runs. Only the evaluation is
//                              timed. Its cost should not grow with N.
//   BM_Readiness/N             the readiness report over N runs (memory
//                              should not grow with N; time does)
//
// Stores live under $TMPDIR (default /tmp) and are removed at exit.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <benchmark/benchmark.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/random.h"
#include "base/strings.h"
#include "crypto/keys.h"
#include "journal/journal.h"
#include "rollout/controller.h"
#include "rollout/readiness.h"
#include "store/store.h"

namespace {

using wfs::Json;
using wfs::StrCat;

std::string Source(const std::string& version) {
  return StrCat(R"(workflow shop.quote )", version, R"( {
  summary "Quote a price for an item."
  intent "quote a price"

  input n: int "Item number."
  output text: string reveal "The quote."

  run {
    return { text: "price of {n}" }
  }

  test "quotes item one" {
    call { n: 1 }
    expect output.text == "price of 1"
  }
}
)");
}

// A store with shop.quote 1.0.0 stable and 1.1.0 rolling out as canary, and
// a journal with `runs` runs of them (one in ten the canary's).
class World {
 public:
  explicit World(int64_t runs)
      : dir_((std::filesystem::temp_directory_path() /
              ("wfs-rbench-" + wfs::SecureRandomHex(4)))
                 .string()) {
    std::filesystem::create_directories(dir_);
    wfs::store::StoreOptions so;
    so.dir = dir_;
    so.clock = &clock_;
    so.required_reviews = 1;
    so.property_cases = 5;
    store_ = wfs::store::Store::Open(so).value();
    wfs::journal::JournalOptions jo;
    jo.path = dir_ + "/runs.db";
    jo.clock = &clock_;
    journal_ = wfs::journal::Journal::Open(jo).value();
    wfs::rollout::ControllerOptions co;
    co.store = store_.get();
    co.journal = journal_.get();
    co.path = dir_ + "/rollout.db";
    co.clock = &clock_;
    controller_ = wfs::rollout::Controller::Open(co).value();
    key_ = store_->StoreKey().value();
    ToCanary("1.0.0");
    wfs::rollout::RolloutPolicy p;
    p.min_runs = 5;
    p.soak_us = 0;
    controller_->Start("shop.quote", "1.0.0", p).value();
    clock_.Advance(1000000);
    for (int i = 0; i < 5; ++i) Record("1.0.0");
    controller_->Certify("shop.quote", "1.0.0", *key_).value();
    store_->Promote("shop.quote", "1.0.0", "stable", publisher_.secret_key)
        .value();
    controller_->MarkPromoted("shop.quote", "1.0.0").IgnoreError();
    ToCanary("1.1.0");
    p.min_runs = 100;
    controller_->Start("shop.quote", "1.1.0", p).value();
    clock_.Advance(1000000);
    for (int64_t i = 0; i < runs; ++i) {
      Record(i % 10 == 0 ? "1.1.0" : "1.0.0");
      if (i % 1000 == 999) journal_->Flush().IgnoreError();
    }
    journal_->Flush().IgnoreError();
  }
  ~World() { std::filesystem::remove_all(dir_); }

  void Record(const std::string& version) {
    wfs::journal::RunRecord r;
    r.run_id = StrCat("r-", ++recorded_);
    r.workflow = StrCat("shop.quote@", version);
    r.content_id = "sha256:bench";
    r.caller = "agent";
    r.state = "completed";
    r.inputs = {{"n", recorded_}};
    r.outcome = {{"outcome", "completed"},
                 {"outputs", {{"text", "price"}}},
                 {"undo", Json::array()}};
    r.created_us = clock_.NowMicros() - 1000 - recorded_ % 700;
    journal_->RecordFinishedRun(std::move(r), 1, /*wait=*/false).IgnoreError();
  }

  wfs::rollout::Controller& controller() { return *controller_; }
  wfs::store::Store& store() { return *store_; }
  wfs::journal::Journal& journal() { return *journal_; }

 private:
  void ToCanary(const std::string& version) {
    store_->Publish({{"quote.wf", Source(version)}}, publisher_.secret_key)
        .value();
    auto promote = [&](const std::string& stage) {
      store_->Promote("shop.quote", version, stage, publisher_.secret_key)
          .value();
    };
    promote("tested");
    store_
        ->RecordEvidence("shop.quote", version, wfs::store::kHardeningPredicate,
                         Json{{"passed", true}}, *key_)
        .value();
    promote("hardened");
    store_->Review("shop.quote", version, reviewer_.secret_key, "ok").value();
    promote("reviewed");
    promote("canary");
  }

  std::string dir_;
  wfs::FakeClock clock_;
  std::unique_ptr<wfs::store::Store> store_;
  std::unique_ptr<wfs::journal::Journal> journal_;
  std::unique_ptr<wfs::rollout::Controller> controller_;
  std::optional<wfs::crypto::SecretKey> key_;
  wfs::crypto::KeyPair publisher_ = wfs::crypto::GenerateKeyPair();
  wfs::crypto::KeyPair reviewer_ = wfs::crypto::GenerateKeyPair();
  int64_t recorded_ = 0;
};

void BM_EvaluateEveryTenRuns(benchmark::State& state) {
  World w(state.range(0));
  wfs::rollout::Rollout r = w.controller().Current("shop.quote").value();
  // The first evaluation reads what is already there; the server pays it
  // once per rollout.
  w.controller().Evaluate(r).value();
  int canary_runs = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < 10; ++i) w.Record(i == 0 ? "1.1.0" : "1.0.0");
    w.journal().Flush().IgnoreError();
    state.ResumeTiming();
    wfs::rollout::Verdict v = w.controller().Evaluate(r).value();
    canary_runs = v.canary.runs;
    benchmark::DoNotOptimize(v);
  }
  state.counters["canary_runs"] = canary_runs;
}
BENCHMARK(BM_EvaluateEveryTenRuns)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMicrosecond);

void BM_Readiness(benchmark::State& state) {
  World w(state.range(0));
  for (auto _ : state) {
    Json report = wfs::rollout::Readiness(w.store(), w.journal(), {}).value();
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Readiness)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
