#include "rollout/controller.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

#include "base/strings.h"

namespace wfs::rollout {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS rollouts(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  canary TEXT NOT NULL,
  stable TEXT NOT NULL,
  policy TEXT NOT NULL,
  state TEXT NOT NULL,
  started_us INTEGER NOT NULL,
  ended_us INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS rollouts_by_name ON rollouts(name, id);
)sql";

constexpr const char* kColumns =
    "id, name, canary, stable, policy, state, started_us, ended_us, reason";

// A rounded duration for people: "23h 59m", "4m 10s", "12s".
std::string Human(int64_t us) {
  int64_t s = us / 1000000;
  if (s >= 86400) return StrCat(s / 86400, "d ", (s % 86400) / 3600, "h");
  if (s >= 3600) return StrCat(s / 3600, "h ", (s % 3600) / 60, "m");
  if (s >= 60) return StrCat(s / 60, "m ", s % 60, "s");
  return StrCat(s, "s");
}

// The newest non-yanked stable version of `name` other than `except`.
Result<std::string> StableVersion(store::Store* store, const std::string& name,
                                  const std::string& except) {
  WFS_ASSIGN_OR_RETURN(std::vector<store::PackageInfo> all, store->List());
  for (const store::PackageInfo& p : all) {  // newest first per name
    if (p.name == name && p.version != except && !p.yanked &&
        p.stage == "stable") {
      return p.version;
    }
  }
  return std::string();
}

}  // namespace

Json VersionMetrics::ToJson() const {
  return {{"version", version},
          {"runs", runs},
          {"in_flight", in_flight},
          {"completed", completed},
          {"failures", failures},
          {"violations_stopped", violations},
          {"denials", denials},
          {"unanswered", unanswered},
          {"compensated", compensated},
          {"failure_rate", Rate(failures)},
          {"violation_rate", Rate(violations)},
          {"compensation_rate", Rate(compensated)},
          {"denial_rate", Rate(denials)},
          {"latency_p50_ms", latency_p50_ms},
          {"latency_p95_ms", latency_p95_ms}};
}

namespace {

// Latency histogram buckets: exact microseconds below 256, then 128 buckets
// per power of two.
int LatencyBucket(int64_t us) {
  if (us < 256) return static_cast<int>(us);
  int e = 63 - __builtin_clzll(static_cast<uint64_t>(us));  // 2^e <= us
  int sub = static_cast<int>((us >> (e - 7)) & 127);
  return 256 + (e - 8) * 128 + sub;
}

}  // namespace

void VersionTally::Add(const journal::Journal::RunSummary& r) {
  if (!r.finished()) {
    ++m_.in_flight;
    return;
  }
  ++m_.runs;
  if (r.state == "completed") {
    ++m_.completed;
    // (Clocks of two processes may disagree by a little.)
    int64_t us = std::max<int64_t>(0, r.updated_us - r.created_us);
    Bucket& b = latency_[LatencyBucket(us)];
    ++b.count;
    b.sum_us += static_cast<double>(us);
  } else if (r.state == "failed" || r.state == "limit") {
    ++m_.failures;
  } else if (r.state == "violation") {
    ++m_.violations;
  } else if (r.state == "denied") {
    ++m_.denials;
  } else if (r.state == "unanswered") {
    ++m_.unanswered;
  }
  if (r.compensated) ++m_.compensated;
}

// The nearest-rank percentile: the bucket holding the ceil(q * n)-th
// smallest latency, as the mean of that bucket's latencies.
double VersionTally::Percentile(double q) const {
  if (m_.completed == 0) return 0;
  int64_t rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * m_.completed)));
  int64_t below = 0;
  for (const auto& [index, b] : latency_) {
    below += b.count;
    if (below >= rank) return b.sum_us / b.count / 1000.0;
  }
  return 0;
}

VersionMetrics VersionTally::Metrics(const std::string& version) const {
  VersionMetrics m = m_;
  m.version = version;
  m.latency_p50_ms = Percentile(0.5);
  m.latency_p95_ms = Percentile(0.95);
  return m;
}

