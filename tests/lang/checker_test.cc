#include "lang/checker.h"

#include <gtest/gtest.h>

#include "base/sha256.h"
#include "tests/lang/test_util.h"

namespace wfs::lang {
namespace {

using testing_util::CheckOne;
using testing_util::Codes;
using testing_util::Dump;
using testing_util::HasCode;
using testing_util::Workflow;

const char* kMailHeader = R"(
  input id: mail.MessageId "m"
  input mailbox: mail.Mailbox "b"
  uses mail.read, mail.delete, mail.send, mail.update
  scope mail.mailbox = [mailbox, "Archive"]
  limit mail.delete <= 1
  limit mail.send <= 1
  limit mail.update <= 10)";

// The header's capabilities are a superset; unused ones only warn.
CompiledFile CheckMail(const std::string& body) {
  return CheckOne(Workflow(kMailHeader, body));
}

std::vector<std::string> Errors(const CompiledFile& f) {
  std::vector<std::string> out;
  for (const Diagnostic& d : f.diagnostics) {
    if (d.severity == Severity::kError) out.push_back(d.code);
  }
  return out;
}

TEST(CheckerTest, ConfirmEndorsesOnlyTheValuesItShows) {
  // Confirming the subject does not endorse the sender.
  CompiledFile f = CheckMail(R"(
    let m = mail.get(id)
    confirm "Reply about {m.subject}?"
    mail.send(to: [m.from], subject: "Re", body: "x"))");
  EXPECT_EQ(Errors(f), std::vector<std::string>{"E401"}) << Dump(f);
  CompiledFile g = CheckMail(R"(
    let m = mail.get(id)
    confirm "Reply to {m.from}?"
    mail.send(to: [m.from], subject: "Re", body: "x"))");
  EXPECT_TRUE(Errors(g).empty()) << Dump(g);
}

TEST(CheckerTest, ACopyIsNotEndorsedByConfirmingTheOriginal) {
  CompiledFile f = CheckMail(R"(
    let m = mail.get(id)
    let to = m.from
    confirm "Reply to {m.from}?"
    mail.send(to: [to], subject: "Re", body: "x"))");
  EXPECT_EQ(Errors(f), std::vector<std::string>{"E401"}) << Dump(f);
}

TEST(CheckerTest, ConfirmationOnOneBranchDoesNotCoverTheOther) {
  CompiledFile f = CheckMail(R"(
    let m = mail.get(id)
    if m.id == "x" {
      confirm "Send to {m.from}?"
    }
    mail.send(to: [m.from], subject: "s", body: "b"))");
  EXPECT_TRUE(HasCode(f, "E401")) << Dump(f);
}

TEST(CheckerTest, TrustedFieldsOfAMessageMayBeTargets) {
  CompiledFile f = CheckMail(R"(
    let m = mail.get(id)
    mail.move(m.id, "Archive"))");
  EXPECT_TRUE(Errors(f).empty()) << Dump(f);
}

TEST(CheckerTest, ImplicitFlowThroughALoopOverUntrustedData) {
  CompiledFile f = CheckMail(R"(
    let m = mail.get(id)
    for x in split(m.subject, ",") limit 3 {
      mail.move(id, "Archive")
    })");
  EXPECT_TRUE(HasCode(f, "E402")) << Dump(f);
}

TEST(CheckerTest, EarlyExitUnderAnUntrustedConditionTaintsWhatFollows) {
  CompiledFile f = CheckMail(R"(
    let m = mail.get(id)
    if not contains(m.subject, "go") {
      fail "stop"
    }
    mail.delete(id))");
  EXPECT_TRUE(HasCode(f, "E402")) << Dump(f);
}

TEST(CheckerTest, ConfirmInsideTheBranchCoversTheEffect) {
  CompiledFile f = CheckMail(R"(
    let m = mail.get(id)
    if contains(m.subject, "old") {
      confirm "Delete {m.id} (\"{m.subject}\")?"
      mail.delete(m.id)
    })");
  EXPECT_TRUE(Errors(f).empty()) << Dump(f);
}

TEST(CheckerTest, VarAssignedUnderAnUntrustedConditionIsTainted) {
  CompiledFile f = CheckMail(R"(
    let m = mail.get(id)
    var box = "Archive"
    if contains(m.subject, "x") {
      box = "INBOX"
    }
    mail.move(id, box))");
  EXPECT_TRUE(HasCode(f, "E401")) << Dump(f);
}

TEST(CheckerTest, LoopCarriedTaintIsFound) {
  // The taint reaches `target` only on the second iteration.
  CompiledFile f = CheckMail(R"(
    let m = mail.get(id)
    var target = id
    var next = id
    for i in [1, 2, 3] {
      mail.move(target, "Archive")
      target = next
      next = m.subject
    })");
  EXPECT_TRUE(HasCode(f, "E401")) << Dump(f);
}

TEST(CheckerTest, ADirectoryChoiceIsNotAConfirmationOfTheRecipient) {
  // With one match, choose picks it without asking: private data still needs
  // the recipient confirmed.
  const char* header = R"(
  input name: string "n"
  uses contacts.read, mail.send
  limit mail.send <= 1)";
  CompiledFile f = CheckOne(Workflow(header, R"(
    let found = contacts.find(name)
    choose c from found "Which one?"
    mail.send(to: [c.email], subject: "s", body: c.note))"));
  EXPECT_EQ(Errors(f), std::vector<std::string>{"E403"}) << Dump(f);
  EXPECT_NE(Dump(f).find("{c.email}"), std::string::npos) << Dump(f);
  CompiledFile g = CheckOne(Workflow(header, R"(
    let found = contacts.find(name)
    choose c from found "Which one?"
    confirm "Send the note to {c.email}?"
    mail.send(to: [c.email], subject: "s", body: c.note))"));
  EXPECT_TRUE(Errors(g).empty()) << Dump(g);
}

TEST(CheckerTest, PrivateDataToAnAgentChosenRecipientIsRefused) {
  CompiledFile f = CheckOne(Workflow(R"(
  input name: string "n"
  input to: mail.Email "t"
  uses contacts.read, mail.send
  limit mail.send <= 1)",
                                     R"(
    let found = contacts.find(name)
    choose c from found "Which one?"
    confirm "Send {c.name}'s phone number to {to}?"
    mail.send(to: [to], subject: "s", body: c.phone))"));
  EXPECT_TRUE(Errors(f).empty()) << Dump(f);
  CompiledFile g = CheckOne(Workflow(R"(
  input name: string "n"
  input to: mail.Email "t"
  uses contacts.read, mail.send
  limit mail.send <= 1)",
                                     R"(
    let found = contacts.find(name)
    choose c from found "Which one?"
    mail.send(to: [to], subject: "s", body: c.phone))"));
  EXPECT_TRUE(HasCode(g, "E403")) << Dump(g);
}

TEST(CheckerTest, EffectBoundsMultiplyLoopsAndTakeTheWorseBranch) {
  CompiledFile f = CheckOne(Workflow(R"(
  input id: mail.MessageId "m"
  input mailbox: mail.Mailbox "b"
  input flag: bool "f"
  uses mail.update
  scope mail.mailbox = mailbox
  limit mail.update <= 15)",
                                     R"(
    for a in [1, 2, 3] {
      if flag {
        for b in [1, 2, 3, 4, 5] { mail.flag(id, "x") }
      } else {
        mail.flag(id, "y")
      }
    })"));
  EXPECT_TRUE(f.ok) << Dump(f);
  EXPECT_EQ(f.ir()["bounds"]["mail.update"], 15);
  CompiledFile g = CheckOne(Workflow(R"(
  input id: mail.MessageId "m"
  input mailbox: mail.Mailbox "b"
  uses mail.update
  scope mail.mailbox = mailbox
  limit update <= 14)",
                                     R"(
    for a in [1, 2, 3] {
      for b in [1, 2, 3, 4, 5] { mail.flag(id, "x") }
    })"));
  EXPECT_TRUE(HasCode(g, "E301")) << Dump(g);
}

TEST(CheckerTest, ActionCallsMayNotHideBehindShortCircuits) {
  CompiledFile f = CheckMail(R"(
    let ok = len(mailbox) > 0 and len(mail.find(mailbox, "x")) > 0)");
  EXPECT_TRUE(HasCode(f, "E102")) << Dump(f);
}

TEST(CheckerTest, IrAndContentIdAreDeterministic) {
  std::string src = Workflow(kMailHeader, R"(
    let m = mail.get(id)
    confirm "Delete {m.subject}?"
    mail.delete(m.id))");
  CompiledFile a = CheckOne(src);
  CompiledFile b = CheckOne(src);
  ASSERT_TRUE(a.ok) << Dump(a);
  EXPECT_EQ(a.canonical_ir, b.canonical_ir);
  EXPECT_EQ(a.content_id, b.content_id);
  EXPECT_EQ(a.content_id, "sha256:" + Sha256Hex(a.canonical_ir));
  CompiledFile c = CheckOne(src + "\n");
  EXPECT_EQ(a.content_id, c.content_id);  // trailing text is not content
  CompiledFile d = CheckOne(Workflow(kMailHeader, R"(
    let m = mail.get(id)
    confirm "Delete {m.from}?"
    mail.delete(m.id))"));
  EXPECT_NE(a.content_id, d.content_id);
}

TEST(CheckerTest, SubWorkflowsResolveInTheBatchAndPassTheirContracts) {
  std::string callee = R"(workflow lib.move_one 1.0.0 {
  summary "s"
  intent "i"
  input id: mail.MessageId "m"
  input mailbox: mail.Mailbox "b"
  output moved: mail.MessageId "m"
  uses mail.update
  scope mail.mailbox = [mailbox, "Archive"]
  limit mail.update <= 1
  run {
    mail.move(id, "Archive")
    return { moved: id }
  }
})";
  std::string caller = R"(workflow lib.caller 1.0.0 {
  summary "s"
  intent "i"
  input id: mail.MessageId "m"
  input mailbox: mail.Mailbox "b"
  uses mail.read, mail.update
  scope mail.mailbox = mailbox
  limit mail.update <= 1
  run {
    let m = mail.get(id)
    let r = workflow lib.move_one@1.0.0(id: m.subject, mailbox: mailbox)
  }
})";
  auto compiler = Compiler::Create(CompilerOptions{});
  auto out = compiler->Check({{"caller.wf", caller}, {"callee.wf", callee}});
  ASSERT_TRUE(out[1].ok) << Dump(out[1]);
  // m.subject is untrusted and lands in the callee's target `id`.
  EXPECT_TRUE(HasCode(out[0], "E401")) << Dump(out[0]);
  EXPECT_EQ(out[1].ir()["flow"]["target_inputs"], Json::array({0, 1}));
  auto sig = SignatureFromIr(out[1].ir(), compiler->types());
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ((*sig)->bounds.at("mail.update"), 1u);
  EXPECT_EQ((*sig)->content_id, out[1].content_id);
}

