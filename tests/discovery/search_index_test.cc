#include "discovery/search_index.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "base/random.h"

namespace wfs::discovery {
namespace {

Document Doc(std::string name, std::string summary,
             std::vector<std::string> intents,
             std::vector<std::string> effects = {"mail.read"},
             std::string stage = "stable", std::string version = "1.0.0") {
  Document d;
  d.name = std::move(name);
  d.version = std::move(version);
  d.summary = std::move(summary);
  d.intents = std::move(intents);
  d.effects = std::move(effects);
  d.stage = std::move(stage);
  return d;
}

// A small catalog in the shape of the starter one.
std::unique_ptr<SearchIndex> Catalog(const SearchOptions& o = {}) {
  auto index = SearchIndex::Create(o);
  std::vector<Document> docs = {
      Doc("mail.delete_message",
          "Delete exactly one email message, chosen by its id.",
          {"delete an email", "remove a message from my inbox"},
          {"mail.read", "mail.delete"}),
      Doc("mail.find_messages",
          "Find email messages in one mailbox whose sender or subject "
          "contains some text.",
          {"find emails from someone", "search my inbox"}),
      Doc("calendar.book_meeting",
          "Book a meeting with one person from the address book.",
          {"book a meeting with", "schedule a call with someone"},
          {"contacts.read", "calendar.create"}, "tested"),
      Doc("payments.pay_payee", "Pay a saved payee from one account.",
          {"pay someone", "transfer money to"},
          {"payments.read", "payments.spend"}),
      Doc("contacts.lookup", "Look people up in the address book by name.",
          {"find a contact"}, {"contacts.read"}, "reviewed"),
  };
  docs[0].params = {{"id", "Id of the message."},
                    {"mailbox", "Mailbox the message is in."}};
  docs[1].params = {{"query", "Text to look for in the sender or subject."}};
  for (Document& d : docs) EXPECT_TRUE(index->Upsert(d).ok());
  return index;
}

SearchResponse Find(const SearchIndex& index, std::string text,
                    size_t limit = 5) {
  SearchQuery q;
  q.text = std::move(text);
  q.limit = limit;
  return index.Search(q);
}

std::vector<std::string> Names(const SearchResponse& r) {
  std::vector<std::string> out;
  for (const SearchResult& s : r.results) out.push_back(s.name);
  return out;
}

TEST(SearchIndex, RanksTheFittingWorkflowFirst) {
  auto index = Catalog();
  EXPECT_EQ(Find(*index, "delete an email").results.at(0).name,
            "mail.delete_message");
  EXPECT_EQ(Find(*index, "search my inbox").results.at(0).name,
            "mail.find_messages");
  EXPECT_EQ(Find(*index, "pay the plumber").results.at(0).name,
            "payments.pay_payee");
  SearchResponse r = Find(*index, "book a meeting with Alex");
  EXPECT_EQ(r.results.at(0).name, "calendar.book_meeting");
  EXPECT_TRUE(r.match);
  EXPECT_EQ(r.results[0].id, "calendar.book_meeting@1.0.0");
  EXPECT_EQ(r.results[0].stage, "tested");
  EXPECT_EQ(r.results[0].effects,
            (std::vector<std::string>{"contacts.read", "calendar.create"}));
  // Results are ordered by rank (all of them are within rerank_depth).
  for (size_t i = 1; i < r.results.size(); ++i) {
    EXPECT_GE(r.results[i - 1].rank, r.results[i].rank);
  }
}

TEST(SearchIndex, Bm25FieldWeightsAndIdf) {
  auto index = SearchIndex::Create();
  // "zebra" in the name of one, in a parameter's doc of the other.
  Document a = Doc("x.zebra", "Something.", {});
  Document b = Doc("x.other", "Something.", {});
  b.params = {{"p", "zebra"}};
  ASSERT_TRUE(index->Upsert(b).ok());
  ASSERT_TRUE(index->Upsert(a).ok());
  EXPECT_EQ(Names(Find(*index, "zebra")),
            (std::vector<std::string>{"x.zebra", "x.other"}));

  // A rare term outweighs a common one.
  auto idx2 = SearchIndex::Create();
  ASSERT_TRUE(idx2->Upsert(Doc("a.one", "common rare", {})).ok());
  ASSERT_TRUE(idx2->Upsert(Doc("a.two", "common", {})).ok());
  ASSERT_TRUE(idx2->Upsert(Doc("a.three", "common", {})).ok());
  ASSERT_TRUE(idx2->Upsert(Doc("a.four", "common common", {})).ok());
  SearchResponse r = Find(*idx2, "common rare");
  EXPECT_EQ(r.results.at(0).name, "a.one");
  EXPECT_GT(r.results[0].score, 1.5 * r.results[1].score);

  // With the summary weighted out, only the name counts.
  SearchOptions o;
  o.field_weight[kFieldSummary] = 0;
  auto idx3 = SearchIndex::Create(o);
  ASSERT_TRUE(idx3->Upsert(Doc("a.one", "zebra", {})).ok());
  EXPECT_TRUE(Find(*idx3, "zebra").results.empty());
}

TEST(SearchIndex, ReportsMatchedFieldsAndWords) {
  auto index = Catalog();
  SearchResponse r = Find(*index, "remove the email");
  ASSERT_FALSE(r.results.empty());
  const SearchResult& s = r.results[0];
  EXPECT_EQ(s.name, "mail.delete_message");
  auto field = [&](const std::string& f) {
    for (const auto& [name, words] : s.matched) {
      if (name == f) return words;
    }
    return std::vector<std::string>();
  };
  // "remove" is in an intent; as a synonym of delete it is also in the name.
  EXPECT_EQ(field("intents"), (std::vector<std::string>{"remove", "email"}));
  EXPECT_EQ(field("name"), (std::vector<std::string>{"remove", "email"}));
  EXPECT_TRUE(r.unmatched.empty());
}

TEST(SearchIndex, SynonymsAndTypos) {
  auto index = Catalog();
  EXPECT_EQ(Find(*index, "trash a message").results.at(0).name,
            "mail.delete_message");
  EXPECT_EQ(Find(*index, "wire funds to my landlord").results.at(0).name,
            "payments.pay_payee");
  SearchResponse r = Find(*index, "delet the emial");
  EXPECT_EQ(r.results.at(0).name, "mail.delete_message");
  EXPECT_EQ(Find(*index, "shedule meeting").results.at(0).name,
            "calendar.book_meeting");
  // An exact match outranks a synonym match.
  auto idx2 = SearchIndex::Create();
  ASSERT_TRUE(idx2->Upsert(Doc("a.trash", "Trash.", {})).ok());
  ASSERT_TRUE(idx2->Upsert(Doc("a.delete", "Delete.", {})).ok());
  EXPECT_EQ(Names(Find(*idx2, "delete")),
            (std::vector<std::string>{"a.delete", "a.trash"}));
}

TEST(SearchIndex, ACorrectlySpelledWordIsNotATypo) {
  auto index = Catalog();
  // "contract" is one edit from "contact" but a word of its own: it matches
  // nothing here, and contacts.lookup is not offered for it.
  SearchResponse r = Find(*index, "find the email where Tom sent the contract");
  EXPECT_EQ(r.results.at(0).name, "mail.find_messages");
  EXPECT_NE(std::find(r.unmatched.begin(), r.unmatched.end(), "contract"),
            r.unmatched.end());
  for (const SearchResult& s : Find(*index, "contract").results) {
    ADD_FAILURE() << "contract matched " << s.name;
  }
  // A misspelling is still read as the word it misspells.
  SearchResponse typo = Find(*index, "contcat lookup by name");
  EXPECT_EQ(typo.results.at(0).name, "contacts.lookup");
  EXPECT_TRUE(typo.unmatched.empty());
  // With an analyzer that does not know the word, it is read as a typo.
  AnalyzerTables tables = AnalyzerTables::Default();
  tables.lexicon.clear();
  Analyzer bare(tables);
  SearchOptions o;
  o.analyzer = &bare;
  EXPECT_EQ(Find(*Catalog(o), "contract").results.at(0).name,
            "contacts.lookup");
}

TEST(SearchIndex, NamingAnotherNamespaceLowersConfidence) {
  auto index = Catalog();
  SearchOptions o;
  o.namespace_penalty = 1.0f;
  auto lax = Catalog(o);
  auto conf = [](const SearchIndex& idx, const std::string& text,
                 const std::string& name) {
    for (const SearchResult& s : Find(idx, text).results) {
      if (s.name == name) return s.confidence;
    }
    return -1.0;
  };
  // "calendar" is another workflow's namespace: deleting a calendar event
  // is not what mail.delete_message does.
  double penalized =
      conf(*index, "delete the calendar event", "mail.delete_message");
  double unpenalized =
      conf(*lax, "delete the calendar event", "mail.delete_message");
  ASSERT_GT(unpenalized, 0);
  EXPECT_LT(penalized, unpenalized);
  EXPECT_GE(penalized, unpenalized * index->options().namespace_penalty);
  EXPECT_FALSE(Find(*index, "delete the calendar event").match);
  // The workflow's own namespace, or none named, changes nothing.
  EXPECT_EQ(conf(*index, "delete an email", "mail.delete_message"),
            conf(*lax, "delete an email", "mail.delete_message"));
  EXPECT_EQ(conf(*index, "delete it", "mail.delete_message"),
            conf(*lax, "delete it", "mail.delete_message"));
  // A namespace that is half of a phrase in the name is not a term of the
  // name: it is skipped, not an error.
  EXPECT_TRUE(index->Upsert(Doc("address.book_entry", "Entries.", {})).ok());
  ASSERT_TRUE(index->Remove("address.book_entry@1.0.0"));
  // Removing the last document of a namespace forgets it.
  ASSERT_TRUE(index->Remove("calendar.book_meeting@1.0.0"));
  ASSERT_TRUE(lax->Remove("calendar.book_meeting@1.0.0"));
  EXPECT_EQ(conf(*index, "delete the calendar event", "mail.delete_message"),
            conf(*lax, "delete the calendar event", "mail.delete_message"));
}

TEST(SearchIndex, Filters) {
  auto index = Catalog();
  SearchQuery q;
  q.text = "email inbox message";
  q.limit = 10;
  std::vector<std::string> all = Names(index->Search(q));
  ASSERT_NE(std::find(all.begin(), all.end(), "mail.delete_message"),
            all.end());

  q.effects = {"read-only"};
  for (const SearchResult& s : index->Search(q).results) {
    for (const std::string& e : s.effects) {
      EXPECT_TRUE(e.size() > 5 && e.substr(e.size() - 5) == ".read") << e;
    }
  }
  EXPECT_EQ(Names(index->Search(q)),
            (std::vector<std::string>{"mail.find_messages"}));
  q.effects = {"read", "delete"};
  EXPECT_EQ(index->Search(q).results.size(), 2u);
  q.effects = {"mail.read", "mail.delete"};  // capabilities
  EXPECT_EQ(index->Search(q).results.size(), 2u);
  q.effects = {"mail.read"};
  EXPECT_EQ(Names(index->Search(q)),
            (std::vector<std::string>{"mail.find_messages"}));

  SearchQuery s;
  s.text = "book meeting contact address";
  s.stages = {"reviewed"};
  EXPECT_EQ(Names(index->Search(s)),
            (std::vector<std::string>{"contacts.lookup"}));
  s.stages = {"reviewed", "tested"};
  EXPECT_EQ(index->Search(s).results.size(), 2u);
  s.stages = {"canary"};
  SearchResponse none = index->Search(s);
  EXPECT_TRUE(none.results.empty());
  EXPECT_FALSE(none.match);
}

TEST(SearchIndex, Limit) {
  auto index = Catalog();
  SearchQuery q;
  q.text = "email message inbox meeting pay contact";
  q.limit = 2;
  EXPECT_EQ(index->Search(q).results.size(), 2u);
  q.limit = 0;
  EXPECT_TRUE(index->Search(q).results.empty());
  q.limit = 1000;  // capped
  EXPECT_EQ(index->Search(q).results.size(), 5u);
}

TEST(SearchIndex, OneResultPerNameUnlessAsked) {
  auto index = SearchIndex::Create();
  ASSERT_TRUE(
      index->Upsert(Doc("a.zebra", "zebra", {}, {}, "s", "1.2.0")).ok());
  ASSERT_TRUE(
      index->Upsert(Doc("a.zebra", "zebra", {}, {}, "s", "1.10.0")).ok());
  ASSERT_TRUE(
      index->Upsert(Doc("a.zebra", "zebra", {}, {}, "s", "1.10.0-rc.1")).ok());
  SearchResponse r = Find(*index, "zebra");
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].version, "1.10.0");  // tie: the higher version
  SearchQuery q;
  q.text = "zebra";
  q.one_per_name = false;
  EXPECT_EQ(index->Search(q).results.size(), 3u);
}

