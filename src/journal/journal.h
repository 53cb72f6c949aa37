// The durable run journal (docs/journal.md).
//
// An SQLite database in WAL mode with three tables: programs (the IR each run
// executes, by content id), runs (one row per run: workflow, inputs,
// connector configuration, state, outcome) and events (per run, in order:
// effect intents and results, prompts and answers, undo steps, the outcome).
//
// Writes go through one writer thread that commits whatever is queued in one
// transaction (group commit): a caller that must be durable (an effect's
// intent, before the connector is called) waits for its commit; other records
// ride along with the next commit, in order, at most `commit_delay` after
// they were queued (so that a stream of them shares commits). A failed
// write (a full disk, an I/O error) is sticky: every later write fails with the
// same error, so no effect can run without its intent on disk. Reads see every
// write this process queued before them (they wait for the commit that carries
// it).
//
// Several processes may share a journal (servers, `wfstore approve`): each
// run names the process executing it (journal/owner.h), and a running run
// is resumed elsewhere only once that process has ended.
#ifndef WFSTORE_JOURNAL_JOURNAL_H_
#define WFSTORE_JOURNAL_JOURNAL_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "journal/owner.h"
#include "sql/sqlite.h"

namespace wfs::journal {

struct JournalOptions {
  std::string path;  // the database file; created when absent
  // Commit with fsync (SQLite synchronous=FULL). Off only for benchmarks of
  // the non-durable case.
  bool sync = true;
  // Most records in one transaction.
  int max_batch = 4096;
  // Most records queued (0: unlimited): a caller queueing one more waits
  // until the writer takes a batch, whether it waits for its commit or not.
  // Bounds the memory the queue holds, and how long a record nobody waits
  // for stays off the disk, when the writer falls behind.
  int max_queued = 8192;
  // How long after the previous commit the writer waits for more records
  // when nobody waits for the queued ones: records nobody waits for (a
  // finished run's outcome, an effect's result) share commits instead of
  // each paying for one. A waiting caller, a read or a full batch ends the
  // wait at once. 0: commit as soon as the writer is free. The writer's
  // work for a batch takes a processor in one piece: 1 ms keeps that piece
  // short under load (a shorter tail for calls answered meanwhile) while
  // batches stay large (docs/benchmarks.md, "Journal commit delay").
  std::chrono::microseconds commit_delay{1000};
  // Largest database in pages of 4 KiB (0: unlimited). Tests use it to
  // simulate a full disk.
  int64_t max_pages = 0;
  const Clock* clock = nullptr;  // null: the system clock
};

struct RunRecord {
  std::string run_id;
  std::string workflow;    // name@version
  std::string content_id;
  std::string caller;
  Json inputs = Json::object();
  Json connectors = Json::object();  // how to rebuild the run's connectors
  // running, waiting, completed, failed, denied, unanswered, violation, limit
  std::string state = "running";
  Json outcome = Json::object();     // error, rule, outputs, undo summary
  int64_t created_us = 0;
  int64_t updated_us = 0;
};

// Event kinds: intent, result, error, reconciled, uncertain, prompt, answer,
// undo, outcome.
struct EventRecord {
  int64_t seq = 0;        // per run, from 1, assigned by the caller
  std::string kind;
  int64_t effect = -1;    // the effect's call number (intent/result/undo)
  std::string key;        // idempotency key
  Json data = Json::object();
  int64_t at_us = 0;
};

class Journal {
 public:
  static Result<std::unique_ptr<Journal>> Open(const JournalOptions& options);
  ~Journal();  // commits what is queued, stops the writer

  // Records a program's IR once (durable before returning).
  Status PutProgram(const std::string& content_id, const std::string& name,
                    const std::string& version, const std::string& ir);
  Result<std::string> GetProgram(const std::string& content_id);
  // Finds the IR of name@version among recorded programs (NotFound if none).
  Result<std::pair<std::string, std::string>> FindProgram(
      const std::string& name, const std::string& version);

  // Creates a run. With `wait`, durable before returning, and a used id is
  // AlreadyExists; without, the record rides along with the next commit
  // (reads see it at once) and a used id is a write failure (sticky), so
  // only ids that cannot collide (NewRunId) may skip the wait.
  Status CreateRun(const RunRecord& run, bool wait = true);
  // Appends an event; with `wait`, returns after it is durable.
  Status Append(const std::string& run_id, const EventRecord& event,
                bool wait);
  // Sets a run's state and outcome.
  Status SetState(const std::string& run_id, const std::string& state,
                  const Json& outcome, bool wait);
  // Records a run that already finished, as one record: the run with its
  // final state and outcome, and its "outcome" event (number `seq`, data
  // the run's outcome). For a run that touched nothing before it ended.
  Status RecordFinishedRun(RunRecord run, int64_t seq, bool wait);
  // Ends a run as one record: appends its "outcome" event (number `seq`,
  // data `outcome`) and sets its final state and outcome.
  Status FinishRun(const std::string& run_id, int64_t seq,
                   const std::string& state, const Json& outcome, bool wait);
  // Waits until everything queued so far is durable.
  Status Flush();

