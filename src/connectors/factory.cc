#include "connectors/factory.h"

#include <algorithm>
#include <set>

#include "base/strings.h"
#include "connectors/calendar/caldav.h"
#include "connectors/fs/local_fs.h"
#include "connectors/git/git_cli.h"
#include "connectors/http/http_connector.h"
#include "connectors/mail/mail.h"
#include "lang/compiler.h"
#include "lang/interfaces.h"

namespace wfs::connectors {

namespace {

// Typed, checked access to one connector's config object. Every error names
// the connector and the key: "git.timeout_ms must be an integer from 1 to
// 3600000".
class Config {
 public:
  Config(const std::string& name, const Json& obj) : name_(name), obj_(obj) {}

  // InvalidArgument for a key outside `known` (listed in the message).
  Status OnlyKeys(std::vector<std::string> known) const {
    known.push_back("kind");
    std::sort(known.begin(), known.end());
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
        return InvalidArgument(StrCat(name_, ": unknown key ", Quote(it.key()),
                                      " (known: ", StrJoin(known, ", "), ")"));
      }
    }
    return Status::Ok();
  }

  bool Has(const char* key) const { return obj_.contains(key); }

  Status Str(const char* key, std::string* out) const {
    if (!Has(key)) return Status::Ok();
    if (!obj_[key].is_string()) return Bad(key, "must be a string");
    *out = obj_[key].get<std::string>();
    return Status::Ok();
  }

  template <typename N>
  Status Int(const char* key, N* out, int64_t lo, int64_t hi) const {
    if (!Has(key)) return Status::Ok();
    const Json& v = obj_[key];
    if (!v.is_number_integer() || v.get<int64_t>() < lo ||
        v.get<int64_t>() > hi) {
      return Bad(key, StrCat("must be an integer from ", lo, " to ", hi));
    }
    *out = static_cast<N>(v.get<int64_t>());
    return Status::Ok();
  }

  Status Bool(const char* key, bool* out) const {
    if (!Has(key)) return Status::Ok();
    if (!obj_[key].is_boolean()) return Bad(key, "must be true or false");
    *out = obj_[key].get<bool>();
    return Status::Ok();
  }

  // A list of host names, lower-cased.
  Status Hosts(const char* key, std::vector<std::string>* out) const {
    if (!Has(key)) return Status::Ok();
    const Json& v = obj_[key];
    if (!v.is_array()) return Bad(key, "must be a list of host names");
    out->clear();
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string h = v[i].is_string() ? v[i].get<std::string>() : "";
      const bool bracketed = StartsWith(h, "[") && EndsWith(h, "]");
      if (h.empty() || h.find_first_of("/@ ?#*\\") != std::string::npos ||
          (!bracketed && h.find(':') != std::string::npos)) {
        return Bad(key, StrCat("[", i, "] must be a host name (no scheme, ",
                               "port, path or wildcard)"));
      }
      out->push_back(ToLower(h));
    }
    return Status::Ok();
  }

  Status Object(const char* key, Json* out) const {
    if (!Has(key)) return Status::Ok();
    if (!obj_[key].is_object()) return Bad(key, "must be an object");
    *out = obj_[key];
    return Status::Ok();
  }

  Result<Secret> SecretOf(const Json& ref, const std::string& key,
                          SecretResolver* secrets) const {
    if (secrets == nullptr) {
      return InvalidArgument(StrCat(name_, ".", key,
                                    ": a secret is named but no secret "
                                    "resolver was given"));
    }
    Result<Secret> s = secrets->Resolve(ref);
    if (!s.ok()) return s.status().WithContext(StrCat(name_, ".", key));
    return s;
  }

  Status Bad(const std::string& key, const std::string& what) const {
    return InvalidArgument(StrCat(name_, ".", key, " ", what));
  }

  const Json& json() const { return obj_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  const Json& obj_;
};