TEST(SearchIndex, UpsertReplacesAndRemoveRemoves) {
  auto index = Catalog();
  EXPECT_EQ(index->size(), 5u);
  Document d = Doc("mail.delete_message", "Shred a zebra.", {});
  ASSERT_TRUE(index->Upsert(d).ok());
  EXPECT_EQ(index->size(), 5u);
  EXPECT_EQ(Find(*index, "zebra").results.at(0).name, "mail.delete_message");
  // The old summary and intents are gone ("exactly" and "chosen" were in
  // the old summary only); the name still matches.
  EXPECT_TRUE(Find(*index, "exactly chosen").results.empty());
  SearchResponse r = Find(*index, "remove a message from my inbox");
  ASSERT_FALSE(r.results.empty());
  for (const auto& [field, words] : r.results[0].matched) {
    EXPECT_NE(field, "intents");
    EXPECT_NE(field, "summary");
  }

  EXPECT_TRUE(index->Remove("mail.delete_message@1.0.0"));
  EXPECT_FALSE(index->Remove("mail.delete_message@1.0.0"));
  EXPECT_EQ(index->size(), 4u);
  EXPECT_TRUE(Find(*index, "zebra").results.empty());
  // The freed slot is reused.
  ASSERT_TRUE(index->Upsert(Doc("x.zebra", "zebra", {})).ok());
  EXPECT_EQ(Find(*index, "zebra").results.at(0).name, "x.zebra");
  IndexStats st = index->Stats();
  EXPECT_EQ(st.documents, 5u);
  EXPECT_GT(st.postings, 0u);
  EXPECT_GT(st.bytes, 0u);

  EXPECT_EQ(index->Upsert(Doc("", "x", {})).code(), Code::kInvalidArgument);
  Document nov = Doc("a.b", "x", {});
  nov.version.clear();
  EXPECT_EQ(index->Upsert(nov).code(), Code::kInvalidArgument);
}

