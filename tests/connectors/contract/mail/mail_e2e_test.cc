// Incident 1 end to end on a real mailbox (ctest: e2e_conn_mail): the
// catalog's mail.delete_message, compiled with lang::Compiler and run by
// runtime::Execute on the IMAP connector against scripts/testenv's Dovecot,
// deletes exactly one message of many, and only with the person's approval;
// a loop that would delete more is stopped by its budget and the delete it
// made is undone on the server.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>

#include "base/file.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "connectors/http/secrets.h"
#include "connectors/http/text.h"
#include "connectors/mail/imap_session.h"
#include "connectors/mail/mail.h"
#include "lang/compiler.h"
#include "runtime/interpreter.h"
#include "runtime/program.h"
#include "testenv.h"

namespace wfs {
namespace {

using connectors::ActionRequest;
using connectors::ConnectorSet;
using runtime::Answer;
using runtime::Outcome;

std::string SourceDir() {
  const char* d = std::getenv("WFS_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

runtime::ProgramPtr Compile(lang::Compiler& compiler, const std::string& text) {
  auto out = compiler.Check({{"t.wf", text}});
  std::string diags;
  for (const auto& d : out[0].diagnostics) {
    diags += lang::FormatDiagnostic(d, out[0].source.get());
  }
  EXPECT_TRUE(out[0].ok) << diags;
  if (!out[0].ok) return nullptr;
  Json ir = out[0].ir();
  auto p =
      runtime::Program::FromIr(ir, "sha256:" + Sha256Hex(CanonicalJson(ir)));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : nullptr;
}

size_t ReadFrom(char* buf, size_t size, size_t n, void* user) {
  auto* src = static_cast<std::pair<std::string, size_t>*>(user);
  size_t len = std::min(size * n, src->first.size() - src->second);
  std::memcpy(buf, src->first.data() + src->second, len);
  src->second += len;
  return len;
}

class MailIncident : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testenv::Load();
    ASSERT_TRUE(env_.has_value())
        << "WFS_TESTENV is not set: run through ctest (needs the "
           "wfs_servers fixture)";
    // A fresh account: counts are exact while other tests run.
    static int n = 0;
    user_ = StrCat("e2e-", ::getpid(), "-", ++n);
    std::string cmd = env_->at("WFS_TESTENV_TOOL") + " imap-add-user " + user_;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    // The password reaches the connector the way a deployment's does.
    ASSERT_EQ(setenv("WFS_E2E_MAIL_PASSWORD",
                     env_->at("WFS_IMAP_PASSWORD").c_str(), 1),
              0);
    Json config = {{"imap_url", env_->at("WFS_IMAP_URL")},
                   {"smtp_url", env_->at("WFS_SMTP_URL")},
                   {"user", user_},
                   {"password", {{"env", "WFS_E2E_MAIL_PASSWORD"}}},
                   {"from", "me@example.test"}};
    auto made = connectors::mail::MakeMailConnector(config, secrets_);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    mail_ = std::move(*made);
    set_.Add(mail_.get());
    connectors::mail::ImapConfig ic;
    ic.url = env_->at("WFS_IMAP_URL");
    ic.user = user_;
    ic.password = env_->at("WFS_IMAP_PASSWORD");
    ic.allow_plaintext = true;
    admin_ = std::make_unique<connectors::mail::ImapSession>(
        ic, connectors::Redactor());
  }

  void Append(const std::string& mailbox, const std::string& from,
              const std::string& subject) {
    std::string raw =
        StrCat("From: ", from, "\r\nTo: me@example.test\r\nSubject: ", subject,
               "\r\nDate: Tue, 02 Jan 2024 03:04:05 +0000\r\n", "Message-ID: <",
               user_, ".", subject.size(), ".", ++seq_,
               "@example.test>\r\n\r\nBody of ", subject, ".\r\n");
    CURL* c = curl_easy_init();
    std::pair<std::string, size_t> src{raw, 0};
    std::string url = env_->at("WFS_IMAP_URL") + "/" + mailbox;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_USERNAME, user_.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD,
                     env_->at("WFS_IMAP_PASSWORD").c_str());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadFrom);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(raw.size()));
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    ASSERT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
  }

  // Subjects per mailbox, read with our own IMAP session (not the connector
  // under test).
  std::map<std::string, std::vector<std::string>> Boxes() {
    std::map<std::string, std::vector<std::string>> out;
    for (const char* box : {"INBOX", "Trash", "Archive"}) {
      auto sel = admin_->Select(box, false);
      EXPECT_TRUE(sel.ok()) << sel.status().ToString();
      if (!sel.ok() || admin_->exists() == 0) {
        out[box];
        continue;
      }
      auto r = admin_->RunIn(
          box, false, "UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
      EXPECT_TRUE(r.ok() && r->status == "OK");
      if (!r.ok()) continue;
      for (const auto& f : r->fetches) {
        for (const auto& [k, v] : f.items) {
          if (StartsWith(k, "BODY[HEADER")) {
            std::string s(Trim(v.Str()));
            if (StartsWith(s, "Subject: ")) s = s.substr(9);
            out[box].push_back(s);
          }
        }
      }
    }
    return out;
  }

  // The id of the message with this subject, as mail.find reports it.
  std::string IdOf(const std::string& mailbox, const std::string& subject) {
    ActionRequest r;
    r.action = "find";
    r.args = {{"mailbox", mailbox}, {"query", subject}};
    auto found = mail_->Invoke(r);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    if (!found.ok() || found->result.size() != 1) return "";
    return found->result[0]["id"];
  }

  runtime::RunResult Run(const runtime::Program& p, const Json& inputs,
                         std::vector<Answer> answers) {
    runtime::ScriptedApprover approver(std::move(answers));
    runtime::ExecContext ctx;
    ctx.connectors = &set_;
    ctx.approver = &approver;
    ctx.run_id = StrCat("e2e-", ++runs_);
    auto r = runtime::Execute(p, inputs, ctx);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : runtime::RunResult{};
  }

  void SeedInbox() {
    // Many messages, one of them confidential; one more in Archive.
    for (int i = 1; i <= 8; ++i) {
      Append("INBOX", "team@example.com", StrCat("Weekly notes ", i));
    }
    Append("INBOX", "hr@example.com", "Your salary review");
    Append("Archive", "tax@example.com", "tax records");
  }

  std::optional<testenv::Env> env_;
  std::string user_;
  connectors::SecretResolver secrets_;
  std::unique_ptr<connectors::Connector> mail_;
  ConnectorSet set_;
  std::unique_ptr<connectors::mail::ImapSession> admin_;
  int seq_ = 0;
  int runs_ = 0;
};

