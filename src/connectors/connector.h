// The connector interface: how the runtime reaches the outside world.
//
// A connector implements the actions its interface file (.wfi) declares.
// Arguments and results cross this boundary as JSON shaped by the interface
// types: strings, integers, booleans, null for absent optionals, decimals as
// strings ("42.50"), times as RFC 3339 strings, durations as integer
// milliseconds, lists as arrays, records as objects. The runtime validates
// arguments before the call and the result after it, labels the result from
// the interface, and enforces targets, scopes and budgets itself; a connector
// enforces its own scopes again (defence in depth) with what it knows best
// (e.g. openat-style path resolution).
//
// Thread safety: a Connector may be called from several runs at once; it
// serialises internally where it must.
#ifndef WFSTORE_CONNECTORS_CONNECTOR_H_
#define WFSTORE_CONNECTORS_CONNECTOR_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace wfs::connectors {

// Scope name -> allowed values, resolved for one run ("root" -> ["/repo"]).
using ScopeMap = std::map<std::string, std::vector<std::string>>;

struct ActionRequest {
  std::string action;  // unqualified: "delete"
  Json args;           // object: parameter name -> value
  // Unique per effect of a run: "<run id>/<step>/<iteration path>". A
  // connector that can look effects up by key (Lookup) stores it with the
  // effect; one that can pass it on (an Idempotency-Key header) does.
  std::string idempotency_key;
  std::string run_id;
  const ScopeMap* scopes = nullptr;  // this connector's scopes for the run
  // True when the runtime is compensating (running an undo action): the
  // arguments come from an undo record and may carry the connector's private
  // fields (names starting with "_").
  bool compensation = false;
};

struct ActionResponse {
  Json result;  // per the action's return type; null for actions without one
  // For reversible effects, how to undo this one: {"action": "restore",
  // "args": {...}}; args may carry private fields ("_previous": ...). The
  // journal persists it, so it must be self-contained JSON. Null for reads
  // and irreversible effects.
  Json undo;
};

class Connector {
 public:
  virtual ~Connector() = default;

  // The connector's name as in its interface ("mail").
  virtual const std::string& name() const = 0;

  // Performs one action. Errors: InvalidArgument (bad arguments), NotFound
  // (the target does not exist), PermissionDenied (outside a scope, or the
  // server refused), Unavailable / DeadlineExceeded (the server did not
  // answer: the effect may or may not have happened; see Lookup), others.
  virtual Result<ActionResponse> Invoke(const ActionRequest& request) = 0;

  // The scope value a target parameter falls under, checked by the runtime
  // against the run's scope values. The default is the value itself (for
  // `exact` scopes on names). Connectors map opaque ids to what they live in,
  // e.g. a message id to its mailbox.
  virtual Result<std::string> ScopeKey(const std::string& action,
                                       const std::string& param,
                                       const Json& value,
                                       const ScopeMap& scopes);

  // After a crash between an effect's intent and its recorded result: the
  // effect's response when it happened (its result and undo record),
  // std::nullopt when it did not. Unimplemented when the connector cannot
  // tell; the runtime then compensates and reports the effect as uncertain.
  virtual Result<std::optional<ActionResponse>> Lookup(
      const std::string& idempotency_key);

  // The run has ended; private undo data kept for it may be dropped.
  virtual void EndRun(const std::string& run_id);
};

// Connectors by name, for one run or one server. Does not own them.
class ConnectorSet {
 public:
  void Add(Connector* c) { by_name_[c->name()] = c; }
  Connector* Find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }
  const std::map<std::string, Connector*>& all() const { return by_name_; }

 private:
  std::map<std::string, Connector*> by_name_;
};

}  // namespace wfs::connectors

#endif  // WFSTORE_CONNECTORS_CONNECTOR_H_