Json Rollout::ToJson() const {
  Json j = {{"id", id},
            {"name", name},
            {"canary", canary},
            {"stable", stable.empty() ? Json() : Json(stable)},
            {"state", state},
            {"started", FormatRfc3339(started_us)},
            {"policy", policy.ToJson()}};
  if (ended_us != 0) j["ended"] = FormatRfc3339(ended_us);
  if (!reason.empty()) j["reason"] = reason;
  return j;
}

Json Verdict::ToJson() const {
  static const char* kKinds[] = {"collecting", "healthy", "roll back"};
  return {{"verdict", kKinds[static_cast<int>(kind)]},
          {"reasons", reasons},
          {"soaked", soaked},
          {"soak_left", Human(soak_left_us)}};
}

Controller::Controller(ControllerOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &system_clock_) {}

Controller::~Controller() = default;

Result<std::unique_ptr<Controller>> Controller::Open(
    const ControllerOptions& options) {
  if (options.store == nullptr || options.journal == nullptr ||
      options.path.empty()) {
    return InvalidArgument(
        "a rollout controller needs a store, a journal "
        "and a database path");
  }
  std::unique_ptr<Controller> c(new Controller(options));
  sql::Db::Options o;
  WFS_ASSIGN_OR_RETURN(c->db_, sql::Db::Open(options.path, o));
  WFS_RETURN_IF_ERROR(c->db_->Exec(kSchema));
  return c;
}

Result<std::vector<Rollout>> Controller::QueryLocked(const std::string& where,
                                                     const std::string& arg) {
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt st,
      db_->Prepare(StrCat("SELECT ", kColumns, " FROM rollouts ", where)));
  if (!arg.empty()) st.Bind(1, arg);
  std::vector<Rollout> out;
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    Rollout r;
    r.id = st.Int(0);
    r.name = st.Text(1);
    r.canary = st.Text(2);
    r.stable = st.Text(3);
    auto pj = ParseJson(st.Text(4));
    if (!pj.ok()) {
      return DataLoss(
          StrCat("rollout ", r.id, " of ", r.name,
                 " has an unreadable policy: ", pj.status().message()));
    }
    WFS_ASSIGN_OR_RETURN(r.policy, ParseRolloutPolicy(*pj, RolloutPolicy{}));
    r.state = st.Text(5);
    r.started_us = st.Int(6);
    r.ended_us = st.Int(7);
    r.reason = st.Text(8);
    out.push_back(std::move(r));
  }
  return out;
}

Status Controller::RefreshLocked() {
  WFS_ASSIGN_OR_RETURN(sql::Stmt * v, db_->Cached("PRAGMA data_version"));
  sql::ScopedReset v_reset(v);
  WFS_ASSIGN_OR_RETURN(bool row, v->Step());
  int64_t version = row ? v->Int(0) : -1;
  refreshed_at_us_ = clock_->MonotonicMicros();
  if (!dirty_ && version == data_version_) return Status::Ok();
  WFS_ASSIGN_OR_RETURN(
      std::vector<Rollout> all,
      QueryLocked("WHERE id IN (SELECT max(id) FROM rollouts GROUP BY name)",
                  ""));
  latest_.clear();
  for (Rollout& r : all) latest_[r.name] = std::move(r);
  {
    // Folds of rollouts that ended (here or in another process) go.
    std::lock_guard fold_lock(fold_mu_);
    for (auto it = folds_.begin(); it != folds_.end();) {
      bool active = false;
      for (const auto& [name, r] : latest_) {
        if (r.id == it->first && r.state == "active") active = true;
      }
      it = active ? std::next(it) : folds_.erase(it);
    }
  }
  data_version_ = version;
  dirty_ = false;
  return Status::Ok();
}

Status Controller::RefreshIfStaleLocked() {
  if (!dirty_ && clock_->MonotonicMicros() - refreshed_at_us_ <
                     options_.recheck_every.count()) {
    return Status::Ok();
  }
  return RefreshLocked();
}

