// Real connectors from a deployment's config (docs/connectors.md).
//
//   SecretResolver secrets;                       // process environment
//   auto bundle = MakeConnectors(config, &secrets);
//   ExecContext ctx; ctx.connectors = &(*bundle)->set();
//
// The config is a JSON object, one member per connector, each an object
// whose "kind" says which implementation serves it:
//
//   {"fs":      {"kind": "local"},
//    "git":     {"kind": "cli", "author_name": "wfstore"},
//    "http":    {"kind": "curl", "allow_hosts": ["api.example.com"]},
//    "tracker": {"kind": "rest", "profile": "github",
//                "token": {"env": "GITHUB_TOKEN"}},
//    "mail":    {...}, "calendar": {...}}
//
// "kind" may be left out: fs is "local", git "cli", http "curl", mail and
// calendar their own connectors, any other name "rest" (an interface whose
// actions declare `http METHOD "/path"`). Credentials are secret references
// resolved through the SecretResolver ({"env": ...} or {"file": ...}); the
// config never holds one. Each kind's keys are listed in
// docs/connectors.md.
#ifndef WFSTORE_CONNECTORS_FACTORY_H_
#define WFSTORE_CONNECTORS_FACTORY_H_

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "connectors/connector.h"
#include "connectors/secrets.h"

namespace wfs::lang {
class InterfaceSet;
}

namespace wfs::connectors {

// The connectors a config made; owns them.
class ConnectorBundle {
 public:
  ConnectorBundle() = default;
  ConnectorBundle(const ConnectorBundle&) = delete;
  ConnectorBundle& operator=(const ConnectorBundle&) = delete;

  // For ExecContext::connectors; valid while the bundle lives.
  const ConnectorSet& set() const { return set_; }
  Connector* Find(const std::string& name) const { return set_.Find(name); }
  // Connector names, sorted.
  std::vector<std::string> names() const;

  void Add(std::unique_ptr<Connector> c);

 private:
  std::vector<std::unique_ptr<Connector>> owned_;
  ConnectorSet set_;
};

struct FactoryOptions {
  // Interfaces for "rest" connectors. nullptr: the built-in ones
  // (catalog/interfaces/*.wfi, compiled once per call). Not owned.
  const lang::InterfaceSet* interfaces = nullptr;
  // For commit dates (git), sent mail's Date (mail) and event stamps
  // (calendar). nullptr: the system clock. Not owned; must outlive the
  // bundle.
  const Clock* clock = nullptr;
};

// InvalidArgument naming the connector and key for a config that is not an
// object, an unknown connector or kind, an unknown key, a value of the
// wrong type; errors of resolving a secret keep their code (NotFound for an
// unset variable, PermissionDenied for a file others can read) with the
// connector named. `secrets` must outlive the bundle; it may be null when no
// connector names a secret.
Result<std::unique_ptr<ConnectorBundle>> MakeConnectors(
    const Json& config, SecretResolver* secrets,
    const FactoryOptions& options = {});

// The connector names MakeConnectors knows without an interface file.
std::vector<std::string> BuiltinConnectorKinds();

}  // namespace wfs::connectors

#endif  // WFSTORE_CONNECTORS_FACTORY_H_
