// The http simulator: world pages (what the simulated web serves, by exact
// URL) and requests (what was POSTed).
#include <memory>

#include "base/strings.h"
#include "connectors/sim/simulator.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::sim {

namespace {

class HttpSimulator final : public Simulator {
 public:
  explicit HttpSimulator(World* world)
      : Simulator("http", world,
                  {{"get", true, {{"url", ArgKind::kString}}, {}},
                   {"post",
                    false,
                    {{"url", ArgKind::kString}, {"body", ArgKind::kString}},
                    {}}}) {}

 protected:
  Result<ActionResponse> Do(const ActionSpec& spec,
                            const ActionRequest& r) override {
    const std::string action = spec.name;
    const std::string url = r.args["url"].get<std::string>();
    WFS_ASSIGN_OR_RETURN(std::string host, UrlHost(url));
    if (const std::vector<std::string>* allowed = ScopeValues(r, "domain")) {
      bool ok = false;
      for (const std::string& d : *allowed) ok |= ToLower(d) == host;
      if (!ok) {
        return PermissionDenied(StrCat("http.", action, ": host ", Quote(host),
                                       " is outside the run's http.domain "
                                       "scope (",
                                       StrJoin(*allowed, ", "), ")"));
      }
    }
    const Json* page = nullptr;
    for (const Json& p : Collection("pages")) {
      if (StringField(p, "url") == url) page = &p;
      if (page != nullptr) break;
    }
    ActionResponse out;
    out.result = Json::object();
    if (page != nullptr) {
      out.result["status"] = IntField(*page, "status", 200);
      out.result["body"] = StringField(*page, "body");
      out.result["content_type"] = StringField(*page, "content_type");
    } else {
      out.result["status"] = action == "post" ? 200 : 404;
      out.result["body"] = "";
      out.result["content_type"] = "text/plain";
    }
    if (action == "post") {
      Json req = Json::object();
      req["method"] = "POST";
      req["url"] = url;
      req["body"] = r.args["body"];
      Collection("requests").push_back(std::move(req));
    }
    return out;
  }

  Result<std::string> DoScopeKey(const std::string& action,
                                 const std::string& param, const Json& value,
                                 const ScopeMap& scopes) override {
    if (param == "url") {
      if (!value.is_string()) {
        return InvalidArgument("http: argument `url` must be a string");
      }
      return UrlHost(value.get<std::string>());
    }
    return Simulator::DoScopeKey(action, param, value, scopes);
  }
};

}  // namespace

std::unique_ptr<Connector> MakeHttpSimulator(World* world) {
  return std::make_unique<HttpSimulator>(world);
}

}  // namespace wfs::connectors::sim