Result<Rollout> Controller::Start(const std::string& name,
                                  const std::string& version,
                                  const RolloutPolicy& policy) {
  WFS_ASSIGN_OR_RETURN(store::PackageInfo info,
                       options_.store->Get(name, version));
  std::string ref = StrCat(name, "@", version);
  if (info.stage != "canary") {
    return FailedPrecondition(
        StrCat(ref, " is ", info.stage,
               "; only a canary rolls out (wfstore promote ", ref, " canary)"));
  }
  if (info.yanked) return FailedPrecondition(StrCat(ref, " is yanked"));
  WFS_ASSIGN_OR_RETURN(std::string stable,
                       StableVersion(options_.store, name, version));
  std::lock_guard lock(mu_);
  WFS_RETURN_IF_ERROR(RefreshLocked());
  // A version rolled back does not roll out again, even when a stop
  // interrupted its demotion (FinishRollbacks).
  WFS_ASSIGN_OR_RETURN(std::vector<Rollout> history,
                       QueryLocked("WHERE name = ? ORDER BY id DESC", name));
  for (const Rollout& past : history) {
    if (past.canary != version) continue;
    if (past.state == "rolled_back") {
      return FailedPrecondition(
          StrCat(ref, " was rolled back (", past.reason,
                 "); it cannot roll out again: publish a fixed version"));
    }
    break;
  }
  auto it = latest_.find(name);
  dirty_ = true;
  if (it != latest_.end() && it->second.state == "active") {
    if (it->second.canary != version) {
      return FailedPrecondition(
          StrCat(name, "@", it->second.canary,
                 " is rolling out; roll it back (wfstore rollout stop ", name,
                 ") or promote it to stable first"));
    }
    WFS_ASSIGN_OR_RETURN(
        sql::Stmt st,
        db_->Prepare("UPDATE rollouts SET policy = ? WHERE id = ?"));
    st.Bind(1, CanonicalJson(policy.ToJson())).Bind(2, it->second.id);
    WFS_RETURN_IF_ERROR(st.Run());
    Rollout r = it->second;
    r.policy = policy;
    return r;
  }
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt st,
      db_->Prepare("INSERT INTO rollouts(name, canary, stable, policy, state, "
                   "started_us) VALUES(?, ?, ?, ?, 'active', ?)"));
  Rollout r;
  r.name = name;
  r.canary = version;
  r.stable = stable;
  r.policy = policy;
  r.state = "active";
  r.started_us = clock_->NowMicros();
  st.Bind(1, name)
      .Bind(2, version)
      .Bind(3, stable)
      .Bind(4, CanonicalJson(policy.ToJson()))
      .Bind(5, r.started_us);
  WFS_RETURN_IF_ERROR(st.Run());
  WFS_ASSIGN_OR_RETURN(sql::Stmt id,
                       db_->Prepare("SELECT last_insert_rowid()"));
  WFS_ASSIGN_OR_RETURN(bool row, id.Step());
  if (row) r.id = id.Int(0);
  return r;
}

Result<Rollout> Controller::Current(const std::string& name) {
  std::lock_guard lock(mu_);
  WFS_RETURN_IF_ERROR(RefreshLocked());
  auto it = latest_.find(name);
  if (it == latest_.end()) {
    return NotFound(StrCat(name, " has never rolled out (wfstore promote ",
                           name, "@VERSION canary starts a rollout)"));
  }
  return it->second;
}

Result<std::vector<Rollout>> Controller::History(const std::string& name) {
  std::lock_guard lock(mu_);
  return QueryLocked("WHERE name = ? ORDER BY id DESC", name);
}

