// The mail connector: IMAP for reading and organising, SMTP for sending.
#include "connectors/mail/mail_connector.h"

#include <curl/curl.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "base/clock.h"
#include "base/random.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "connectors/http/action_args.h"
#include "connectors/http/text.h"
#include "connectors/mail/mime.h"
#include "connectors/sim/values.h"
#include "connectors/sim/simulators.h"

namespace wfs::connectors::mail {

namespace {

constexpr size_t kBatch = 200;        // UIDs per FETCH command
constexpr size_t kMaxCache = 100000;  // id -> location hints
constexpr size_t kMaxMailboxes = 1000;

// An id as the server gave it: printable ASCII without IMAP specials.
bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 255) return false;
  for (unsigned char c : id) {
    if (c <= ' ' || c >= 0x7f || c == '"' || c == '(' || c == ')' || c == '{' ||
        c == '%' || c == '*') {
      return false;
    }
  }
  return true;
}

bool SameFlag(const std::string& a, const std::string& b) {
  return ToLower(a) == ToLower(b);
}

// A flag this connector may set or clear.
Status CheckFlag(const std::string& action, const std::string& flag) {
  if (flag.empty()) {
    return InvalidArgument(
        StrCat("mail.", action, ": argument `flag` must not be empty"));
  }
  if (flag.size() > 100) {
    return InvalidArgument(StrCat("mail.", action, ": flag too long"));
  }
  if (flag[0] == '\\') {
    static const char* const kSystem[] = {"\\Seen", "\\Answered", "\\Flagged",
                                          "\\Draft"};
    for (const char* s : kSystem) {
      if (SameFlag(flag, s)) return Status::Ok();
    }
    if (SameFlag(flag, "\\Deleted")) {
      return InvalidArgument(
          StrCat("mail.", action,
                 ": `\\Deleted` marks a message for destruction; "
                 "use mail.delete, which moves it to Trash and can be undone"));
    }
    return InvalidArgument(StrCat("mail.", action, ": ", Quote(flag),
                                  " is not a system flag a message can have"));
  }
  for (unsigned char c : flag) {
    if (c <= ' ' || c >= 0x7f || c == '(' || c == ')' || c == '{' || c == '%' ||
        c == '*' || c == '"' || c == '\\' || c == ']') {
      return InvalidArgument(StrCat("mail.", action, ": ", Quote(flag),
                                    " is not a valid IMAP keyword"));
    }
  }
  return Status::Ok();
}

std::string AddressOf(const ImapItem& a) {
  if (a.kind != ImapItem::kList || a.items.size() < 4) return "";
  const std::string& mbox = a.items[2].Str();
  const std::string& host = a.items[3].Str();
  if (mbox.empty() || a.items[3].kind == ImapItem::kNil) return "";
  return ToValidUtf8(mbox + "@" + host);
}

size_t ReadBody(char* buf, size_t size, size_t n, void* user) {
  auto* src = static_cast<std::pair<const std::string*, size_t>*>(user);
  size_t left = src->first->size() - src->second;
  size_t len = std::min(left, size * n);
  std::memcpy(buf, src->first->data() + src->second, len);
  src->second += len;
  return len;
}

class MailConnector final : public Connector {
 public:
  explicit MailConnector(MailOptions options)
      : o_(std::move(options)),
        redactor_(MakeRedactor(o_)),
        imap_(o_.imap, redactor_),
        actions_(sim::MailActionSpecs()) {}

  const std::string& name() const override { return name_; }

  Result<ActionResponse> Invoke(const ActionRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    Result<ActionResponse> out = DoInvoke(r);
    if (!out.ok()) return redactor_.Redact(out.status());
    // A message may quote a credential (or a server echo one): nothing of
    // it leaves in a result or undo record.
    if (!redactor_.empty()) {
      RedactStrings(out->result);
      RedactStrings(out->undo);
    }
    return out;
  }

