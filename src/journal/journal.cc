#include "journal/journal.h"

#include <algorithm>
#include <map>

#include "base/strings.h"
#include "base/thread.h"

namespace wfs::journal {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS programs (
  content_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  ir TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS programs_by_name ON programs(name, version);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  workflow TEXT NOT NULL,
  content_id TEXT NOT NULL,
  caller TEXT NOT NULL,
  inputs TEXT NOT NULL,
  connectors TEXT NOT NULL,
  state TEXT NOT NULL,
  outcome TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL,
  owner TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_by_state ON runs(state, created_us);
CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs(workflow, created_us);
CREATE TABLE IF NOT EXISTS events (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  effect INTEGER NOT NULL,
  key TEXT NOT NULL,
  data TEXT NOT NULL,
  at_us INTEGER NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
PRAGMA user_version = 2;
)sql";

Result<RunRecord> ReadRun(sql::Stmt& s) {
  RunRecord r;
  r.run_id = s.Text(0);
  r.workflow = s.Text(1);
  r.content_id = s.Text(2);
  r.caller = s.Text(3);
  WFS_ASSIGN_OR_RETURN(r.inputs, ParseJson(s.Text(4)));
  WFS_ASSIGN_OR_RETURN(r.connectors, ParseJson(s.Text(5)));
  r.state = s.Text(6);
  WFS_ASSIGN_OR_RETURN(r.outcome, ParseJson(s.Text(7)));
  r.created_us = s.Int(8);
  r.updated_us = s.Int(9);
  return r;
}

Result<std::vector<RunRecord>> ReadRuns(sql::Stmt& st) {
  std::vector<RunRecord> out;
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    WFS_ASSIGN_OR_RETURN(RunRecord r, ReadRun(st));
    out.push_back(std::move(r));
  }
  return out;
}

constexpr const char* kRunColumns =
    "run_id, workflow, content_id, caller, inputs, connectors, state, "
    "outcome, created_us, updated_us";

// RunSummary's columns: whether the outcome lists undo steps is read by
// SQLite's JSON functions, without parsing the outcome here.
constexpr const char* kSummaryColumns =
    "rowid, run_id, workflow, content_id, caller, state, "
    "coalesce(json_array_length(outcome, '$.undo'), 0) > 0, created_us, "
    "updated_us";

Journal::RunSummary ReadSummary(sql::Stmt& s) {
  Journal::RunSummary r;
  r.seq = s.Int(0);
  r.run_id = s.Text(1);
  r.workflow = s.Text(2);
  r.content_id = s.Text(3);
  r.caller = s.Text(4);
  r.state = s.Text(5);
  r.compensated = s.Int(6) != 0;
  r.created_us = s.Int(7);
  r.updated_us = s.Int(8);
  return r;
}

// Journals made before runs had owners get the column once; their runs
// have none, so any process may resume them.
Status AddOwnerColumn(sql::Db& db) {
  sql::Txn txn(&db);
  WFS_RETURN_IF_ERROR(txn.Begin());
  WFS_ASSIGN_OR_RETURN(sql::Stmt st,
                       db.Prepare("SELECT 1 FROM pragma_table_info('runs') "
                                  "WHERE name = 'owner'"));
  WFS_ASSIGN_OR_RETURN(bool present, st.Step());
  if (present) return Status::Ok();
  WFS_RETURN_IF_ERROR(
      db.Exec("ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT ''"));
  return txn.Commit();
}

std::string OwnersDir(const std::string& journal_path) {
  return journal_path + "-owners";
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::Open(const JournalOptions& options) {
  sql::Db::Options wopts;
  wopts.sync_full = options.sync;
  WFS_ASSIGN_OR_RETURN(std::unique_ptr<sql::Db> w,
                       sql::Db::Open(options.path, wopts));
  WFS_RETURN_IF_ERROR(w->Exec(kSchema));
  WFS_RETURN_IF_ERROR(AddOwnerColumn(*w));
  if (options.max_pages > 0) {
    WFS_RETURN_IF_ERROR(
        w->Exec(StrCat("PRAGMA max_page_count = ", options.max_pages)));
  }
  sql::Db::Options ropts;
  ropts.wal = false;  // the writer set it; readers share the file's mode
  WFS_ASSIGN_OR_RETURN(std::unique_ptr<sql::Db> r,
                       sql::Db::Open(options.path, ropts));
  WFS_ASSIGN_OR_RETURN(std::unique_ptr<OwnerLock> owner,
                       OwnerLock::Acquire(OwnersDir(options.path)));
  return std::unique_ptr<Journal>(
      new Journal(options, std::move(w), std::move(r), std::move(owner)));
}

Journal::Journal(JournalOptions options, std::unique_ptr<sql::Db> writer,
                 std::unique_ptr<sql::Db> reader,
                 std::unique_ptr<OwnerLock> owner)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &system_clock_),
      writer_db_(std::move(writer)),
      reader_db_(std::move(reader)),
      owner_(std::move(owner)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

Journal::~Journal() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  space_cv_.notify_all();
  writer_.join();
}

Journal::Stats Journal::stats() {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

Status Journal::health() {
  std::lock_guard<std::mutex> l(mu_);
  return failed_;
}

Status Journal::Enqueue(std::function<Status(sql::Db&)> write, bool wait) {
  std::shared_ptr<Waiter> waiter = wait ? std::make_shared<Waiter>() : nullptr;
  bool wake;
  {
    std::unique_lock<std::mutex> l(mu_);
    // Records nobody waits for are bounded too: past max_queued the caller
    // waits until the writer takes a batch, so a writer that falls behind
    // slows the calls down instead of holding ever more records, ever
    // longer before they reach the disk.
    if (options_.max_queued > 0 &&
        queue_.size() >= static_cast<size_t>(options_.max_queued)) {
      ++stats_.full_waits;
      ++blocked_;
      cv_.notify_one();
      space_cv_.wait(l, [&] {
        return stopping_ || !failed_.ok() ||
               queue_.size() < static_cast<size_t>(options_.max_queued);
      });
      --blocked_;
    }
    if (!failed_.ok()) return failed_;
    if (stopping_) return Unavailable("the journal is closing");
    // The writer sleeps without a deadline only on an empty queue; with
    // records queued it wakes by its commit deadline, unless this one is
    // urgent or fills a batch.
    wake = queue_.empty() || waiter != nullptr ||
           queue_.size() + 1 >= static_cast<size_t>(options_.max_batch);
    queue_.push_back(Item{std::move(write), waiter});
    ++queued_;
    if (waiter) {
      ++stats_.waits;
      ++urgent_;
    }
  }
  if (wake) cv_.notify_one();
  if (!waiter) return Status::Ok();
  std::unique_lock<std::mutex> l(waiter->mu);
  waiter->cv.wait(l, [&] { return waiter->done; });
  return waiter->status;
}

void Journal::WriterLoop() {
  NameThisThread("wfs-journal");
  // Commits in batches: it need not take a processor from the threads that
  // queue records the moment they do.
  MarkThisThreadThroughput();
  std::vector<Item> batch;
  std::chrono::steady_clock::time_point last_commit{};
  while (true) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      if (options_.commit_delay.count() > 0) {
        cv_.wait_until(l, last_commit + options_.commit_delay, [&] {
          return stopping_ || urgent_ > 0 || blocked_ > 0 ||
                 queue_.size() >= static_cast<size_t>(options_.max_batch);
        });
      }
      while (!queue_.empty() &&
             batch.size() < static_cast<size_t>(options_.max_batch)) {
        if (queue_.front().waiter) --urgent_;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (blocked_ > 0) space_cv_.notify_all();
    }
    Status s = CommitBatch(batch);
    last_commit = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> l(mu_);
      ++stats_.commits;
      stats_.records += static_cast<int64_t>(batch.size());
    }
    Status sticky = s;
    if (s.ok()) {
      // A record nobody waits for that could not be written is a gap in a
      // run's log: stop writing rather than go on without it.
      for (const Item& it : batch) {
        if (!it.waiter && !it.status.ok()) sticky = it.status;
      }
    }
    if (!sticky.ok()) {
      std::lock_guard<std::mutex> l(mu_);
      if (failed_.ok()) failed_ = sticky;
      space_cv_.notify_all();
      // Everything still queued fails too: order matters.
      for (Item& it : queue_) {
        if (it.waiter) --urgent_;
        it.status = sticky;
        batch.push_back(std::move(it));
      }
      queue_.clear();
    }
    for (Item& it : batch) {
      if (!it.waiter) continue;
      std::lock_guard<std::mutex> l(it.waiter->mu);
      it.waiter->done = true;
      it.waiter->status = s.ok() ? it.status : s;
      it.waiter->cv.notify_all();
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      handled_ += static_cast<int64_t>(batch.size());
    }
    handled_cv_.notify_all();
    batch.clear();
  }
}

