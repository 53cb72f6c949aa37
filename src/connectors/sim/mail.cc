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


class MailSimulator final : public Simulator {
 public:
  explicit MailSimulator(World* world)
      : Simulator("mail", world, MailActionSpecs()) {}

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
      return RecipientDomain(value);
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

std::vector<ActionSpec> MailActionSpecs() {
  return {
      {"find", true, {{"mailbox", ArgKind::kString}, {"query", ArgKind::kString}}, {}},
      {"get", true, {{"id", ArgKind::kString}}, {}},
      {"move", false, {{"id", ArgKind::kString}, {"to", ArgKind::kString}}, {}},
      {"flag", false, {{"id", ArgKind::kString}, {"flag", ArgKind::kString}}, {}},
      {"unflag", false, {{"id", ArgKind::kString}, {"flag", ArgKind::kString}}, {}},
      {"delete", false, {{"id", ArgKind::kString}}, {}},
      {"restore", false, {{"id", ArgKind::kString}}, {{"_mailbox", ArgKind::kString}}},
      {"send",
       false,
       {{"to", ArgKind::kStringList}, {"subject", ArgKind::kString}, {"body", ArgKind::kString}},
       {}},
  };
}


std::unique_ptr<Connector> MakeMailSimulator(World* world) {
  return std::make_unique<MailSimulator>(world);
}

}  // namespace wfs::connectors::sim