Result<std::optional<std::string>> Controller::Choose(const std::string& name,
                                                      const std::string& range,
                                                      const std::string& agent,
                                                      bool may_canary,
                                                      double draw) {
  Rollout r;
  {
    std::lock_guard lock(mu_);
    WFS_RETURN_IF_ERROR(RefreshIfStaleLocked());
    auto it = latest_.find(name);
    if (it == latest_.end()) return std::optional<std::string>();
    r = it->second;
  }
  if (r.state == "promoted") return std::optional<std::string>();
  bool stable_fits = false;
  if (!r.stable.empty()) {
    auto fits = store::VersionInRange(r.stable, range);
    if (!fits.ok()) return fits.status();
    stable_fits = *fits;
  }
  if (r.state == "rolled_back") {
    if (stable_fits) return std::optional<std::string>(r.stable);
    return std::optional<std::string>();
  }
  WFS_ASSIGN_OR_RETURN(bool canary_fits,
                       store::VersionInRange(r.canary, range));
  if (!canary_fits) return std::optional<std::string>();
  bool named = std::find(r.policy.agents.begin(), r.policy.agents.end(),
                         agent) != r.policy.agents.end();
  if (may_canary && (named || draw < r.policy.share || !stable_fits)) {
    return std::optional<std::string>(r.canary);
  }
  if (stable_fits) return std::optional<std::string>(r.stable);
  return std::optional<std::string>();
}

Status Controller::Fold::Update(journal::Journal& journal,
                                const journal::Journal::RunSummary& upto) {
  Status s = UpdateOrFail(journal, upto);
  if (!s.ok()) Reset();  // half counted: the next evaluation starts over
  return s;
}

void Controller::Fold::Reset() {
  tally = VersionTally();
  in_flight.clear();
  last = journal::Journal::RunSummary();
}

Status Controller::Fold::UpdateOrFail(
    journal::Journal& journal, const journal::Journal::RunSummary& upto) {
  // What was read before was committed: no need to commit this process's
  // queued records first (LastRun did; later ones get larger seqs).
  journal::Journal::RunFilter f;
  f.wait_for_queued = false;
  if (last.seq > 0) {
    // The run last read is still where it was, unless the journal was
    // rewritten (restored from a backup, renumbered by a VACUUM): then
    // count again.
    bool same = false;
    f.run_ids = {last.run_id};
    WFS_RETURN_IF_ERROR(
        journal.ScanRuns(f, [&](const journal::Journal::RunSummary& run) {
          same = run.seq == last.seq;
          return Status::Ok();
        }));
    if (!same || upto.seq < last.seq) Reset();
  }
  // Runs that were running or waiting may have finished since (one read).
  if (!in_flight.empty()) {
    f.run_ids.assign(in_flight.begin(), in_flight.end());
    WFS_RETURN_IF_ERROR(
        journal.ScanRuns(f, [&](const journal::Journal::RunSummary& run) {
          if (run.finished()) {
            tally.Add(run);
            in_flight.erase(run.run_id);
          }
          return Status::Ok();
        }));
  }
  // Then the runs recorded since, up to `upto` (runs recorded later get
  // larger seqs: the next update reads them).
  if (upto.seq <= last.seq) return Status::Ok();
  f.run_ids.clear();
  f.workflow = workflow;
  f.since_us = since_us;
  f.after_seq = last.seq;
  f.through_seq = upto.seq;
  WFS_RETURN_IF_ERROR(
      journal.ScanRuns(f, [&](const journal::Journal::RunSummary& run) {
        if (run.finished()) {
          tally.Add(run);
        } else {
          in_flight.insert(run.run_id);
        }
        return Status::Ok();
      }));
  last = upto;
  return Status::Ok();
}

VersionMetrics Controller::Fold::Metrics(const std::string& version) const {
  VersionMetrics m = tally.Metrics(version);
  m.in_flight = static_cast<int>(in_flight.size());
  return m;
}

Controller::Folds::Folds(const Rollout& r) {
  canary.workflow = StrCat(r.name, "@", r.canary);
  canary.since_us = r.started_us;
  stable.workflow = StrCat(r.name, "@", r.stable);
  stable.since_us = r.started_us;
  stable_all.workflow = stable.workflow;
}

bool Controller::Folds::For(const Rollout& r) const {
  return canary.workflow == StrCat(r.name, "@", r.canary) &&
         canary.since_us == r.started_us &&
         stable.workflow == StrCat(r.name, "@", r.stable);
}

