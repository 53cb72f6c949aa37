#include "lang/parser.h"

#include <gtest/gtest.h>

#include "tests/lang/test_util.h"

namespace wfs::lang {
namespace {

using testing_util::CheckOne;
using testing_util::Codes;
using testing_util::Dump;
using testing_util::HasCode;

Module ParseText(const std::string& text, int* errors) {
  SourceFile f("t.wf", text);
  DiagnosticSink d(&f);
  std::vector<Token> toks = Lex(f, d);
  Module m = Parse(f, toks, d);
  *errors = d.error_count();
  return m;
}

TEST(ParserTest, ParsesAWorkflowHeaderAndBody) {
  int errors = 0;
  Module m = ParseText(R"(
workflow mail.demo 1.2.3 {
  summary "Demo."
  intent "one"
  intent "two"
  input id: mail.MessageId "The id."
  output n: int? "Count."
  uses mail.read, mail.delete
  scope mail.mailbox = ["INBOX", box]
  limit mail.delete <= 1
  run {
    let m = mail.get(id)
    if m.subject == "x" and not contains(m.subject, "y") {
      confirm "ok {m.subject}?"
    } else if len(m.to) > 2 {
      fail "no"
    } else {
      for t in m.to limit 5 { var k = t }
    }
    return { n: 1 }
  }
  test "t" { given mail.messages = [] call { id: "a" } approve expect outcome == "completed" }
})", &errors);
  EXPECT_EQ(errors, 0);
  ASSERT_TRUE(m.workflow.has_value());
  EXPECT_EQ(m.workflow->name, "mail.demo");
  EXPECT_EQ(m.workflow->version, "1.2.3");
  EXPECT_EQ(m.workflow->intents.size(), 2u);
  EXPECT_EQ(m.workflow->uses.size(), 2u);
  EXPECT_EQ(m.workflow->limits[0].max, 1);
  EXPECT_EQ(m.workflow->body.size(), 3u);
  EXPECT_EQ(m.workflow->tests.size(), 1u);
  EXPECT_EQ(m.workflow->tests[0].stmts.size(), 4u);
}

TEST(ParserTest, ReportsSeveralErrorsInOnePass) {
  CompiledFile f = CheckOne(R"(workflow t.w 1.0.0 {
  summary "s"
  intent "i"
  run {
    let = 3
    let y 4
    mail.get(
  }
})");
  EXPECT_GE(f.error_count(), 3) << Dump(f);
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string expr(100000, '(');
  expr += "1";
  expr += std::string(100000, ')');
  CompiledFile f = CheckOne(testing_util::Workflow("", "let x = " + expr));
  EXPECT_TRUE(HasCode(f, "E002"));
  std::string blocks;
  for (int i = 0; i < 5000; ++i) blocks += "if true {";
  CompiledFile g = CheckOne(testing_util::Workflow("", blocks));
  EXPECT_FALSE(g.ok);
}

TEST(ParserTest, CallBindsOnlyOnTheSameLine) {
  // `(x)` on the next line is not an argument list for `n`.
  CompiledFile f = CheckOne(testing_util::Workflow(
      "  input n: int \"n\"", "let a = n\n(n)"));
  EXPECT_TRUE(HasCode(f, "E002")) << Dump(f);
}

TEST(ParserTest, EmptyFileAndGarbage) {
  EXPECT_TRUE(HasCode(CheckOne(""), "E002"));
  EXPECT_TRUE(HasCode(CheckOne("}}}{{{"), "E002"));
  EXPECT_TRUE(HasCode(CheckOne("workflow"), "E002"));
}

TEST(ParserTest, ConnectorInterfaceSyntax) {
  CompilerOptions opts;
  opts.builtin_interfaces = false;
  opts.interfaces = {{"x.wfi", R"(
connector x 1.0.0 {
  summary "X."
  base "https://x.example"
  scope root: path "Root."
  scope who: exact optional
  type Id = string "An id."
  type Thing = { id: Id, name: string untrusted private "Name." }
  world things: list<Thing>
  action get(id: Id target in root) -> Thing effect read http GET "/things/{id}" "Get."
  action drop(id: Id target in root, why: string = none) effect delete undo put
  action put(id: Id target) effect create irreversible
})"}};
  auto c = Compiler::Create(opts);
  ASSERT_EQ(c->interface_files().size(), 1u);
  EXPECT_TRUE(c->interface_files()[0].ok)
      << FormatDiagnostic(c->interface_files()[0].diagnostics.at(0),
                          c->interface_files()[0].source.get());
  const ConnectorInfo* x = c->interfaces().Find("x");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->actions.size(), 3u);
  EXPECT_EQ(x->FindAction("get")->http->path, "/things/{id}");
  EXPECT_TRUE(x->FindAction("drop")->params[1].optional);
  EXPECT_EQ(x->FindAction("get")->params[0].scope, 0);
}

TEST(ParserTest, RecursiveInterfaceTypesAreRefused) {
  CompilerOptions opts;
  opts.builtin_interfaces = false;
  opts.interfaces = {{"r.wfi", R"(
connector r 1.0.0 {
  type A = { b: list<B> }
  type B = { a: A }
})"}};
  auto c = Compiler::Create(opts);
  EXPECT_FALSE(c->interface_files()[0].ok);
  EXPECT_EQ(c->interfaces().Find("r"), nullptr);
}

}  // namespace
}  // namespace wfs::lang
