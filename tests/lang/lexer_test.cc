#include "lang/lexer.h"

#include <gtest/gtest.h>

namespace wfs::lang {
namespace {

std::vector<Token> LexText(const std::string& text, int* errors = nullptr) {
  SourceFile f("t.wf", text);
  DiagnosticSink d(&f);
  std::vector<Token> toks = Lex(f, d);
  if (errors) *errors = d.error_count();
  return toks;
}

TEST(LexerTest, NumbersVersionsAndDurations) {
  auto t = LexText("42 12.50 1.2.3 2.0.0-rc.1 30m 250ms 2h");
  ASSERT_EQ(t.size(), 8u);
  EXPECT_EQ(t[0].kind, Tok::kInt);
  EXPECT_EQ(t[0].int_value, 42);
  EXPECT_EQ(t[1].kind, Tok::kDecimal);
  EXPECT_EQ(t[1].text, "12.50");
  EXPECT_EQ(t[2].kind, Tok::kVersion);
  EXPECT_EQ(t[3].kind, Tok::kVersion);
  EXPECT_EQ(t[3].text, "2.0.0-rc.1");
  EXPECT_EQ(t[4].kind, Tok::kDuration);
  EXPECT_EQ(t[4].int_value, 1800);
  EXPECT_EQ(t[5].int_value, 250);
  EXPECT_TRUE(t[5].duration_ms);
  EXPECT_EQ(t[6].int_value, 7200);
}

TEST(LexerTest, StringHolesAndEscapes) {
  auto t = LexText(R"("Delete \"{m.subject}\" from {m.from}? \{literal\} \u{e9}")");
  ASSERT_EQ(t[0].kind, Tok::kString);
  ASSERT_EQ(t[0].holes.size(), 2u);
  EXPECT_EQ(t[0].holes[0].path, (std::vector<std::string>{"m", "subject"}));
  EXPECT_EQ(t[0].pieces[0], "Delete \"");
  EXPECT_EQ(t[0].pieces[2], "? {literal} \xc3\xa9");
}

TEST(LexerTest, ErrorsDoNotStopLexing) {
  int errors = 0;
  auto t = LexText("let x = 1 $ 2\n\"open\nlet y = 99999999999999999999", &errors);
  EXPECT_EQ(errors, 3);  // `$`, unterminated string, integer out of range
  EXPECT_EQ(t.back().kind, Tok::kEof);
}

TEST(LexerTest, InvalidUtf8IsReportedOnce) {
  int errors = 0;
  LexText("let x = \"a\xff\xfe\"", &errors);
  EXPECT_GE(errors, 1);
}

TEST(LexerTest, CommentsAndPositions) {
  auto t = LexText("# comment\n  // another\n  foo");
  ASSERT_EQ(t[0].kind, Tok::kIdent);
  EXPECT_EQ(t[0].span.line, 3u);
  EXPECT_EQ(t[0].span.col, 3u);
}

TEST(LexerTest, BadHoleAndEscape) {
  int errors = 0;
  LexText(R"("{1+2}" "\q")", &errors);
  EXPECT_EQ(errors, 2);
}

}  // namespace
}  // namespace wfs::lang
