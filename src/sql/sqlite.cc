#include "sql/sqlite.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "base/strings.h"

namespace wfs::sql {

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (s_) sqlite3_finalize(s_);
    db_ = o.db_;
    s_ = o.s_;
    o.s_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() {
  if (s_) sqlite3_finalize(s_);
}

Stmt& Stmt::Bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()),
                    SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt& Stmt::BindNull(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, sqlite3_sql(s_));
}

Status Stmt::Run() {
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

Stmt& Stmt::Reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  return *this;
}

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(s_, col); }
std::string Stmt::Text(int col) const {
  const unsigned char* t = sqlite3_column_text(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  return t ? std::string(reinterpret_cast<const char*>(t), n) : std::string();
}
bool Stmt::IsNull(int col) const {
  return sqlite3_column_type(s_, col) == SQLITE_NULL;
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path,
                                     const Options& o) {
  sqlite3* raw = nullptr;
  int flags = (o.read_only ? SQLITE_OPEN_READONLY
                           : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
              SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    if (raw) sqlite3_close(raw);
    return Unavailable(StrCat("cannot open database ", path, ": ", msg));
  }
  std::unique_ptr<Db> db(new Db(raw));
  sqlite3_busy_timeout(raw, o.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  if (!o.read_only) {
    if (o.wal) {
      // Switching a new database to WAL needs it to itself, and SQLite does
      // not wait for that through the busy handler: processes opening one
      // new database at once retry, as long as the busy timeout allows.
      auto deadline = std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(o.busy_timeout_ms);
      auto pause = std::chrono::milliseconds(1);
      while (true) {
        Status s = db->Exec("PRAGMA journal_mode=WAL");
        if (s.ok()) break;
        if (s.code() != Code::kUnavailable ||
            std::chrono::steady_clock::now() + pause > deadline) {
          return s;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(20));
      }
    }
    WFS_RETURN_IF_ERROR(db->Exec(o.sync_full ? "PRAGMA synchronous=FULL"
                                             : "PRAGMA synchronous=NORMAL"));
  }
  WFS_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  return db;
}

Db::~Db() {
  cache_.clear();  // finalize statements before closing
  if (db_) sqlite3_close_v2(db_);
}

Result<Stmt*> Db::Cached(std::string_view sql) {
  for (auto& [text, st] : cache_) {
    if (text == sql) {
      st->Reset();
      return st.get();
    }
  }
  WFS_ASSIGN_OR_RETURN(Stmt st, Prepare(sql));
  cache_.emplace_back(sql, std::make_unique<Stmt>(std::move(st)));
  return cache_.back().second.get();
}

Status Db::Error(int rc, std::string_view context) const {
  std::string msg = StrCat("sqlite: ", sqlite3_errmsg(db_));
  if (!context.empty()) {
    std::string c(context.substr(0, 60));
    msg += StrCat(" (", c, context.size() > 60 ? "..." : "", ")");
  }
  switch (rc & 0xff) {
    case SQLITE_FULL: return ResourceExhausted(msg);
    case SQLITE_IOERR:
      return (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_FSYNC)
                 ? ResourceExhausted(msg)
                 : Unavailable(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLoss(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Unavailable(msg);
    case SQLITE_CONSTRAINT: return AlreadyExists(msg);
    default: return Internal(msg);
  }
}

Status Db::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (err) sqlite3_free(err);
  if (rc != SQLITE_OK) return Error(rc, sql);
  return Status::Ok();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s,
                              nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  return Stmt(this, s);
}

int64_t Db::Changes() const { return sqlite3_changes64(db_); }

int64_t Db::TotalChanges() const { return sqlite3_total_changes64(db_); }

Result<int64_t> Db::DataVersion() {
  WFS_ASSIGN_OR_RETURN(Stmt * st, Cached("PRAGMA data_version"));
  WFS_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Internal("sqlite: PRAGMA data_version returned no row");
  int64_t v = st->Int(0);
  st->Reset();
  return v;
}

bool Db::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

Status Db::ExecCached(std::string_view sql) {
  WFS_ASSIGN_OR_RETURN(Stmt * st, Cached(sql));
  return st->Run();
}

}  // namespace wfs::sql
