// The mail contract: the mail simulator and the IMAP/SMTP connector against
// the real Dovecot and SMTP sink of scripts/testenv behave the same action
// for action (ctest: contract_mail_sim, contract_mail_dovecot).
#include <curl/curl.h>

#include <fstream>

#include "base/strings.h"
#include "connectors/mail/imap_session.h"
#include "connectors/mail/mail_connector.h"
#include "connectors/mail/mime.h"
#include "testenv.h"
#include "tests/connectors/contract/contract_util.h"

namespace wfs::connectors::contract {
namespace {

struct Msg {
  std::string mailbox;
  std::string from;
  std::string subject;
  std::string body;
  std::vector<std::string> flags;
};

// The same messages on both backends; every message goes to
// me@example.test and is dated 2024-01-02T03:04:05Z.
const std::vector<Msg>& StartingMessages() {
  static const std::vector<Msg> kMsgs = {
      {"INBOX", "ann@example.com", "Lunch?", "Noon at the usual place?", {}},
      {"INBOX",
       "hr@example.com",
       "Your salary review",
       "Confidential.\nLine 2.",
       {"\\Seen"}},
      {"INBOX", "bob@example.com", "Slides for Ann", "Attached.", {}},
      {"Archive", "ann@example.com", "tax records", "2023", {}},
  };
  return kMsgs;
}

class MailBackend {
 public:
  virtual ~MailBackend() = default;
  virtual Connector& conn() = 0;
  // Ids of StartingMessages(), in order.
  virtual const std::vector<std::string>& ids() = 0;
  // What was handed to SMTP whose subject holds `tag`: [{to, subject, body}].
  virtual Json Sent(const std::string& tag) = 0;
};

class SimMail final : public MailBackend {
 public:
  SimMail() : world_(Json::object()), mail_(world_.Make("mail")) {
    Json msgs = Json::array();
    int n = 0;
    for (const Msg& m : StartingMessages()) {
      std::string id = "m" + std::to_string(++n);
      ids_.push_back(id);
      msgs.push_back({{"id", id},
                      {"mailbox", m.mailbox},
                      {"from", m.from},
                      {"to", {"me@example.test"}},
                      {"subject", m.subject},
                      {"body", m.body},
                      {"date", "2024-01-02T03:04:05Z"},
                      {"flags", m.flags}});
    }
    EXPECT_TRUE(world_.Set("mail", "messages", msgs).ok());
  }
  Connector& conn() override { return mail_; }
  const std::vector<std::string>& ids() override { return ids_; }
  Json Sent(const std::string& tag) override {
    Json out = Json::array();
    for (const Json& s : world_.Coll("mail", "sent")) {
      if (s["subject"].get<std::string>().find(tag) != std::string::npos) {
        out.push_back(s);
      }
    }
    return out;
  }

