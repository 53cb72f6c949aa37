// Which process executes a run (docs/journal.md, "Owners").
//
// Every process that opens a journal takes a new owner id and holds an
// exclusive lock (flock) on the file DIR/ID for as long as the journal is
// open; the runs it starts or resumes name it as their owner. The kernel
// drops the lock when the process ends, however it ends, so a run whose
// owner's file is unlocked (or gone) was left by a process that is no
// longer running it, and only such a run may be resumed by another.
#ifndef WFSTORE_JOURNAL_OWNER_H_
#define WFSTORE_JOURNAL_OWNER_H_

#include <memory>
#include <string>

#include "base/result.h"

namespace wfs::journal {

class OwnerLock {
 public:
  // Takes a new owner id and locks its file under `dir` (made, 0700, when
  // absent).
  static Result<std::unique_ptr<OwnerLock>> Acquire(const std::string& dir);
  ~OwnerLock();  // removes the file and drops the lock
  OwnerLock(const OwnerLock&) = delete;
  OwnerLock& operator=(const OwnerLock&) = delete;

  const std::string& id() const { return id_; }

  // Whether owner `id` still holds its lock: a live journal, in this process
  // or another. No for an empty or malformed id and for a missing or
  // unlocked file (whose file is then removed: its owner has ended).
  static bool Alive(const std::string& dir, const std::string& id);

 private:
  OwnerLock(std::string path, std::string id, int fd)
      : path_(std::move(path)), id_(std::move(id)), fd_(fd) {}

  std::string path_;
  std::string id_;
  int fd_;
};

}  // namespace wfs::journal

#endif  // WFSTORE_JOURNAL_OWNER_H_
