// Argument checking for the real connectors (src/connectors/*/), through the
// simulators' own checks (sim::CheckActionArgs, docs/simulators.md,
// "Arguments"), so a real connector and its simulator refuse the same calls
// with the same codes and messages.
//
// Lives in src/connectors/http/ for want of a shared folder; it has no
// network dependency (library wfs_conn_args).
#ifndef WFSTORE_CONNECTORS_HTTP_ACTION_ARGS_H_
#define WFSTORE_CONNECTORS_HTTP_ACTION_ARGS_H_

#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "connectors/connector.h"
#include "connectors/sim/simulator.h"

namespace wfs::connectors {

// The simulators' argument specs (connectors/sim/simulator.h), under the
// names the real connectors use: one mechanism checks both.
using ArgType = sim::ArgKind;
using ArgSpec = sim::ParamSpec;
using ActionArgs = sim::ActionSpec;

// The entry for `action`, or InvalidArgument "<connector> has no action `x`".
Result<const ActionArgs*> FindAction(const std::string& connector,
                                     const std::vector<ActionArgs>& actions,
                                     const std::string& action);

// InvalidArgument naming the first missing, unknown or ill-typed argument,
// or a private argument outside compensation: "mail.move: missing argument
// `to`".
Status CheckArgs(const std::string& connector, const ActionArgs& spec,
                 const ActionRequest& request);

// The run's values for `scope`, or nullptr when the request does not
// constrain it (no scope map, or the scope is not in it).
const std::vector<std::string>* ScopeValuesOf(const ActionRequest& request,
                                              const std::string& scope);

// PermissionDenied unless `value` is one of the scope's values (exact), when
// the request carries that scope.
Status CheckExactScopeValue(const ActionRequest& request,
                            const std::string& connector,
                            const std::string& scope, const std::string& value);

// Typed access to arguments CheckArgs accepted (never throws; a wrong kind
// reads as empty).
std::string StrArg(const Json& args, const char* name);
int64_t IntArg(const Json& args, const char* name);

}  // namespace wfs::connectors

#endif  // WFSTORE_CONNECTORS_HTTP_ACTION_ARGS_H_
