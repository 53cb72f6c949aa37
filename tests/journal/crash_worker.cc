// The process the crash tests kill: runs the workload's runs (recovering
// any left running by an earlier, killed process first) with the journal and
// a file-backed simulated world. Exits 0 when every run has finished.
//
//   crash_worker DIR RUNS CONCURRENCY [--crash-after-effect K]
//                [--no-lookup]
//
// --crash-after-effect K  kills itself right after the K-th connector effect
//                         returns, before its result is journaled (the
//                         window reconciliation exists for)
// --no-lookup             breaks reconciliation on purpose: connectors claim
//                         they cannot find any earlier effect, so a crashed
//                         effect is done again (the harness must notice)
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "connectors/sim/file_world.h"
#include "journal/journal.h"
#include "journal/runner.h"
#include "lang/compiler.h"
#include "tests/journal/crash_workload.h"

namespace {

using wfs::Json;
using wfs::Result;
using wfs::Status;
namespace conn = wfs::connectors;

std::atomic<int> g_effects{0};
int g_crash_after = -1;
bool g_no_lookup = false;

// Counts effects (and may crash after one); may break Lookup on purpose.
class Tap : public conn::Connector {
 public:
  explicit Tap(conn::Connector* inner) : inner_(inner) {}
  const std::string& name() const override { return inner_->name(); }
  Result<conn::ActionResponse> Invoke(const conn::ActionRequest& r) override {
    auto out = inner_->Invoke(r);
    if (!r.compensation && out.ok() && !out->undo.is_null()) {
      // reversible effects; irreversible ones below
    }
    if (!r.compensation && out.ok()) {
      int n = ++g_effects;
      if (g_crash_after > 0 && n == g_crash_after) raise(SIGKILL);
    }
    return out;
  }
  Result<std::string> ScopeKey(const std::string& a, const std::string& p,
                               const Json& v,
                               const conn::ScopeMap& s) override {
    return inner_->ScopeKey(a, p, v, s);
  }
  Result<std::optional<conn::ActionResponse>> Lookup(
      const std::string& key) override {
    if (g_no_lookup) return std::optional<conn::ActionResponse>();
    return inner_->Lookup(key);
  }

 private:
  conn::Connector* inner_;
};

class Lease : public wfs::journal::ConnectorLease {
 public:
  explicit Lease(const conn::ConnectorSet* set) : set_(set) {}
  const conn::ConnectorSet& set() const override { return *set_; }

 private:
  const conn::ConnectorSet* set_;
};

class Provider : public wfs::journal::ConnectorProvider {
 public:
  explicit Provider(const conn::ConnectorSet* set) : set_(set) {}
  Result<std::unique_ptr<wfs::journal::ConnectorLease>> Open(
      const Json&) override {
    return std::unique_ptr<wfs::journal::ConnectorLease>(new Lease(set_));
  }

 private:
  const conn::ConnectorSet* set_;
};

int Fail(const std::string& msg) {
  std::fprintf(stderr, "crash_worker: %s\n", msg.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return Fail("usage: crash_worker DIR RUNS CONCURRENCY ...");
  std::string dir = argv[1];
  int runs = std::atoi(argv[2]);
  int concurrency = std::atoi(argv[3]);
  for (int i = 4; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--crash-after-effect" && i + 1 < argc) {
      g_crash_after = std::atoi(argv[++i]);
    } else if (a == "--no-lookup") {
      g_no_lookup = true;
    }
  }
  auto compiler = wfs::lang::Compiler::Create(wfs::lang::CompilerOptions{});
  auto files = compiler->Check({{"crash.wf", wfs::crash::kWorkflow}});
  if (!files[0].ok) return Fail("the workload does not check");
  auto program =
      wfs::runtime::Program::FromIr(files[0].ir(), files[0].content_id);
  if (!program.ok()) return Fail(program.status().ToString());
  std::string world_path = dir + "/world.json";
  if (!wfs::ReadFile(world_path).ok()) {
    Status s = wfs::WriteFileAtomic(
        world_path, wfs::CanonicalJson(wfs::crash::InitialWorld(runs)));
    if (!s.ok()) return Fail(s.ToString());
  }
  auto schema =
      wfs::connectors::sim::SchemaFromInterfaces(compiler->interfaces());
  wfs::connectors::sim::FileBackedSimulators::Options fo;
  fo.honor_idempotency_keys = false;  // only the journal prevents duplicates
  auto sims = wfs::connectors::sim::FileBackedSimulators::Open(world_path,
                                                               schema, fo);
  if (!sims.ok()) return Fail(sims.status().ToString());
  std::vector<std::unique_ptr<Tap>> taps;
  conn::ConnectorSet set;
  for (const auto& [name, c] : (*sims)->set().all()) {
    taps.push_back(std::make_unique<Tap>(c));
    set.Add(taps.back().get());
  }
  wfs::journal::JournalOptions jo;
  jo.path = dir + "/journal.db";
  auto journal = wfs::journal::Journal::Open(jo);
  if (!journal.ok()) return Fail(journal.status().ToString());
  Provider provider(&set);
  wfs::journal::Runner runner(journal->get(), &provider, nullptr);
  wfs::runtime::FixedApprover approve(wfs::runtime::Answer::Approve());
  auto recovered = runner.Recover(&approve);
  if (!recovered.ok()) return Fail(recovered.status().ToString());
  std::atomic<int> next{0};
  std::mutex err_mu;
  std::string error;
  auto work = [&] {
    while (true) {
      int n = next++;
      if (n >= runs) return;
      std::string id = wfs::crash::RunId(n);
      if ((*journal)->GetRun(id).ok()) continue;  // started before
      auto r = runner.Start(**program, wfs::crash::Inputs(n),
                            Json{{"kind", "crash"}}, &approve, "crash", id);
      if (!r.ok()) {
        std::lock_guard<std::mutex> l(err_mu);
        if (error.empty()) error = id + ": " + r.status().ToString();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  if (!error.empty()) return Fail(error);
  return 0;
}