TEST(SearchIndex, ThresholdSaysHonestlyWhenNothingFits) {
  auto index = Catalog();
  SearchResponse fits = Find(*index, "book a meeting with Sam");
  EXPECT_TRUE(fits.match);
  EXPECT_GE(fits.confidence, index->options().threshold);

  SearchResponse flight = Find(*index, "book a flight");
  EXPECT_FALSE(flight.match);
  EXPECT_LT(flight.confidence, index->options().threshold);
  // The nearest candidates are still there, and what was not covered.
  ASSERT_FALSE(flight.results.empty());
  EXPECT_EQ(flight.results[0].name, "calendar.book_meeting");
  EXPECT_EQ(flight.unmatched, (std::vector<std::string>{"flight"}));

  EXPECT_FALSE(Find(*index, "order a pizza").match);
  EXPECT_FALSE(Find(*index, "hello").match);

  // The threshold is the only thing that decides `match`.
  SearchOptions lax;
  lax.threshold = 0.0f;
  EXPECT_TRUE(Find(*Catalog(lax), "book a flight").match);
  SearchOptions strict;
  strict.threshold = 1.01f;
  EXPECT_FALSE(Find(*Catalog(strict), "delete an email").match);
}

TEST(SearchIndex, QuantifierTheWorkflowDoesNotOfferLowersConfidence) {
  auto index = Catalog();
  SearchResponse one = Find(*index, "delete an email");
  SearchResponse all = Find(*index, "delete all my emails");
  EXPECT_TRUE(one.match);
  EXPECT_FALSE(all.match);
  EXPECT_EQ(all.results.at(0).name, "mail.delete_message");
  SearchOptions o;
  o.quantifier_penalty = 1.0f;
  SearchResponse unpenalized = Find(*Catalog(o), "delete all my emails");
  EXPECT_NEAR(all.confidence, unpenalized.confidence * 0.5, 1e-9);
}