  Result<std::string> ScopeKey(const std::string& action,
                               const std::string& param, const Json& value,
                               const ScopeMap& scopes) override {
    std::lock_guard<std::mutex> lock(mu_);
    WFS_RETURN_IF_ERROR(FindAction(name_, actions_, action).status());
    if (param == "id") {
      if (!value.is_string()) {
        return InvalidArgument("mail: a message id must be a string");
      }
      Result<Loc> loc = Resolve(value.get<std::string>(), false);
      if (!loc.ok()) return redactor_.Redact(loc.status());
      return loc->mailbox;
    }
    if (action == "send" && param == "to") return sim::RecipientDomain(value);
    return Connector::ScopeKey(action, param, value, scopes);
  }

 private:
  struct Loc {
    std::string mailbox;
    uint32_t uidvalidity = 0;
    uint32_t uid = 0;
  };

  void RedactStrings(Json& j) const {
    if (j.is_string()) {
      j = redactor_.Redact(j.get<std::string>());
    } else if (j.is_array() || j.is_object()) {
      for (Json& v : j) RedactStrings(v);
    }
  }

  static Redactor MakeRedactor(const MailOptions& o) {
    Redactor r;
    r.Add(o.imap.password, o.imap.user);
    r.Add(o.smtp.password, o.smtp.user);
    return r;
  }

  Result<ActionResponse> DoInvoke(const ActionRequest& r) {
    WFS_ASSIGN_OR_RETURN(const ActionArgs* spec,
                         FindAction(name_, actions_, r.action));
    WFS_RETURN_IF_ERROR(CheckArgs(name_, *spec, r));
    const std::string action = spec->name;
    if (action == "find") return Find(r);
    if (action == "send") return Send(r);
    const std::string id = StrArg(r.args, "id");
    const bool writable = action != "get";
    WFS_ASSIGN_OR_RETURN(Loc loc, Resolve(id, writable));
    if (action != "restore") {
      WFS_RETURN_IF_ERROR(
          CheckExactScopeValue(r, "mail", "mailbox", loc.mailbox));
    }
    ActionResponse out;
    if (action == "get") {
      WFS_ASSIGN_OR_RETURN(std::vector<Json> msgs,
                           FetchMessages(loc.mailbox, {loc.uid}));
      if (msgs.empty()) {
        return NotFound(StrCat("mail: no message with id ", Quote(id)));
      }
      out.result = std::move(msgs[0]);
      return out;
    }
    if (action == "move") {
      const std::string to = StrArg(r.args, "to");
      if (to.empty()) {
        return InvalidArgument("mail.move: argument `to` must name a mailbox");
      }
      WFS_RETURN_IF_ERROR(CheckExactScopeValue(r, "mail", "mailbox", to));
      if (to != loc.mailbox) {
        WFS_RETURN_IF_ERROR(Move(action, id, loc, to));
        out.undo = sim::UndoRecord("move", {{"id", id}, {"to", loc.mailbox}});
      }
      return out;
    }
    if (action == "flag" || action == "unflag") {
      const std::string flag = StrArg(r.args, "flag");
      WFS_RETURN_IF_ERROR(CheckFlag(action, flag));
      WFS_ASSIGN_OR_RETURN(std::vector<std::string> flags, FlagsOf(loc));
      bool has = std::any_of(flags.begin(), flags.end(),
                             [&](const auto& f) { return SameFlag(f, flag); });
      if (action == "flag" && !has) {
        WFS_RETURN_IF_ERROR(Store(loc, "+", flag));
        out.undo = sim::UndoRecord("unflag", {{"id", id}, {"flag", flag}});
      } else if (action == "unflag" && has) {
        WFS_RETURN_IF_ERROR(Store(loc, "-", flag));
        out.undo = sim::UndoRecord("flag", {{"id", id}, {"flag", flag}});
      }
      return out;
    }
    if (action == "delete") {
      if (loc.mailbox != o_.trash) {
        WFS_RETURN_IF_ERROR(Move(action, id, loc, o_.trash));
        out.undo =
            sim::UndoRecord("restore", {{"id", id}, {"_mailbox", loc.mailbox}});
      }
      return out;
    }
    // restore
    if (loc.mailbox != o_.trash) {
      return FailedPrecondition(StrCat("mail.restore: message ", Quote(id),
                                       " is in ", Quote(loc.mailbox),
                                       ", not in ", o_.trash));
    }
    std::string to = sim::StringField(r.args, "_mailbox", o_.inbox);
    if (to.empty() || to == o_.trash) to = o_.inbox;
    WFS_RETURN_IF_ERROR(Move(action, id, loc, to));
    out.undo = sim::UndoRecord("delete", {{"id", id}});
    return out;
  }