TEST(CheckerTest, MutualRecursionIsRefused) {
  auto make = [](const char* name, const char* other) {
    return std::string("workflow ") + name +
           " 1.0.0 {\n summary \"s\"\n intent \"i\"\n run {\n  let r = "
           "workflow " +
           other + "@1.0.0()\n }\n}\n";
  };
  auto compiler = Compiler::Create(CompilerOptions{});
  auto out = compiler->Check(
      {{"a.wf", make("r.a", "r.b")}, {"b.wf", make("r.b", "r.a")}});
  EXPECT_TRUE(HasCode(out[0], "E202")) << Dump(out[0]);
  EXPECT_TRUE(HasCode(out[1], "E202")) << Dump(out[1]);
}

TEST(CheckerTest, ScopesMustBeSetForScopedTargets) {
  CompiledFile f = CheckOne(Workflow(R"(
  input id: mail.MessageId "m"
  uses mail.read)",
                                     "let m = mail.get(id)"));
  EXPECT_TRUE(HasCode(f, "E304")) << Dump(f);
}

TEST(CheckerTest, DiagnosticsCarryWhereTheTaintCameFrom) {
  CompiledFile f = CheckMail(R"(
    let m = mail.get(id)
    mail.delete(m.subject))");
  ASSERT_TRUE(HasCode(f, "E401"));
  const Diagnostic* d = nullptr;
  for (const Diagnostic& x : f.diagnostics) {
    if (x.code == "E401") d = &x;
  }
  ASSERT_FALSE(d->notes.empty());
  EXPECT_NE(d->notes[0].message.find("subject"), std::string::npos);
  EXPECT_FALSE(d->hint.empty());
}

TEST(CheckerTest, TestBlocksAreChecked) {
  CompiledFile f = CheckOne(R"(workflow t.w 1.0.0 {
  summary "s"
  intent "i"
  input n: int "n"
  output doubled: int "d"
  run { return { doubled: n * 2 } }
  test "ok" {
    call { n: 2 }
    expect output.doubled == 4
  }
  test "bad" {
    call { n: "two" }
    expect output.tripled == 6
  }
})");
  EXPECT_EQ(Errors(f), (std::vector<std::string>{"E601", "E101"})) << Dump(f);
}

}  // namespace
}  // namespace wfs::lang
