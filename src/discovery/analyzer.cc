#include "discovery/analyzer.h"

#include <algorithm>
#include <cctype>

#include "discovery/lexicon.h"

namespace wfs::discovery {
namespace {

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c >= 0x80;
}

bool IsSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

bool IsVowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A chunk of text between whitespace that is a value rather than a word:
// an e-mail address or a URL.
bool IsValueChunk(std::string_view chunk) {
  size_t at = chunk.find('@');
  if (at != std::string_view::npos &&
      chunk.find('.', at + 1) != std::string_view::npos) {
    return true;
  }
  auto starts = [&](std::string_view p) {
    if (chunk.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(chunk[i])) != p[i]) {
        return false;
      }
    }
    return true;
  };
  return starts("http://") || starts("https://") || starts("www.");
}

// After stripping -ing or -ed: "runn" -> "run", "stopp" -> "stop",
// "labell" -> "label"; "add" and "call" stay.
void Undouble(std::string& w) {
  size_t n = w.size();
  if (n < 4 || w[n - 1] != w[n - 2] || IsVowel(w[n - 1])) return;
  char c = w[n - 1];
  if (c == 's' || c == 'z') return;
  if (c == 'l' && n < 6) return;
  w.pop_back();
}

// A chunk that states an amount of money: a currency sign next to digits
// ("$50", "12€", "£3.20"). It becomes the word "money".
bool IsMoneyChunk(std::string_view chunk) {
  bool digit = false;
  for (char c : chunk) digit = digit || (c >= '0' && c <= '9');
  if (!digit) return false;
  return chunk.find('$') != std::string_view::npos ||
         chunk.find("\xE2\x82\xAC") != std::string_view::npos ||  // euro
         chunk.find("\xC2\xA3") != std::string_view::npos ||      // pound
         chunk.find("\xC2\xA5") != std::string_view::npos;        // yen
}

bool IsClauseBreak(char c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' ||
         c == '(' || c == ')';
}

// Words that negate what follows: "never deletes files" does not offer
// deleting. The next kNegatedWords words that are not stop words, up to the
// end of the clause, are dropped.
constexpr int kNegatedWords = 3;
bool IsNegator(const std::string& w) {
  return w == "not" || w == "never" || w == "no" || w == "without" ||
         w == "cannot" || w == "nor" || w == "don" || w == "doesn" ||
         w == "didn" || w == "isn" || w == "aren" || w == "wasn" ||
         w == "shouldn" || w == "mustn" || w == "haven" || w == "hasn";
}

}  // namespace

std::string Stem(std::string_view lower_word) {
  std::string w(lower_word);
  for (unsigned char c : w) {
    if (c >= 0x80 || (c >= '0' && c <= '9')) return w;
  }
  if (w.size() <= 3) return w;
  // Plurals.
  if (EndsWith(w, "ies") && w.size() > 4) {
    w.resize(w.size() - 3);
    w += 'y';
  } else if (EndsWith(w, "sses")) {
    w.resize(w.size() - 2);
  } else if (EndsWith(w, "ss") || EndsWith(w, "us") || EndsWith(w, "is")) {
    // address, status, analysis: not plurals
  } else if (EndsWith(w, "es") && w.size() > 4 &&
             (w[w.size() - 3] == 's' || w[w.size() - 3] == 'x' ||
              w[w.size() - 3] == 'z' || EndsWith(w, "ches") ||
              EndsWith(w, "shes"))) {
    w.resize(w.size() - 2);
  } else if (EndsWith(w, "s")) {
    w.pop_back();
  }
  // -ing, -ied, -ed.
  if (EndsWith(w, "ing") && w.size() >= 6) {
    w.resize(w.size() - 3);
    Undouble(w);
  } else if (EndsWith(w, "ied") && w.size() > 4) {
    w.resize(w.size() - 3);
    w += 'y';
  } else if (EndsWith(w, "ed") && w.size() >= 5) {
    w.resize(w.size() - 2);
    Undouble(w);
  }
  // A final e, so that delete / deleting / deleted meet at "delet".
  if (w.size() > 3 && w.back() == 'e') w.pop_back();
  return w;
}