void Journal::AwaitQueued() {
  std::unique_lock<std::mutex> l(mu_);
  int64_t target = queued_;
  if (handled_ >= target) return;
  ++urgent_;  // a reader waits: commit now rather than at the deadline
  cv_.notify_one();
  handled_cv_.wait(l, [&] { return handled_ >= target; });
  --urgent_;
}

namespace {
// Errors of the storage itself (as opposed to one record's content).
bool StorageError(const Status& s) {
  return s.code() == Code::kResourceExhausted || s.code() == Code::kDataLoss ||
         s.code() == Code::kUnavailable || s.code() == Code::kInternal;
}
}  // namespace

Status Journal::CommitBatch(std::vector<Item>& batch) {
  // Usually every record goes in: one transaction, nothing more. A record
  // that fails on its content (a duplicate run id) sends the batch again,
  // each record in its own savepoint, so that it fails alone.
  bool content_error = false;
  Status s = WriteBatch(batch, /*isolate=*/false, &content_error);
  if (s.ok() && content_error) s = WriteBatch(batch, /*isolate=*/true, nullptr);
  return s;
}

Status Journal::WriteBatch(std::vector<Item>& batch, bool isolate,
                           bool* content_error) {
  sql::Db& db = *writer_db_;
  Status s = db.ExecCached("BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  for (Item& it : batch) {
    if (!isolate) {
      it.status = it.write(db);
      if (!it.status.ok() && !StorageError(it.status)) {
        db.Exec("ROLLBACK").IgnoreError();
        *content_error = true;
        return Status::Ok();
      }
      s = it.status;
    } else {
      s = db.ExecCached("SAVEPOINT item");
      if (s.ok()) {
        it.status = it.write(db);
        if (it.status.ok()) {
          s = db.ExecCached("RELEASE item");
        } else if (StorageError(it.status)) {
          s = it.status;
        } else {
          s = db.ExecCached("ROLLBACK TO item");
          if (s.ok()) s = db.ExecCached("RELEASE item");
        }
      }
    }
    if (!s.ok()) break;
  }
  if (s.ok()) s = db.ExecCached("COMMIT");
  if (!s.ok()) db.Exec("ROLLBACK").IgnoreError();
  return s;
}

