// Workflow discovery: an in-memory inverted index over workflow documents,
// ranked with BM25F and reranked by a confidence that says honestly when no
// workflow fits (docs/discovery.md).
//
//   auto index = SearchIndex::Create();
//   index->Upsert(DocumentFromIr(ir).value());        // the store feeds it
//   SearchQuery q;  q.text = "delete an email";  q.limit = 3;
//   SearchResponse r = index->Search(q);
//   if (!r.match) demand_log->Record(r, caller).IgnoreError();
//   PrettyJson(ToJson(r));   // {"query", "match", "results": [...]}
//
// The index knows nothing about stages' order, yanking or signatures: the
// caller decides which versions are discoverable and passes stage and signer
// through the Document; filters compare them as given.
#ifndef WFSTORE_DISCOVERY_SEARCH_INDEX_H_
#define WFSTORE_DISCOVERY_SEARCH_INDEX_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "discovery/analyzer.h"

namespace wfs::discovery {

// What the index knows of one workflow version.
struct Document {
  std::string id;       // "name@version"; empty: filled from name and version
  std::string name;     // e.g. mail.delete_message
  std::string version;  // e.g. 1.0.0
  std::string summary;
  std::vector<std::string> intents;
  // Inputs and outputs: (name, doc).
  std::vector<std::pair<std::string, std::string>> params;
  std::string stage;                 // e.g. "stable"; opaque here
  std::vector<std::string> effects;  // capabilities, e.g. "mail.delete"
  std::string signer;                // publisher key id; passed through
};

// A Document from a workflow's IR (docs/ir.md): name, version, summary,
// intents, inputs and outputs with their docs, and `uses` as effects. Stage
// and signer are left empty for the caller. InvalidArgument when the IR has
// no name or version.
Result<Document> DocumentFromIr(const Json& ir);

// The indexed fields, in the order of the per-field option arrays.
enum Field : int {
  kFieldName = 0,
  kFieldSummary,
  kFieldIntents,
  kFieldParamNames,
  kFieldParamDocs,
  kNumFields
};
// "name", "summary", "intents", "params", "param_docs".
const char* FieldName(int field);

struct SearchOptions {
  // Text analysis; must outlive the index. nullptr: Analyzer::Default().
  const Analyzer* analyzer = nullptr;

  // ---- ranking: BM25F (one saturation over the weighted fields) ---------
  float k1 = 0.8f;
  float field_weight[kNumFields] = {3.0f, 1.0f, 1.0f, 0.5f, 1.0f};
  float field_b[kNumFields] = {0.3f, 0.75f, 0.5f, 0.5f, 0.75f};
  // A query term also matches its synonyms (scored at this share of the
  // term's own weight) and, when the term itself is in no document and is
  // not a correctly spelled word (Analyzer::IsWord), indexed terms one typo
  // away (insertion, deletion, substitution or transposition; words of 3
  // letters: transposition only).
  float synonym_weight = 0.7f;
  float typo_weight = 0.9f;