std::string Catalog(const std::string& rel) {
  auto text = ReadFile(SourceDir() + "/catalog/" + rel);
  EXPECT_TRUE(text.ok()) << rel;
  return text.ok() ? *text : "";
}

TEST_F(MailIncident, DeletesExactlyOneMessageOfMany) {
  SeedInbox();
  auto c = lang::Compiler::Create(lang::CompilerOptions{});
  auto p = Compile(*c, Catalog("mail/delete_message.wf"));
  ASSERT_NE(p, nullptr);
  const std::string id = IdOf("INBOX", "salary");
  ASSERT_FALSE(id.empty());
  auto before = Boxes();
  ASSERT_EQ(before["INBOX"].size(), 9u);
  auto r = Run(*p, {{"id", id}, {"mailbox", "INBOX"}}, {Answer::Approve()});
  ASSERT_EQ(r.outcome, Outcome::kCompleted) << r.error;
  ASSERT_EQ(r.asked.size(), 1u);
  EXPECT_NE(r.asked[0].text.find("Your salary review"), std::string::npos)
      << "the person sees which message";
  auto after = Boxes();
  EXPECT_EQ(after["Trash"], std::vector<std::string>{"Your salary review"});
  EXPECT_EQ(after["INBOX"].size(), 8u);
  EXPECT_EQ(after["Archive"], std::vector<std::string>{"tax records"});
  EXPECT_EQ(r.Effects().size(), 1u);
}

TEST_F(MailIncident, DeniedOrOutsideTheMailboxNothingIsDeleted) {
  SeedInbox();
  auto c = lang::Compiler::Create(lang::CompilerOptions{});
  auto p = Compile(*c, Catalog("mail/delete_message.wf"));
  ASSERT_NE(p, nullptr);
  auto before = Boxes();
  auto denied = Run(*p, {{"id", IdOf("INBOX", "salary")}, {"mailbox", "INBOX"}},
                    {Answer::Deny()});
  EXPECT_EQ(denied.outcome, Outcome::kDenied) << denied.error;
  EXPECT_EQ(Boxes(), before);
  // A message in Archive, named with mailbox INBOX: the scope refuses it.
  auto outside = Run(*p, {{"id", IdOf("Archive", "tax")}, {"mailbox", "INBOX"}},
                     {Answer::Approve()});
  EXPECT_EQ(outside.outcome, Outcome::kViolation) << outside.error;
  EXPECT_EQ(outside.rule, "scope");
  EXPECT_EQ(Boxes(), before);
}