Status Journal::Flush() {
  return Enqueue([](sql::Db&) { return Status::Ok(); }, true);
}

Status Journal::PutProgram(const std::string& content_id,
                           const std::string& name, const std::string& version,
                           const std::string& ir) {
  return Enqueue(
      [=](sql::Db& db) -> Status {
        WFS_ASSIGN_OR_RETURN(
            sql::Stmt st,
            db.Prepare("INSERT OR IGNORE INTO programs VALUES (?, ?, ?, ?)"));
        return st.Bind(1, content_id).Bind(2, name).Bind(3, version)
            .Bind(4, ir)
            .Run();
      },
      true);
}

Result<std::string> Journal::GetProgram(const std::string& content_id) {
  AwaitQueued();
  std::lock_guard<std::mutex> l(reader_mu_);
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt st,
      reader_db_->Prepare("SELECT ir FROM programs WHERE content_id = ?"));
  st.Bind(1, content_id);
  WFS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("no program " + content_id + " in the journal");
  return st.Text(0);
}

Result<std::pair<std::string, std::string>> Journal::FindProgram(
    const std::string& name, const std::string& version) {
  AwaitQueued();
  std::lock_guard<std::mutex> l(reader_mu_);
  WFS_ASSIGN_OR_RETURN(sql::Stmt st,
                       reader_db_->Prepare("SELECT content_id, ir FROM "
                                           "programs WHERE name = ? AND "
                                           "version = ?"));
  st.Bind(1, name).Bind(2, version);
  WFS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("no program " + name + "@" + version);
  return std::make_pair(st.Text(0), st.Text(1));
}