Result<Verdict> Controller::Evaluate(const Rollout& r) {
  Verdict v;
  journal::Journal& journal = *options_.journal;
  // An active rollout's folds are kept and brought up to date; a finished
  // one (a status report) is counted once, from scratch.
  std::shared_ptr<Folds> folds;
  {
    std::lock_guard fold_lock(fold_mu_);
    if (r.state == "active") {
      std::shared_ptr<Folds>& kept = folds_[r.id];
      // (A rollout database replaced under a running server may reuse ids.)
      if (kept == nullptr || !kept->For(r)) kept = std::make_shared<Folds>(r);
      folds = kept;
    } else {
      folds_.erase(r.id);
    }
  }
  if (folds == nullptr) folds = std::make_shared<Folds>(r);
  std::lock_guard lock(folds->mu);
  // Every fold is brought up to the same run.
  WFS_ASSIGN_OR_RETURN(journal::Journal::RunSummary upto, journal.LastRun());
  WFS_RETURN_IF_ERROR(folds->canary.Update(journal, upto));
  v.canary = folds->canary.Metrics(r.canary);
  if (!r.stable.empty()) {
    WFS_RETURN_IF_ERROR(folds->stable.Update(journal, upto));
    const Fold* stable = &folds->stable;
    // Too little traffic on stable during the rollout: its whole history
    // is the baseline.
    if (stable->seen() < r.policy.min_runs) {
      WFS_RETURN_IF_ERROR(folds->stable_all.Update(journal, upto));
      stable = &folds->stable_all;
    }
    v.stable = stable->Metrics(r.stable);
  }
  int64_t age = clock_->NowMicros() - r.started_us;
  v.soaked = age >= r.policy.soak_us;
  v.soak_left_us = v.soaked ? 0 : r.policy.soak_us - age;
  if (v.canary.runs < r.policy.min_runs) {
    v.kind = Verdict::Kind::kCollecting;
    return v;
  }
  const Margins& m = r.policy.margins;
  struct Check {
    const char* what;
    int canary, stable;
    double margin;
  } checks[] = {
      {"failure", v.canary.failures, v.stable.failures, m.failure},
      {"violation", v.canary.violations, v.stable.violations, m.violation},
      {"compensation", v.canary.compensated, v.stable.compensated,
       m.compensation},
      {"denial", v.canary.denials, v.stable.denials, m.denial},
  };
  for (const Check& c : checks) {
    double cr = v.canary.Rate(c.canary), sr = v.stable.Rate(c.stable);
    if (cr - sr > c.margin + 1e-12) {
      v.reasons.push_back(
          StrCat(c.what, " rate ", FormatPercent(cr), " (", c.canary, " of ",
                 v.canary.runs, " runs) vs ", FormatPercent(sr), " on ",
                 r.stable.empty() ? std::string("no stable version")
                                  : StrCat("stable ", r.stable),
                 ", over the margin of ", FormatPercent(c.margin)));
    }
  }
  if (m.latency_ratio > 0 && v.stable.completed > 0 && v.canary.completed > 0 &&
      v.canary.latency_p95_ms > m.latency_ratio * v.stable.latency_p95_ms &&
      v.canary.latency_p95_ms - v.stable.latency_p95_ms > m.latency_floor_ms) {
    v.reasons.push_back(
        StrCat("p95 latency ", FormatFixed(v.canary.latency_p95_ms, 1), " ms",
               " vs ", FormatFixed(v.stable.latency_p95_ms, 1), " ms",
               " on stable, over ", FormatShort(m.latency_ratio), "x"));
  }
  v.kind =
      v.reasons.empty() ? Verdict::Kind::kHealthy : Verdict::Kind::kRollBack;
  return v;
}

