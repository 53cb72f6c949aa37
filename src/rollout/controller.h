// Staged rollout (docs/rollout.md): a canary version takes a share of the
// calls that could run either it or stable (and every call of the agents
// named in its policy); per-version figures come from the run journal; a
// canary whose failure, violation, compensation or denial rate exceeds
// stable's by the policy's margins over its minimum runs is rolled back
// automatically (demoted in the store, with the figures in a signed
// attestation); a clean canary that has soaked gets signed rollout
// evidence, which the store's `stable` gate accepts.
//
//   auto c = Controller::Open({.store = s, .journal = j, .path = dir +
//                              "/rollout.db"}).value();
//   c->Start("mail.delete_message", "1.1.0", policy.rollout);
//   auto route = c->Choose(name, range, agent, may_canary, draw);
//   ... run route->version ...
//   c->AfterRun(name, version, store_key);  // may roll back
//   c->Certify(name, "1.1.0", store_key);   // before promote ... stable
//
// Thread-safe. Several processes may share the database (the server routes
// and evaluates, the command line starts, stops and certifies): each reads
// what the others committed.
#ifndef WFSTORE_ROLLOUT_CONTROLLER_H_
#define WFSTORE_ROLLOUT_CONTROLLER_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "crypto/keys.h"
#include "journal/journal.h"
#include "rollout/policy.h"
#include "sql/sqlite.h"
#include "store/store.h"

namespace wfs::rollout {

// What one version did, from its journaled runs.
struct VersionMetrics {
  std::string version;
  int runs = 0;       // finished runs (the base of every rate)
  int in_flight = 0;  // running or waiting for the person
  int completed = 0, failures = 0, violations = 0, denials = 0, unanswered = 0,
      compensated = 0;
  double latency_p50_ms = 0, latency_p95_ms = 0;  // completed runs

  double Rate(int n) const { return runs == 0 ? 0.0 : double(n) / runs; }
  Json ToJson() const;
};

// One version's figures, accumulated run by run. Latency percentiles come
// from a histogram whose buckets are 1/128 of a power of two wide (above
// 256 µs; exact below): at most 0.8% off, and exact when a bucket's runs
// all took the same time. Memory is bounded (a few thousand buckets),
// whatever the number of runs.
class VersionTally {
 public:
  // Counts a finished run; a running or waiting one only in `in_flight`.
  void Add(const journal::Journal::RunSummary& run);
  // The runs added so far, finished or not.
  int seen() const { return m_.runs + m_.in_flight; }
  VersionMetrics Metrics(const std::string& version) const;

 private:
  VersionMetrics m_;
  struct Bucket {
    int64_t count = 0;
    double sum_us = 0;
  };
  std::map<int, Bucket> latency_;  // by bucket index, completed runs
  double Percentile(double q) const;
};

struct Rollout {
  int64_t id = 0;
  std::string name;
  std::string canary;  // the version rolling out
  std::string stable;  // the version it replaces ("" when none was stable)
  RolloutPolicy policy;
  std::string state;  // active, rolled_back, promoted
  int64_t started_us = 0;
  int64_t ended_us = 0;
  std::string reason;  // why it was rolled back
  Json ToJson() const;
};

struct Verdict {
  enum class Kind { kCollecting, kHealthy, kRollBack };
  Kind kind = Kind::kCollecting;
  std::vector<std::string> reasons;  // kRollBack: each margin exceeded
  VersionMetrics canary, stable;
  bool soaked = false;
  int64_t soak_left_us = 0;
  Json ToJson() const;
};

struct ControllerOptions {
  store::Store* store = nullptr;        // required
  journal::Journal* journal = nullptr;  // required
  std::string path;                     // the database; created when absent
  const Clock* clock = nullptr;         // null: the system clock
  // How long the routing view is trusted before the database is asked for
  // changes made by other processes (`wfstore rollout stop` beside a
  // server); this process's own changes are seen at once. Asking costs a
  // read transaction, which every call would otherwise pay.
  std::chrono::microseconds recheck_every{1000};
};

class Controller {
 public:
  static Result<std::unique_ptr<Controller>> Open(
      const ControllerOptions& options);
  ~Controller();

  // Starts rolling out name@version, which must be at stage `canary`,
  // against the newest stable version. Starting the canary that is already
  // rolling out replaces its policy; another version's active rollout is
  // FailedPrecondition (stop or promote it first).
  Result<Rollout> Start(const std::string& name, const std::string& version,
                        const RolloutPolicy& policy);
  // The latest rollout of `name` (NotFound when it never had one).
  Result<Rollout> Current(const std::string& name);
  // Every rollout of `name`, newest first.
  Result<std::vector<Rollout>> History(const std::string& name);