namespace {

// `outcome`: the run's outcome, already canonical (null: serialize it).
Status InsertRun(sql::Db& db, const RunRecord& r, const std::string& owner,
                 const std::string* outcome = nullptr) {
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db.Cached("INSERT INTO runs (run_id, workflow, content_id, caller, "
                "inputs, connectors, state, outcome, created_us, updated_us, "
                "owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  return st->Bind(1, r.run_id)
      .Bind(2, r.workflow)
      .Bind(3, r.content_id)
      .Bind(4, r.caller)
      .Bind(5, CanonicalJson(r.inputs))
      .Bind(6, CanonicalJson(r.connectors))
      .Bind(7, r.state)
      .Bind(8, outcome != nullptr ? *outcome : CanonicalJson(r.outcome))
      .Bind(9, r.created_us)
      .Bind(10, r.updated_us)
      .Bind(11, owner)
      .Run();
}

Status InsertEvent(sql::Db& db, const std::string& run_id,
                   const EventRecord& e, const std::string& data) {
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db.Cached("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)"));
  return st->Bind(1, run_id)
      .Bind(2, e.seq)
      .Bind(3, e.kind)
      .Bind(4, e.effect)
      .Bind(5, e.key)
      .Bind(6, data)
      .Bind(7, e.at_us)
      .Run();
}

EventRecord OutcomeEvent(int64_t seq, int64_t at_us) {
  EventRecord e;
  e.seq = seq;
  e.kind = "outcome";
  e.at_us = at_us;
  return e;
}

// The process that changes a run's state is the one executing it (a waiting
// run answered by another process is that process's from then on).
Status UpdateState(sql::Db& db, const std::string& run_id,
                   const std::string& state, const std::string& outcome,
                   int64_t now, const std::string& owner) {
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db.Cached("UPDATE runs SET state = ?, outcome = ?, updated_us = ?, "
                "owner = ? WHERE run_id = ?"));
  WFS_RETURN_IF_ERROR(st->Bind(1, state)
                          .Bind(2, outcome)
                          .Bind(3, now)
                          .Bind(4, owner)
                          .Bind(5, run_id)
                          .Run());
  if (db.Changes() != 1) return NotFound("no run " + run_id);
  return Status::Ok();
}

}  // namespace

Status Journal::CreateRun(const RunRecord& run, bool wait) {
  RunRecord r = run;
  int64_t now = clock_->NowMicros();
  if (r.created_us == 0) r.created_us = now;
  r.updated_us = now;
  return Enqueue([this, r = std::move(r)](
                     sql::Db& db) { return InsertRun(db, r, owner_->id()); },
                 wait);
}

Status Journal::RecordFinishedRun(RunRecord run, int64_t seq, bool wait) {
  RunRecord r = std::move(run);
  int64_t now = clock_->NowMicros();
  if (r.created_us == 0) r.created_us = now;
  r.updated_us = now;
  return Enqueue(
      [this, r = std::move(r),
       e = OutcomeEvent(seq, now)](sql::Db& db) -> Status {
        std::string outcome = CanonicalJson(r.outcome);
        WFS_RETURN_IF_ERROR(InsertRun(db, r, owner_->id(), &outcome));
        return InsertEvent(db, r.run_id, e, outcome);
      },
      wait);
}

Status Journal::Append(const std::string& run_id, const EventRecord& event,
                       bool wait) {
  EventRecord e = event;
  if (e.at_us == 0) e.at_us = clock_->NowMicros();
  std::string data = CanonicalJson(e.data);
  return Enqueue(
      [run_id, e = std::move(e), data = std::move(data)](sql::Db& db) {
        return InsertEvent(db, run_id, e, data);
      },
      wait);
}

Status Journal::SetState(const std::string& run_id, const std::string& state,
                         const Json& outcome, bool wait) {
  return Enqueue(
      [this, run_id, state, o = CanonicalJson(outcome),
       now = clock_->NowMicros()](sql::Db& db) {
        return UpdateState(db, run_id, state, o, now, owner_->id());
      },
      wait);
}

Status Journal::FinishRun(const std::string& run_id, int64_t seq,
                          const std::string& state, const Json& outcome,
                          bool wait) {
  return Enqueue(
      [this, run_id, e = OutcomeEvent(seq, clock_->NowMicros()),
       o = CanonicalJson(outcome), state](sql::Db& db) -> Status {
        WFS_RETURN_IF_ERROR(InsertEvent(db, run_id, e, o));
        return UpdateState(db, run_id, state, o, e.at_us, owner_->id());
      },
      wait);
}

Result<bool> Journal::Claim(const std::string& run_id) {
  std::string owner;
  {
    AwaitQueued();
    std::lock_guard<std::mutex> l(reader_mu_);
    WFS_ASSIGN_OR_RETURN(
        sql::Stmt st,
        reader_db_->Prepare("SELECT owner, state FROM runs WHERE run_id = ?"));
    st.Bind(1, run_id);
    WFS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound(StrCat("no run ", Quote(run_id)));
    if (st.Text(1) != "running") return false;
    owner = st.Text(0);
  }
  if (owner == owner_->id()) return true;
  if (OwnerLock::Alive(OwnersDir(options_.path), owner)) return false;
  // Taken only if it is still the ended owner's: of two processes claiming
  // it at once, one changes the row and the other finds it changed.
  return UpdateOneRun(
      "UPDATE runs SET owner = ? WHERE run_id = ? AND owner = ? AND "
      "state = 'running'",
      [run_id, owner, mine = owner_->id()](sql::Stmt& st) {
        st.Bind(1, mine).Bind(2, run_id).Bind(3, owner);
      });
}

