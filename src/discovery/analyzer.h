// Text analysis for workflow discovery: the same pipeline turns workflow
// documents and agents' queries into terms (docs/discovery.md).
//
//   const Analyzer& a = Analyzer::Default();
//   a.Analyze("Delete all my e-mails from bob@example.com")
//     -> delet(delete) all(all) mail(e mail)      (bob@example.com is a value)
//
// Pipeline, in order:
//  1. Values are dropped: whitespace-separated chunks holding an e-mail
//     address or a URL, and words that start with a digit (amounts, times,
//     issue numbers). They say what to act on, not what to do.
//  2. Words are runs of ASCII letters and digits (and bytes >= 0x80, kept
//     as is); everything else separates, including '_' and '.', so
//     mail.delete_message -> mail, delete, message. ASCII is lower-cased.
//  3. A few irregular forms are mapped (paid -> pay, sent -> send), then a
//     light stemmer strips plurals, -ing, -ed and a final e, so delete,
//     deletes, deleted and deleting all become "delet".
//  4. Phrases become one term (send money -> pay, address book -> contact,
//     get rid -> delete, look up -> find, set up -> schedule ...).
//  5. Stop words are dropped (checked on the word as written, before
//     stemming).
// Synonym groups are not applied here: the index expands query terms with
// their group (weighted lower than the term itself), and the demand log
// groups queries by each term's canonical member. The lexicon (IsWord) tells
// the index which unknown terms are words rather than typos.
//
// An Analyzer is immutable after construction and safe to share between
// threads.
#ifndef WFSTORE_DISCOVERY_ANALYZER_H_
#define WFSTORE_DISCOVERY_ANALYZER_H_

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace wfs::discovery {

struct Token {
  std::string term;     // the normalized term
  std::string surface;  // the word(s) as written, lower-cased
};

// Vocabulary tables, written as plain words; the constructor runs them
// through the same stemmer.
struct AnalyzerTables {
  std::vector<std::string> stop_words;
  // Each group lists words that mean the same thing in this domain; the
  // first is the group's canonical member. A word may be in one group only
  // (later duplicates are ignored).
  std::vector<std::vector<std::string>> synonym_groups;
  // Word sequences (2 or 3 words, written with spaces) -> the single word
  // they stand for.
  std::vector<std::pair<std::string, std::string>> phrases;
  // Irregular forms -> regular word (paid -> pay).
  std::vector<std::pair<std::string, std::string>> irregular;
  // Canonical member of the synonym group whose words ask for "all of them"
  // (all, every, bulk ...). The index treats an unmatched quantifier as a
  // sign the workflow does not fit (docs/discovery.md); empty: none.
  std::string quantifier_group;
  // Verbs that ask for an effect class (docs/language.md: read, create,
  // update, delete, send, spend, exec): class -> words. A word may ask for
  // several classes ("send" a message or money); the words of a synonym
  // group inherit the classes listed for its canonical member. The index
  // compares the first such verb of a query with a workflow's effects.
  std::vector<std::pair<std::string, std::vector<std::string>>> action_classes;
  // Words known to be spelled correctly (besides every word of the tables
  // above). The index never reads one of them as a typo of another word:
  // "contract" is one edit from "contact" but asks for something else.
  std::vector<std::string> lexicon;

  // The built-in tables for the workflow domain (mail, calendar, payments,
  // code, issue trackers, contacts).
  static AnalyzerTables Default();
};

class Analyzer {
 public:
  explicit Analyzer(const AnalyzerTables& tables);

  // The analyzer over AnalyzerTables::Default(), built once.
  static const Analyzer& Default();

  // The terms of `text`, in order, duplicates kept. Never fails; any bytes
  // are accepted.
  std::vector<Token> Analyze(std::string_view text) const;
  std::vector<std::string> Terms(std::string_view text) const;

  // The terms of `term`'s synonym group other than `term` itself (empty when
  // it has none). `term` is an analysed term.
  const std::vector<std::string>& Synonyms(const std::string& term) const;
  // The canonical member of `term`'s group; `term` when it has none.
  const std::string& Canonical(const std::string& term) const;
  // True when `term` is in the quantifier group.
  bool IsQuantifier(const std::string& term) const;
  // The effect classes `term` asks for (its own, else its canonical
  // member's); empty when it is not an action verb.
  const std::vector<std::string>& ActionClasses(const std::string& term) const;
  // True when `term` (an analysed term) is a correctly spelled word: in the
  // lexicon or in any of the tables. Such a term is never typo-corrected.
  bool IsWord(const std::string& term) const;

 private:
  std::string Normalize(std::string_view lower_word) const;

  std::unordered_set<std::string> stop_;
  std::unordered_map<std::string, std::string> irregular_;
  // phrase (terms joined by ' ') -> replacement term
  std::unordered_map<std::string, std::string> phrases_;
  std::unordered_map<std::string, size_t> group_of_;   // term -> group index
  std::vector<std::string> canonical_;                 // per group
  std::vector<std::vector<std::string>> group_terms_;  // per group
  size_t quantifier_ = static_cast<size_t>(-1);
  // Synonyms(term) per term, precomputed.
  std::unordered_map<std::string, std::vector<std::string>> others_;
  std::unordered_map<std::string, std::vector<std::string>> classes_;
  std::unordered_set<std::string> words_;  // analysed terms of IsWord
};

// The light stemmer alone (step 3 without the irregular table), on a
// lower-case word. Exposed for tests.
std::string Stem(std::string_view lower_word);

}  // namespace wfs::discovery

#endif  // WFSTORE_DISCOVERY_ANALYZER_H_