  // The version a call of `name` with version `range` ("" for any) by
  // `agent` should run, when a rollout decides it; nullopt when the store's
  // usual resolution applies. While a rollout is active, a call whose range
  // admits both versions goes to the canary when the agent is named in the
  // policy or `draw` (uniform in [0, 1)) falls under the share, and only
  // when `may_canary` (the caller's grant admits canary versions); else to
  // stable. After a rollback, calls whose range admits stable go there.
  Result<std::optional<std::string>> Choose(const std::string& name,
                                            const std::string& range,
                                            const std::string& agent,
                                            bool may_canary, double draw);

  // Compares the canary of `r` with stable.
  Result<Verdict> Evaluate(const Rollout& r);
  // After a run of name@version: when it is an active canary, evaluates it
  // (every few runs) and rolls it back when it exceeds the margins, signing
  // the demotion with `key`. Returns the rollout when this call rolled it
  // back.
  Result<std::optional<Rollout>> AfterRun(const std::string& name,
                                          const std::string& version,
                                          const crypto::SecretKey& key);
  // Rolls back the active rollout of `name` now (an operator's decision).
  Result<Rollout> Stop(const std::string& name, const std::string& reason,
                       const crypto::SecretKey& key);
  // When the active canary name@version is healthy and has soaked, records
  // rollout evidence (kRolloutPredicate, "passed": true, with its figures)
  // signed by `key`; else FailedPrecondition saying what is missing.
  Result<store::Attestation> Certify(const std::string& name,
                                     const std::string& version,
                                     const crypto::SecretKey& key);
  // Marks the rollout of name@version finished after its promotion.
  Status MarkPromoted(const std::string& name, const std::string& version);
  // Finishes rollbacks a stop interrupted: a rollback is claimed in the
  // rollouts database first and the version demoted in the store after, so
  // a process stopped in between leaves a rolled-back canary at stage
  // canary. Demotes each such version now (to reviewed, signed with `key`,
  // with the rollout's reason) and returns their rollouts; a version
  // another process demoted meanwhile is skipped. `wfstore serve` calls it
  // at start.
  Result<std::vector<Rollout>> FinishRollbacks(const crypto::SecretKey& key);

  // The status report (`wfstore rollout status`): the rollout, figures per
  // version, the verdict and what comes next.
  Result<Json> StatusReport(const std::string& name);

 private:
  explicit Controller(ControllerOptions options);
  // Reloads the latest rollout of every workflow when another connection
  // committed (PRAGMA data_version) or this one wrote. Holds mu_.
  Status RefreshLocked();
  Result<Rollout> RollBackLocked(const Rollout& r, const std::string& reason,
                                 const Json& details,
                                 const crypto::SecretKey& key);
  Result<std::vector<Rollout>> QueryLocked(const std::string& where,
                                           const std::string& arg);

  ControllerOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  std::mutex mu_;
  std::unique_ptr<sql::Db> db_;
  int64_t data_version_ = -1;
  bool dirty_ = true;
  // When RefreshLocked last asked the database (clock_'s monotonic time).
  int64_t refreshed_at_us_ = 0;
  // Refreshes unless the view is this process's latest and younger than
  // options_.recheck_every.
  Status RefreshIfStaleLocked();
  std::map<std::string, Rollout> latest_;    // by workflow name
  std::map<int64_t, int> runs_since_check_;  // by rollout id

  // The runs of one version since a time, folded in as the journal records
  // them: each evaluation reads only the runs recorded since the last one
  // and those that were still running or waiting then.
  struct Fold {
    std::string workflow;  // name@version
    int64_t since_us = 0;
    // The journal's last run when last brought up to date (seq 0: none).
    journal::Journal::RunSummary last;
    VersionTally tally;               // finished runs
    std::set<std::string> in_flight;  // run ids not finished when last read
    // Brings it up to the journal's run `upto` (LastRun); after an error
    // it starts again from nothing.
    Status Update(journal::Journal& journal,
                  const journal::Journal::RunSummary& upto);
    Status UpdateOrFail(journal::Journal& journal,
                        const journal::Journal::RunSummary& upto);
    void Reset();  // back to nothing read
    int seen() const {
      return tally.seen() + static_cast<int>(in_flight.size());
    }
    VersionMetrics Metrics(const std::string& version) const;
  };
  // One rollout's folds, each rollout under its own lock (an evaluation of
  // one workflow does not wait for another's).
  struct Folds {
    explicit Folds(const Rollout& r);
    bool For(const Rollout& r) const;  // made for this rollout
    std::mutex mu;
    Fold canary, stable, stable_all;
  };
  std::mutex fold_mu_;  // guards folds_ (only); never held while taking mu_
  std::map<int64_t, std::shared_ptr<Folds>> folds_;  // active rollouts, by id
};

}  // namespace wfs::rollout

#endif  // WFSTORE_ROLLOUT_CONTROLLER_H_
