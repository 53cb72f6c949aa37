#include "connectors/http/action_args.h"

#include "base/strings.h"
#include "connectors/sim/values.h"

namespace wfs::connectors {

Result<const ActionArgs*> FindAction(const std::string& connector,
                                     const std::vector<ActionArgs>& actions,
                                     const std::string& action) {
  for (const ActionArgs& a : actions) {
    if (action == a.name) return &a;
  }
  return InvalidArgument(StrCat(connector, " has no action ", Quote(action)));
}

Status CheckArgs(const std::string& connector, const ActionArgs& spec,
                 const ActionRequest& r) {
  return sim::CheckActionArgs(connector, spec, r);
}

const std::vector<std::string>* ScopeValuesOf(const ActionRequest& r,
                                              const std::string& scope) {
  return sim::ScopeValues(r, scope);
}

Status CheckExactScopeValue(const ActionRequest& r,
                            const std::string& connector,
                            const std::string& scope,
                            const std::string& value) {
  return sim::CheckExactScope(r, connector, scope, value);
}

std::string StrArg(const Json& args, const char* name) {
  return sim::StringField(args, name);
}

int64_t IntArg(const Json& args, const char* name) {
  return sim::IntField(args, name);
}

}  // namespace wfs::connectors