  // ---- ids and locations
  // -----------------------------------------------------

  Status Capabilities() {
    if (!id_item_.empty()) return Status::Ok();
    WFS_ASSIGN_OR_RETURN(ImapReply r, imap_.Run("CAPABILITY"));
    std::set<std::string> caps(r.capabilities.begin(), r.capabilities.end());
    id_item_ = caps.count("OBJECTID") ? "EMAILID" : "X-GUID";
    has_move_ = caps.count("MOVE") != 0;
    return Status::Ok();
  }

  std::string IdOf(const FetchData& f) const {
    const ImapItem* v = f.Find(id_item_);
    if (v == nullptr) return "";
    if (v->kind == ImapItem::kList) {
      return v->items.empty() ? "" : v->items[0].Str();
    }
    return v->Str();
  }

  Result<std::string> IdSearchKey(const std::string& id) {
    WFS_ASSIGN_OR_RETURN(std::string q, ImapQuote(id));
    return StrCat(id_item_, " ", id_item_ == "EMAILID" ? id : q);
  }

  void Remember(const std::string& id, const Loc& loc) {
    if (cache_.size() >= kMaxCache) cache_.clear();
    cache_[id] = loc;
  }

  // Where message `id` is now: its last known place when the server
  // confirms it, else a search of every mailbox.
  Result<Loc> Resolve(const std::string& id, bool writable) {
    auto not_found = [&]() {
      return NotFound(StrCat("mail: no message with id ", Quote(id)));
    };
    if (!ValidId(id)) return not_found();
    WFS_RETURN_IF_ERROR(Capabilities());
    auto hint = cache_.find(id);
    if (hint != cache_.end()) {
      Loc loc = hint->second;
      Result<uint32_t> uv = imap_.Select(loc.mailbox, writable);
      if (uv.ok() && *uv == loc.uidvalidity) {
        WFS_ASSIGN_OR_RETURN(ImapReply r,
                             imap_.RunIn(loc.mailbox, writable,
                                         StrCat("UID FETCH ", loc.uid, " (UID ",
                                                id_item_, ")")));
        for (const FetchData& f : r.fetches) {
          if (f.Uid() == loc.uid && IdOf(f) == id) return loc;
        }
      }
      cache_.erase(hint);
    }
    WFS_ASSIGN_OR_RETURN(ImapReply list, imap_.Run("LIST \"\" \"*\""));
    if (list.status != "OK") {
      return Unavailable(StrCat("imap: LIST failed: ", Quote(list.text)));
    }
    std::vector<std::string> boxes;
    for (const MailboxEntry& e : list.mailboxes) {
      bool selectable = true;
      for (const std::string& f : e.flags) {
        selectable &=
            !SameFlag(f, "\\Noselect") && !SameFlag(f, "\\NonExistent");
      }
      if (selectable) boxes.push_back(DecodeMailboxName(e.name));
      if (boxes.size() >= kMaxMailboxes) break;
    }
    WFS_ASSIGN_OR_RETURN(std::string key, IdSearchKey(id));
    std::vector<Loc> found;
    for (const std::string& box : boxes) {
      Result<uint32_t> uv = imap_.Select(box, false);
      if (!uv.ok()) {
        if (uv.status().code() == Code::kNotFound) continue;
        return uv.status();
      }
      WFS_ASSIGN_OR_RETURN(ImapReply r,
                           imap_.RunIn(box, false, "UID SEARCH " + key));
      if (r.status != "OK") {
        return Unimplemented(
            StrCat("mail: the IMAP server cannot search by ", id_item_,
                   ", so messages have no stable ids (", Quote(r.text),
                   "); wfstore needs OBJECTID (RFC 8474) or "
                   "Dovecot's X-GUID"));
      }
      for (uint32_t uid : r.search) found.push_back({box, *uv, uid});
    }
    if (found.empty()) return not_found();
    if (found.size() > 1) {
      return FailedPrecondition(StrCat("mail: message ", Quote(id),
                                       " is in several places (copies); "
                                       "refusing to guess which"));
    }
    Remember(id, found[0]);
    if (writable) {
      WFS_RETURN_IF_ERROR(imap_.Select(found[0].mailbox, true).status());
    }
    return found[0];
  }