Result<std::unique_ptr<Connector>> MakeFs(const Config& c) {
  WFS_RETURN_IF_ERROR(c.OnlyKeys({"max_file_bytes", "max_list_entries"}));
  fs::LocalFsOptions o;
  WFS_RETURN_IF_ERROR(
      c.Int("max_file_bytes", &o.max_file_bytes, 1, int64_t{1} << 30));
  WFS_RETURN_IF_ERROR(
      c.Int("max_list_entries", &o.max_list_entries, 1, 10'000'000));
  return fs::MakeLocalFsConnector(o);
}

Result<std::unique_ptr<Connector>> MakeGit(const Config& c,
                                           const FactoryOptions& f) {
  WFS_RETURN_IF_ERROR(c.OnlyKeys({"git", "author_name", "author_email",
                                  "temp_dir", "timeout_ms", "max_output_bytes",
                                  "max_diff_bytes", "max_log_count"}));
  git::GitCliOptions o;
  o.clock = f.clock;
  WFS_RETURN_IF_ERROR(c.Str("git", &o.git));
  WFS_RETURN_IF_ERROR(c.Str("author_name", &o.author_name));
  WFS_RETURN_IF_ERROR(c.Str("author_email", &o.author_email));
  WFS_RETURN_IF_ERROR(c.Str("temp_dir", &o.temp_dir));
  WFS_RETURN_IF_ERROR(c.Int("timeout_ms", &o.timeout_ms, 1, 3'600'000));
  WFS_RETURN_IF_ERROR(
      c.Int("max_output_bytes", &o.max_output_bytes, 1, int64_t{1} << 32));
  WFS_RETURN_IF_ERROR(
      c.Int("max_diff_bytes", &o.max_diff_bytes, 1, int64_t{1} << 30));
  WFS_RETURN_IF_ERROR(c.Int("max_log_count", &o.max_log_count, 1, 1'000'000));
  Result<std::unique_ptr<Connector>> made = git::MakeGitCliConnector(o);
  if (!made.ok()) return made.status().WithContext(c.name());
  return made;
}

// The keys CurlLimitsFromConfig reads.
const std::vector<std::string>& CurlKeys() {
  static const std::vector<std::string> kKeys = {
      "timeout_ms", "connect_timeout_ms", "max_response_bytes", "proxy",
      "ca_file"};
  return kKeys;
}

Result<std::unique_ptr<Connector>> MakeWeb(const Config& c,
                                           SecretResolver* secrets) {
  std::vector<std::string> keys = CurlKeys();
  keys.insert(keys.end(), {"allow_hosts", "public_addresses_only",
                           "credentials", "idempotency_header"});
  WFS_RETURN_IF_ERROR(c.OnlyKeys(keys));
  http::HttpConnectorOptions o = http::DefaultHttpConnectorOptions();
  const size_t default_max = o.limits.max_response_bytes;
  WFS_ASSIGN_OR_RETURN(o.limits, CurlLimitsFromConfig(c.json(), c.name()));
  if (!c.Has("max_response_bytes")) o.limits.max_response_bytes = default_max;
  o.limits.public_addresses_only = true;
  WFS_RETURN_IF_ERROR(
      c.Bool("public_addresses_only", &o.limits.public_addresses_only));
  if (!c.Has("allow_hosts")) {
    return c.Bad("allow_hosts",
                 "is required: the hosts this deployment lets workflows "
                 "contact");
  }
  WFS_RETURN_IF_ERROR(c.Hosts("allow_hosts", &o.allow_hosts));
  if (o.allow_hosts.empty()) {
    return c.Bad("allow_hosts", "must name at least one host");
  }
  WFS_RETURN_IF_ERROR(c.Str("idempotency_header", &o.idempotency_header));
  if (c.Has("credentials")) {
    const Json& creds = c.json()["credentials"];
    if (!creds.is_array()) return c.Bad("credentials", "must be a list");
    for (size_t i = 0; i < creds.size(); ++i) {
      const std::string key = StrCat("credentials[", i, "]");
      if (!creds[i].is_object()) return c.Bad(key, "must be an object");
      Config cc(StrCat(c.name(), ".", key), creds[i]);
      WFS_RETURN_IF_ERROR(cc.OnlyKeys({"host", "header", "scheme", "token"}));
      http::HttpCredential cred;
      WFS_RETURN_IF_ERROR(cc.Str("host", &cred.host));
      cred.host = ToLower(cred.host);
      if (std::find(o.allow_hosts.begin(), o.allow_hosts.end(), cred.host) ==
          o.allow_hosts.end()) {
        return cc.Bad("host", "must be one of allow_hosts");
      }
      WFS_RETURN_IF_ERROR(cc.Str("header", &cred.header));
      WFS_RETURN_IF_ERROR(cc.Str("scheme", &cred.scheme));
      if (!cc.Has("token")) return cc.Bad("token", "is required");
      WFS_ASSIGN_OR_RETURN(cred.token,
                           cc.SecretOf(creds[i]["token"], "token", secrets));
      o.credentials.push_back(std::move(cred));
    }
  }
  return http::MakeHttpConnector(std::move(o));
}