Result<Rollout> Controller::RollBackLocked(const Rollout& r,
                                           const std::string& reason,
                                           const Json& details,
                                           const crypto::SecretKey& key) {
  dirty_ = true;
  // Claim the rollback first: of two servers that both saw the canary
  // fail, one demotes it.
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt st,
      db_->Prepare("UPDATE rollouts SET state = 'rolled_back', ended_us = ?, "
                   "reason = ? WHERE id = ? AND state = 'active'"));
  int64_t now = clock_->NowMicros();
  st.Bind(1, now).Bind(2, reason).Bind(3, r.id);
  WFS_RETURN_IF_ERROR(st.Run());
  Rollout out = r;
  out.state = "rolled_back";
  out.ended_us = now;
  out.reason = reason;
  if (db_->Changes() != 1) return out;  // someone else rolled it back
  auto info = options_.store->Get(r.name, r.canary);
  if (info.ok() && info->stage == "canary") {
    WFS_RETURN_IF_ERROR(options_.store
                            ->Demote(r.name, r.canary, "reviewed",
                                     StrCat("canary rolled back: ", reason),
                                     details, key)
                            .status());
  }
  return out;
}

Result<std::vector<Rollout>> Controller::FinishRollbacks(
    const crypto::SecretKey& key) {
  std::lock_guard lock(mu_);
  // The newest rollout of each version, when it was rolled back.
  WFS_ASSIGN_OR_RETURN(
      std::vector<Rollout> rolled_back,
      QueryLocked("WHERE id IN (SELECT max(id) FROM rollouts GROUP BY name, "
                  "canary) AND state = 'rolled_back' ORDER BY id",
                  ""));
  std::vector<Rollout> finished;
  for (const Rollout& r : rolled_back) {
    auto info = options_.store->Get(r.name, r.canary);
    if (!info.ok() || info->stage != "canary") continue;
    auto demoted = options_.store->Demote(
        r.name, r.canary, "reviewed", StrCat("canary rolled back: ", r.reason),
        Json{{"rollout", r.ToJson()}, {"finished_after_interruption", true}},
        key);
    if (!demoted.ok()) {
      // Another process demoted it between the look and the demotion.
      if (demoted.status().code() == Code::kFailedPrecondition) continue;
      return demoted.status();
    }
    finished.push_back(r);
  }
  return finished;
}

Result<std::optional<Rollout>> Controller::AfterRun(
    const std::string& name, const std::string& version,
    const crypto::SecretKey& key) {
  std::unique_lock lock(mu_);
  // (A rollback claims its row, so a view a moment old cannot act twice.)
  WFS_RETURN_IF_ERROR(RefreshIfStaleLocked());
  auto it = latest_.find(name);
  if (it == latest_.end() || it->second.state != "active" ||
      it->second.canary != version) {
    return std::optional<Rollout>();
  }
  Rollout r = it->second;
  // Evaluate every tenth of the minimum runs (and every run from the
  // minimum on, while the count is near it).
  int every = std::max(1, r.policy.min_runs / 10);
  int& since = runs_since_check_[r.id];
  if (++since < every) return std::optional<Rollout>();
  since = 0;
  lock.unlock();
  WFS_ASSIGN_OR_RETURN(Verdict v, Evaluate(r));
  if (v.kind != Verdict::Kind::kRollBack) return std::optional<Rollout>();
  lock.lock();
  Json details = {{"rollout", r.ToJson()},
                  {"canary", v.canary.ToJson()},
                  {"stable", v.stable.ToJson()},
                  {"reasons", v.reasons}};
  WFS_ASSIGN_OR_RETURN(
      Rollout rolled,
      RollBackLocked(r, StrJoin(v.reasons, "; "), details, key));
  return std::optional<Rollout>(rolled);
}

Result<Rollout> Controller::Stop(const std::string& name,
                                 const std::string& reason,
                                 const crypto::SecretKey& key) {
  WFS_ASSIGN_OR_RETURN(Rollout r, Current(name));
  if (r.state != "active") {
    return FailedPrecondition(StrCat(name,
                                     " has no active rollout (the last, of ",
                                     r.canary, ", is ", r.state, ")"));
  }
  WFS_ASSIGN_OR_RETURN(Verdict v, Evaluate(r));
  std::lock_guard lock(mu_);
  Json details = {{"rollout", r.ToJson()},
                  {"canary", v.canary.ToJson()},
                  {"stable", v.stable.ToJson()},
                  {"stopped_by_operator", true}};
  return RollBackLocked(r, reason.empty() ? "stopped by the operator" : reason,
                        details, key);
}