  // ---- fetching
  // ----------------------------------------------------------------

  // Messages of `mailbox` with these UIDs, in UID order, as Message records.
  Result<std::vector<Json>> FetchMessages(const std::string& mailbox,
                                          std::vector<uint32_t> uids) {
    std::sort(uids.begin(), uids.end());
    std::map<uint32_t, FetchData> meta;
    WFS_RETURN_IF_ERROR(FetchMeta(mailbox, uids, meta));
    std::map<uint32_t, std::string> bodies;
    std::set<uint32_t> truncated;
    std::vector<uint32_t> whole;
    for (const auto& [uid, f] : meta) {
      const ImapItem* size = f.Find("RFC822.SIZE");
      uint64_t n =
          size != nullptr ? std::strtoull(size->Str().c_str(), nullptr, 10) : 0;
      if (n > o_.max_message_bytes) {
        WFS_ASSIGN_OR_RETURN(
            ImapReply r,
            imap_.RunIn(mailbox, false,
                        StrCat("UID FETCH ", uid, " (UID BODY.PEEK[]<0.",
                               o_.max_message_bytes, ">)")));
        for (const FetchData& b : r.fetches) {
          const ImapItem* raw = b.Find("BODY[]<0>");
          if (b.Uid() == uid && raw != nullptr) {
            bodies[uid] = raw->Str();
          }
        }
        bodies[uid] += "\r\n";
        truncated.insert(uid);
      } else {
        whole.push_back(uid);
      }
    }
    for (size_t i = 0; i < whole.size(); i += kBatch) {
      std::vector<uint32_t> batch(
          whole.begin() + static_cast<std::ptrdiff_t>(i),
          whole.begin() +
              static_cast<std::ptrdiff_t>(std::min(whole.size(), i + kBatch)));
      WFS_ASSIGN_OR_RETURN(ImapReply r,
                           imap_.RunIn(mailbox, false,
                                       StrCat("UID FETCH ", UidSet(batch),
                                              " (UID BODY.PEEK[])")));
      if (r.status != "OK") {
        return Unavailable(StrCat("imap: FETCH failed: ", Quote(r.text)));
      }
      for (const FetchData& b : r.fetches) {
        const ImapItem* raw = b.Find("BODY[]");
        if (raw != nullptr && b.Uid() != 0) bodies[b.Uid()] = raw->Str();
      }
    }
    std::vector<Json> out;
    for (const auto& [uid, f] : meta) {
      Json m = Record(mailbox, f);
      std::string text = MessageText(bodies[uid]);
      if (truncated.count(uid)) {
        text += "\n[... message cut by wfstore: larger than " +
                std::to_string(o_.max_message_bytes) + " bytes]";
      }
      m["body"] = text;
      out.push_back(std::move(m));
    }
    return out;
  }

  // UID FLAGS id ENVELOPE RFC822.SIZE of the given UIDs (missing ones are
  // left out).
  Status FetchMeta(const std::string& mailbox,
                   const std::vector<uint32_t>& uids,
                   std::map<uint32_t, FetchData>& out) {
    for (size_t i = 0; i < uids.size(); i += kBatch) {
      std::vector<uint32_t> batch(
          uids.begin() + static_cast<std::ptrdiff_t>(i),
          uids.begin() +
              static_cast<std::ptrdiff_t>(std::min(uids.size(), i + kBatch)));
      WFS_ASSIGN_OR_RETURN(
          ImapReply r,
          imap_.RunIn(mailbox, false,
                      StrCat("UID FETCH ", UidSet(batch), " (UID FLAGS ",
                             id_item_, " ENVELOPE RFC822.SIZE)")));
      if (r.status != "OK") {
        return Unavailable(StrCat("imap: FETCH failed: ", Quote(r.text)));
      }
      std::set<uint32_t> wanted(batch.begin(), batch.end());
      for (FetchData& f : r.fetches) {
        uint32_t uid = f.Uid();
        if (uid != 0 && wanted.count(uid)) out[uid] = std::move(f);
      }
    }
    return Status::Ok();
  }