TEST(SearchIndex, AnEffectTheWorkflowCannotHaveLowersConfidence) {
  auto index = Catalog();
  // contacts.lookup only reads: deleting or updating a contact is not
  // something it can do, however well the words fit.
  SearchResponse find = Find(*index, "find a contact");
  EXPECT_TRUE(find.match);
  EXPECT_EQ(find.results.at(0).name, "contacts.lookup");
  SearchOptions o;
  o.effect_penalty = 1.0f;
  auto lax = Catalog(o);
  auto conf = [](const SearchIndex& idx, const std::string& text,
                 const std::string& name) {
    for (const SearchResult& s : Find(idx, text).results) {
      if (s.name == name) return s.confidence;
    }
    return -1.0;
  };
  double penalized = conf(*index, "delete a contact", "contacts.lookup");
  double unpenalized = conf(*lax, "delete a contact", "contacts.lookup");
  ASSERT_GT(unpenalized, 0);
  EXPECT_NEAR(penalized, unpenalized * 0.3, 1e-6);
  EXPECT_LT(penalized, index->options().threshold);
  // Only the first action verb counts: "find ... sent" asks to find, which
  // a workflow that only reads can do.
  double find_sent =
      conf(*index, "find the email Tom sent", "mail.find_messages");
  EXPECT_GT(find_sent, 0);
  EXPECT_EQ(find_sent,
            conf(*lax, "find the email Tom sent", "mail.find_messages"));
  EXPECT_LT(conf(*index, "send the email Tom found", "mail.find_messages"),
            conf(*lax, "send the email Tom found", "mail.find_messages"));
}

