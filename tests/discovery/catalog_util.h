// The starter catalog as discovery documents, the labelled queries
// (queries.json) and the quality figures computed over them. Shared by
// quality_test.cc, tune.cc and the benchmark.
#ifndef WFSTORE_TESTS_DISCOVERY_CATALOG_UTIL_H_
#define WFSTORE_TESTS_DISCOVERY_CATALOG_UTIL_H_

#include <string>
#include <vector>

#include "base/result.h"
#include "discovery/fts5_baseline.h"
#include "discovery/search_index.h"

namespace wfs::discovery::testing {

// WFS_SOURCE_DIR when set (ctest sets it), else the source tree the binary
// was built from.
std::string SourceDir();

// Every catalog/*/*.wf compiled with the built-in interfaces (lang::Compiler)
// and turned into a Document (stage "stable").
Result<std::vector<Document>> LoadCatalog();

struct LabelledQuery {
  std::string q;
  std::string want;   // workflow name, or "none"
  std::string split;  // "tune" or "holdout"
};
Result<std::vector<LabelledQuery>> LoadQueries();

struct Quality {
  int queries = 0;
  int positives = 0;         // queries with a workflow to find
  int negatives = 0;         // queries labelled none
  int top1 = 0;              // positives whose first result is the wanted one
  int top3 = 0;              // ... among the first three
  int answered = 0;          // positives with match == true and the right first
  int matched_positive = 0;  // positives with match == true
  int nomatch = 0;           // queries answered with match == false
  int nomatch_correct = 0;   // ... that were labelled none
  std::vector<std::string> failures;  // one line per miss, for reading

  double recall1() const { return Ratio(top1, positives); }
  double recall3() const { return Ratio(top3, positives); }
  // End to end: the right workflow first and match == true.
  double answered_rate() const { return Ratio(answered, positives); }
  // Of the "no workflow fits" answers, the share that were right.
  double nomatch_precision() const { return Ratio(nomatch_correct, nomatch); }
  // Of the queries labelled none, the share answered "no workflow fits".
  double nomatch_recall() const { return Ratio(nomatch_correct, negatives); }
  // Queries handled right: a positive answered, or a none refused.
  double accuracy() const { return Ratio(answered + nomatch_correct, queries); }

  static double Ratio(int a, int b) { return b == 0 ? 0 : double(a) / b; }
};

// Runs every query of `split` ("" for all) against `index`.
Quality Evaluate(const SearchIndex& index,
                 const std::vector<LabelledQuery>& queries,
                 const std::string& split);

// Ranking figures of the FTS5 baseline (no confidence: top1/top3 only).
Quality EvaluateFts5(Fts5Baseline& fts,
                     const std::vector<LabelledQuery>& queries,
                     const std::string& split);

// "recall@1 0.912  recall@3 ..." on one line.
std::string Format(const Quality& q);

}  // namespace wfs::discovery::testing

#endif  // WFSTORE_TESTS_DISCOVERY_CATALOG_UTIL_H_