  Json Record(const std::string& mailbox, const FetchData& f) {
    Json m = Json::object();
    const std::string id = IdOf(f);
    m["id"] = id;
    m["mailbox"] = mailbox;
    std::string from;
    Json to = Json::array();
    std::string subject;
    std::string date;
    const ImapItem* env = f.Find("ENVELOPE");
    if (env != nullptr && env->kind == ImapItem::kList &&
        env->items.size() >= 6) {
      const std::vector<ImapItem>& e = env->items;
      std::string raw_date = ToValidUtf8(e[0].Str());
      Result<std::string> d = Rfc5322DateToRfc3339(raw_date);
      date = d.ok() ? *d : raw_date;
      subject = DecodeHeaderWords(e[1].Str());
      if (e[2].kind == ImapItem::kList) {
        for (const ImapItem& a : e[2].items) {
          from = AddressOf(a);
          if (!from.empty()) break;
        }
      }
      if (e[5].kind == ImapItem::kList) {
        for (const ImapItem& a : e[5].items) {
          std::string addr = AddressOf(a);
          if (!addr.empty()) to.push_back(addr);
        }
      }
    }
    m["from"] = from;
    m["to"] = to;
    m["subject"] = subject;
    m["body"] = "";
    m["date"] = date;
    Json flags = Json::array();
    if (const ImapItem* fl = f.Find("FLAGS"); fl != nullptr) {
      for (const ImapItem& x : fl->items) {
        if (!SameFlag(x.text, "\\Recent")) flags.push_back(ToValidUtf8(x.text));
      }
    }
    m["flags"] = flags;
    return m;
  }

  Result<std::vector<std::string>> FlagsOf(const Loc& loc) {
    WFS_ASSIGN_OR_RETURN(ImapReply r, imap_.RunIn(loc.mailbox, true,
                                                  StrCat("UID FETCH ", loc.uid,
                                                         " (UID FLAGS)")));
    for (const FetchData& f : r.fetches) {
      if (f.Uid() != loc.uid) continue;
      std::vector<std::string> out;
      if (const ImapItem* fl = f.Find("FLAGS")) {
        for (const ImapItem& x : fl->items) out.push_back(x.text);
      }
      return out;
    }
    return NotFound("mail: the message disappeared");
  }

  // ---- changes
  // -------------------------------------------------------------------

  Status Store(const Loc& loc, const char* sign, const std::string& flag) {
    WFS_ASSIGN_OR_RETURN(ImapReply r,
                         imap_.RunIn(loc.mailbox, true,
                                     StrCat("UID STORE ", loc.uid, " ", sign,
                                            "FLAGS.SILENT (", flag, ")")));
    if (r.status != "OK") {
      return FailedPrecondition(
          StrCat("mail: the server refused to change flags: ", Quote(r.text)));
    }
    return Status::Ok();
  }

