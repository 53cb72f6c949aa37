// Unmet demand: queries for which no workflow fit, kept so that people can
// see what agents ask for and the catalog lacks (docs/discovery.md).
//
//   auto log = DemandLog::Open(db, &clock).value();
//   SearchResponse r = index->Search(q);
//   if (!r.match) log->Record(r, "agent:mailbot").IgnoreError();
//   for (const UnmetIntent& u : log->Unmet().value()) ... // grouped, counted
//
// Queries are grouped by their normalized term set (analysed terms mapped to
// their synonym group's canonical member, deduplicated, sorted), so "book a
// flight" and "Booking flights" are one group; groups whose term sets are
// similar enough (Jaccard) are merged, so "book a flight to Paris" joins
// them too.
#ifndef WFSTORE_DISCOVERY_DEMAND_LOG_H_
#define WFSTORE_DISCOVERY_DEMAND_LOG_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "discovery/analyzer.h"
#include "discovery/search_index.h"
#include "sql/sqlite.h"

namespace wfs::discovery {

struct UnmetIntent {
  std::string query;                  // the newest query of the group
  std::vector<std::string> examples;  // distinct queries, newest first (<= 5)
  std::vector<std::string> terms;     // the normalized terms of `query`
  int64_t count = 0;                  // how many times it was asked
  int64_t callers = 0;                // distinct callers
  int64_t first_us = 0;               // first and last time asked
  int64_t last_us = 0;
  std::string nearest;  // nearest candidate (id) of the newest query, or ""
};

struct UnmetOptions {
  int64_t since_us = 0;  // only queries recorded at or after this time
  size_t limit = 50;     // groups returned
  // Groups whose term sets have at least this Jaccard similarity are merged
  // (1.0: exact term sets only).
  double merge_similarity = 0.6;
  size_t max_rows = 100000;  // newest rows read
};

// {"unmet": [{"query", "examples", "terms", "count", "callers", "first",
// "last", "nearest"}]}, times as RFC 3339 UTC; the shape `wfstore demand`
// prints.
Json ToJson(const std::vector<UnmetIntent>& unmet);

class DemandLog {
 public:
  // Uses (and creates when absent) the table `discovery_demand` in `db`.
  // `db`, `clock` and `analyzer` (nullptr: Analyzer::Default()) must outlive
  // the log. The log serializes its own statements; a caller that shares
  // `db` between threads must serialize its other uses too (sql::Db is not
  // thread-safe).
  static Result<std::unique_ptr<DemandLog>> Open(
      sql::Db* db, const Clock* clock, const Analyzer* analyzer = nullptr);

  // Records one query that found no fitting workflow. The nearest candidate
  // and its confidence are taken from `response` when it has results.
  // Callers record only responses with match == false; Record does not
  // check.
  Status Record(const SearchResponse& response, std::string_view caller);
  Status Record(std::string_view query, std::string_view caller,
                std::string_view nearest = "", double confidence = 0);

  // Unmet intents grouped and counted, the most recently asked first.
  Result<std::vector<UnmetIntent>> Unmet(const UnmetOptions& options = {});

  // The grouping key of a query: normalized terms joined by spaces ("" when
  // the query has no terms).
  std::string Key(std::string_view query) const;

 private:
  DemandLog(sql::Db* db, const Clock* clock, const Analyzer* analyzer)
      : db_(db), clock_(clock), analyzer_(analyzer) {}
  sql::Db* db_;
  const Clock* clock_;
  const Analyzer* analyzer_;
  std::mutex mu_;
};

}  // namespace wfs::discovery

#endif  // WFSTORE_DISCOVERY_DEMAND_LOG_H_
