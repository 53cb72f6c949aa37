// Journal throughput, side by side in one run (docs/benchmarks.md):
//   raw      a plain loop of SQLite inserts, each its own durable commit
//            (WAL, synchronous=FULL): the peer the target is measured against
//   raw/64   the same inserts committed 64 at a time (what group commit can
//            at best amortize to)
//   journal  effects of real runs through the Runner: every effect's intent is
//            durable before the connector is called (group commit across
//            concurrent runs), results ride along
// Usage: journal_bench [SECONDS_PER_CASE] [CONCURRENCY]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "base/random.h"
#include "base/strings.h"
#include "connectors/sim/simulators.h"
#include "journal/journal.h"
#include "journal/runner.h"
#include "lang/compiler.h"
#include "sql/sqlite.h"

namespace {

using Clock = std::chrono::steady_clock;
using wfs::Json;

double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

std::string Dir() {
  std::string d = (std::filesystem::temp_directory_path() /
                   ("wfs-jbench-" + wfs::SecureRandomHex(4)))
                      .string();
  std::filesystem::create_directories(d);
  return d;
}

double RawInserts(double seconds, int per_commit) {
  std::string dir = Dir();
  auto db = wfs::sql::Db::Open(dir + "/raw.db", {}).value();
  db->Exec("CREATE TABLE events (run_id TEXT, seq INTEGER, kind TEXT, "
           "effect INTEGER, key TEXT, data TEXT, at_us INTEGER, PRIMARY KEY "
           "(run_id, seq)) WITHOUT ROWID")
      .IgnoreError();
  std::string payload(180, 'x');
  int64_t n = 0;
  auto start = Clock::now();
  while (Seconds(start) < seconds) {
    db->Exec("BEGIN").IgnoreError();
    for (int i = 0; i < per_commit; ++i, ++n) {
      auto* st = db->Cached("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)")
                     .value();
      st->Bind(1, "run").Bind(2, n).Bind(3, "intent").Bind(4, n)
          .Bind(5, "run/1/1").Bind(6, payload).Bind(7, n)
          .Run()
          .IgnoreError();
    }
    db->Exec("COMMIT").IgnoreError();
  }
  double rate = static_cast<double>(n) / Seconds(start);
  std::filesystem::remove_all(dir);
  return rate;
}

// A mail connector that does nothing but answer: the benchmark measures the
// journal and the interpreter, not a simulator.
class NullMail : public wfs::connectors::Connector {
 public:
  const std::string& name() const override { return name_; }
  wfs::Result<wfs::connectors::ActionResponse> Invoke(
      const wfs::connectors::ActionRequest& r) override {
    wfs::connectors::ActionResponse resp;
    resp.undo = {{"action", r.action == "flag" ? "unflag" : "flag"},
                 {"args", r.args}};
    return resp;
  }
  wfs::Result<std::string> ScopeKey(const std::string&, const std::string&,
                                    const Json&,
                                    const wfs::connectors::ScopeMap&) override {
    return std::string("INBOX");
  }

 private:
  std::string name_ = "mail";
};

class Provider : public wfs::journal::ConnectorProvider {
 public:
  explicit Provider(wfs::connectors::sim::World* w) {
    (void)w;
    set_.Add(&mail_);
  }
  wfs::Result<std::unique_ptr<wfs::journal::ConnectorLease>> Open(
      const Json&) override {
    struct L : wfs::journal::ConnectorLease {
      const wfs::connectors::ConnectorSet* s;
      const wfs::connectors::ConnectorSet& set() const override { return *s; }
    };
    auto l = std::make_unique<L>();
    l->s = &set_;
    return std::unique_ptr<wfs::journal::ConnectorLease>(std::move(l));
  }

 private:
  NullMail mail_;
  wfs::connectors::ConnectorSet set_;
};

// Effects per second of runs, each flagging and unflagging a message 5 times
// (10 effects per run), `concurrency` runs at a time.
double JournaledEffects(double seconds, int concurrency, bool sync) {
  std::string dir = Dir();
  auto compiler = wfs::lang::Compiler::Create(wfs::lang::CompilerOptions{});
  auto files = compiler->Check({{"b.wf", R"(workflow bench.flags 1.0.0 {
  summary "s"
  intent "i"
  input id: mail.MessageId "m"
  uses mail.update
  scope mail.mailbox = "INBOX"
  limit mail.update <= 10
  run {
    for i in [1, 2, 3, 4, 5] {
      mail.flag(id, "\\Seen")
      mail.unflag(id, "\\Seen")
    }
  }
})"}});
  if (!files[0].ok) std::abort();
  auto program =
      wfs::runtime::Program::FromIr(files[0].ir(), files[0].content_id).value();
  Json messages = Json::array();
  for (int i = 0; i < concurrency; ++i) {
    messages.push_back({{"id", wfs::StrCat("m", i)}, {"mailbox", "INBOX"}});
  }
  auto world = wfs::connectors::sim::World::FromJson(
                   {{"mail", {{"messages", messages}}}},
                   wfs::connectors::sim::SchemaFromInterfaces(
                       compiler->interfaces()))
                   .value();
  Provider provider(&world);
  wfs::journal::JournalOptions jo;
  jo.path = dir + "/journal.db";
  jo.sync = sync;
  auto journal = wfs::journal::Journal::Open(jo).value();
  wfs::journal::Runner runner(journal.get(), &provider, nullptr);
  std::atomic<int64_t> effects{0};
  std::atomic<bool> stop{false};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      int k = 0;
      while (!stop) {
        auto r = runner.Start(*program, {{"id", wfs::StrCat("m", t)}}, {},
                              nullptr, "bench",
                              wfs::StrCat("r", t, "-", k++));
        if (!r.ok() || r->outcome != wfs::runtime::Outcome::kCompleted) {
          std::fprintf(stderr, "run failed\n");
          std::abort();
        }
        effects += static_cast<int64_t>(r->Effects().size());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double rate = static_cast<double>(effects.load()) / Seconds(start);
  auto st = journal->stats();
  std::fprintf(stderr, "  [%d runs at a time: %lld commits, %.1f records each]\n",
               concurrency, static_cast<long long>(st.commits),
               static_cast<double>(st.records) /
                   static_cast<double>(std::max<int64_t>(st.commits, 1)));
  journal.reset();
  std::filesystem::remove_all(dir);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  int concurrency = argc > 2 ? std::atoi(argv[2]) : 64;
  double raw = RawInserts(seconds, 1);
  double raw64 = RawInserts(seconds, 64);
  double journaled = JournaledEffects(seconds, concurrency, true);
  double journaled1 = JournaledEffects(seconds, 1, true);
  std::printf("%-58s %12s\n", "case (durable commits: WAL, synchronous=FULL)",
              "per second");
  std::printf("%-58s %12.0f\n", "raw SQLite inserts, one commit each", raw);
  std::printf("%-58s %12.0f\n", "raw SQLite inserts, 64 per commit", raw64);
  std::printf("%-58s %12.0f\n",
              wfs::StrCat("journaled effects, ", concurrency,
                          " concurrent runs").c_str(),
              journaled);
  std::printf("%-58s %12.0f\n", "journaled effects, 1 run at a time",
              journaled1);
  std::printf("ratio journaled (%d runs) / raw one-commit-each: %.1fx\n",
              concurrency, journaled / raw);
  std::printf("ratio journaled (%d runs) / raw 64-per-commit: %.2fx\n",
              concurrency, journaled / raw64);
  return 0;
}