TEST_F(MailIncident, ALoopOverTheInboxStopsAtItsBudgetAndIsUndone) {
  SeedInbox();
  auto c = lang::Compiler::Create(lang::CompilerOptions{});
  auto out = c->Check({{"t.wf", R"(workflow t.purge 1.0.0 {
  summary "s"
  intent "i"
  input mailbox: mail.Mailbox "b"
  uses mail.read, mail.delete
  scope mail.mailbox = mailbox
  limit mail.delete <= 9
  run {
    let all = mail.find(mailbox, "")
    confirm "Delete everything in {mailbox}?"
    for m in all limit 9 { mail.delete(m.id) }
  }
})"}});
  ASSERT_TRUE(out[0].ok);
  // A tampered package: the budget says 1, the loop tries 9.
  Json ir = out[0].ir();
  ir["limits"]["mail.delete"] = 1;
  auto p =
      runtime::Program::FromIr(ir, "sha256:" + Sha256Hex(CanonicalJson(ir)));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto before = Boxes();
  auto r = Run(**p, {{"mailbox", "INBOX"}}, {Answer::Approve()});
  EXPECT_EQ(r.outcome, Outcome::kViolation) << r.error;
  EXPECT_EQ(r.rule, "budget");
  ASSERT_EQ(r.undo.size(), 1u);
  EXPECT_TRUE(r.undo[0].ok) << r.undo[0].error;
  auto after = Boxes();
  std::sort(before["INBOX"].begin(), before["INBOX"].end());
  std::sort(after["INBOX"].begin(), after["INBOX"].end());
  EXPECT_EQ(after, before) << "the one delete that ran was put back";
}

// The account's password (a known value) never shows: not in results, undo
// records, errors (a refused login included), the audit record, nor anything
// the process writes to stdout or stderr.
TEST_F(MailIncident, ThePasswordNeverAppears) {
  SeedInbox();
  const std::string password = env_->at("WFS_IMAP_PASSWORD");
  std::vector<std::string> forms = {
      password, connectors::Base64Encode(password),
      connectors::Base64Encode(std::string("\0", 1) + user_ +
                               std::string("\0", 1) + password)};
  // Everything the process prints goes to a file while the calls run.
  char path[] = "/tmp/wfs-mail-out.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  fflush(stdout);
  fflush(stderr);
  int saved_out = dup(1), saved_err = dup(2);
  dup2(fd, 1);
  dup2(fd, 2);
  std::string seen;
  auto keep = [&](const Result<connectors::ActionResponse>& r) {
    seen += r.ok() ? CanonicalJson(r->result) + CanonicalJson(r->undo)
                   : r.status().ToString();
  };
  ActionRequest req;
  req.action = "find";
  req.args = {{"mailbox", "INBOX"}, {"query", ""}};
  keep(mail_->Invoke(req));
  req.action = "delete";
  req.args = {{"id", IdOf("INBOX", "salary")}};
  keep(mail_->Invoke(req));
  req.action = "send";
  req.args = {
      {"to", {"reject-me@example.test"}}, {"subject", "x"}, {"body", password}};
  keep(mail_->Invoke(req));  // refused recipient: an error
  auto c = lang::Compiler::Create(lang::CompilerOptions{});
  auto p = Compile(*c, Catalog("mail/delete_message.wf"));
  ASSERT_NE(p, nullptr);
  auto run =
      Run(*p, {{"id", IdOf("INBOX", "Weekly notes 3")}, {"mailbox", "INBOX"}},
          {Answer::Deny()});
  seen += CanonicalJson(run.Audit(*p)) + run.error;
  // The same account with a wrong password that is also a known value.
  ASSERT_EQ(setenv("WFS_E2E_WRONG_PASSWORD", "wrong-Secret-4711", 1), 0);
  connectors::SecretResolver other;
  auto bad = connectors::mail::MakeMailConnector(
      {{"imap_url", env_->at("WFS_IMAP_URL")},
       {"user", user_},
       {"password", {{"env", "WFS_E2E_WRONG_PASSWORD"}}}},
      other);
  ASSERT_TRUE(bad.ok());
  req.action = "find";
  req.args = {{"mailbox", "INBOX"}, {"query", ""}};
  auto refused = (*bad)->Invoke(req);
  EXPECT_EQ(refused.status().code(), Code::kUnauthenticated)
      << refused.status();
  keep(refused);
  fflush(stdout);
  fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  close(fd);
  auto printed = ReadFile(path);
  unlink(path);
  ASSERT_TRUE(printed.ok());
  seen += *printed;
  forms.push_back("wrong-Secret-4711");
  for (const std::string& f : forms) {
    EXPECT_EQ(seen.find(f), std::string::npos) << "a form of the secret leaked";
  }
  EXPECT_NE(seen.find("Your salary review"), std::string::npos) << "calls ran";
}

}  // namespace
}  // namespace wfs