AnalyzerTables AnalyzerTables::Default() {
  AnalyzerTables t;
  t.stop_words = {
      "a",     "an",   "the",   "to",     "of",     "in",     "on",    "for",
      "from",  "with", "by",    "at",     "as",     "into",   "onto",  "about",
      "my",    "me",   "i",     "im",     "our",    "we",     "us",    "you",
      "your",  "it",   "its",   "this",   "that",   "these",  "those", "is",
      "are",   "was",  "were",  "be",     "been",   "being",  "am",    "do",
      "does",  "did",  "done",  "will",   "would",  "can",    "could", "should",
      "shall", "may",  "might", "must",   "please", "kindly", "just",  "want",
      "need",  "like", "some",  "any",    "there",  "here",   "what",  "whats",
      "which", "who",  "whom",  "whose",  "how",    "when",   "where", "why",
      "also",  "and",  "or",    "but",    "if",     "then",   "so",    "than",
      "too",   "very", "eg",    "ie",     "etc",    "ll",     "ve",    "re",
      "nt",    "don",  "doesn", "didn",   "won",    "let",    "get",   "got",
      "make",  "up",   "out",   "over",   "have",   "has",    "had",   "use",
      "using", "help", "them",  "they",   "their",  "him",    "her",   "his",
      "she",   "he",   "yes",   "ok",     "okay",   "hey",    "hi",    "thanks",
      "thank", "now",  "via",   "whether"};
  t.synonym_groups = {
      {"mail", "email", "message", "inbox", "mailbox"},
      {"delete", "remove", "trash", "erase", "discard", "purge"},
      {"pay", "payment", "transfer", "wire", "remit", "settle", "money", "fund",
       "cash", "euro", "dollar", "pound", "buck", "eur", "usd", "gbp"},
      {"bill", "invoice", "rent"},
      // What is scheduled, and the verbs that schedule it, apart: "decline
      // the meeting invitation" names a meeting but asks for no booking.
      {"meeting", "event", "appointment", "invitation"},
      {"schedule", "book", "arrange", "organize", "organise", "invite", "plan"},
      {"repository", "repo", "codebase", "code"},
      {"issue", "ticket"},
      {"contact"},
      {"person", "someone", "somebody"},
      {"find", "search", "lookup", "locate", "show"},
      {"detail", "info", "information"},
      {"reply", "respond", "answer"},
      {"forward", "fwd", "share"},
      {"archive", "declutter", "tidy"},
      {"label", "tag", "categorize", "categorise", "triage", "mark", "flag"},
      {"comment", "note", "remark"},
      {"fix", "patch", "repair", "correct"},
      {"change", "edit", "modify"},
      {"colleague", "coworker", "teammate"},
      {"bug", "defect"},
      // Words that ask for all of something; "empty the trash" and "clear my
      // inbox" act on every message.
      {"all", "every", "everything", "bulk", "entire", "whole", "mass", "empty",
       "clear"},
  };
  t.quantifier_group = "all";
  t.phrases = {
      {"address book", "contact"}, {"get rid", "delete"},
      {"look up", "find"},         {"look for", "find"},
      {"pull up", "find"},         {"set up", "schedule"},
      {"write back", "reply"},     {"clean up", "archive"},
      {"e mail", "mail"},          {"one on one", "meeting"},
      {"bug report", "issue"},     {"phone number", "contact"},
  };
  // Read verbs matter too: "find the mail where Tom sent the contract" asks
  // to find (its first action verb), not to send.
  t.action_classes = {
      {"read", {"find", "list", "read", "view", "check"}},
      {"create", {"create", "schedule", "compose", "commit"}},
      {"update",
       {"update", "change", "fix", "replace", "rename", "archive", "label",
        "mark", "close", "reopen", "assign", "revert", "merge", "reschedule",
        "decline", "lock", "unlock", "move"}},
      // Moving a message to Trash is how mail deletes.
      {"delete", {"delete", "cancel", "unsubscribe", "move"}},
      {"send", {"send", "forward", "reply", "comment", "post", "share"}},
      {"spend", {"send", "pay", "buy", "purchase", "refund", "order"}},
  };
  t.irregular = {
      {"paid", "pay"},      {"sent", "send"},  {"wrote", "write"},
      {"written", "write"}, {"found", "find"}, {"met", "meet"},
      {"people", "person"},
  };
  t.lexicon = DefaultLexicon();
  return t;
}

const Analyzer& Analyzer::Default() {
  static const Analyzer* kDefault = new Analyzer(AnalyzerTables::Default());
  return *kDefault;
}

std::string Analyzer::Normalize(std::string_view lower_word) const {
  auto it = irregular_.find(std::string(lower_word));
  if (it != irregular_.end()) return it->second;
  return Stem(lower_word);
}