Result<bool> Journal::TakeWaiting(const std::string& run_id) {
  return UpdateOneRun(
      "UPDATE runs SET state = 'running', owner = ?, updated_us = ? WHERE "
      "run_id = ? AND state = 'waiting'",
      [run_id, mine = owner_->id(), now = clock_->NowMicros()](sql::Stmt& st) {
        st.Bind(1, mine).Bind(2, now).Bind(3, run_id);
      });
}

Result<bool> Journal::UpdateOneRun(std::string sql,
                                   std::function<void(sql::Stmt&)> bind) {
  auto changed = std::make_shared<int>(0);
  auto update = [sql = std::move(sql), bind = std::move(bind),
                 changed](sql::Db& db) -> Status {
    WFS_ASSIGN_OR_RETURN(sql::Stmt * st, db.Cached(sql));
    bind(*st);
    WFS_RETURN_IF_ERROR(st->Run());
    *changed = db.Changes();
    return Status::Ok();
  };
  Status s = Enqueue(std::move(update), /*wait=*/true);
  if (!s.ok()) return s;
  return *changed == 1;
}

Result<RunRecord> Journal::GetRun(const std::string& run_id) {
  AwaitQueued();
  std::lock_guard<std::mutex> l(reader_mu_);
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt st, reader_db_->Prepare(StrCat("SELECT ", kRunColumns,
                                               " FROM runs WHERE run_id = ?")));
  st.Bind(1, run_id);
  WFS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound(StrCat("no run ", Quote(run_id)));
  return ReadRun(st);
}

Result<std::vector<RunRecord>> Journal::ListRuns(const std::string& state,
                                                 int limit) {
  AwaitQueued();
  std::lock_guard<std::mutex> l(reader_mu_);
  // In one state, runs_by_state gives them in order. In any state, the
  // most recently recorded (rowid order: the table appends) are read
  // without sorting the whole table, then ordered like the others.
  std::string q = StrCat(
      "SELECT ", kRunColumns, " FROM runs",
      state.empty() ? " ORDER BY rowid DESC"
                    : " WHERE state = ? ORDER BY created_us DESC, run_id",
      " LIMIT ?");
  WFS_ASSIGN_OR_RETURN(sql::Stmt st, reader_db_->Prepare(q));
  int i = 1;
  if (!state.empty()) st.Bind(i++, state);
  st.Bind(i, static_cast<int64_t>(limit));
  WFS_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, ReadRuns(st));
  if (state.empty()) {
    std::sort(runs.begin(), runs.end(),
              [](const RunRecord& a, const RunRecord& b) {
                return a.created_us != b.created_us
                           ? a.created_us > b.created_us
                           : a.run_id < b.run_id;
              });
  }
  return runs;
}