  Status Move(const std::string& action, const std::string& id, const Loc& loc,
              const std::string& to) {
    if (!has_move_) {
      return Unimplemented(
          "mail: the IMAP server lacks MOVE (RFC 6851), which wfstore needs "
          "to move messages without expunging");
    }
    WFS_ASSIGN_OR_RETURN(std::string quoted, ImapQuote(EncodeMailboxName(to)));
    WFS_ASSIGN_OR_RETURN(
        ImapReply r, imap_.RunIn(loc.mailbox, true,
                                 StrCat("UID MOVE ", loc.uid, " ", quoted)));
    if (r.status != "OK") {
      if (r.code == "TRYCREATE" || r.code == "NONEXISTENT") {
        return NotFound(StrCat("mail.", action, ": no mailbox ", Quote(to)));
      }
      return FailedPrecondition(
          StrCat("mail.", action, ": the server refused: ", Quote(r.text)));
    }
    // "COPYUID <uidvalidity> <from uids> <to uids>": where it is now.
    std::vector<std::string> c = StrSplit(r.copyuid, ' ');
    if (c.size() == 3 &&
        c[2].find_first_not_of("0123456789") == std::string::npos &&
        c[0].find_first_not_of("0123456789") == std::string::npos &&
        !c[2].empty() && !c[0].empty() && c[0].size() < 11 &&
        c[2].size() < 11) {
      Remember(id, {to, static_cast<uint32_t>(std::stoul(c[0])),
                    static_cast<uint32_t>(std::stoul(c[2]))});
    } else {
      cache_.erase(id);
    }
    return Status::Ok();
  }

  Result<ActionResponse> Find(const ActionRequest& r) {
    const std::string mailbox = StrArg(r.args, "mailbox");
    const std::string query = StrArg(r.args, "query");
    WFS_RETURN_IF_ERROR(CheckExactScopeValue(r, "mail", "mailbox", mailbox));
    WFS_RETURN_IF_ERROR(Capabilities());
    ActionResponse out;
    out.result = Json::array();
    Result<uint32_t> uv = imap_.Select(mailbox, false);
    if (!uv.ok()) {
      // The simulator's unknown mailbox is empty.
      if (uv.status().code() == Code::kNotFound) return out;
      return uv.status();
    }
    if (imap_.exists() == 0) return out;
    // The server narrows (its FROM and SUBJECT matches are a superset of
    // ours); the exact match is the simulator's, done here.
    std::string criteria = "ALL";
    bool ascii = !query.empty();
    for (unsigned char c : query) ascii &= c >= 0x20 && c < 0x7f;
    if (ascii) {
      WFS_ASSIGN_OR_RETURN(std::string q, ImapQuote(query));
      criteria = StrCat("OR FROM ", q, " SUBJECT ", q);
    }
    WFS_ASSIGN_OR_RETURN(ImapReply s,
                         imap_.RunIn(mailbox, false, "UID SEARCH " + criteria));
    if (s.status != "OK") {
      return Unavailable(StrCat("imap: SEARCH failed: ", Quote(s.text)));
    }
    if (s.search.size() > o_.max_find_candidates) {
      return ResourceExhausted(StrCat(
          "mail.find: more than ", o_.max_find_candidates,
          " messages to look at in ", Quote(mailbox), "; narrow the query"));
    }
    std::vector<uint32_t> uids = s.search;
    std::sort(uids.begin(), uids.end());
    std::map<uint32_t, FetchData> meta;
    WFS_RETURN_IF_ERROR(FetchMeta(mailbox, uids, meta));
    std::vector<uint32_t> matches;
    for (const auto& [uid, f] : meta) {
      Json rec = Record(mailbox, f);
      if (sim::ContainsFold(rec["from"].get<std::string>(), query) ||
          sim::ContainsFold(rec["subject"].get<std::string>(), query)) {
        matches.push_back(uid);
      }
    }
    if (matches.size() > o_.max_find_results) {
      return ResourceExhausted(
          StrCat("mail.find: more than ", o_.max_find_results,
                 " messages match in ", Quote(mailbox), "; narrow the query"));
    }
    WFS_ASSIGN_OR_RETURN(std::vector<Json> msgs,
                         FetchMessages(mailbox, matches));
    for (size_t i = 0; i < msgs.size() && i < matches.size(); ++i) {
      const std::string id = msgs[i]["id"].get<std::string>();
      if (ValidId(id)) Remember(id, {mailbox, *uv, matches[i]});
      out.result.push_back(std::move(msgs[i]));
    }
    return out;
  }

  // ---- sending
  // -------------------------------------------------------------------

