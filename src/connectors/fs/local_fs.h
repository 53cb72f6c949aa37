// The fs connector on a local directory: the actions of catalog/interfaces/
// fs.wfi on real files, with the fs simulator's semantics action for action
// (docs/simulators.md, "fs"; differences in docs/connectors.md).
//
// Every path is relative to the run's `root` scope (the first value of
// ActionRequest::scopes["root"]), or to the private `_root` of an undo record
// when compensating. Paths are resolved one component at a time from a
// directory file descriptor of the root with openat(O_NOFOLLOW) and
// fstatat(AT_SYMLINK_NOFOLLOW), never by string checks on the whole path:
//   - an absolute path is PermissionDenied, `..` above the root too;
//   - a symbolic link met on the way (and in the last component for read,
//     list and write) is read with readlinkat and followed by the resolver
//     itself: a relative target continues from the link's directory, an
//     absolute one must lie under the root (its lexical or its real path),
//     else PermissionDenied; more than 40 links is FailedPrecondition;
//   - a regular file with more than one hard link is PermissionDenied for
//     every action that reads or replaces its content (a hard link may reach
//     a file outside the root).
// Writes are atomic: a temporary file in the same directory, fsync, rename
// (renameat2(RENAME_NOREPLACE) where nothing may be replaced), fsync of the
// directory. Undo records are self-contained: previous content in
// `_content`, link target in `_link`, the root in `_root`.
//
// Content crosses the interface as JSON strings: a file that is not UTF-8
// text is refused (FailedPrecondition), as is one larger than
// Options::max_file_bytes (ResourceExhausted).
//
// Thread-safe: calls are serialised.
#ifndef WFSTORE_CONNECTORS_FS_LOCAL_FS_H_
#define WFSTORE_CONNECTORS_FS_LOCAL_FS_H_

#include <cstddef>
#include <memory>

#include "connectors/connector.h"

namespace wfs::connectors::fs {

struct LocalFsOptions {
  // Largest file read, written, or kept for undo.
  size_t max_file_bytes = size_t{16} << 20;
  // Most entries `list` returns.
  size_t max_list_entries = 10000;
};

std::unique_ptr<Connector> MakeLocalFsConnector(
    const LocalFsOptions& options = {});

}  // namespace wfs::connectors::fs

#endif  // WFSTORE_CONNECTORS_FS_LOCAL_FS_H_
