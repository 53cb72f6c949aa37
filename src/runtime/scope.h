// Scope checks the runtime applies before every connector call. Internal to
// src/runtime; connectors check again with what they know (docs/security-model.md).
#ifndef WFSTORE_RUNTIME_SCOPE_H_
#define WFSTORE_RUNTIME_SCOPE_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wfs::runtime {

// A path target stays inside one of the roots: a relative path is resolved
// under the root and may not climb above it with `..`; an absolute path must
// name a root or something below one after `.` and `..` are resolved. NUL
// bytes are refused. (The connector resolves symlinks under the root
// itself.)
Status CheckPathInScope(std::string_view path,
                        const std::vector<std::string>& roots);

// The host a value names: a URL's host (lower-cased, without user info or
// port), an email address's domain, or the value itself.
std::string HostOf(std::string_view value);

// A domain target's host must equal one of `allowed` exactly (case-
// insensitive): "api.github.com" does not admit "api.github.com.evil.io".
Status CheckDomainInScope(std::string_view value,
                          const std::vector<std::string>& allowed);

}  // namespace wfs::runtime

#endif  // WFSTORE_RUNTIME_SCOPE_H_
