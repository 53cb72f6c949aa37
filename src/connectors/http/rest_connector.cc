// Interface-declared HTTP actions, executed generically from a connector's
// contract (the JSON of lang::InterfaceSet::ConnectorToJson).
#include <algorithm>
#include <map>
#include <set>

#include "base/strings.h"
#include "connectors/http/action_args.h"
#include "connectors/http/http_connector.h"
#include "connectors/http/response_map.h"
#include "connectors/http/text.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::http {

namespace {

// Every string inside `v` with secrets replaced.
Json RedactAll(const Redactor& r, const Json& v) {
  if (r.empty()) return v;
  if (v.is_string()) return r.Redact(v.get<std::string>());
  if (v.is_array()) {
    Json out = Json::array();
    for (const Json& e : v) out.push_back(RedactAll(r, e));
    return out;
  }
  if (v.is_object()) {
    Json out = Json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
      out[r.Redact(it.key())] = RedactAll(r, it.value());
    }
    return out;
  }
  return v;
}

class RestConnector final : public Connector {
 public:
  RestConnector(Json contract, RestOptions options, std::string base)
      : contract_(std::move(contract)),
        options_(std::move(options)),
        name_(contract_.value("name", "")),
        base_(std::move(base)),
        client_(options_.limits, MakeRedactor(options_)) {
    for (const Json& s : JsonArrayMember(contract_, "scopes")) {
      scope_kinds_[s.value("name", "")] = s.value("kind", "exact");
    }
  }

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
    const Json& actions = JsonObjectMember(contract_, "actions");
    auto it = actions.find(r.action);
    if (it == actions.end()) {
      return InvalidArgument(StrCat(name_, " has no action ", Quote(r.action)));
    }
    const Json& a = *it;
    const Json& http = JsonObjectMember(a, "http");
    if (http.empty()) {
      return Unimplemented(
          StrCat(name_, ".", r.action, " declares no HTTP binding"));
    }
    const std::string qualified = StrCat(name_, ".", r.action);
    WFS_RETURN_IF_ERROR(CheckArguments(qualified, a, r));
    WFS_RETURN_IF_ERROR(CheckScopes(qualified, a, r));
    WFS_ASSIGN_OR_RETURN(bool unchanged, Unchanged(qualified, r));
    if (unchanged) return ActionResponse{};
    WFS_ASSIGN_OR_RETURN(ActionResponse out, Send(qualified, a, http, r));
    // Nothing a server echoes of a credential reaches a result or the
    // journal (undo records).
    out.result = RedactAll(client_.redactor(), out.result);
    out.undo = RedactAll(client_.redactor(), out.undo);
    return out;
  }

  Result<ActionResponse> Send(const std::string& qualified, const Json& a,
                              const Json& http, const ActionRequest& r) {
    // The URL: placeholders become percent-encoded path segments.
    std::set<std::string> in_path;
    WFS_ASSIGN_OR_RETURN(
        std::string path,
        ExpandPath(qualified, http.value("path", ""), r.args, in_path));
    const std::string method = http.value("method", "GET");
    HttpRequest req;
    req.method = method;
    req.url = base_ + path;
    req.headers = options_.headers;
    if (!options_.token.empty()) {
      req.headers.push_back(
          {options_.auth_header,
           options_.auth_scheme.empty()
               ? options_.token.Reveal()
               : StrCat(options_.auth_scheme, " ", options_.token.Reveal())});
    }
    const std::string idem = http.value("idempotency_header", "");
    if (!idem.empty() && !r.idempotency_key.empty()) {
      req.headers.push_back({idem, r.idempotency_key});
    }
    Json payload = Json::object();
    for (const Json& p : JsonArrayMember(a, "params")) {
      const std::string n = p.value("name", "");
      if (in_path.count(n) || !r.args.contains(n)) continue;
      payload[n] = r.args[n];
    }
    if (method == "GET" || method == "DELETE") {
      std::string query;
      for (auto pi = payload.begin(); pi != payload.end(); ++pi) {
        std::string v;
        if (pi.value().is_string()) {
          v = pi.value().get<std::string>();
        } else if (pi.value().is_number_integer() || pi.value().is_boolean()) {
          v = pi.value().dump();
        } else if (pi.value().is_null()) {
          continue;
        } else {
          return InvalidArgument(StrCat(qualified, ": argument `", pi.key(),
                                        "` cannot go in a query string"));
        }
        query += StrCat(query.empty() ? "?" : "&", PercentEncode(pi.key()), "=",
                        PercentEncode(v));
      }
      req.url += query;
    } else {
      Json body = payload;
      const Json* tpl = sim::FieldOf(options_.body_templates, r.action);
      if (tpl != nullptr) body = Fill(*tpl, r.args);
      req.body = CanonicalJson(body);
      req.has_body = true;
      req.headers.push_back({"Content-Type", "application/json"});
    }
    Result<HttpResponse> resp = client_.Send(req);
    if (!resp.ok()) {
      return Status(resp.status().code(),
                    StrCat(qualified, ": ", resp.status().message()));
    }
    if (resp->status < 200 || resp->status > 299) {
      std::string detail;
      Result<Json> j = ParseJson(resp->body);
      if (j.ok() && j->is_object() && (*j)["message"].is_string()) {
        detail = (*j)["message"].get<std::string>();
      } else {
        detail = ToValidUtf8(resp->body.substr(0, 200));
      }
      return Status(CodeForHttpStatus(resp->status),
                    client_.redactor().Redact(
                        StrCat(qualified, ": ", method, " ", path, " answered ",
                               resp->status, ": ", Quote(detail, 200))));
    }
    ActionResponse out;
    if (a.contains("returns")) {
      Result<Json> j = ParseJson(resp->body);
      if (!j.ok()) {
        return InvalidArgument(StrCat(qualified,
                                      ": the server's answer is "
                                      "not JSON: ",
                                      j.status().message()));
      }
      Result<Json> mapped =
          MapResponse(*j, a["returns"], options_.response_map, "result");
      if (!mapped.ok()) {
        return InvalidArgument(
            client_.redactor().Redact(StrCat(qualified,
                                             ": the server's answer "
                                             "does not fit the "
                                             "interface: ",
                                             mapped.status().message())));
      }
      out.result = std::move(*mapped);
    }
    out.undo = UndoFor(a, r.args);
    return out;
  }

  // True when options_.unchanged_if says the action would change nothing
  // (see RestOptions); the read runs with the same arguments and scopes.
  Result<bool> Unchanged(const std::string& qualified, const ActionRequest& r) {
    const Json* rule = sim::FieldOf(options_.unchanged_if, r.action);
    if (rule == nullptr) return false;
    const std::string read = sim::StringField(*rule, "read");
    const std::string list = sim::StringField(*rule, "list");
    const std::string has = sim::StringField(*rule, "has");
    const std::string lacks = sim::StringField(*rule, "lacks");
    const Json& actions = JsonObjectMember(contract_, "actions");
    auto it = actions.find(read);
    if (it == actions.end() || !it->contains("http")) return false;
    ActionRequest probe;
    probe.action = read;
    probe.args = Json::object();
    for (const Json& p : JsonArrayMember(*it, "params")) {
      const std::string n = p.value("name", "");
      if (r.args.contains(n)) probe.args[n] = r.args[n];
    }
    probe.run_id = r.run_id;
    probe.scopes = r.scopes;
    WFS_ASSIGN_OR_RETURN(ActionResponse got,
                         Send(StrCat(name_, ".", read), *it,
                              JsonObjectMember(*it, "http"), probe));
    const Json* values = sim::FieldOf(got.result, list);
    const std::string param = has.empty() ? lacks : has;
    const Json* want = sim::FieldOf(r.args, param);
    if (values == nullptr || !values->is_array() || want == nullptr) {
      return InvalidArgument(StrCat(qualified,
                                    ": cannot tell whether it would "
                                    "change anything (",
                                    Quote(read), " gives no list ", Quote(list),
                                    ")"));
    }
    bool present = false;
    for (const Json& v : *values) present |= v == *want;
    return has.empty() ? !present : present;
  }
  static Redactor MakeRedactor(const RestOptions& o) {
    Redactor r;
    r.Add(o.token.Reveal());
    return r;
  }

  Status CheckArguments(const std::string& qualified, const Json& a,
                        const ActionRequest& r) {
    if (!r.args.is_object() && !r.args.is_null()) {
      return InvalidArgument(qualified + ": arguments must be an object");
    }
    std::set<std::string> known;
    for (const Json& p : JsonArrayMember(a, "params")) {
      const std::string n = p.value("name", "");
      known.insert(n);
      const Json* v = r.args.is_object() ? sim::FieldOf(r.args, n) : nullptr;
      if (v == nullptr || v->is_null()) {
        if (p.value("optional", false)) continue;
        return InvalidArgument(
            StrCat(qualified, ": missing argument `", n, "`"));
      }
      Status s = CheckValue(*v, p.value("type", Json()), "`" + n + "`");
      if (!s.ok()) {
        return InvalidArgument(StrCat(qualified, ": argument ", s.message()));
      }
    }
    if (r.args.is_object()) {
      for (auto it = r.args.begin(); it != r.args.end(); ++it) {
        if (!known.count(it.key())) {
          return InvalidArgument(
              StrCat(qualified, ": unknown argument `", it.key(), "`"));
        }
      }
    }
    return Status::Ok();
  }

  Status CheckScopes(const std::string& qualified, const Json& a,
                     const ActionRequest& r) {
    for (const Json& p : JsonArrayMember(a, "params")) {
      if (!p.contains("scope") || !p["scope"].is_string()) continue;
      const std::string scope = p["scope"].get<std::string>();
      const std::vector<std::string>* allowed = ScopeValuesOf(r, scope);
      if (allowed == nullptr) continue;
      const std::string n = p.value("name", "");
      if (!r.args.contains(n)) continue;
      const Json& v = r.args[n];
      std::string key = v.is_string() ? v.get<std::string>() : CanonicalJson(v);
      auto kind_it = scope_kinds_.find(scope);
      const std::string kind =
          kind_it == scope_kinds_.end() ? "exact" : kind_it->second;
      bool ok = false;
      for (const std::string& s : *allowed) {
        if (kind == "path") {
          Result<std::string> pv = sim::NormalizeAbsolutePath(key);
          Result<std::string> ps = sim::NormalizeAbsolutePath(s);
          ok |= pv.ok() && ps.ok() && sim::PathWithin(*pv, *ps);
        } else if (kind == "domain") {
          Result<std::string> host = sim::UrlHost(key);
          ok |= ToLower(s) == (host.ok() ? *host : ToLower(key));
        } else {
          ok |= s == key;
        }
      }
      if (!ok) {
        return PermissionDenied(
            StrCat(qualified, ": ", Quote(key), " is outside the run's ", name_,
                   ".", scope, " scope (", StrJoin(*allowed, ", "), ")"));
      }
    }
    return Status::Ok();
  }

  // The path template with each {param} replaced: the value's text split at
  // "/" into segments, each percent-encoded; empty, "." and ".." segments are
  // refused, so a value cannot climb out of its place in the path.
  Result<std::string> ExpandPath(const std::string& qualified,
                                 const std::string& tpl, const Json& args,
                                 std::set<std::string>& used) {
    std::string out;
    size_t i = 0;
    while (i < tpl.size()) {
      size_t open = tpl.find('{', i);
      if (open == std::string::npos) {
        out += tpl.substr(i);
        break;
      }
      out += tpl.substr(i, open - i);
      size_t close = tpl.find('}', open);
      if (close == std::string::npos) {
        return Internal(StrCat(qualified, ": malformed URL template"));
      }
      const std::string n = tpl.substr(open + 1, close - open - 1);
      used.insert(n);
      const Json* v = sim::FieldOf(args, n);
      std::string text;
      if (v != nullptr && v->is_string()) {
        text = v->get<std::string>();
      } else if (v != nullptr && (v->is_number_integer() || v->is_boolean())) {
        text = v->dump();
      } else {
        return InvalidArgument(
            StrCat(qualified, ": argument `", n, "` cannot go in the URL"));
      }
      std::vector<std::string> segs = StrSplit(text, '/');
      for (size_t k = 0; k < segs.size(); ++k) {
        if (segs[k].empty() || segs[k] == "." || segs[k] == "..") {
          return InvalidArgument(StrCat(qualified, ": argument `", n, "` (",
                                        Quote(text),
                                        ") would make an empty, `.` or `..` "
                                        "URL path segment"));
        }
        if (k > 0) out += '/';
        out += PercentEncode(segs[k]);
      }
      i = close + 1;
    }
    return out;
  }

  // A body template with "{param}" strings replaced by the arguments.
  static Json Fill(const Json& tpl, const Json& args) {
    if (tpl.is_string()) {
      const std::string s = tpl.get<std::string>();
      if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
        const Json* v = sim::FieldOf(args, s.substr(1, s.size() - 2));
        if (v != nullptr) return *v;
      }
      return tpl;
    }
    if (tpl.is_array()) {
      Json out = Json::array();
      for (const Json& e : tpl) out.push_back(Fill(e, args));
      return out;
    }
    if (tpl.is_object()) {
      Json out = Json::object();
      for (auto it = tpl.begin(); it != tpl.end(); ++it) {
        out[it.key()] = Fill(it.value(), args);
      }
      return out;
    }
    return tpl;
  }

  // The interface's undo action with this call's arguments, when it takes a
  // subset of them (add_label <-> remove_label).
  Json UndoFor(const Json& a, const Json& args) const {
    const std::string undo = a.value("undo", "");
    if (undo.empty()) return Json();
    const Json& actions = JsonObjectMember(contract_, "actions");
    auto it = actions.find(undo);
    if (it == actions.end()) return Json();
    Json uargs = Json::object();
    for (const Json& p : JsonArrayMember(*it, "params")) {
      const std::string n = p.value("name", "");
      if (!args.contains(n)) {
        if (p.value("optional", false)) continue;
        return Json();
      }
      uargs[n] = args[n];
    }
    return sim::UndoRecord(undo, std::move(uargs));
  }

  const Json contract_;
  const RestOptions options_;
  const std::string name_;
  const std::string base_;
  HttpClient client_;
  std::map<std::string, std::string> scope_kinds_;
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeRestConnector(const Json& contract,
                                                     RestOptions options) {
  const std::string name = contract.value("name", "");
  if (name.empty()) return InvalidArgument("rest: the contract has no name");
  bool any = false;
  for (const auto& [n, a] : JsonObjectMember(contract, "actions").items()) {
    any |= a.contains("http");
  }
  if (!any) {
    return InvalidArgument(StrCat(name,
                                  ": the interface declares no HTTP "
                                  "actions"));
  }
  std::string base =
      options.base.empty() ? contract.value("base", "") : options.base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  WFS_ASSIGN_OR_RETURN(UrlParts parts, ParseUrl(base));
  if (parts.scheme != "http" && parts.scheme != "https") {
    return InvalidArgument(
        StrCat(name, ": base URL ", Quote(base), " must be http or https"));
  }
  if (!parts.query.empty() || !parts.user.empty()) {
    return InvalidArgument(StrCat(name, ": base URL ", Quote(base),
                                  " may not hold user info or a query"));
  }
  if (!options.allow_hosts.empty() &&
      std::find(options.allow_hosts.begin(), options.allow_hosts.end(),
                parts.host) == options.allow_hosts.end()) {
    return PermissionDenied(StrCat(name, ": base URL host ", Quote(parts.host),
                                   " is not in the allow-list (",
                                   StrJoin(options.allow_hosts, ", "), ")"));
  }
  if (parts.scheme == "http" && !options.token.empty() &&
      !IsLoopbackHost(parts.host)) {
    return InvalidArgument(StrCat(name,
                                  ": refusing to send a token over "
                                  "plain http to ",
                                  parts.host, "; use https"));
  }
  for (auto* j : {&options.response_map, &options.body_templates,
                  &options.unchanged_if}) {
    if (!j->is_object())
      return InvalidArgument(name + ": maps must be objects");
  }
  return std::unique_ptr<Connector>(
      new RestConnector(contract, std::move(options), std::move(base)));
}

RestOptions GithubProfile() {
  RestOptions o;
  o.headers = {{"Accept", "application/vnd.github+json"},
               {"X-GitHub-Api-Version", "2022-11-28"}};
  o.response_map = ParseJson(R"({
    "Issue": {"author": "user.login", "labels": "labels[].name"},
    "Comment": {"author": "user.login"}})")
                       .value();
  o.body_templates =
      ParseJson(R"({"add_label": {"labels": ["{label}"]}})").value();
  o.unchanged_if = ParseJson(R"({
    "add_label": {"read": "get_issue", "list": "labels", "has": "label"},
    "remove_label": {"read": "get_issue", "list": "labels", "lacks": "label"}})")
                       .value();
  return o;
}

}  // namespace wfs::connectors::http
