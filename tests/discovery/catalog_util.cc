#include "tests/discovery/catalog_util.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/json.h"
#include "base/strings.h"
#include "lang/compiler.h"

namespace wfs::discovery::testing {

std::string SourceDir() {
  const char* dir = std::getenv("WFS_SOURCE_DIR");
  return dir != nullptr ? dir : WFS_DISCOVERY_SOURCE_DIR;
}

Result<std::vector<Document>> LoadCatalog() {
  std::vector<lang::SourceText> files;
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::recursive_directory_iterator(
           SourceDir() + "/catalog")) {
    if (e.path().extension() == ".wf") paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& p : paths) {
    WFS_ASSIGN_OR_RETURN(std::string text, ReadFile(p));
    files.push_back({p, std::move(text)});
  }
  auto compiler = lang::Compiler::Create(lang::CompilerOptions{});
  std::vector<Document> out;
  for (const lang::CompiledFile& f : compiler->Check(files)) {
    if (!f.ok) return InvalidArgument("catalog file does not check: " + f.path);
    WFS_ASSIGN_OR_RETURN(Document d, DocumentFromIr(f.ir()));
    d.stage = "stable";
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<LabelledQuery>> LoadQueries() {
  WFS_ASSIGN_OR_RETURN(std::string text,
                       ReadFile(SourceDir() + "/tests/discovery/queries.json"));
  WFS_ASSIGN_OR_RETURN(Json j, ParseJson(text));
  std::vector<LabelledQuery> out;
  for (const Json& q : JsonArrayMember(j, "queries")) {
    out.push_back(
        {q.value("q", ""), q.value("want", ""), q.value("split", "tune")});
  }
  return out;
}

Quality Evaluate(const SearchIndex& index,
                 const std::vector<LabelledQuery>& queries,
                 const std::string& split) {
  Quality m;
  for (const LabelledQuery& lq : queries) {
    if (!split.empty() && lq.split != split) continue;
    SearchQuery sq;
    sq.text = lq.q;
    sq.limit = 3;
    SearchResponse r = index.Search(sq);
    ++m.queries;
    std::string first = r.results.empty() ? "-" : r.results[0].name;
    std::string line =
        StrCat(r.match ? "match   " : "nomatch ", "conf ",
               std::to_string(r.confidence).substr(0, 5), "  ", Quote(lq.q, 60),
               "  want ", lq.want, "  got ", first);
    if (!r.match) ++m.nomatch;
    if (lq.want == "none") {
      ++m.negatives;
      if (!r.match) {
        ++m.nomatch_correct;
      } else {
        m.failures.push_back("FALSE MATCH   " + line);
      }
      continue;
    }
    ++m.positives;
    if (r.match) ++m.matched_positive;
    int rank = -1;
    for (size_t i = 0; i < r.results.size(); ++i) {
      if (r.results[i].name == lq.want) {
        rank = static_cast<int>(i);
        break;
      }
    }
    if (rank == 0) ++m.top1;
    if (rank >= 0 && rank < 3) ++m.top3;
    if (rank == 0 && r.match) {
      ++m.answered;
    } else if (rank != 0) {
      m.failures.push_back(StrCat("WRONG RANK ", rank, "  ", line));
    } else {
      m.failures.push_back("MISSED        " + line);
    }
  }
  return m;
}

Quality EvaluateFts5(Fts5Baseline& fts,
                     const std::vector<LabelledQuery>& queries,
                     const std::string& split) {
  Quality m;
  for (const LabelledQuery& lq : queries) {
    if (!split.empty() && lq.split != split) continue;
    ++m.queries;
    if (lq.want == "none") {
      ++m.negatives;
      continue;
    }
    ++m.positives;
    auto r = fts.Search(lq.q, 3);
    if (!r.ok()) continue;
    for (size_t i = 0; i < r->size(); ++i) {
      std::string name = (*r)[i].first.substr(0, (*r)[i].first.find('@'));
      if (name != lq.want) continue;
      if (i == 0) ++m.top1;
      ++m.top3;
      break;
    }
  }
  return m;
}

std::string Format(const Quality& q) {
  char buf[400];
  std::snprintf(buf, sizeof(buf),
                "queries %d (%d with a workflow, %d none)  recall@1 %.3f  "
                "recall@3 %.3f  answered %.3f  no-match precision %.3f  "
                "no-match recall %.3f  accuracy %.3f",
                q.queries, q.positives, q.negatives, q.recall1(), q.recall3(),
                q.answered_rate(), q.nomatch_precision(), q.nomatch_recall(),
                q.accuracy());
  return buf;
}

}  // namespace wfs::discovery::testing