TEST(SearchIndex, AllDoesNotPenalizeAWorkflowThatOnlyReads) {
  auto index = Catalog();
  SearchOptions o;
  o.quantifier_penalty = 1.0f;
  auto unpenalized = Catalog(o);
  SearchResponse a = Find(*index, "find all emails from Ann");
  SearchResponse b = Find(*unpenalized, "find all emails from Ann");
  ASSERT_EQ(a.results.at(0).name, "mail.find_messages");
  EXPECT_EQ(a.results[0].confidence, b.results.at(0).confidence);
  EXPECT_TRUE(a.match);
}

TEST(SearchIndex, RerankingByConfidence) {
  // x.invoice_reminders says "pay" and "invoice" often, but only files
  // reminders; x.pay pays a bill ("invoice" is a synonym of bill).
  auto make = [](const SearchOptions& o) {
    auto index = SearchIndex::Create(o);
    Document a = Doc("x.invoice_reminders",
                     "Pay-invoice reminders: file each invoice reminder.",
                     {"file pay invoice reminders"}, {"mail.update"});
    Document b = Doc("x.pay", "Pay a bill.", {"pay a bill", "pay someone"},
                     {"payments.spend"});
    EXPECT_TRUE(index->Upsert(a).ok());
    EXPECT_TRUE(index->Upsert(b).ok());
    return index;
  };
  SearchOptions by_score;
  by_score.rerank_depth = 0;
  SearchResponse s = Find(*make(by_score), "pay this invoice");
  SearchResponse r = Find(*make(SearchOptions{}), "pay this invoice");
  ASSERT_EQ(s.results.size(), 2u);
  ASSERT_EQ(r.results.size(), 2u);
  // By score alone the invoice-heavy one is first; reranked, the payment.
  EXPECT_EQ(s.results[0].name, "x.invoice_reminders");
  EXPECT_GE(s.results[0].score, s.results[1].score);
  EXPECT_EQ(r.results[0].name, "x.pay");
  EXPECT_GT(r.results[0].rank, r.results[1].rank);
  EXPECT_GT(r.results[0].confidence, r.results[1].confidence);
  EXPECT_TRUE(r.match);
  // Reranking never changes which candidates there are, nor their scores.
  EXPECT_EQ(r.results[1].score, s.results[0].score);
}

TEST(SearchIndex, EmptyAndMeaninglessQueries) {
  auto index = Catalog();
  for (const char* q : {"", "   ", "the of and", "42 $$$", "@@@"}) {
    SearchResponse r = Find(*index, q);
    EXPECT_TRUE(r.results.empty()) << q;
    EXPECT_FALSE(r.match) << q;
  }
  auto empty = SearchIndex::Create();
  EXPECT_TRUE(Find(*empty, "delete an email").results.empty());
  // Long queries are bounded: only the first 4 KiB is analysed.
  std::string padded = "delete an email " + std::string(1 << 20, ' ') + "zebra";
  SearchResponse r = Find(*index, padded);
  ASSERT_FALSE(r.results.empty());
  EXPECT_EQ(r.results[0].name, "mail.delete_message");
  EXPECT_TRUE(r.unmatched.empty());  // "zebra" was never read
}

