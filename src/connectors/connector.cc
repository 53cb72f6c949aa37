#include "connectors/connector.h"

namespace wfs::connectors {

Result<std::string> Connector::ScopeKey(const std::string& action,
                                        const std::string& param,
                                        const Json& value,
                                        const ScopeMap& scopes) {
  (void)action;
  (void)param;
  (void)scopes;
  if (value.is_string()) return value.get<std::string>();
  return CanonicalJson(value);
}

Result<std::optional<ActionResponse>> Connector::Lookup(
    const std::string& idempotency_key) {
  (void)idempotency_key;
  return Unimplemented(name() + " cannot look effects up by idempotency key");
}

void Connector::EndRun(const std::string& run_id) { (void)run_id; }

}  // namespace wfs::connectors
