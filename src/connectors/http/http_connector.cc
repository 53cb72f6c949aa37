// The generic http connector (get/post to allow-listed hosts).
#include "connectors/http/http_connector.h"

#include <algorithm>
#include <mutex>

#include "base/strings.h"
#include "connectors/http/action_args.h"
#include "connectors/http/text.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::http {

namespace {


bool LooksLikeJson(const std::string& body) {
  size_t i = body.find_first_not_of(" \t\r\n");
  if (i == std::string::npos || (body[i] != '{' && body[i] != '[')) {
    return false;
  }
  return ParseJson(body).ok();
}

class HttpConnector final : public Connector {
 public:
  explicit HttpConnector(HttpConnectorOptions options)
      : options_(std::move(options)),
        client_(options_.limits, MakeRedactor(options_)),
        actions_({{"get", true, {{"url", ArgType::kString}}, {}},
                  {"post",
                   false,
                   {{"url", ArgType::kString}, {"body", ArgType::kString}},
                   {}}}) {}

  const std::string& name() const override { return name_; }

  // Every error leaves with secrets redacted (a URL may carry one).
  Result<ActionResponse> Invoke(const ActionRequest& r) override {
    Result<ActionResponse> out = Do(r);
    if (out.ok()) return out;
    return Status(out.status().code(),
                  client_.redactor().Redact(out.status().message()));
  }

 private:
  Result<ActionResponse> Do(const ActionRequest& r) {
    WFS_ASSIGN_OR_RETURN(const ActionArgs* spec,
                         FindAction(name_, actions_, r.action));
    WFS_RETURN_IF_ERROR(CheckArgs(name_, *spec, r));
    const std::string action = spec->name;
    const std::string url = StrArg(r.args, "url");
    WFS_ASSIGN_OR_RETURN(std::string host, sim::UrlHost(url));
    if (const std::vector<std::string>* allowed = ScopeValuesOf(r, "domain")) {
      bool ok = false;
      for (const std::string& d : *allowed) ok |= ToLower(d) == host;
      if (!ok) {
        return PermissionDenied(StrCat("http.", action, ": host ", Quote(host),
                                       " is outside the run's http.domain "
                                       "scope (",
                                       StrJoin(*allowed, ", "), ")"));
      }
    }
    if (!options_.allow_hosts.empty() &&
        std::find(options_.allow_hosts.begin(), options_.allow_hosts.end(),
                  host) == options_.allow_hosts.end()) {
      return PermissionDenied(StrCat("http.", action, ": host ", Quote(host),
                                     " is not in this deployment's "
                                     "allow-list"));
    }
    // libcurl must read the URL the same way: no parser differential may
    // make it connect elsewhere than the host the scope allowed.
    WFS_ASSIGN_OR_RETURN(UrlParts parts, ParseUrl(url));
    if (parts.host != host) {
      return InvalidArgument(StrCat("http.", action, ": ", Quote(url),
                                    " is ambiguous (", Quote(host), " or ",
                                    Quote(parts.host), "?)"));
    }
    if (!parts.user.empty()) {
      return InvalidArgument(StrCat("http.", action,
                                    ": URLs with user "
                                    "information are refused"));
    }
    HttpRequest req;
    req.method = action == "post" ? "POST" : "GET";
    req.url = url;
    for (const HttpCredential& c : options_.credentials) {
      if (c.host != host) continue;
      req.headers.push_back(
          {c.header, c.scheme.empty()
                         ? c.token.Reveal()
                         : StrCat(c.scheme, " ", c.token.Reveal())});
    }
    if (action == "post") {
      req.body = StrArg(r.args, "body");
      req.has_body = true;
      req.headers.push_back(
          {"Content-Type", LooksLikeJson(req.body)
                               ? "application/json"
                               : "text/plain; charset=utf-8"});
      if (!r.idempotency_key.empty() && !options_.idempotency_header.empty()) {
        req.headers.push_back({options_.idempotency_header, r.idempotency_key});
      }
    }
    Result<HttpResponse> resp = client_.Send(req);
    if (!resp.ok()) {
      return Status(resp.status().code(),
                    client_.redactor().Redact(StrCat("http.", action, ": ",
                                                     resp.status().message())));
    }
    ActionResponse out;
    out.result = Json::object();
    out.result["status"] = static_cast<int64_t>(resp->status);
    out.result["body"] = client_.redactor().Redact(ToValidUtf8(resp->body));
    out.result["content_type"] =
        client_.redactor().Redact(ToValidUtf8(resp->content_type));
    return out;
  }

 public:
  Result<std::string> ScopeKey(const std::string& action,
                               const std::string& param, const Json& value,
                               const ScopeMap& scopes) override {
    WFS_RETURN_IF_ERROR(FindAction(name_, actions_, action).status());
    if (param == "url") {
      if (!value.is_string()) {
        return InvalidArgument("http: argument `url` must be a string");
      }
      return sim::UrlHost(value.get<std::string>());
    }
    return Connector::ScopeKey(action, param, value, scopes);
  }

 private:
  static Redactor MakeRedactor(const HttpConnectorOptions& o) {
    Redactor r;
    for (const HttpCredential& c : o.credentials) r.Add(c.token.Reveal());
    return r;
  }

  const std::string name_ = "http";
  HttpConnectorOptions options_;
  HttpClient client_;
  const std::vector<ActionArgs> actions_;
};

}  // namespace

HttpConnectorOptions DefaultHttpConnectorOptions() {
  HttpConnectorOptions o;
  o.limits.public_addresses_only = true;
  o.limits.max_response_bytes = size_t{1} << 20;
  return o;
}

std::unique_ptr<Connector> MakeHttpConnector(HttpConnectorOptions options) {
  return std::make_unique<HttpConnector>(std::move(options));
}


}  // namespace wfs::connectors::http
