// Packages: what the store keeps, signs and hands out (docs/packages.md).
//
// A package is the canonical JSON of
//   {"format": "wfstore-package/1", "name", "version",
//    "source": {"path", "text"},            the .wf file as written
//    "ir": {...}, "content_id": "sha256:...", the checked IR and its id
//    "deps": [{"name", "version", "package": "sha256:..."}],  pinned
//    "interfaces": [{"name", "version", "digest"}]}            pinned
// Its SHA-256 is the package id; a minisign signature covers exactly these
// bytes, so `minisign -Vm package.json -p publisher.pub` verifies it.
#ifndef WFSTORE_STORE_PACKAGE_H_
#define WFSTORE_STORE_PACKAGE_H_

#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace wfs::store {

struct Semver {
  int64_t major = 0, minor = 0, patch = 0;
  std::string pre;  // pre-release, "" for a release
  // Semantic-versioning precedence (pre-releases before their release).
  bool operator<(const Semver& o) const;
  bool operator==(const Semver& o) const = default;
};
Result<Semver> ParseSemver(const std::string& text);

struct Dependency {
  std::string name;
  std::string version;
  std::string package;  // the pinned package id
};

struct Package {
  std::string name;
  std::string version;
  std::string source_path;
  std::string source_text;
  Json ir;
  std::string content_id;  // of the IR
  std::vector<Dependency> deps;
  Json interfaces = Json::array();

  // The signed bytes and their digest.
  std::string Bytes() const;
  static std::string IdOf(const std::string& bytes);  // "sha256:<hex>"
  // Reads package bytes (untrusted): checks the format and that the IR's
  // content id matches the IR.
  static Result<Package> Parse(const std::string& bytes);
};

// The namespace a workflow name belongs to: "mail" for mail.delete_message.
std::string NamespaceOf(const std::string& name);

}  // namespace wfs::store

#endif  // WFSTORE_STORE_PACKAGE_H_