Status Journal::ScanRuns(
    const RunFilter& filter,
    const std::function<Status(const RunSummary&)>& visit) {
  if (filter.wait_for_queued) AwaitQueued();
  std::lock_guard<std::mutex> l(reader_mu_);
  // Since a seq, the table is read from that rowid on, and named runs by
  // their key: the unary plus keeps the indexes on workflow, caller and
  // creation time out of the plan (they would visit every run of the
  // workflow). Otherwise the narrowest index serves.
  const char* col =
      filter.after_seq > 0 || !filter.run_ids.empty() ? " AND +" : " AND ";
  std::string q = StrCat("SELECT ", kSummaryColumns, " FROM runs WHERE 1", col,
                         "created_us >= ?");
  if (!filter.workflow.empty()) q += StrCat(col, "workflow = ?");
  if (!filter.caller.empty()) q += StrCat(col, "caller = ?");
  if (filter.after_seq > 0) q += " AND rowid > ?";
  if (filter.through_seq > 0) q += " AND rowid <= ?";
  // Binds the conditions, then `n` ids into `slots` places (the rest NULL,
  // which matches nothing), and visits the rows.
  auto scan = [&](sql::Stmt& st, const std::string* ids, size_t n,
                  size_t slots) -> Status {
    int i = 1;
    st.Bind(i++, filter.since_us);
    if (!filter.workflow.empty()) st.Bind(i++, filter.workflow);
    if (!filter.caller.empty()) st.Bind(i++, filter.caller);
    if (filter.after_seq > 0) st.Bind(i++, filter.after_seq);
    if (filter.through_seq > 0) st.Bind(i++, filter.through_seq);
    for (size_t k = 0; k < slots; ++k) {
      if (k < n) {
        st.Bind(i++, ids[k]);
      } else {
        st.BindNull(i++);
      }
    }
    while (true) {
      WFS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return Status::Ok();
      WFS_RETURN_IF_ERROR(visit(ReadSummary(st)));
    }
  };
  if (filter.run_ids.empty()) {
    // (At most 16 shapes of query: each is compiled once and kept.)
    WFS_ASSIGN_OR_RETURN(sql::Stmt * st, reader_db_->Cached(q));
    sql::ScopedReset reset(st);
    return scan(*st, nullptr, 0, 0);
  }
  // Named runs, by the primary key, up to 256 per statement. Statements
  // take 1, 16 or 256 ids, so that few shapes are compiled and kept.
  const std::vector<std::string>& ids = filter.run_ids;
  for (size_t at = 0; at < ids.size();) {
    size_t n = std::min<size_t>(256, ids.size() - at);
    size_t slots = n == 1 ? 1 : n <= 16 ? 16 : 256;
    std::string in = q + " AND run_id IN (?";
    for (size_t k = 1; k < slots; ++k) in += ", ?";
    in += ")";
    WFS_ASSIGN_OR_RETURN(sql::Stmt * st, reader_db_->Cached(in));
    sql::ScopedReset reset(st);
    WFS_RETURN_IF_ERROR(scan(*st, &ids[at], n, slots));
    at += n;
  }
  return Status::Ok();
}

Result<Journal::RunSummary> Journal::LastRun() {
  AwaitQueued();
  std::lock_guard<std::mutex> l(reader_mu_);
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      reader_db_->Cached(StrCat("SELECT ", kSummaryColumns,
                                " FROM runs ORDER BY rowid DESC LIMIT 1")));
  sql::ScopedReset reset(st);
  WFS_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return RunSummary();
  return ReadSummary(*st);
}

Result<std::vector<EventRecord>> Journal::Events(const std::string& run_id) {
  AwaitQueued();
  std::lock_guard<std::mutex> l(reader_mu_);
  WFS_ASSIGN_OR_RETURN(sql::Stmt st,
                       reader_db_->Prepare("SELECT seq, kind, effect, key, "
                                           "data, at_us FROM events WHERE "
                                           "run_id = ? ORDER BY seq"));
  st.Bind(1, run_id);
  std::vector<EventRecord> out;
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    EventRecord e;
    e.seq = st.Int(0);
    e.kind = st.Text(1);
    e.effect = st.Int(2);
    e.key = st.Text(3);
    WFS_ASSIGN_OR_RETURN(e.data, ParseJson(st.Text(4)));
    e.at_us = st.Int(5);
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<std::string>> Journal::Verify() {
  std::vector<std::string> problems;
  WFS_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, ListRuns("", 1 << 30));
  for (const RunRecord& r : runs) {
    WFS_ASSIGN_OR_RETURN(std::vector<EventRecord> events, Events(r.run_id));
    std::map<int64_t, std::string> last;  // effect -> last kind
    bool outcome = false;
    for (size_t i = 0; i < events.size(); ++i) {
      const EventRecord& e = events[i];
      if (e.seq != static_cast<int64_t>(i) + 1) {
        problems.push_back(StrCat(r.run_id, ": event ", i + 1,
                                  " has sequence number ", e.seq));
      }
      if (e.kind == "intent" || e.kind == "result" || e.kind == "error" ||
          e.kind == "reconciled" || e.kind == "uncertain") {
        last[e.effect] = e.kind;
      }
      if (e.kind == "outcome") outcome = true;
    }
    bool finished = r.state != "running" && r.state != "waiting";
    for (const auto& [effect, kind] : last) {
      if (kind == "intent" && finished) {
        problems.push_back(StrCat(r.run_id, ": effect ", effect,
                                  " has an intent but no result, and the run "
                                  "is ",
                                  r.state));
      }
    }
    if (finished && !outcome) {
      problems.push_back(StrCat(r.run_id, ": ", r.state,
                                " but no outcome event"));
    }
  }
  return problems;
}

}  // namespace wfs::journal
