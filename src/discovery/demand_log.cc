#include "discovery/demand_log.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "base/strings.h"

namespace wfs::discovery {
namespace {

constexpr size_t kMaxQueryBytes = 1000;
constexpr size_t kMaxCallerBytes = 200;
constexpr size_t kMaxExamples = 5;

// Cuts at a UTF-8 character boundary.
std::string Cut(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

double Jaccard(const std::vector<std::string>& a,
               const std::vector<std::string>& b) {  // both sorted, unique
  if (a.empty() || b.empty()) return 0;
  size_t i = 0, j = 0, both = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++both, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return static_cast<double>(both) /
         static_cast<double>(a.size() + b.size() - both);
}

}  // namespace

Json ToJson(const std::vector<UnmetIntent>& unmet) {
  Json list = Json::array();
  for (const UnmetIntent& u : unmet) {
    Json o = Json::object();
    o["query"] = u.query;
    o["examples"] = u.examples;
    o["terms"] = u.terms;
    o["count"] = u.count;
    o["callers"] = u.callers;
    o["first"] = FormatRfc3339(u.first_us);
    o["last"] = FormatRfc3339(u.last_us);
    o["nearest"] = u.nearest;
    list.push_back(std::move(o));
  }
  Json j = Json::object();
  j["unmet"] = std::move(list);
  return j;
}

Result<std::unique_ptr<DemandLog>> DemandLog::Open(sql::Db* db,
                                                   const Clock* clock,
                                                   const Analyzer* analyzer) {
  if (db == nullptr || clock == nullptr) {
    return InvalidArgument("demand log: a database and a clock are required");
  }
  WFS_RETURN_IF_ERROR(
      db->Exec("CREATE TABLE IF NOT EXISTS discovery_demand ("
               " id INTEGER PRIMARY KEY,"
               " at_us INTEGER NOT NULL,"
               " caller TEXT NOT NULL,"
               " query TEXT NOT NULL,"
               " norm TEXT NOT NULL,"
               " nearest TEXT NOT NULL DEFAULT '',"
               " confidence_milli INTEGER NOT NULL DEFAULT 0);"
               "CREATE INDEX IF NOT EXISTS discovery_demand_at"
               " ON discovery_demand (at_us);"));
  return std::unique_ptr<DemandLog>(new DemandLog(
      db, clock, analyzer != nullptr ? analyzer : &Analyzer::Default()));
}

std::string DemandLog::Key(std::string_view query) const {
  std::vector<std::string> terms;
  for (const std::string& t : analyzer_->Terms(query)) {
    terms.push_back(analyzer_->Canonical(t));
  }
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return StrJoin(terms, " ");
}

Status DemandLog::Record(const SearchResponse& response,
                         std::string_view caller) {
  if (response.results.empty()) return Record(response.query, caller);
  return Record(response.query, caller, response.results.front().id,
                response.results.front().confidence);
}

Status DemandLog::Record(std::string_view query, std::string_view caller,
                         std::string_view nearest, double confidence) {
  std::string q = Cut(query, kMaxQueryBytes);
  std::string key = Key(q);
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("INSERT INTO discovery_demand (at_us, caller, query, norm,"
                  " nearest, confidence_milli) VALUES (?, ?, ?, ?, ?, ?)"));
  st->Bind(1, clock_->NowMicros())
      .Bind(2, Cut(caller, kMaxCallerBytes))
      .Bind(3, q)
      .Bind(4, key)
      .Bind(5, Cut(nearest, kMaxCallerBytes))
      .Bind(6, static_cast<int64_t>(
                   std::lround(std::clamp(confidence, 0.0, 1.0) * 1000)));
  return st->Run();
}

Result<std::vector<UnmetIntent>> DemandLog::Unmet(const UnmetOptions& o) {
  struct Group {
    UnmetIntent u;
    std::set<std::string> callers;
    std::vector<std::string> terms;  // sorted key terms
  };
  std::vector<Group> groups;  // in order of their newest row
  std::unordered_map<std::string, size_t> by_key;
  {
    std::lock_guard lock(mu_);
    WFS_ASSIGN_OR_RETURN(
        sql::Stmt * st,
        db_->Cached("SELECT query, caller, norm, nearest, at_us FROM"
                    " discovery_demand WHERE at_us >= ? ORDER BY at_us DESC,"
                    " id DESC LIMIT ?"));
    st->Bind(1, o.since_us)
        .Bind(2, static_cast<int64_t>(std::min<size_t>(o.max_rows, INT64_MAX)));
    while (true) {
      WFS_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      std::string query = st->Text(0);
      std::string norm = st->Text(2);
      // A query without terms groups with identical text only.
      std::string key = norm;
      if (norm.empty()) {
        key.assign(1, '\x01');
        key.append(ToLower(Trim(query)));
      }
      int64_t at = st->Int(4);
      auto [it, fresh] = by_key.emplace(key, groups.size());
      if (fresh) {
        Group g;
        g.u.query = query;
        g.u.nearest = st->Text(3);
        g.u.last_us = at;
        g.terms =
            norm.empty() ? std::vector<std::string>() : StrSplit(norm, ' ');
        g.u.terms = g.terms;
        groups.push_back(std::move(g));
      }
      Group& g = groups[it->second];
      ++g.u.count;
      g.u.first_us = at;  // rows come newest first
      if (g.callers.size() < 10000) g.callers.insert(st->Text(1));
      if (g.u.examples.size() < kMaxExamples &&
          std::find(g.u.examples.begin(), g.u.examples.end(), query) ==
              g.u.examples.end()) {
        g.u.examples.push_back(query);
      }
    }
  }

  // Merge similar groups into the newest one they resemble.
  std::vector<Group> merged;
  for (Group& g : groups) {
    Group* into = nullptr;
    if (!g.terms.empty() && o.merge_similarity < 1.0) {
      for (Group& m : merged) {
        if (Jaccard(m.terms, g.terms) >= o.merge_similarity) {
          into = &m;
          break;
        }
      }
    }
    if (into == nullptr) {
      merged.push_back(std::move(g));
      continue;
    }
    into->u.count += g.u.count;
    into->u.first_us = std::min(into->u.first_us, g.u.first_us);
    into->callers.insert(g.callers.begin(), g.callers.end());
    for (const std::string& e : g.u.examples) {
      if (into->u.examples.size() < kMaxExamples &&
          std::find(into->u.examples.begin(), into->u.examples.end(), e) ==
              into->u.examples.end()) {
        into->u.examples.push_back(e);
      }
    }
  }
  std::vector<UnmetIntent> out;
  for (Group& m : merged) {
    if (out.size() == o.limit) break;
    m.u.callers = static_cast<int64_t>(m.callers.size());
    out.push_back(std::move(m.u));
  }
  return out;
}

}  // namespace wfs::discovery