Analyzer::Analyzer(const AnalyzerTables& tables) {
  for (const auto& [from, to] : tables.irregular) {
    irregular_[from] = Stem(to);
  }
  for (const std::string& w : tables.stop_words) stop_.insert(w);
  auto analyse_words = [&](const std::string& text) {
    // Tables are plain lower-case words separated by spaces.
    std::vector<std::string> out;
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && text[i] == ' ') ++i;
      size_t j = i;
      while (j < text.size() && text[j] != ' ') ++j;
      if (j > i) out.push_back(Normalize(text.substr(i, j - i)));
      i = j;
    }
    return out;
  };
  for (const auto& [words, to] : tables.phrases) {
    std::vector<std::string> ws = analyse_words(words);
    std::string key;
    for (const std::string& w : ws) key += (key.empty() ? "" : " ") + w;
    phrases_[key] = Normalize(to);
  }
  for (const auto& group : tables.synonym_groups) {
    std::vector<std::string> terms;
    for (const std::string& w : group) {
      std::string t = Normalize(w);
      if (group_of_.count(t) != 0) continue;
      bool dup = false;
      for (const std::string& x : terms) dup = dup || x == t;
      if (!dup) terms.push_back(t);
    }
    if (terms.empty()) continue;
    size_t g = canonical_.size();
    canonical_.push_back(terms.front());
    for (const std::string& t : terms) group_of_[t] = g;
    group_terms_.push_back(terms);
    if (!tables.quantifier_group.empty() &&
        terms.front() == Normalize(tables.quantifier_group)) {
      quantifier_ = g;
    }
  }
  for (const auto& [cls, words] : tables.action_classes) {
    for (const std::string& w : words) {
      std::vector<std::string>& c = classes_[Normalize(w)];
      if (std::find(c.begin(), c.end(), cls) == c.end()) c.push_back(cls);
    }
  }
  for (const std::string& w : tables.lexicon) words_.insert(Normalize(w));
  for (const std::string& w : tables.stop_words) words_.insert(Normalize(w));
  for (const auto& [from, to] : tables.irregular) {
    words_.insert(Normalize(from));
    words_.insert(Normalize(to));
  }
  for (const auto& [words, to] : tables.phrases) {
    for (const std::string& w : analyse_words(words)) words_.insert(w);
    words_.insert(Normalize(to));
  }
  for (const auto& [cls, ws] : tables.action_classes) {
    for (const std::string& w : ws) words_.insert(Normalize(w));
  }
  for (const auto& terms : group_terms_) {
    for (const std::string& t : terms) {
      words_.insert(t);
      std::vector<std::string>& o = others_[t];
      for (const std::string& u : terms) {
        if (u != t) o.push_back(u);
      }
    }
  }
}

std::vector<Token> Analyzer::Analyze(std::string_view text) const {
  struct Word {
    std::string surface;
    std::string term;
    bool stop;
  };
  std::vector<Word> words;
  int negated = 0;  // words still to drop after a negator
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    size_t end = i;
    while (end < text.size() &&
           !IsSpace(static_cast<unsigned char>(text[end]))) {
      ++end;
    }
    std::string_view chunk = text.substr(i, end - i);
    i = end;
    if (chunk.empty()) continue;
    if (IsValueChunk(chunk)) continue;
    if (IsMoneyChunk(chunk)) {
      words.push_back({std::string(chunk), Normalize("money"), false});
      continue;
    }
    size_t k = 0;
    while (k < chunk.size()) {
      while (k < chunk.size() &&
             !IsWordByte(static_cast<unsigned char>(chunk[k]))) {
        if (IsClauseBreak(chunk[k])) negated = 0;
        ++k;
      }
      size_t s = k;
      while (k < chunk.size() &&
             IsWordByte(static_cast<unsigned char>(chunk[k]))) {
        ++k;
      }
      if (k == s) continue;
      if (chunk[s] >= '0' && chunk[s] <= '9') continue;  // a value
      if (k - s > 64) continue;                          // not a word
      std::string w(chunk.substr(s, k - s));
      for (char& c : w) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      if (IsNegator(w)) {
        negated = kNegatedWords;
        continue;
      }
      bool stop = w.size() == 1 || stop_.count(w) != 0;
      if (negated > 0 && !stop) {
        --negated;
        continue;
      }
      std::string term = Normalize(w);
      words.push_back({std::move(w), std::move(term), stop});
    }
  }
  std::vector<Token> out;
  out.reserve(words.size());
  for (size_t w = 0; w < words.size();) {
    bool replaced = false;
    for (size_t len = 3; len >= 2 && !replaced; --len) {
      if (w + len > words.size()) continue;
      std::string key = words[w].term;
      std::string surface = words[w].surface;
      for (size_t j = 1; j < len; ++j) {
        key += ' ';
        key += words[w + j].term;
        surface += ' ';
        surface += words[w + j].surface;
      }
      auto it = phrases_.find(key);
      if (it != phrases_.end()) {
        out.push_back({it->second, std::move(surface)});
        w += len;
        replaced = true;
      }
    }
    if (replaced) continue;
    if (!words[w].stop) {
      out.push_back({std::move(words[w].term), std::move(words[w].surface)});
    }
    ++w;
  }
  return out;
}

std::vector<std::string> Analyzer::Terms(std::string_view text) const {
  std::vector<std::string> out;
  for (Token& t : Analyze(text)) out.push_back(std::move(t.term));
  return out;
}

const std::vector<std::string>& Analyzer::Synonyms(
    const std::string& term) const {
  static const std::vector<std::string> kNone;
  auto it = others_.find(term);
  return it == others_.end() ? kNone : it->second;
}

const std::string& Analyzer::Canonical(const std::string& term) const {
  auto it = group_of_.find(term);
  return it == group_of_.end() ? term : canonical_[it->second];
}

const std::vector<std::string>& Analyzer::ActionClasses(
    const std::string& term) const {
  static const std::vector<std::string> kNone;
  auto it = classes_.find(term);
  if (it == classes_.end()) it = classes_.find(Canonical(term));
  return it == classes_.end() ? kNone : it->second;
}

bool Analyzer::IsWord(const std::string& term) const {
  return words_.count(term) != 0;
}

bool Analyzer::IsQuantifier(const std::string& term) const {
  auto it = group_of_.find(term);
  return it != group_of_.end() && it->second == quantifier_;
}

}  // namespace wfs::discovery
