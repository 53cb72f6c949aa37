#include "store/package.h"

#include <cctype>

#include "base/sha256.h"
#include "base/strings.h"

namespace wfs::store {
namespace {

// A string member, or "" when absent or of another kind (untrusted input:
// Json::value would throw on a kind mismatch).
std::string Str(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Result<Semver> ParseSemver(const std::string& text) {
  Semver v;
  size_t end = text.find_first_of("-+");
  std::string core = text.substr(0, end);
  std::vector<std::string> parts = StrSplit(core, '.');
  auto bad = [&] {
    return InvalidArgument(StrCat("invalid version ", Quote(text),
                                  " (expected MAJOR.MINOR.PATCH)"));
  };
  if (parts.size() != 3) return bad();
  int64_t* fields[3] = {&v.major, &v.minor, &v.patch};
  for (int i = 0; i < 3; ++i) {
    const std::string& p = parts[i];
    if (p.empty() || p.size() > 9 || (p.size() > 1 && p[0] == '0')) {
      return bad();
    }
    for (char c : p) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return bad();
    }
    *fields[i] = std::stoll(p);
  }
  if (end != std::string::npos && text[end] == '-') {
    size_t plus = text.find('+', end);
    v.pre = text.substr(end + 1, plus == std::string::npos ? std::string::npos
                                                           : plus - end - 1);
    if (v.pre.empty()) return bad();
  }
  return v;
}

bool Semver::operator<(const Semver& o) const {
  if (major != o.major) return major < o.major;
  if (minor != o.minor) return minor < o.minor;
  if (patch != o.patch) return patch < o.patch;
  if (pre.empty() != o.pre.empty()) return !pre.empty();  // 1.0.0-rc < 1.0.0
  // Dot-separated identifiers: numeric ones numerically, then lexically.
  std::vector<std::string> a = StrSplit(pre, '.'), b = StrSplit(o.pre, '.');
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    bool an = !a[i].empty() &&
              a[i].find_first_not_of("0123456789") == std::string::npos;
    bool bn = !b[i].empty() &&
              b[i].find_first_not_of("0123456789") == std::string::npos;
    if (an && bn) {
      if (a[i].size() != b[i].size()) return a[i].size() < b[i].size();
      if (a[i] != b[i]) return a[i] < b[i];
    } else if (an != bn) {
      return an;
    } else if (a[i] != b[i]) {
      return a[i] < b[i];
    }
  }
  return a.size() < b.size();
}

std::string NamespaceOf(const std::string& name) {
  return name.substr(0, name.find('.'));
}

std::string Package::Bytes() const {
  Json deps_j = Json::array();
  for (const Dependency& d : deps) {
    deps_j.push_back(
        {{"name", d.name}, {"version", d.version}, {"package", d.package}});
  }
  Json doc = {{"format", "wfstore-package/1"},
              {"name", name},
              {"version", version},
              {"source", {{"path", source_path}, {"text", source_text}}},
              {"ir", ir},
              {"content_id", content_id},
              {"deps", deps_j},
              {"interfaces", interfaces}};
  return CanonicalJson(doc);
}

std::string Package::IdOf(const std::string& bytes) {
  return "sha256:" + Sha256Hex(bytes);
}

Result<Package> Package::Parse(const std::string& bytes) {
  WFS_ASSIGN_OR_RETURN(Json doc,
                       ParseJson(bytes, JsonLimits{64u << 20, 256}));
  if (!doc.is_object() || Str(doc, "format") != "wfstore-package/1") {
    return InvalidArgument("not a wfstore-package/1 document");
  }
  Package p;
  p.name = Str(doc, "name");
  p.version = Str(doc, "version");
  const Json& src = JsonObjectMember(doc, "source");
  p.source_path = Str(src, "path");
  p.source_text = Str(src, "text");
  p.ir = JsonObjectMember(doc, "ir");
  p.content_id = Str(doc, "content_id");
  for (const Json& d : JsonArrayMember(doc, "deps")) {
    p.deps.push_back({Str(d, "name"), Str(d, "version"), Str(d, "package")});
  }
  p.interfaces = JsonArrayMember(doc, "interfaces");
  if (p.name.empty() || p.version.empty() || !p.ir.is_object()) {
    return InvalidArgument("package lacks a name, version or IR");
  }
  if ("sha256:" + Sha256Hex(CanonicalJson(p.ir)) != p.content_id) {
    return DataLoss(StrCat("package ", p.name, "@", p.version,
                           ": the IR does not match its content id"));
  }
  if (Str(p.ir, "name") != p.name || Str(p.ir, "version") != p.version) {
    return DataLoss("package name or version differs from its IR");
  }
  if (p.Bytes() != bytes) {
    return InvalidArgument("package bytes are not in canonical form");
  }
  return p;
}

}  // namespace wfs::store