Result<store::Attestation> Controller::Certify(const std::string& name,
                                               const std::string& version,
                                               const crypto::SecretKey& key) {
  WFS_ASSIGN_OR_RETURN(Rollout r, Current(name));
  std::string ref = StrCat(name, "@", version);
  if (r.canary != version || r.state != "active") {
    return FailedPrecondition(StrCat(ref, " has no active rollout",
                                     r.canary == version
                                         ? StrCat(" (it was ", r.state, ")")
                                         : std::string()));
  }
  WFS_ASSIGN_OR_RETURN(Verdict v, Evaluate(r));
  std::vector<std::string> missing;
  if (v.kind == Verdict::Kind::kCollecting) {
    missing.push_back(StrCat("it has ", v.canary.runs, " of the ",
                             r.policy.min_runs, " canary runs needed"));
  }
  if (v.kind == Verdict::Kind::kRollBack) {
    missing.push_back(
        StrCat("it is over its margins: ", StrJoin(v.reasons, "; ")));
  }
  if (!v.soaked) {
    missing.push_back(StrCat("it has soaked ",
                             Human(r.policy.soak_us - v.soak_left_us), " of ",
                             FormatDurationUs(r.policy.soak_us), " (",
                             Human(v.soak_left_us), " left)"));
  }
  if (!missing.empty()) {
    return FailedPrecondition(
        StrCat(ref, " cannot be stable yet: ", StrJoin(missing, "; "),
               " (wfstore rollout status ", name, ")"));
  }
  Json predicate = {{"passed", true},
                    {"rollout", r.ToJson()},
                    {"canary", v.canary.ToJson()},
                    {"stable", v.stable.ToJson()}};
  return options_.store->RecordEvidence(name, version, store::kRolloutPredicate,
                                        predicate, key);
}

Status Controller::MarkPromoted(const std::string& name,
                                const std::string& version) {
  std::lock_guard lock(mu_);
  dirty_ = true;
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt st,
      db_->Prepare("UPDATE rollouts SET state = 'promoted', ended_us = ? "
                   "WHERE name = ? AND canary = ? AND state = 'active'"));
  st.Bind(1, clock_->NowMicros()).Bind(2, name).Bind(3, version);
  return st.Run();
}

Result<Json> Controller::StatusReport(const std::string& name) {
  WFS_ASSIGN_OR_RETURN(Rollout r, Current(name));
  WFS_ASSIGN_OR_RETURN(Verdict v, Evaluate(r));
  Json out = r.ToJson();
  out["canary_figures"] = v.canary.ToJson();
  if (!r.stable.empty()) out["stable_figures"] = v.stable.ToJson();
  Json vj = v.ToJson();
  if (r.state != "active") {
    vj["verdict"] = r.state == "promoted" ? "promoted" : "rolled back";
    vj["reasons"] = r.reason.empty() ? Json::array() : Json::array({r.reason});
  }
  out["verdict"] = vj;
  std::string ref = StrCat(name, "@", r.canary);
  if (r.state == "active") {
    if (v.kind == Verdict::Kind::kCollecting) {
      out["next"] = StrCat("collecting: ", v.canary.runs, " of ",
                           r.policy.min_runs, " canary runs");
    } else if (v.kind == Verdict::Kind::kRollBack) {
      out["next"] = "over its margins: the next canary run rolls it back";
    } else if (!v.soaked) {
      out["next"] =
          StrCat("healthy; soaking for ", Human(v.soak_left_us), " more");
    } else {
      out["next"] =
          StrCat("healthy and soaked: wfstore promote ", ref, " stable");
    }
  } else if (r.state == "rolled_back") {
    out["next"] = StrCat("calls go to ",
                         r.stable.empty() ? std::string("no stable version")
                                          : StrCat("stable ", r.stable),
                         "; fix it and publish a new version");
  }
  WFS_ASSIGN_OR_RETURN(std::vector<Rollout> history, History(name));
  Json h = Json::array();
  for (const Rollout& x : history) {
    if (x.id != r.id) h.push_back(x.ToJson());
  }
  out["earlier"] = h;
  return out;
}

}  // namespace wfs::rollout