  // Makes this journal's process the owner of a running run that no live
  // process owns (its owner's journal closed or its process ended; see
  // journal/owner.h), so that it may resume it. True when the run is now
  // this process's (or already was); false when it is not running or
  // another live process owns it, or another process claimed it first.
  Result<bool> Claim(const std::string& run_id);
  // Moves a waiting run to running, owned by this process, if it is still
  // waiting: of processes answering it at once, one gets true.
  Result<bool> TakeWaiting(const std::string& run_id);
  // This process's owner id (runs it starts or resumes carry it).
  const std::string& owner_id() const { return owner_->id(); }

  Result<RunRecord> GetRun(const std::string& run_id);
  // Newest first (by creation time). `state` empty for all: then the
  // `limit` most recently recorded runs (a run is recorded when it first
  // touches something, or at its end when it touches nothing), newest
  // first; reading them does not sort the whole journal.
  Result<std::vector<RunRecord>> ListRuns(const std::string& state, int limit);
  // A run as the rollout figures and the readiness report count it: the
  // record without its inputs and connectors, read without parsing JSON.
  struct RunSummary {
    int64_t seq = 0;  // recording order: a later record has a larger seq
    std::string run_id;
    std::string workflow;  // name@version
    std::string content_id;
    std::string caller;
    std::string state;
    bool compensated = false;  // its outcome lists undo steps
    int64_t created_us = 0;
    int64_t updated_us = 0;
    // Neither running nor waiting: its state and outcome are final.
    bool finished() const { return state != "running" && state != "waiting"; }
  };
  // Which runs ScanRuns visits; empty fields and zeros match all.
  struct RunFilter {
    std::string workflow;  // name@version
    std::string caller;
    int64_t since_us = 0;     // created at or after
    int64_t after_seq = 0;    // recorded after the run with this seq
    int64_t through_seq = 0;  // recorded no later than the run with this seq
    std::vector<std::string> run_ids;  // only these runs
    // false: read what is committed without first committing what this
    // process queued (a scan bounded by an earlier LastRun loses nothing:
    // runs committed later get larger seqs).
    bool wait_for_queued = true;
  };
  // Calls `visit` with every run matching `filter`, in no promised order,
  // one at a time: memory does not grow with the journal. With `after_seq`
  // it reads only the runs recorded since (LastRun's seq before, then
  // `after_seq` = that seq: the runs recorded in between), whatever the
  // journal's length. Returns the first error `visit` returns, which ends
  // the scan. `visit` must not call this journal (the scan holds its
  // reader). Like every read, sees what this process queued before it.
  Status ScanRuns(const RunFilter& filter,
                  const std::function<Status(const RunSummary&)>& visit);
  // The most recently recorded run (seq 0 when there is none).
  Result<RunSummary> LastRun();
  Result<std::vector<EventRecord>> Events(const std::string& run_id);

  // Consistency of every run's events: sequence numbers contiguous from 1,
  // every intent followed by a result, error, reconciliation or uncertainty
  // (unless the run is still running), finished runs with an outcome event.
  // Returns the problems found (empty when consistent).
  Result<std::vector<std::string>> Verify();

  // The first write error, once writes have failed (sticky).
  Status health();

  struct Stats {
    int64_t commits = 0;
    int64_t records = 0;  // records written (several per commit)
    int64_t waits = 0;    // records whose caller waited for their commit
    int64_t full_waits = 0;  // records queued after waiting for room
  };
  Stats stats();

  int64_t NowMicros() const { return clock_->NowMicros(); }

 private:
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status status;
  };
  struct Item {
    std::function<Status(sql::Db&)> write;
    std::shared_ptr<Waiter> waiter;  // null: do not wait
    Status status;                   // this item's own outcome
  };

  Journal(JournalOptions options, std::unique_ptr<sql::Db> writer,
          std::unique_ptr<sql::Db> reader, std::unique_ptr<OwnerLock> owner);
  Status Enqueue(std::function<Status(sql::Db&)> write, bool wait);
  // Runs a conditional UPDATE of one run through the writer and waits for
  // it: true when it changed the row (the condition held).
  Result<bool> UpdateOneRun(std::string sql,
                            std::function<void(sql::Stmt&)> bind);
  // Waits until every record queued before the call has been committed (or
  // has failed), so that reads see this process's own writes.
  void AwaitQueued();
  void WriterLoop();
  Status CommitBatch(std::vector<Item>& batch);
  // One transaction of `batch`. Without `isolate`, stops at the first
  // record that fails on its content, rolls back and sets *content_error;
  // with it, each record goes in its own savepoint and fails alone.
  Status WriteBatch(std::vector<Item>& batch, bool isolate,
                    bool* content_error);

  JournalOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  std::unique_ptr<sql::Db> writer_db_;
  std::unique_ptr<sql::Db> reader_db_;
  std::mutex reader_mu_;
  std::unique_ptr<OwnerLock> owner_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  int64_t queued_ = 0;   // records ever queued
  int64_t handled_ = 0;  // of those, committed or failed
  int urgent_ = 0;  // queued records with a waiter, plus readers waiting
  int blocked_ = 0;                   // callers waiting for room in the queue
  std::condition_variable space_cv_;  // they wait here
  std::condition_variable handled_cv_;
  bool stopping_ = false;
  Status failed_;  // sticky write error
  Stats stats_;
  std::thread writer_;
};

}  // namespace wfs::journal

#endif  // WFSTORE_JOURNAL_JOURNAL_H_