// Any query: results within the limit, ordered by rank, confidences in
// [0, 1], match exactly when the first confidence reaches the threshold.
TEST(SearchIndex, RandomQueriesKeepTheContract) {
  auto index = Catalog();
  const char* words[] = {"delete",    "emial",   "all",   "meeting", "pay",
                         "never",     "contact", "inbox", "$5",      "the",
                         "bob@x.org", "flight",  "book",  "search",  "!!"};
  Rng rng(11);
  for (int i = 0; i < 3000; ++i) {
    std::string q;
    if (i % 2 == 0) {
      q.resize(rng.Uniform(40));
      for (char& c : q) c = static_cast<char>(rng.Uniform(256));
    } else {
      for (uint64_t n = rng.Uniform(8); n > 0; --n) {
        q += words[rng.Uniform(std::size(words))];
        q += ' ';
      }
    }
    SearchQuery sq;
    sq.text = q;
    sq.limit = 1 + rng.Uniform(4);
    SearchResponse r = index->Search(sq);
    ASSERT_LE(r.results.size(), sq.limit);
    for (size_t k = 0; k < r.results.size(); ++k) {
      EXPECT_GE(r.results[k].confidence, 0.0);
      EXPECT_LE(r.results[k].confidence, 1.0);
      if (k > 0) {
        EXPECT_GE(r.results[k - 1].rank, r.results[k].rank);
      }
    }
    EXPECT_EQ(r.match,
              !r.results.empty() && r.confidence >= index->options().threshold);
  }
}

TEST(SearchIndex, DocumentFromIr) {
  Json ir = {
      {"name", "mail.delete_message"},
      {"version", "1.0.0"},
      {"summary", "Delete one message."},
      {"intents", {"delete an email"}},
      {"inputs",
       {{{"name", "id"}, {"doc", "Id of the message."}, {"slot", 0}}}},
      {"outputs", {{{"name", "deleted"}, {"doc", "Id moved to Trash."}}}},
      {"uses", {"mail.delete", "mail.read"}},
  };
  auto d = DocumentFromIr(ir);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->id, "mail.delete_message@1.0.0");
  EXPECT_EQ(d->intents, (std::vector<std::string>{"delete an email"}));
  ASSERT_EQ(d->params.size(), 2u);
  EXPECT_EQ(d->params[1].first, "deleted");
  EXPECT_EQ(d->params[1].second, "Id moved to Trash.");
  EXPECT_EQ(d->effects, (std::vector<std::string>{"mail.delete", "mail.read"}));
  EXPECT_FALSE(DocumentFromIr(Json::object()).ok());
  EXPECT_FALSE(DocumentFromIr(Json::array()).ok());
}

TEST(SearchIndex, ToJson) {
  auto index = Catalog();
  Json j = ToJson(Find(*index, "delete an email", 2));
  EXPECT_EQ(j["query"], "delete an email");
  EXPECT_EQ(j["match"], true);
  ASSERT_EQ(j["results"].size(), 2u);
  const Json& r = j["results"][0];
  EXPECT_EQ(r["name"], "mail.delete_message");
  EXPECT_EQ(r["version"], "1.0.0");
  EXPECT_TRUE(r["score"].is_number());
  EXPECT_TRUE(r["matched"]["intents"].is_array());
  EXPECT_TRUE(r["confidence"].is_number());
  EXPECT_TRUE(r["rank"].is_number());
  EXPECT_TRUE(j["confidence"].is_number());
  EXPECT_TRUE(j["unmatched"].is_array());
  EXPECT_EQ(r["stage"], "stable");
  EXPECT_EQ(r["effects"][1], "mail.delete");
}

TEST(SearchIndex, ConcurrentSearchesWithUpdates) {
  auto index = Catalog();
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::atomic<int> searches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        SearchResponse r = Find(*index, "delete an email");
        if (r.results.empty() || r.results[0].name != "mail.delete_message") {
          ++wrong;
        }
        ++searches;
      }
    });
  }
  // Updates start while searches are running (and must not starve).
  while (searches.load() < 4) std::this_thread::yield();
  for (int i = 0; i < 300; ++i) {
    std::string name = "noise.w" + std::to_string(i);
    ASSERT_TRUE(
        index->Upsert(Doc(name, "Archive a calendar entry.", {"tidy up"}))
            .ok());
    if (i % 2 == 0) index->Remove(name + "@1.0.0");
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GE(searches.load(), 4);
  EXPECT_EQ(index->size(), 155u);
  // Every second noise document was removed.
  SearchQuery q;
  q.text = "archive calendar entry tidy";
  q.limit = 100;
  SearchResponse r = index->Search(q);
  EXPECT_EQ(r.results.size(), 100u);
  int noise = 0;
  for (const SearchResult& s : r.results) {
    if (s.name.rfind("noise.w", 0) != 0) continue;  // a catalog document
    ++noise;
    EXPECT_EQ(std::stoi(s.name.substr(7)) % 2, 1) << s.name;
  }
  EXPECT_GE(noise, 95);
}

}  // namespace
}  // namespace wfs::discovery
