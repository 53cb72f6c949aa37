#include "discovery/analyzer.h"

#include <gtest/gtest.h>

#include "base/random.h"

namespace wfs::discovery {
namespace {

using V = std::vector<std::string>;

V Terms(std::string_view text) { return Analyzer::Default().Terms(text); }

TEST(Analyzer, SplitsNamesOnDotsAndUnderscores) {
  EXPECT_EQ(Terms("mail.delete_message"), (V{"mail", "delet", "messag"}));
  EXPECT_EQ(Terms("tracker.comment_on_issue"),
            (V{"tracker", "comment", "issu"}));
}

TEST(Analyzer, LowerCasesAndDropsStopWords) {
  EXPECT_EQ(Terms("Please DELETE the Email from my Inbox"),
            (V{"delet", "email", "inbox"}));
  EXPECT_TRUE(Terms("what is the").empty());
  EXPECT_TRUE(Terms("").empty());
}

TEST(Analyzer, LightStemming) {
  for (const char* w : {"delete", "deletes", "deleted", "deleting"}) {
    EXPECT_EQ(Stem(w), "delet") << w;
  }
  for (const char* w : {"reply", "replies", "replied"}) {
    EXPECT_EQ(Stem(w), "reply") << w;
  }
  for (const char* w : {"message", "messages", "messaging"}) {
    EXPECT_EQ(Stem(w), "messag") << w;
  }
  EXPECT_EQ(Stem("meeting"), "meet");
  EXPECT_EQ(Stem("meetings"), "meet");
  EXPECT_EQ(Stem("addresses"), "address");
  EXPECT_EQ(Stem("address"), "address");
  EXPECT_EQ(Stem("boxes"), "box");
  EXPECT_EQ(Stem("status"), "status");
  EXPECT_EQ(Stem("running"), "run");
  EXPECT_EQ(Stem("added"), "add");
  EXPECT_EQ(Stem("calling"), "call");
  EXPECT_EQ(Stem("labelled"), "label");
  EXPECT_EQ(Stem("issues"), Stem("issue"));
  EXPECT_EQ(Stem("pay"), "pay");
  EXPECT_EQ(Terms("paid"), (V{"pay"}));  // irregular
}

TEST(Analyzer, KnowsCorrectlySpelledWords) {
  const Analyzer& a = Analyzer::Default();
  // The lexicon, stemmed like any word.
  EXPECT_TRUE(a.IsWord(Stem("contract")));
  EXPECT_TRUE(a.IsWord(Stem("contracts")));
  EXPECT_TRUE(a.IsWord(Stem("landlord")));
  // Words of the tables: synonyms, phrases, action verbs.
  EXPECT_TRUE(a.IsWord(Stem("email")));
  EXPECT_TRUE(a.IsWord(Stem("remit")));
  EXPECT_TRUE(a.IsWord(Stem("unsubscribe")));
  // Misspellings are not words.
  for (const char* w : {"emial", "serch", "contcat", "shedule", "forwrd"}) {
    EXPECT_FALSE(a.IsWord(Stem(w))) << w;
  }
  // Tables of one's own: only their words.
  AnalyzerTables t;
  EXPECT_FALSE(Analyzer(t).IsWord("contract"));
  t.lexicon = {"contracts"};
  EXPECT_TRUE(Analyzer(t).IsWord("contract"));
}

TEST(Analyzer, DropsValues) {
  EXPECT_EQ(Terms("forward it to bob@example.com"), (V{"forward"}));
  EXPECT_EQ(Terms("open https://example.com/x and www.example.org now"),
            (V{"open"}));
  EXPECT_EQ(Terms("comment on #17 at 3pm on 2026-12-01"), (V{"comment"}));
  // An amount with a currency sign says "money".
  EXPECT_EQ(Terms("send $50"), (V{"send", "money"}));
  EXPECT_EQ(Terms("pay 12\xE2\x82\xAC"), (V{"pay", "money"}));
}

TEST(Analyzer, Phrases) {
  EXPECT_EQ(Terms("search the address book"), (V{"search", "contact"}));
  EXPECT_EQ(Terms("get rid of it"), (V{"delet"}));
  EXPECT_EQ(Terms("look up Dave"),
            (V{"find", "dav"}));  // names are stemmed too
  EXPECT_EQ(Terms("set up a call"), (V{"schedul", "call"}));
  EXPECT_EQ(Terms("send an e-mail"), (V{"send", "mail"}));
  std::vector<Token> t = Analyzer::Default().Analyze("write back to Jo");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].term, "reply");
  EXPECT_EQ(t[0].surface, "write back");
}

