// The mail connector from its config (mail.h).
#include <set>
#include <tuple>
#include <utility>

#include "base/strings.h"
#include "connectors/http/secrets.h"
#include "connectors/http/text.h"
#include "connectors/mail/mail.h"
#include "connectors/mail/mail_connector.h"

namespace wfs::connectors::mail {

namespace {

Result<std::string> StringKey(const Json& c, const char* key, bool required,
                              const std::string& fallback = "") {
  if (!c.contains(key)) {
    if (required) {
      return InvalidArgument(StrCat("mail.", key, " is required"));
    }
    return fallback;
  }
  if (!c[key].is_string() || c[key].get<std::string>().empty()) {
    return InvalidArgument(StrCat("mail.", key, " must be a non-empty string"));
  }
  return c[key].get<std::string>();
}

// A secret reference: "<name>": {"env"|"file": ...}, or the flat
// "<name>_env" / "<name>_file".
Result<std::string> SecretKey(const Json& c, const std::string& name,
                              SecretResolver& secrets, bool* given) {
  Json ref;
  int forms = 0;
  if (c.contains(name)) {
    ref = c[name];
    ++forms;
  }
  if (c.contains(name + "_env")) {
    ref = {{"env", c[name + "_env"]}};
    ++forms;
  }
  if (c.contains(name + "_file")) {
    ref = {{"file", c[name + "_file"]}};
    ++forms;
  }
  *given = forms > 0;
  if (forms == 0) return std::string();
  if (forms > 1) {
    return InvalidArgument(StrCat("mail.", name, ": give one of `", name,
                                  "`, `", name, "_env` or `", name, "_file`"));
  }
  Result<Secret> s = secrets.Resolve(ref);
  if (!s.ok()) return s.status().WithContext("mail." + name);
  return s->Reveal();
}

Result<std::string> CheckUrl(const std::string& key, const std::string& url,
                             const std::string& plain, const std::string& tls,
                             bool allow_plaintext, bool* plaintext_ok) {
  WFS_ASSIGN_OR_RETURN(UrlParts p, ParseUrl(url));
  if (p.scheme != plain && p.scheme != tls) {
    return InvalidArgument(
        StrCat("mail.", key, " must be a ", plain, ":// or ", tls, ":// URL"));
  }
  if (!p.user.empty() || !p.query.empty() ||
      (!p.path.empty() && p.path != "/")) {
    return InvalidArgument(StrCat("mail.", key,
                                  " may hold only a scheme, a host "
                                  "and a port"));
  }
  // Plain text only to this machine, unless the config says otherwise;
  // elsewhere STARTTLS is required.
  *plaintext_ok = p.scheme == tls || allow_plaintext || IsLoopbackHost(p.host);
  return url;
}

}  // namespace

Result<std::unique_ptr<Connector>> MakeMailConnector(const Json& config,
                                                     SecretResolver& secrets,
                                                     const Clock* clock) {
  if (!config.is_object()) {
    return InvalidArgument("mail: config must be an object");
  }
  static const std::set<std::string> kKnown = {"kind",
                                               "imap_url",
                                               "smtp_url",
                                               "user",
                                               "password",
                                               "password_env",
                                               "password_file",
                                               "smtp_user",
                                               "smtp_password",
                                               "smtp_password_env",
                                               "smtp_password_file",
                                               "from",
                                               "trash",
                                               "inbox",
                                               "allow_plaintext",
                                               "timeout_ms",
                                               "connect_timeout_ms",
                                               "max_response_bytes",
                                               "proxy",
                                               "ca_file",
                                               "max_message_bytes",
                                               "max_find_results"};
  for (auto it = config.begin(); it != config.end(); ++it) {
    if (!kKnown.count(it.key())) {
      std::vector<std::string> known(kKnown.begin(), kKnown.end());
      return InvalidArgument(StrCat("mail: unknown key ", Quote(it.key()),
                                    " (known: ", StrJoin(known, ", "), ")"));
    }
  }
  bool allow_plaintext = false;
  if (config.contains("allow_plaintext")) {
    if (!config["allow_plaintext"].is_boolean()) {
      return InvalidArgument("mail.allow_plaintext must be true or false");
    }
    allow_plaintext = config["allow_plaintext"].get<bool>();
  }
  WFS_ASSIGN_OR_RETURN(CurlLimits limits, CurlLimitsFromConfig(config, "mail"));
  MailOptions o;
  o.clock = clock;
  o.imap.limits = limits;
  o.smtp.limits = limits;
  WFS_ASSIGN_OR_RETURN(std::string imap_url,
                       StringKey(config, "imap_url", true));
  WFS_ASSIGN_OR_RETURN(o.imap.url,
                       CheckUrl("imap_url", imap_url, "imap", "imaps",
                                allow_plaintext, &o.imap.allow_plaintext));
  WFS_ASSIGN_OR_RETURN(o.imap.user, StringKey(config, "user", true));
  bool given = false;
  WFS_ASSIGN_OR_RETURN(o.imap.password,
                       SecretKey(config, "password", secrets, &given));
  if (!given) {
    return InvalidArgument(
        "mail.password is required: {\"env\": VAR} or {\"file\": PATH}");
  }
  WFS_ASSIGN_OR_RETURN(std::string smtp_url,
                       StringKey(config, "smtp_url", false));
  if (!smtp_url.empty()) {
    WFS_ASSIGN_OR_RETURN(o.smtp.url,
                         CheckUrl("smtp_url", smtp_url, "smtp", "smtps",
                                  allow_plaintext, &o.smtp.allow_plaintext));
  }
  WFS_ASSIGN_OR_RETURN(o.smtp.user,
                       StringKey(config, "smtp_user", false, o.imap.user));
  WFS_ASSIGN_OR_RETURN(o.smtp.password,
                       SecretKey(config, "smtp_password", secrets, &given));
  if (!given) o.smtp.password = o.imap.password;
  std::string default_from =
      o.imap.user.find('@') != std::string::npos ? o.imap.user : "";
  WFS_ASSIGN_OR_RETURN(o.from, StringKey(config, "from", false, default_from));
  WFS_ASSIGN_OR_RETURN(o.trash, StringKey(config, "trash", false, "Trash"));
  WFS_ASSIGN_OR_RETURN(o.inbox, StringKey(config, "inbox", false, "INBOX"));
  for (auto [key, out, lo, hi] :
       {std::tuple<const char*, size_t*, int64_t, int64_t>{
            "max_message_bytes", &o.max_message_bytes, 1024, int64_t{1} << 30},
        {"max_find_results", &o.max_find_results, 1, 100000}}) {
    if (!config.contains(key)) continue;
    const Json& v = config[key];
    if (!v.is_number_integer() || v.get<int64_t>() < lo ||
        v.get<int64_t>() > hi) {
      return InvalidArgument(
          StrCat("mail.", key, " must be an integer from ", lo, " to ", hi));
    }
    *out = static_cast<size_t>(v.get<int64_t>());
  }
  // What a login sends, base64 (SASL PLAIN, LOGIN), is redacted too.
  for (const auto& [user, pw] : {std::pair{o.imap.user, o.imap.password},
                                 std::pair{o.smtp.user, o.smtp.password}}) {
    if (pw.empty()) continue;
    secrets.AddDerived(
        Base64Encode(std::string("\0", 1) + user + std::string("\0", 1) + pw));
    secrets.AddDerived(Base64Encode(pw));
  }
  return MakeMailConnector(std::move(o));
}

}  // namespace wfs::connectors::mail