 private:
  SimWorld world_;
  Connector& mail_;
  std::vector<std::string> ids_;
};

size_t ReadFrom(char* buf, size_t size, size_t n, void* user) {
  auto* src = static_cast<std::pair<std::string, size_t>*>(user);
  size_t len = std::min(size * n, src->first.size() - src->second);
  std::memcpy(buf, src->first.data() + src->second, len);
  src->second += len;
  return len;
}

// An account of this test process on the shared Dovecot, emptied before
// each test, and the connector on it.
class DovecotMail final : public MailBackend {
 public:
  explicit DovecotMail(const testenv::Env& env) : env_(env) {
    static const std::string user = [&] {
      std::string u = UniqueName("contract");
      std::string cmd = env.at("WFS_TESTENV_TOOL") + " imap-add-user " + u;
      EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
      return u;
    }();
    user_ = user;
    mail::ImapConfig ic;
    ic.url = env.at("WFS_IMAP_URL");
    ic.user = user_;
    ic.password = env.at("WFS_IMAP_PASSWORD");
    ic.allow_plaintext = true;  // loopback
    admin_ = std::make_unique<mail::ImapSession>(ic, Redactor());
    for (const char* box : {"INBOX", "Trash", "Archive", "Sent"}) Empty(box);
    mail::MailOptions o;
    o.imap = ic;
    o.smtp.url = env.at("WFS_SMTP_URL");
    o.smtp.allow_plaintext = true;
    o.from = "wfstore@example.test";
    mail_ = mail::MakeMailConnector(o);
    int n = 0;
    for (const Msg& m : StartingMessages()) {
      tags_.push_back(UniqueName("msg"));
      Append(m, tags_.back(), ++n);
    }
    // Ids as the connector sees them (subjects are unique).
    ScopeMap none;
    for (const Msg& m : StartingMessages()) {
      auto r = Call(*mail_, "find",
                    {{"mailbox", m.mailbox}, {"query", m.subject}}, &none);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      std::string id;
      if (r.ok()) {
        for (const Json& x : r->result) {
          if (x["subject"] == m.subject) id = x["id"];
        }
      }
      EXPECT_FALSE(id.empty()) << m.subject;
      ids_.push_back(id);
    }
  }
  Connector& conn() override { return *mail_; }
  const std::vector<std::string>& ids() override { return ids_; }
  Json Sent(const std::string& tag) override {
    Json out = Json::array();
    std::ifstream in(env_.at("WFS_SMTP_MESSAGES"));
    std::string line;
    while (std::getline(in, line)) {
      auto rec = ParseJson(line);
      if (!rec.ok()) continue;
      std::string data = (*rec)["data"];
      size_t s = data.find("\r\nSubject: ");
      if (s == std::string::npos) continue;
      size_t e = data.find("\r\n", s + 11);
      std::string subject = data.substr(s + 11, e - s - 11);
      if (subject.find(tag) == std::string::npos) continue;
      out.push_back({{"to", (*rec)["rcpt_tos"]},
                     {"subject", mail::DecodeHeaderWords(subject)},
                     {"body", mail::MessageText(data)}});
    }
    return out;
  }

 private:
  void Empty(const std::string& box) {
    auto sel = admin_->Select(box, true);
    ASSERT_TRUE(sel.ok()) << sel.status().ToString();
    if (admin_->exists() == 0) return;
    ASSERT_TRUE(
        admin_->RunIn(box, true, "UID STORE 1:* +FLAGS.SILENT (\\Deleted)")
            .ok());
    ASSERT_TRUE(admin_->RunIn(box, true, "EXPUNGE").ok());
  }
  void Append(const Msg& m, const std::string& tag, int n) {
    std::string raw = StrCat(
        "From: ", m.from, "\r\nTo: me@example.test\r\n", "Subject: ", m.subject,
        "\r\n", "Date: Tue, 02 Jan 2024 03:04:05 +0000\r\n", "Message-ID: <",
        tag, "-", n, "@example.test>\r\n", "MIME-Version: 1.0\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n\r\n");
    for (const std::string& line : StrSplit(m.body, '\n')) raw += line + "\r\n";
    CURL* c = curl_easy_init();
    std::pair<std::string, size_t> src{raw, 0};
    std::string url = env_.at("WFS_IMAP_URL") + "/" + m.mailbox;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_USERNAME, user_.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, env_.at("WFS_IMAP_PASSWORD").c_str());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadFrom);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(raw.size()));
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    ASSERT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
    // libcurl's APPEND marks messages \Seen: set the flags as seeded.
    auto found = admin_->RunIn(m.mailbox, true,
                               StrCat("UID SEARCH HEADER Message-ID \"<", tag,
                                      "-", n, "@example.test>\""));
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ASSERT_EQ(found->search.size(), 1u) << tag;
    auto set =
        admin_->RunIn(m.mailbox, true,
                      StrCat("UID STORE ", found->search[0], " FLAGS.SILENT (",
                             StrJoin(m.flags, " "), ")"));
    ASSERT_TRUE(set.ok() && set->status == "OK");
  }

  const testenv::Env& env_;
  std::string user_;
  std::unique_ptr<mail::ImapSession> admin_;
  std::unique_ptr<Connector> mail_;
  std::vector<std::string> ids_;
  std::vector<std::string> tags_;
};

class MailContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sim") {
      b_ = std::make_unique<SimMail>();
    } else {
      env_ = testenv::Load();
      ASSERT_TRUE(env_.has_value())
          << "WFS_TESTENV is not set: run through ctest (needs the "
             "wfs_servers fixture)";
      b_ = std::make_unique<DovecotMail>(*env_);
    }
    ASSERT_FALSE(HasFailure());
  }

  Result<ActionResponse> Do(const std::string& action, const Json& args) {
    return Call(b_->conn(), action, args, &scopes_);
  }
  std::string Id(size_t i) { return b_->ids()[i]; }
  // The message as the simulator holds it.
  Json Expected(size_t i, const std::string& mailbox = "") {
    const Msg& m = StartingMessages()[i];
    return {{"id", Id(i)},
            {"mailbox", mailbox.empty() ? m.mailbox : mailbox},
            {"from", m.from},
            {"to", {"me@example.test"}},
            {"subject", m.subject},
            {"body", m.body},
            {"date", "2024-01-02T03:04:05Z"},
            {"flags", m.flags}};
  }
  std::string MailboxOf(size_t i) {
    auto r = Do("get", {{"id", Id(i)}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->result["mailbox"].get<std::string>() : "";
  }
  std::vector<std::string> Subjects(const std::string& mailbox,
                                    const std::string& query = "") {
    std::vector<std::string> out;
    auto r = Do("find", {{"mailbox", mailbox}, {"query", query}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      for (const Json& m : r->result) out.push_back(m["subject"]);
    }
    return out;
  }

  std::optional<testenv::Env> env_;
  std::unique_ptr<MailBackend> b_;
  ScopeMap scopes_;
};

using V = std::vector<std::string>;

TEST_P(MailContract, FindMatchesSenderOrSubjectIgnoringCase) {
  ASSERT_OK_AND_ASSIGN(ActionResponse all,
                       Do("find", {{"mailbox", "INBOX"}, {"query", ""}}));
  ASSERT_EQ(all.result.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(all.result[i], Expected(i)) << i;
  EXPECT_TRUE(all.undo.is_null());
  EXPECT_EQ(Subjects("INBOX", "ann"), (V{"Lunch?", "Slides for Ann"}));
  EXPECT_EQ(Subjects("INBOX", "SALARY"), (V{"Your salary review"}));
  EXPECT_EQ(Subjects("INBOX", "HR@EXAMPLE"), (V{"Your salary review"}));
  EXPECT_EQ(Subjects("INBOX", "nothing like this"), V{});
  EXPECT_EQ(Subjects("Archive", "ann"), (V{"tax records"}));
  EXPECT_EQ(Subjects("Trash"), V{});
  EXPECT_EQ(Subjects("No such mailbox"), V{});
}

TEST_P(MailContract, GetReturnsTheWholeMessage) {
  ASSERT_OK_AND_ASSIGN(ActionResponse g, Do("get", {{"id", Id(1)}}));
  EXPECT_EQ(g.result, Expected(1));
  EXPECT_CODE(Do("get", {{"id", "no-such-id"}}), Code::kNotFound);
  EXPECT_CODE(Do("get", {{"id", 7}}), Code::kInvalidArgument);
  EXPECT_CODE(Do("get", Json::object()), Code::kInvalidArgument);
  EXPECT_EQ(*b_->conn().ScopeKey("get", "id", Id(3), scopes_), "Archive");
  EXPECT_EQ(*b_->conn().ScopeKey("move", "to", "Archive", scopes_), "Archive");
  EXPECT_CODE(b_->conn().ScopeKey("get", "id", "no-such-id", scopes_),
              Code::kNotFound);
}

TEST_P(MailContract, MoveKeepsTheIdAndUndoMovesBack) {
  ASSERT_OK_AND_ASSIGN(ActionResponse m,
                       Do("move", {{"id", Id(0)}, {"to", "Archive"}}));
  EXPECT_EQ(m.undo, Json({{"action", "move"},
                          {"args", {{"id", Id(0)}, {"to", "INBOX"}}}}));
  ASSERT_OK_AND_ASSIGN(ActionResponse g, Do("get", {{"id", Id(0)}}));
  EXPECT_EQ(g.result, Expected(0, "Archive")) << "the id survives the move";
  EXPECT_EQ(*b_->conn().ScopeKey("delete", "id", Id(0), scopes_), "Archive");
  EXPECT_EQ(Subjects("INBOX"), (V{"Your salary review", "Slides for Ann"}));
  ASSERT_OK(Undo(b_->conn(), m.undo));
  EXPECT_EQ(MailboxOf(0), "INBOX");
  // Already there: nothing to do, nothing to undo.
  ASSERT_OK_AND_ASSIGN(ActionResponse same,
                       Do("move", {{"id", Id(0)}, {"to", "INBOX"}}));
  EXPECT_TRUE(same.undo.is_null());
  EXPECT_CODE(Do("move", {{"id", Id(0)}, {"to", ""}}), Code::kInvalidArgument);
  EXPECT_CODE(Do("move", {{"id", "no-such-id"}, {"to", "Archive"}}),
              Code::kNotFound);
}

TEST_P(MailContract, FlagAndUnflagAreEachOthersUndo) {
  ASSERT_OK_AND_ASSIGN(ActionResponse f,
                       Do("flag", {{"id", Id(0)}, {"flag", "\\Flagged"}}));
  EXPECT_EQ(f.undo, Json({{"action", "unflag"},
                          {"args", {{"id", Id(0)}, {"flag", "\\Flagged"}}}}));
  EXPECT_EQ(Do("get", {{"id", Id(0)}})->result["flags"], Json({"\\Flagged"}));
  ASSERT_OK_AND_ASSIGN(ActionResponse again,
                       Do("flag", {{"id", Id(0)}, {"flag", "\\Flagged"}}));
  EXPECT_TRUE(again.undo.is_null());
  ASSERT_OK_AND_ASSIGN(ActionResponse u, Undo(b_->conn(), f.undo));
  EXPECT_EQ(u.undo, Json({{"action", "flag"},
                          {"args", {{"id", Id(0)}, {"flag", "\\Flagged"}}}}));
  EXPECT_EQ(Do("get", {{"id", Id(0)}})->result["flags"], Json::array());
  ASSERT_OK_AND_ASSIGN(ActionResponse none,
                       Do("unflag", {{"id", Id(0)}, {"flag", "\\Flagged"}}));
  EXPECT_TRUE(none.undo.is_null());
  ASSERT_OK_AND_ASSIGN(ActionResponse seen,
                       Do("unflag", {{"id", Id(1)}, {"flag", "\\Seen"}}));
  EXPECT_FALSE(seen.undo.is_null());
  EXPECT_CODE(Do("flag", {{"id", Id(0)}, {"flag", ""}}),
              Code::kInvalidArgument);
}

TEST_P(MailContract, DeleteMovesToTrashAndUndoRestores) {
  ASSERT_OK_AND_ASSIGN(ActionResponse d, Do("delete", {{"id", Id(1)}}));
  EXPECT_EQ(d.undo, Json({{"action", "restore"},
                          {"args", {{"id", Id(1)}, {"_mailbox", "INBOX"}}}}));
  EXPECT_EQ(Subjects("Trash"), (V{"Your salary review"}));
  EXPECT_EQ(Subjects("INBOX"), (V{"Lunch?", "Slides for Ann"}));
  ASSERT_OK_AND_ASSIGN(ActionResponse again, Do("delete", {{"id", Id(1)}}));
  EXPECT_TRUE(again.undo.is_null());
  // Private arguments only come from undo records.
  EXPECT_CODE(Do("restore", {{"id", Id(1)}, {"_mailbox", "Archive"}}),
              Code::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(ActionResponse u, Undo(b_->conn(), d.undo));
  EXPECT_EQ(u.undo, Json({{"action", "delete"}, {"args", {{"id", Id(1)}}}}));
  EXPECT_EQ(Do("get", {{"id", Id(1)}})->result, Expected(1));
  EXPECT_CODE(Do("restore", {{"id", Id(1)}}), Code::kFailedPrecondition);
  // From Archive and back; restore without a record goes to INBOX.
  ASSERT_OK_AND_ASSIGN(ActionResponse a, Do("delete", {{"id", Id(3)}}));
  EXPECT_EQ(a.undo["args"]["_mailbox"], "Archive");
  ASSERT_OK(Undo(b_->conn(), a.undo));
  EXPECT_EQ(MailboxOf(3), "Archive");
  ASSERT_OK(Do("delete", {{"id", Id(3)}}));
  ASSERT_OK(Do("restore", {{"id", Id(3)}}));
  EXPECT_EQ(MailboxOf(3), "INBOX");
}

TEST_P(MailContract, ScopesAreCheckedAgain) {
  scopes_["mailbox"] = {"INBOX"};
  EXPECT_CODE(Do("get", {{"id", Id(3)}}), Code::kPermissionDenied);
  EXPECT_CODE(Do("find", {{"mailbox", "Archive"}, {"query", ""}}),
              Code::kPermissionDenied);
  EXPECT_CODE(Do("move", {{"id", Id(0)}, {"to", "Archive"}}),
              Code::kPermissionDenied);
  EXPECT_CODE(Do("delete", {{"id", Id(3)}}), Code::kPermissionDenied);
  EXPECT_CODE(Do("flag", {{"id", Id(3)}, {"flag", "\\Seen"}}),
              Code::kPermissionDenied);
  EXPECT_OK(Do("get", {{"id", Id(0)}}));
  scopes_.clear();
  EXPECT_EQ(MailboxOf(3), "Archive");
  // restore is not scoped: it only takes messages out of Trash.
  scopes_["mailbox"] = {"INBOX", "Trash"};
  ASSERT_OK(Do("delete", {{"id", Id(0)}}));
  scopes_["mailbox"] = {"Elsewhere"};
  EXPECT_OK(Do("restore", {{"id", Id(0)}}));
}

TEST_P(MailContract, SendHandsAMessageToSmtp) {
  const std::string tag = UniqueName("send");
  ASSERT_OK_AND_ASSIGN(
      ActionResponse s,
      Do("send", {{"to", {"a@example.test", "b@example.test"}},
                  {"subject", "Hello " + tag},
                  {"body", "First line.\nSecond line, caf\xc3\xa9."}}));
  EXPECT_TRUE(s.result.is_null());
  EXPECT_TRUE(s.undo.is_null());  // irreversible
  EXPECT_EQ(
      b_->Sent(tag),
      Json::array({{{"to", {"a@example.test", "b@example.test"}},
                    {"subject", "Hello " + tag},
                    {"body", "First line.\nSecond line, caf\xc3\xa9."}}}));
  EXPECT_CODE(
      Do("send", {{"to", Json::array()}, {"subject", tag}, {"body", ""}}),
      Code::kInvalidArgument);
  EXPECT_CODE(
      Do("send", {{"to", {"not-an-address"}}, {"subject", tag}, {"body", ""}}),
      Code::kInvalidArgument);
  scopes_["recipient_domain"] = {"example.test"};
  EXPECT_CODE(Do("send", {{"to", {"a@example.test", "x@evil.example"}},
                          {"subject", tag},
                          {"body", "secret"}}),
              Code::kPermissionDenied);
  EXPECT_EQ(b_->Sent(tag).size(), 1u) << "refused mail is not sent";
  EXPECT_EQ(
      *b_->conn().ScopeKey("send", "to", Json({"A@Example.TEST"}), scopes_),
      "example.test");
  EXPECT_CODE(
      b_->conn().ScopeKey("send", "to",
                          Json({"a@example.test", "b@other.test"}), scopes_),
      Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Sim, MailContract, ::testing::Values("sim"));
INSTANTIATE_TEST_SUITE_P(Dovecot, MailContract, ::testing::Values("dovecot"));

}  // namespace
}  // namespace wfs::connectors::contract