TEST(Analyzer, NegationDropsWhatFollowsInTheClause) {
  EXPECT_EQ(Terms("Never deletes files or leaves the repository."),
            (V{"repository"}));
  EXPECT_EQ(Terms("no problem, delete it"), (V{"delet"}));
  EXPECT_EQ(Terms("don't delete, archive"), (V{"archiv"}));
}

TEST(Analyzer, SynonymGroups) {
  const Analyzer& a = Analyzer::Default();
  const V& s = a.Synonyms("email");
  EXPECT_NE(std::find(s.begin(), s.end(), "mail"), s.end());
  EXPECT_NE(std::find(s.begin(), s.end(), "messag"), s.end());
  EXPECT_EQ(std::find(s.begin(), s.end(), "email"), s.end());
  EXPECT_EQ(a.Canonical("email"), "mail");
  EXPECT_EQ(a.Canonical("trash"), "delet");
  EXPECT_EQ(a.Canonical("repo"), "repository");
  EXPECT_EQ(a.Canonical("ticket"), "issu");
  EXPECT_EQ(a.Canonical("flight"), "flight");
  EXPECT_TRUE(a.Synonyms("flight").empty());
  EXPECT_TRUE(a.IsQuantifier("every"));
  EXPECT_TRUE(a.IsQuantifier("all"));
  EXPECT_FALSE(a.IsQuantifier("one"));
}

TEST(Analyzer, ActionClasses) {
  const Analyzer& a = Analyzer::Default();
  EXPECT_EQ(a.ActionClasses("delet"), (V{"delete"}));
  EXPECT_EQ(a.ActionClasses(Stem("remove")), (V{"delete"}));  // synonym
  EXPECT_EQ(a.ActionClasses("find"), (V{"read"}));
  EXPECT_EQ(a.ActionClasses("search"), (V{"read"}));
  EXPECT_EQ(a.ActionClasses("send"), (V{"send", "spend"}));
  EXPECT_EQ(a.ActionClasses("fwd"), (V{"send"}));
  EXPECT_TRUE(a.ActionClasses("meet").empty());
  EXPECT_TRUE(a.ActionClasses("flight").empty());
}

TEST(Analyzer, CustomTables) {
  AnalyzerTables t;
  t.stop_words = {"the"};
  t.synonym_groups = {{"car", "auto", "vehicle"}};
  t.action_classes = {{"spend", {"car"}}};
  Analyzer a(t);
  EXPECT_EQ(a.Terms("the autos"), (V{"auto"}));
  EXPECT_EQ(a.Canonical("auto"), "car");
  EXPECT_FALSE(a.IsQuantifier("all"));
  EXPECT_EQ(a.ActionClasses("vehicl"), (V{"spend"}));
  EXPECT_TRUE(a.ActionClasses("delet").empty());
}

TEST(Analyzer, AnyBytes) {
  // Non-ASCII words are kept as they are (not stemmed).
  EXPECT_EQ(Terms("L\xC3\xB6sche die E-Mail"),
            (V{"l\xC3\xB6sche", "die", "mail"}));
  Rng rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng.Uniform(80), '\0');
    for (char& c : s) c = static_cast<char>(rng.Uniform(256));
    for (const std::string& t : Terms(s)) {
      EXPECT_FALSE(t.empty());
      EXPECT_LE(t.size(), 64u);
    }
  }
}

}  // namespace
}  // namespace wfs::discovery
