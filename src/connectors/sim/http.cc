// The http simulator: world pages (what the simulated web serves, by exact
// URL) and requests (what was POSTed).
#include <memory>

#include "base/strings.h"
#include "connectors/sim/simulator.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::sim {

namespace {

constexpr size_t kMaxUrlBytes = 8192;

// The lower-cased host of an absolute http(s) URL.
Result<std::string> UrlHost(const std::string& url) {
  auto bad = [&](const char* why) {
    return InvalidArgument(StrCat("http: ", Quote(url),
                                  " is not an absolute http(s) URL (", why,
                                  ")"));
  };
  if (url.size() > kMaxUrlBytes) return bad("too long");
  const std::string lower = ToLower(url);
  size_t start;
  if (StartsWith(lower, "http://")) {
    start = 7;
  } else if (StartsWith(lower, "https://")) {
    start = 8;
  } else {
    return bad("the scheme must be http or https");
  }
  size_t end = lower.find_first_of("/?#", start);
  std::string authority =
      lower.substr(start, end == std::string::npos ? end : end - start);
  size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  std::string host;
  std::string rest;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return bad("unterminated IPv6 address");
    host = authority.substr(0, close + 1);
    rest = authority.substr(close + 1);
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    rest = colon == std::string::npos ? "" : authority.substr(colon);
  }
  if (!rest.empty()) {
    if (rest[0] != ':' || rest.size() == 1 || rest.size() > 6) {
      return bad("bad port");
    }
    for (size_t i = 1; i < rest.size(); ++i) {
      if (rest[i] < '0' || rest[i] > '9') return bad("bad port");
    }
  }
  if (host.empty()) return bad("no host");
  for (unsigned char c : host) {
    if (c <= ' ' || c == 0x7f) return bad("invalid host");
  }
  return host;
}

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
