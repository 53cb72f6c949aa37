// The mail simulator: world messages (every mailbox) and sent (SMTP).
#include <algorithm>
#include <memory>

#include "base/strings.h"
#include "connectors/sim/simulator.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::sim {

namespace {

constexpr char kTrash[] = "Trash";
constexpr char kInbox[] = "INBOX";

using K = ArgKind;

std::vector<ActionSpec> MailActions() {
  return {
      {"find", true, {{"mailbox", K::kString}, {"query", K::kString}}, {}},
      {"get", true, {{"id", K::kString}}, {}},
      {"move", false, {{"id", K::kString}, {"to", K::kString}}, {}},
      {"flag", false, {{"id", K::kString}, {"flag", K::kString}}, {}},
      {"unflag", false, {{"id", K::kString}, {"flag", K::kString}}, {}},
      {"delete", false, {{"id", K::kString}}, {}},
      {"restore", false, {{"id", K::kString}}, {{"_mailbox", K::kString}}},
      {"send",
       false,
       {{"to", K::kStringList}, {"subject", K::kString}, {"body", K::kString}},
       {}},
  };
}

// The lower-cased domain of an address, or "" when it is not one.
std::string EmailDomain(const std::string& address) {
  size_t at = address.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 >= address.size()) {
    return "";
  }
  return ToLower(address.substr(at + 1));
}

class MailSimulator final : public Simulator {
 public:
  explicit MailSimulator(World* world)
      : Simulator("mail", world, MailActions()) {}

 protected:
  Result<ActionResponse> Do(const ActionSpec& spec,
                            const ActionRequest& r) override {
    const std::string action = spec.name;
    const Json& args = r.args;
    if (action == "find") return Find(r, args);
    if (action == "send") return Send(r, args);

    const std::string id = args["id"].get<std::string>();
    WFS_ASSIGN_OR_RETURN(Json * msg, Message(id));
    const std::string mailbox = StringField(*msg, "mailbox");
    if (action != "restore") {
      WFS_RETURN_IF_ERROR(CheckExactScope(r, "mail", "mailbox", mailbox));
    }
    ActionResponse out;
    if (action == "get") {
      out.result = PublicRecord(*msg);
    } else if (action == "move") {
      const std::string to = args["to"].get<std::string>();
      if (to.empty()) return Bad(r, "argument `to` must name a mailbox");
      WFS_RETURN_IF_ERROR(CheckExactScope(r, "mail", "mailbox", to));
      if (to != mailbox) {
        (*msg)["mailbox"] = to;
        out.undo = UndoRecord("move", {{"id", id}, {"to", mailbox}});
      }
    } else if (action == "flag" || action == "unflag") {
      const std::string flag = args["flag"].get<std::string>();
      if (flag.empty()) return Bad(r, "argument `flag` must not be empty");
      Json& flags = (*msg)["flags"];
      if (!flags.is_array()) flags = Json::array();
      auto has = std::find(flags.begin(), flags.end(), Json(flag));
      if (action == "flag" && has == flags.end()) {
        flags.push_back(flag);
        out.undo = UndoRecord("unflag", {{"id", id}, {"flag", flag}});
      } else if (action == "unflag" && has != flags.end()) {
        Json kept = Json::array();
        for (const Json& f : flags) {
          if (f != flag) kept.push_back(f);
        }
        flags = std::move(kept);
        out.undo = UndoRecord("flag", {{"id", id}, {"flag", flag}});
      }
    } else if (action == "delete") {
      if (mailbox != kTrash) {
        (*msg)["mailbox"] = kTrash;
        out.undo =
            UndoRecord("restore", {{"id", id}, {"_mailbox", mailbox}});
      }
    } else if (action == "restore") {
      if (mailbox != kTrash) {
        return FailedPrecondition(
            StrCat("mail.restore: message ", Quote(id), " is in ",
                   Quote(mailbox), ", not in Trash"));
      }
      std::string to = StringField(args, "_mailbox", kInbox);
      if (to.empty() || to == kTrash) to = kInbox;
      (*msg)["mailbox"] = to;
      out.undo = UndoRecord("delete", {{"id", id}});
    }
    return out;
  }

