#include "runtime/scope.h"

#include <algorithm>

#include "base/strings.h"

namespace wfs::runtime {

namespace {
// Resolves `.` and `..` lexically. Returns false when `..` climbs above the
// start.
bool Normalize(std::string_view path, std::vector<std::string>* out) {
  for (const std::string& seg : StrSplit(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (out->empty()) return false;
      out->pop_back();
    } else {
      out->push_back(seg);
    }
  }
  return true;
}
}  // namespace

Status CheckPathInScope(std::string_view path,
                        const std::vector<std::string>& roots) {
  if (path.find('\0') != std::string_view::npos) {
    return PermissionDenied("the path contains a NUL byte");
  }
  std::vector<std::string> segs;
  if (path.empty() || path[0] != '/') {
    if (!Normalize(path, &segs)) {
      return PermissionDenied(StrCat(Quote(path), " climbs out of the root"));
    }
    return Status::Ok();
  }
  if (!Normalize(path, &segs)) {
    return PermissionDenied(StrCat(Quote(path), " is not a valid path"));
  }
  for (const std::string& root : roots) {
    std::vector<std::string> rsegs;
    if (root.empty() || root[0] != '/' || !Normalize(root, &rsegs)) continue;
    if (rsegs.size() <= segs.size() &&
        std::equal(rsegs.begin(), rsegs.end(), segs.begin())) {
      return Status::Ok();
    }
  }
  return PermissionDenied(StrCat(Quote(path), " is outside ",
                                 roots.empty() ? "every root"
                                               : StrJoin(roots, ", ")));
}

std::string HostOf(std::string_view v) {
  std::string_view s = v;
  size_t scheme = s.find("://");
  if (scheme != std::string_view::npos) {
    s = s.substr(scheme + 3);
    size_t end = s.find_first_of("/?#");
    if (end != std::string_view::npos) s = s.substr(0, end);
    size_t at = s.rfind('@');
    if (at != std::string_view::npos) s = s.substr(at + 1);
    if (!s.empty() && s[0] == '[') {  // IPv6 literal
      size_t close = s.find(']');
      s = s.substr(0, close == std::string_view::npos ? s.size() : close + 1);
    } else {
      size_t colon = s.find(':');
      if (colon != std::string_view::npos) s = s.substr(0, colon);
    }
  } else {
    size_t at = s.rfind('@');
    if (at != std::string_view::npos) s = s.substr(at + 1);
  }
  std::string host = ToLower(s);
  while (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

Status CheckDomainInScope(std::string_view value,
                          const std::vector<std::string>& allowed) {
  std::string host = HostOf(value);
  for (const std::string& a : allowed) {
    std::string want = ToLower(a);
    while (!want.empty() && want.back() == '.') want.pop_back();
    if (!host.empty() && host == want) return Status::Ok();
  }
  return PermissionDenied(StrCat("host ", Quote(host), " is not among ",
                                 StrJoin(allowed, ", ")));
}

}  // namespace wfs::runtime
