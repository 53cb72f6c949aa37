// SQLite FTS5 with bm25() over the same documents and the same analysed
// terms as SearchIndex: the peer the index is measured against
// (bench/discovery, tests/discovery/quality_test.cc). Not used in
// production; its own target, wfs_discovery_fts5.
//
// Documents are stored pre-analysed (Analyzer terms joined by spaces, one
// column per field) so both rankers see identical tokens. A query is the OR
// of its terms and their synonyms (FTS5 has no per-term weights, so synonyms
// count as much as the term) ranked by bm25() with SearchOptions'
// field weights. FTS5 has no typo tolerance and no confidence.
#ifndef WFSTORE_DISCOVERY_FTS5_BASELINE_H_
#define WFSTORE_DISCOVERY_FTS5_BASELINE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "discovery/search_index.h"
#include "sql/sqlite.h"

namespace wfs::discovery {

class Fts5Baseline {
 public:
  // An in-memory database (":memory:") unless `path` is given.
  static Result<std::unique_ptr<Fts5Baseline>> Create(
      const SearchOptions& options, const std::string& path = ":memory:");

  // Adds documents in one transaction.
  Status Add(const std::vector<Document>& docs);

  // (id, score) best first; score is -bm25() (higher is better).
  Result<std::vector<std::pair<std::string, double>>> Search(
      const std::string& query, size_t limit);

  // The FTS5 match expression for `query` ("" when it has no terms).
  std::string MatchExpression(const std::string& query) const;

  sql::Db& db() { return *db_; }

 private:
  Fts5Baseline(const SearchOptions& options, std::unique_ptr<sql::Db> db);
  SearchOptions options_;
  const Analyzer* analyzer_;
  std::unique_ptr<sql::Db> db_;
  std::string search_sql_;
};

}  // namespace wfs::discovery

#endif  // WFSTORE_DISCOVERY_FTS5_BASELINE_H_
