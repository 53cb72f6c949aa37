#include "discovery/fts5_baseline.h"

#include <algorithm>

#include "base/strings.h"

namespace wfs::discovery {

Fts5Baseline::Fts5Baseline(const SearchOptions& options,
                           std::unique_ptr<sql::Db> db)
    : options_(options),
      analyzer_(options.analyzer != nullptr ? options.analyzer
                                            : &Analyzer::Default()),
      db_(std::move(db)) {
  // sql::Stmt reads integers and text only: the score in millionths.
  search_sql_ =
      "SELECT id, CAST(-1000000 * rank AS INTEGER) FROM docs WHERE docs"
      " MATCH ? ORDER BY rank LIMIT ?";
}

Result<std::unique_ptr<Fts5Baseline>> Fts5Baseline::Create(
    const SearchOptions& options, const std::string& path) {
  sql::Db::Options o;
  o.wal = false;
  o.sync_full = false;
  WFS_ASSIGN_OR_RETURN(std::unique_ptr<sql::Db> db, sql::Db::Open(path, o));
  WFS_RETURN_IF_ERROR(db->Exec(
      "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, name, summary,"
      " intents, params, param_docs, tokenize = 'unicode61')"));
  // bm25() with the index's field weights (the id column weighs 0) as the
  // table's rank, so ORDER BY rank takes FTS5's optimized path.
  const float* w = options.field_weight;
  WFS_RETURN_IF_ERROR(db->Exec(
      StrCat("INSERT INTO docs (docs, rank) VALUES ('rank', 'bm25(0.0, ",
             w[kFieldName], ", ", w[kFieldSummary], ", ", w[kFieldIntents],
             ", ", w[kFieldParamNames], ", ", w[kFieldParamDocs], ")')")));
  return std::unique_ptr<Fts5Baseline>(
      new Fts5Baseline(options, std::move(db)));
}

Status Fts5Baseline::Add(const std::vector<Document>& docs) {
  auto terms = [&](const std::string& text) {
    return StrJoin(analyzer_->Terms(text), " ");
  };
  WFS_RETURN_IF_ERROR(db_->Exec("BEGIN"));
  for (const Document& d : docs) {
    std::string intents, pnames, pdocs;
    for (const std::string& i : d.intents) intents += terms(i) + " ";
    for (const auto& [n, doc] : d.params) {
      pnames += terms(n) + " ";
      pdocs += terms(doc) + " ";
    }
    WFS_ASSIGN_OR_RETURN(
        sql::Stmt * st,
        db_->Cached("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)"));
    st->Bind(1, d.id.empty() ? d.name + "@" + d.version : d.id)
        .Bind(2, terms(d.name))
        .Bind(3, terms(d.summary))
        .Bind(4, intents)
        .Bind(5, pnames)
        .Bind(6, pdocs);
    WFS_RETURN_IF_ERROR(st->Run());
  }
  return db_->Exec("COMMIT");
}

std::string Fts5Baseline::MatchExpression(const std::string& query) const {
  std::vector<std::string> words;
  for (const std::string& t : analyzer_->Terms(query)) {
    auto add = [&](const std::string& w) {
      std::string quoted = "\"" + w + "\"";
      if (std::find(words.begin(), words.end(), quoted) == words.end()) {
        words.push_back(quoted);
      }
    };
    add(t);
    for (const std::string& s : analyzer_->Synonyms(t)) add(s);
  }
  return StrJoin(words, " OR ");
}

Result<std::vector<std::pair<std::string, double>>> Fts5Baseline::Search(
    const std::string& query, size_t limit) {
  std::vector<std::pair<std::string, double>> out;
  std::string expr = MatchExpression(query);
  if (expr.empty()) return out;
  WFS_ASSIGN_OR_RETURN(sql::Stmt * st, db_->Cached(search_sql_));
  st->Bind(1, expr).Bind(2, static_cast<int64_t>(limit));
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.emplace_back(st->Text(0), static_cast<double>(st->Int(1)) / 1e6);
  }
  return out;
}

}  // namespace wfs::discovery