  // ---- confidence (docs/discovery.md: how these were tuned) -------------
  // In the query coverage an indexed term weighs its idf / the idf of a
  // term in one document. A query term that no document holds, in any
  // form, weighs unknown_term_weight; all unknown terms together weigh at
  // most unknown_terms_cap (names, dates and other values in a long query).
  float unknown_term_weight = 0.3f;
  float unknown_terms_cap = 0.5f;
  // Intent terms weigh (idf / idf of a term in one document) ^ this in the
  // intent coverage: 0 counts every term alike.
  float intent_idf_power = 1.0f;
  // confidence = coverage_share * query coverage
  //            + (1 - coverage_share) * best intent coverage,
  // scaled by quantifier_penalty when the query asks for "all" (every,
  // bulk ...), the document never says so and it has effects beyond read,
  // and by effect_penalty when the query's first action verb asks for an
  // effect class (Analyzer::ActionClasses) the document does not have.
  float coverage_share = 0.3f;
  float quantifier_penalty = 0.5f;
  float effect_penalty = 0.3f;
  // Scaled by 1 - (1 - namespace_penalty) * info when the query names
  // another workflow's namespace (the part of a name before the first dot:
  // mail, calendar, payments ...) that this document lacks in every form
  // (info: that term's weight in the query coverage) and its best intent is
  // not fully said either: "delete the calendar event" does not ask for
  // mail.delete_message. 1: off.
  float namespace_penalty = 0.5f;
  // The first rerank_depth candidates by BM25F are ordered by
  //   rank = confidence + rank_score_share * score / best score,
  // the rest by score; 0: by score only.
  size_t rerank_depth = 20;
  float rank_score_share = 0.5f;
  // `match` is true when the first result's confidence reaches this.
  float threshold = 0.588f;
};

struct SearchQuery {
  std::string text;
  // Empty: any stage. Otherwise the document's stage must be one of these
  // (to ask for "reviewed or later", list those stages).
  std::vector<std::string> stages;
  // Empty: any effects. Otherwise every effect of the document must be
  // allowed by an entry: an effect class ("read", "delete", ...; "read-only"
  // is "read"), or a capability ("mail.read").
  std::vector<std::string> effects;
  size_t limit = 5;  // at most 100
  // Keep only the best-scoring version of each workflow name (ties: the
  // higher version).
  bool one_per_name = true;
};

struct SearchResult {
  std::string id;
  std::string name;
  std::string version;
  double score = 0;       // BM25F; comparable within one response only
  double confidence = 0;  // in [0, 1]; see SearchOptions
  double rank = 0;        // what results are ordered by; see SearchOptions
  // Field name -> the query words (as written) that matched in it.
  std::vector<std::pair<std::string, std::vector<std::string>>> matched;
  std::string stage;
  std::vector<std::string> effects;
  std::string signer;
};

struct SearchResponse {
  std::string query;
  // True when there are results and the first one's confidence reaches the
  // threshold. When false the results are still the nearest candidates.
  bool match = false;
  double confidence = 0;              // the first result's, 0 without results
  std::vector<SearchResult> results;  // best first
  // Query words (as written) the first result does not cover.
  std::vector<std::string> unmatched;
};

// {"query", "match", "confidence", "unmatched", "results": [{"id", "name",
// "version", "score", "confidence", "rank", "matched": {field: [words]},
// "stage", "effects", "signer"}]}. Numbers are rounded to 4 decimals.
Json ToJson(const SearchResponse& response);

struct IndexStats {
  size_t documents = 0;
  size_t terms = 0;  // distinct terms with at least one posting
  size_t postings = 0;
  size_t bytes = 0;  // estimated heap use of the index structures
};

// Thread-safe: any number of concurrent Search calls; Upsert and Remove take
// an exclusive lock (a search sees the index before or after an update) and
// are not starved by a steady stream of searches. Memory: about 1 KiB per
// document (docs/discovery.md).
class SearchIndex {
 public:
  static std::unique_ptr<SearchIndex> Create(const SearchOptions& options = {});
  virtual ~SearchIndex() = default;

  // Adds a document or replaces the one with the same id. InvalidArgument
  // when name or version is empty.
  virtual Status Upsert(Document doc) = 0;
  // Removes a document; false when the id is unknown.
  virtual bool Remove(const std::string& id) = 0;

  // Ranked results, best first. Never fails: an empty or meaningless query
  // gives no results and match == false. Cost: proportional to the postings
  // of the query's terms and their synonyms (typo variants only for terms no
  // document holds); the first 32 distinct terms of the first 4 KiB count.
  virtual SearchResponse Search(const SearchQuery& query) const = 0;

  virtual size_t size() const = 0;
  virtual IndexStats Stats() const = 0;
  virtual const SearchOptions& options() const = 0;
};

}  // namespace wfs::discovery

#endif  // WFSTORE_DISCOVERY_SEARCH_INDEX_H_