Result<std::unique_ptr<Connector>> MakeRest(const Config& c,
                                            const lang::InterfaceSet& ifaces,
                                            SecretResolver* secrets) {
  const lang::ConnectorInfo* info = ifaces.Find(c.name());
  if (info == nullptr) {
    return InvalidArgument(StrCat(c.name(), ": no interface declares a ",
                                  "connector of that name"));
  }
  std::vector<std::string> keys = CurlKeys();
  keys.insert(keys.end(), {"profile", "base", "allow_hosts", "token",
                           "auth_header", "auth_scheme", "headers",
                           "response_map", "body_templates", "unchanged_if"});
  WFS_RETURN_IF_ERROR(c.OnlyKeys(keys));
  std::string profile = "none";
  WFS_RETURN_IF_ERROR(c.Str("profile", &profile));
  http::RestOptions o;
  if (profile == "github") {
    o = http::GithubProfile();
  } else if (profile != "none") {
    return c.Bad("profile", StrCat("must be \"github\" or \"none\", got ",
                                   Quote(profile)));
  }
  WFS_ASSIGN_OR_RETURN(o.limits, CurlLimitsFromConfig(c.json(), c.name()));
  WFS_RETURN_IF_ERROR(c.Str("base", &o.base));
  WFS_RETURN_IF_ERROR(c.Hosts("allow_hosts", &o.allow_hosts));
  WFS_RETURN_IF_ERROR(c.Str("auth_header", &o.auth_header));
  WFS_RETURN_IF_ERROR(c.Str("auth_scheme", &o.auth_scheme));
  if (c.Has("token")) {
    WFS_ASSIGN_OR_RETURN(o.token,
                         c.SecretOf(c.json()["token"], "token", secrets));
  }
  if (c.Has("headers")) {
    const Json& h = c.json()["headers"];
    if (!h.is_object()) return c.Bad("headers", "must be an object");
    for (auto it = h.begin(); it != h.end(); ++it) {
      if (!it.value().is_string()) {
        return c.Bad(StrCat("headers.", it.key()), "must be a string");
      }
      o.headers.push_back({it.key(), it.value().get<std::string>()});
    }
  }
  // Maps given in the config extend (and override) the profile's.
  for (auto [key, target] :
       {std::pair<const char*, Json*>{"response_map", &o.response_map},
        {"body_templates", &o.body_templates},
        {"unchanged_if", &o.unchanged_if}}) {
    Json extra = Json::object();
    WFS_RETURN_IF_ERROR(c.Object(key, &extra));
    for (auto it = extra.begin(); it != extra.end(); ++it) {
      (*target)[it.key()] = it.value();
    }
  }
  Result<std::unique_ptr<Connector>> made =
      http::MakeRestConnector(ifaces.ConnectorToJson(*info), std::move(o));
  if (!made.ok()) return made.status().WithContext(c.name());
  return made;
}

}  // namespace

