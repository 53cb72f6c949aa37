// A thin, error-as-value wrapper over the SQLite C API: a connection and
// prepared statements. Used by the journal and the store.
#ifndef WFSTORE_SQL_SQLITE_H_
#define WFSTORE_SQL_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace wfs::sql {

class Db;

// A prepared statement. Bind with 1-based indexes; Step() returns true while
// there is a row.
class Stmt {
 public:
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& Bind(int i, std::string_view v);
  Stmt& Bind(int i, int64_t v);
  Stmt& BindNull(int i);
  // Runs one step: true with a row, false when done; an error otherwise.
  Result<bool> Step();
  // Runs to completion (statements without rows).
  Status Run();
  Stmt& Reset();

  int64_t Int(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const;

 private:
  friend class Db;
  Stmt(Db* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Db* db_;
  sqlite3_stmt* s_;
};

// Resets a statement when the scope ends. A cached statement left on a row
// keeps the connection's read snapshot open, so later reads would miss
// other connections' commits; reset it as soon as its rows are read.
class ScopedReset {
 public:
  explicit ScopedReset(Stmt* s) : s_(s) {}
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;
  ~ScopedReset() { s_->Reset(); }

 private:
  Stmt* s_;
};

class Db {
 public:
  struct Options {
    bool read_only = false;
    bool wal = true;
    // FULL: every commit is durable before it returns; NORMAL: durable at
    // checkpoints (WAL), consistent always.
    bool sync_full = true;
    int busy_timeout_ms = 10000;
  };
  static Result<std::unique_ptr<Db>> Open(const std::string& path,
                                          const Options& options);
  ~Db();

  Status Exec(std::string_view sql);
  Result<Stmt> Prepare(std::string_view sql);
  // A statement prepared once and kept for the connection's life, reset and
  // cleared before it is returned. Not thread-safe (like the connection).
  Result<Stmt*> Cached(std::string_view sql);
  // Runs a statement without rows through the cache (for statements run
  // very often, such as SAVEPOINT).
  Status ExecCached(std::string_view sql);
  int64_t Changes() const;
  // Rows this connection has inserted, updated or deleted since it was
  // opened (changes later rolled back included).
  int64_t TotalChanges() const;
  // SQLite's PRAGMA data_version: differs from an earlier value when another
  // connection (in this process or another) has committed to the database
  // since. Commits of this connection do not change it (see TotalChanges).
  Result<int64_t> DataVersion();
  // Whether a transaction is open on this connection.
  bool InTransaction() const;
  sqlite3* raw() { return db_; }

  // Maps the last error to a Status ("sqlite: <message> (<context>)"):
  // SQLITE_FULL -> ResourceExhausted, CORRUPT/NOTADB -> DataLoss, BUSY/LOCKED
  // -> Unavailable, others -> Internal.
  Status Error(int rc, std::string_view context) const;

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::vector<std::pair<std::string, std::unique_ptr<Stmt>>> cache_;
};

// A transaction that rolls back unless committed. Inside another one it is a
// savepoint: committing it keeps its writes for the outer transaction to
// commit, and dropping it uncommitted undoes only its own.
class Txn {
 public:
  explicit Txn(sql::Db* db) : db_(db) {}
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  Status Begin() {
    nested_ = db_->InTransaction();
    WFS_RETURN_IF_ERROR(
        db_->ExecCached(nested_ ? "SAVEPOINT wfs_txn" : "BEGIN IMMEDIATE"));
    open_ = true;
    return Status::Ok();
  }
  Status Commit() {
    WFS_RETURN_IF_ERROR(
        db_->ExecCached(nested_ ? "RELEASE wfs_txn" : "COMMIT"));
    open_ = false;
    return Status::Ok();
  }
  ~Txn() {
    if (!open_) return;
    if (nested_) {
      db_->ExecCached("ROLLBACK TO wfs_txn").IgnoreError();
      db_->ExecCached("RELEASE wfs_txn").IgnoreError();
    } else {
      db_->ExecCached("ROLLBACK").IgnoreError();
    }
  }

 private:
  sql::Db* db_;
  bool open_ = false;
  bool nested_ = false;
};

}  // namespace wfs::sql

#endif  // WFSTORE_SQL_SQLITE_H_
