// Fuzzes discovery's handling of untrusted text: an agent's query goes
// through the analyzer, the index (synonyms, typo variants, confidence,
// filters) and the demand log's grouping key (docs/discovery.md). The first
// byte picks a limit and filters; the rest is the query. Checks the search
// contract: at most `limit` results, confidences in [0, 1], `match` only with
// a result at or above the threshold, and a JSON rendering.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "discovery/analyzer.h"
#include "discovery/search_index.h"

namespace {

using wfs::discovery::Document;
using wfs::discovery::SearchIndex;

Document Doc(const char* name, const char* summary,
             std::vector<std::string> intents,
             std::vector<std::string> effects, const char* stage) {
  Document d;
  d.name = name;
  d.version = "1.0.0";
  d.summary = summary;
  d.intents = std::move(intents);
  d.params = {{"id", "Id of the message, e.g. 4812."},
              {"with", "Name of the person, as in the address book."}};
  d.effects = std::move(effects);
  d.stage = stage;
  return d;
}

// Built once; Search is const and thread-safe.
const SearchIndex& Index() {
  static const SearchIndex* index = [] {
    auto i = SearchIndex::Create();
    i->Upsert(Doc("mail.delete_message", "Delete exactly one email message.",
                  {"delete an email", "get rid of the email from"},
                  {"mail.read", "mail.delete"}, "stable"))
        .IgnoreError();
    i->Upsert(Doc("mail.find_messages", "Find email messages in a mailbox.",
                  {"find emails from someone", "search my inbox"},
                  {"mail.read"}, "tested"))
        .IgnoreError();
    i->Upsert(Doc("calendar.book_meeting", "Book a meeting with one person.",
                  {"book a meeting with", "set up a meeting"},
                  {"contacts.read", "calendar.create"}, "reviewed"))
        .IgnoreError();
    i->Upsert(Doc("contacts.lookup", "Look people up in the address book.",
                  {"find a contact"}, {"contacts.read"}, "draft"))
        .IgnoreError();
    return i.release();
  }();
  return *index;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto& analyzer = wfs::discovery::Analyzer::Default();
  for (const wfs::discovery::Token& t : analyzer.Analyze(text)) {
    if (t.term.empty() || t.surface.empty()) __builtin_trap();
    for (char c : t.term) {
      if (c == ' ' || c == '\t' || c == '\n') __builtin_trap();
    }
  }

  wfs::discovery::SearchQuery q;
  q.text = text;
  q.limit = control & 0x0f;
  if (control & 0x10) q.stages = {"stable", "reviewed"};
  if (control & 0x20) q.effects = {"read-only"};
  if (control & 0x40) q.effects.push_back("mail.delete");
  q.one_per_name = (control & 0x80) == 0;
  const SearchIndex& index = Index();
  wfs::discovery::SearchResponse r = index.Search(q);
  if (r.results.size() > q.limit) __builtin_trap();
  if (r.match && r.results.empty()) __builtin_trap();
  if (r.match && r.confidence < index.options().threshold) __builtin_trap();
  for (const wfs::discovery::SearchResult& s : r.results) {
    if (!(s.confidence >= 0 && s.confidence <= 1)) __builtin_trap();
    if (!std::isfinite(s.score) || !std::isfinite(s.rank)) __builtin_trap();
  }
  if (wfs::PrettyJson(wfs::discovery::ToJson(r)).empty()) __builtin_trap();
  return 0;
}