  Result<ActionResponse> Send(const ActionRequest& r) {
    const Json& to = r.args["to"];
    if (to.empty()) {
      return InvalidArgument(
          "mail.send: argument `to` needs at least one address");
    }
    OutgoingMessage m;
    for (const Json& t : to) {
      const std::string address = t.get<std::string>();
      const std::string domain = sim::EmailDomain(address);
      if (domain.empty()) {
        return InvalidArgument(
            StrCat("mail.send: argument `to`: ", Quote(address),
                   " is not an email address"));
      }
      if (const std::vector<std::string>* allowed =
              ScopeValuesOf(r, "recipient_domain")) {
        bool ok = false;
        for (const std::string& d : *allowed) ok |= ToLower(d) == domain;
        if (!ok) {
          return PermissionDenied(
              StrCat("mail.send: ", Quote(address),
                     " is outside the run's mail.recipient_domain scope (",
                     StrJoin(*allowed, ", "), ")"));
        }
      }
      m.to.push_back(address);
    }
    if (o_.smtp.url.empty() || o_.from.empty()) {
      return FailedPrecondition(
          "mail.send: no SMTP server or sender address "
          "is configured");
    }
    m.from = o_.from;
    m.subject = StrArg(r.args, "subject");
    m.body = StrArg(r.args, "body");
    m.date_micros = clock_->NowMicros();
    const std::string seed =
        r.idempotency_key.empty() ? SecureRandomHex(16) : r.idempotency_key;
    m.message_id = StrCat(Sha256Hex(seed).substr(0, 32), ".wfstore@",
                          sim::EmailDomain(o_.from));
    WFS_ASSIGN_OR_RETURN(std::string data, ComposeMessage(m));
    WFS_RETURN_IF_ERROR(Smtp(m, data));
    return ActionResponse{};
  }

  Status Smtp(const OutgoingMessage& m, const std::string& data) {
    CURL* c = curl_easy_init();
    if (c == nullptr) return Internal("libcurl: cannot make a handle");
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* rcpt = nullptr;
    for (const std::string& t : m.to) {
      rcpt = curl_slist_append(rcpt, ("<" + t + ">").c_str());
    }
    const std::string from = "<" + m.from + ">";
    std::pair<const std::string*, size_t> src{&data, 0};
    curl_easy_setopt(c, CURLOPT_URL, o_.smtp.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(data.size()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(o_.smtp.limits.timeout_ms));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(o_.smtp.limits.connect_timeout_ms));
    curl_easy_setopt(c, CURLOPT_PROXY, o_.smtp.limits.proxy.c_str());
    if (!o_.smtp.limits.ca_file.empty()) {
      curl_easy_setopt(c, CURLOPT_CAINFO, o_.smtp.limits.ca_file.c_str());
    }
    if (!o_.smtp.allow_plaintext) {
      curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    }
    if (!o_.smtp.user.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, o_.smtp.user.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, o_.smtp.password.c_str());
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(rcpt);
    std::string detail = *errbuf ? errbuf : curl_easy_strerror(rc);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK) return Status::Ok();
    detail = redactor_.Redact(detail);
    if (rc == CURLE_LOGIN_DENIED) {
      return Unauthenticated("mail.send: the SMTP server refused the login");
    }
    if (rc == CURLE_SEND_ERROR && detail.find("RCPT") != std::string::npos) {
      return FailedPrecondition(
          StrCat("mail.send: the SMTP server refused a recipient (", detail,
                 "); nothing was sent"));
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return DeadlineExceeded(StrCat("mail.send: ", detail));
    }
    return Unavailable(StrCat("mail.send: ", detail));
  }

  const std::string name_ = "mail";
  MailOptions o_;
  SystemClock system_clock_;
  const Clock* clock_ = o_.clock != nullptr ? o_.clock : &system_clock_;
  Redactor redactor_;
  ImapSession imap_;
  const std::vector<ActionArgs> actions_;
  std::mutex mu_;
  std::string id_item_;  // "EMAILID" or "X-GUID"
  bool has_move_ = false;
  std::map<std::string, Loc> cache_;
};

}  // namespace

std::unique_ptr<Connector> MakeMailConnector(MailOptions options) {
  EnsureCurlInitialized();
  return std::make_unique<MailConnector>(std::move(options));
}

}  // namespace wfs::connectors::mail
