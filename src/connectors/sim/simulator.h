// Internal to src/connectors/sim: the base every simulator derives from.
//
// Simulator::Invoke locks the world, checks the arguments against the
// action's table entry (InvalidArgument naming the parameter), replays a
// recorded response for a retried idempotency key, runs the action and
// records the response of every non-read effect under its idempotency key in
// the connector's private state ("effects"), which is what Lookup reads.
// An action either succeeds or changes nothing.
#ifndef WFSTORE_CONNECTORS_SIM_SIMULATOR_H_
#define WFSTORE_CONNECTORS_SIM_SIMULATOR_H_

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "connectors/connector.h"
#include "connectors/sim/world.h"

namespace wfs::connectors::sim {

enum class ArgKind {
  kString,
  kInt,
  kDecimal,     // a decimal string ("42.50")
  kTime,        // an RFC 3339 string
  kStringList,  // list of strings
  kObject,
  kOptionalString,  // a string or null
};

struct ParamSpec {
  const char* name;
  ArgKind kind;
};

struct ActionSpec {
  const char* name;
  bool read;  // reads are neither recorded nor replayed
  // Every public parameter is required.
  std::vector<ParamSpec> params;
  // Optional "_"-prefixed arguments an undo record may carry; accepted only
  // when the runtime is compensating.
  std::vector<ParamSpec> private_params;
};

// Most idempotency records a connector keeps; the oldest go first.
inline constexpr size_t kMaxRecordedEffects = 10000;

class Simulator : public Connector {
 public:
  Simulator(std::string name, World* world, std::vector<ActionSpec> actions);

  const std::string& name() const override { return name_; }
  Result<ActionResponse> Invoke(const ActionRequest& request) final;
  Result<std::string> ScopeKey(const std::string& action,
                               const std::string& param, const Json& value,
                               const ScopeMap& scopes) final;
  Result<std::optional<ActionResponse>> Lookup(
      const std::string& idempotency_key) final;
  // Nothing to drop: undo data travels in the undo records, and idempotency
  // records stay (bounded) for crash recovery.
  void EndRun(const std::string& run_id) final { (void)run_id; }

 protected:
  // Runs one action with the world locked and the arguments checked.
  virtual Result<ActionResponse> Do(const ActionSpec& action,
                                    const ActionRequest& request) = 0;
  // With the world locked; `action` exists. Default: the value itself.
  virtual Result<std::string> DoScopeKey(const std::string& action,
                                         const std::string& param,
                                         const Json& value,
                                         const ScopeMap& scopes);

  World& world() { return *world_; }
  Json& Collection(const std::string& collection) {
    return world_->Collection(name_, collection);
  }
  Json& Private() { return world_->Private(name_); }

  // "mail.move: <message>" as InvalidArgument.
  Status Bad(const ActionRequest& r, const std::string& message) const;
  // A fresh id "<prefix><n>" from the private counter `counter`, skipping
  // ids for which `taken` is true.
  template <typename Taken>
  std::string NextId(const std::string& counter, const std::string& prefix,
                     Taken taken) {
    Json& p = Private();
    int64_t n = 1;
    if (const Json* c = &p[counter]; c->is_number_integer()) {
      n = std::max<int64_t>(1, c->get<int64_t>());
    }
    std::string id = prefix + std::to_string(n);
    while (taken(id)) id = prefix + std::to_string(++n);
    p[counter] = n + 1;
    return id;
  }

 private:
  const ActionSpec* Find(const std::string& action) const;
  Status CheckArgs(const ActionSpec& spec, const ActionRequest& r) const;
  void Record(const ActionSpec& spec, const ActionRequest& r,
              const std::string& digest, const ActionResponse& response);

  std::string name_;
  World* world_;
  std::vector<ActionSpec> actions_;
};

// InvalidArgument naming the first missing, unknown or ill-typed argument,
// or a private argument outside compensation ("mail.move: missing argument
// `to`"). Simulators and the real connectors check arguments with it, so a
// connector and its simulator refuse the same calls with the same messages.
Status CheckActionArgs(const std::string& connector, const ActionSpec& spec,
                       const ActionRequest& r);

// The run's values for `scope`, or nullptr when the request does not
// constrain it (no scope map, or the scope is not in it).
const std::vector<std::string>* ScopeValues(const ActionRequest& r,
                                            const std::string& scope);
// PermissionDenied unless `value` is one of the scope's values (exact match).
Status CheckExactScope(const ActionRequest& r, const std::string& connector,
                       const std::string& scope, const std::string& value);

// Shared by fs and git (git's working trees are fs files): makes sure every
// repository has its baseline snapshot before fs files change. Call with the
// world locked.
void EnsureGitBaselines(World& world);

}  // namespace wfs::connectors::sim

#endif  // WFSTORE_CONNECTORS_SIM_SIMULATOR_H_