std::vector<std::string> ConnectorBundle::names() const {
  std::vector<std::string> out;
  for (const auto& [name, c] : set_.all()) out.push_back(name);
  return out;
}

void ConnectorBundle::Add(std::unique_ptr<Connector> c) {
  set_.Add(c.get());
  owned_.push_back(std::move(c));
}

std::vector<std::string> BuiltinConnectorKinds() {
  return {"calendar", "fs", "git", "http", "mail"};
}

Result<std::unique_ptr<ConnectorBundle>> MakeConnectors(
    const Json& config, SecretResolver* secrets,
    const FactoryOptions& options) {
  if (!config.is_object()) {
    return InvalidArgument(
        "connector config must be a JSON object: connector name -> its "
        "config");
  }
  std::unique_ptr<lang::Compiler> compiler;
  const lang::InterfaceSet* ifaces = options.interfaces;
  auto bundle = std::make_unique<ConnectorBundle>();
  for (auto it = config.begin(); it != config.end(); ++it) {
    const std::string& name = it.key();
    if (!it.value().is_object()) {
      return InvalidArgument(StrCat(name, ": config must be an object"));
    }
    Config c(name, it.value());
    std::string kind;
    if (c.Has("kind") && !it.value()["kind"].is_string()) {
      return c.Bad("kind", "must be a string");
    }
    WFS_RETURN_IF_ERROR(c.Str("kind", &kind));
    if (kind.empty()) {
      kind = name == "fs"                           ? "local"
             : name == "git"                        ? "cli"
             : name == "http"                       ? "curl"
             : name == "mail" || name == "calendar" ? name
                                                    : "rest";
    }
    auto wrong_kind = [&](const std::string& allowed) {
      return c.Bad("kind", StrCat("must be ", allowed, " for ", name, ", got ",
                                  Quote(kind)));
    };
    Result<std::unique_ptr<Connector>> made = Status(Code::kInternal, "unset");
    if (name == "fs") {
      if (kind != "local") return wrong_kind("\"local\"");
      made = MakeFs(c);
    } else if (name == "git") {
      if (kind != "cli") return wrong_kind("\"cli\"");
      made = MakeGit(c, options);
    } else if (name == "http") {
      if (kind != "curl") return wrong_kind("\"curl\"");
      made = MakeWeb(c, secrets);
    } else if (name == "mail") {
      if (kind != "mail") return wrong_kind("\"mail\" (or left out)");
      if (secrets == nullptr) {
        return InvalidArgument("mail: needs a secret resolver");
      }
      made = mail::MakeMailConnector(it.value(), *secrets, options.clock);
    } else if (name == "calendar") {
      if (kind != "calendar") return wrong_kind("\"calendar\" (or left out)");
      if (secrets == nullptr) {
        return InvalidArgument("calendar: needs a secret resolver");
      }
      made =
          calendar::MakeCalendarConnector(it.value(), *secrets, options.clock);
    } else {
      if (kind != "rest") {
        return InvalidArgument(
            StrCat("unknown connector ", Quote(name), " of kind ", Quote(kind),
                   " (known: ", StrJoin(BuiltinConnectorKinds(), ", "),
                   ", or kind \"rest\" for an interface with HTTP actions)"));
      }
      if (ifaces == nullptr) {
        compiler = lang::Compiler::Create(lang::CompilerOptions{});
        ifaces = &compiler->interfaces();
      }
      made = MakeRest(c, *ifaces, secrets);
    }
    if (!made.ok()) return made.status();
    if (!made.value() || made.value()->name() != name) {
      return Internal(StrCat(name, ": the connector made has another name"));
    }
    bundle->Add(std::move(made).value());
  }
  return bundle;
}

}  // namespace wfs::connectors