  Result<std::string> DoScopeKey(const std::string& action,
                                 const std::string& param, const Json& value,
                                 const ScopeMap& scopes) override {
    if (param == "id") {
      if (!value.is_string()) {
        return InvalidArgument("mail: a message id must be a string");
      }
      WFS_ASSIGN_OR_RETURN(Json * msg, Message(value.get<std::string>()));
      return StringField(*msg, "mailbox");
    }
    if (action == "send" && param == "to") {
      // recipient_domain is a domain scope: the key is the address's domain.
      std::vector<std::string> addresses;
      if (value.is_string()) {
        addresses.push_back(value.get<std::string>());
      } else if (value.is_array()) {
        for (const Json& v : value) {
          if (!v.is_string()) {
            return InvalidArgument("mail.send: recipients must be strings");
          }
          addresses.push_back(v.get<std::string>());
        }
      } else {
        return InvalidArgument("mail.send: recipients must be strings");
      }
      std::string domain;
      for (const std::string& a : addresses) {
        std::string d = EmailDomain(a);
        if (d.empty()) {
          return InvalidArgument(
              StrCat("mail.send: ", Quote(a), " is not an email address"));
        }
        if (!domain.empty() && d != domain) {
          return InvalidArgument(
              "mail.send: recipients in several domains; ask for one address "
              "at a time");
        }
        domain = d;
      }
      if (domain.empty()) {
        return InvalidArgument("mail.send: no recipient");
      }
      return domain;
    }
    return Simulator::DoScopeKey(action, param, value, scopes);
  }

 private:
  Result<Json*> Message(const std::string& id) {
    for (Json& m : Collection("messages")) {
      if (m.is_object() && StringField(m, "id") == id) return &m;
    }
    return NotFound(StrCat("mail: no message with id ", Quote(id)));
  }

  Result<ActionResponse> Find(const ActionRequest& r, const Json& args) {
    const std::string mailbox = args["mailbox"].get<std::string>();
    const std::string query = args["query"].get<std::string>();
    WFS_RETURN_IF_ERROR(CheckExactScope(r, "mail", "mailbox", mailbox));
    ActionResponse out;
    out.result = Json::array();
    for (const Json& m : Collection("messages")) {
      if (StringField(m, "mailbox") != mailbox) continue;
      if (ContainsFold(StringField(m, "from"), query) ||
          ContainsFold(StringField(m, "subject"), query)) {
        out.result.push_back(PublicRecord(m));
      }
    }
    return out;
  }

  Result<ActionResponse> Send(const ActionRequest& r, const Json& args) {
    const Json& to = args["to"];
    if (to.empty()) return Bad(r, "argument `to` needs at least one address");
    for (size_t i = 0; i < to.size(); ++i) {
      const std::string address = to[i].get<std::string>();
      std::string domain = EmailDomain(address);
      if (domain.empty()) {
        return Bad(r, StrCat("argument `to`: ", Quote(address),
                             " is not an email address"));
      }
      if (const std::vector<std::string>* allowed =
              ScopeValues(r, "recipient_domain")) {
        bool ok = false;
        for (const std::string& d : *allowed) ok |= ToLower(d) == domain;
        if (!ok) {
          return PermissionDenied(
              StrCat("mail.send: ", Quote(address),
                     " is outside the run's mail.recipient_domain scope (",
                     StrJoin(*allowed, ", "), ")"));
        }
      }
    }
    Json sent = Json::object();
    sent["to"] = to;
    sent["subject"] = args["subject"];
    sent["body"] = args["body"];
    Collection("sent").push_back(std::move(sent));
    return ActionResponse{};
  }
};

}  // namespace

std::unique_ptr<Connector> MakeMailSimulator(World* world) {
  return std::make_unique<MailSimulator>(world);
}

}  // namespace wfs::connectors::sim
