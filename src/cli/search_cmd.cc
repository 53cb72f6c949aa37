#include "cli/search_cmd.h"

#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>

#include "base/clock.h"
#include "base/json.h"
#include "base/strings.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/store_cmd.h"
#include "cli/store_dir.h"
#include "discovery/demand_log.h"
#include "discovery/search_index.h"
#include "sql/sqlite.h"
#include "store/store.h"

namespace wfs::cli {
namespace {

// The demand log lives beside the catalog, in its own SQLite file, so that
// recording a query never contends with publishing.
constexpr const char* kDemandFile = "demand.db";
constexpr const char* kCaller = "cli";
constexpr const char* kEffectClasses[] = {"read-only", "read",  "create",
                                          "update",    "delete", "send",
                                          "spend",     "exec"};

int Fail(const Status& s) {
  PrintError(s.message());
  return s.code() == Code::kInvalidArgument ? kExitUsage : kExitFailure;
}

double Round4(double v) { return std::round(v * 10000.0) / 10000.0; }

std::string Fixed(double v, int digits) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << v;
  return o.str();
}

// The stages at or after `stage` in the lifecycle.
Result<std::vector<std::string>> StagesFrom(const std::string& stage) {
  int from = store::StageIndex(stage);
  if (from < 0) {
    return InvalidArgument(StrCat("unknown stage ", Quote(stage),
                                  " (stages: draft, tested, hardened, "
                                  "reviewed, canary, stable)"));
  }
  std::vector<std::string> out;
  for (size_t i = static_cast<size_t>(from); i < std::size(store::kStages);
       ++i) {
    out.push_back(store::kStages[i]);
  }
  return out;
}

Status CheckEffects(const std::vector<std::string>& effects) {
  for (const std::string& e : effects) {
    if (e.find('.') != std::string::npos) continue;  // a capability
    bool known = false;
    for (const char* c : kEffectClasses) known = known || e == c;
    if (!known) {
      return InvalidArgument(StrCat(
          "unknown effect ", Quote(e),
          " (a class: read-only, read, create, update, delete, send, spend, "
          "exec; or a capability such as mail.read)"));
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<sql::Db>> OpenDemandDb(const std::string& dir) {
  sql::Db::Options o;
  o.sync_full = false;  // demand is advisory: consistent, durable at
                        // checkpoints
  return sql::Db::Open(dir + "/" + kDemandFile, o);
}

discovery::Document ToDocument(store::Store::IndexEntry e) {
  discovery::Document d;
  d.id = e.name + "@" + e.version;
  d.name = std::move(e.name);
  d.version = std::move(e.version);
  d.summary = std::move(e.summary);
  d.intents = std::move(e.intents);
  d.params = std::move(e.params);
  d.stage = std::move(e.stage);
  d.effects = std::move(e.effects);
  d.signer = std::move(e.signer);
  return d;
}

Json ResultsJson(const discovery::SearchResponse& r,
                 const std::map<std::string, std::string>& summaries) {
  Json results = Json::array();
  for (const discovery::SearchResult& s : r.results) {
    Json matched = Json::array();
    for (const auto& [field, words] : s.matched) matched.push_back(field);
    auto summary = summaries.find(s.id);
    results.push_back(
        {{"name", s.name},
         {"version", s.version},
         {"score", Round4(s.score)},
         {"confidence", Round4(s.confidence)},
         {"matched", std::move(matched)},
         {"stage", s.stage},
         {"effects", s.effects},
         {"signer", s.signer},
         {"summary", summary == summaries.end() ? "" : summary->second}});
  }
  return {{"query", r.query},
          {"match", r.match},
          {"confidence", Round4(r.confidence)},
          {"results", std::move(results)}};
}

void PrintResult(size_t i, const discovery::SearchResult& s,
                 const std::map<std::string, std::string>& summaries) {
  std::cout << "  " << i + 1 << ". " << s.name << "@" << s.version
            << "  score " << Fixed(s.score, 2) << "  confidence "
            << Fixed(s.confidence, 2) << "  " << s.stage << "\n";
  auto summary = summaries.find(s.id);
  if (summary != summaries.end() && !summary->second.empty()) {
    std::cout << "     " << summary->second << "\n";
  }
  std::cout << "     effects: "
            << (s.effects.empty() ? std::string("none")
                                  : StrJoin(s.effects, ", "))
            << "   signer: " << (s.signer.empty() ? "-" : s.signer) << "\n";
  std::vector<std::string> fields;
  for (const auto& [field, words] : s.matched) {
    fields.push_back(StrCat(field, " (", StrJoin(words, ", "), ")"));
  }
  std::cout << "     matched: "
            << (fields.empty() ? std::string("-") : StrJoin(fields, "; "))
            << "\n";
}

int Search(const SearchFlags& f) {
  if (Status s = CheckEffects(f.effects); !s.ok()) return Fail(s);
  discovery::SearchQuery q;
  q.text = f.query;
  q.effects = f.effects;
  q.limit = f.limit;
  if (!f.stage.empty()) {
    auto stages = StagesFrom(f.stage);
    if (!stages.ok()) return Fail(stages.status());
    q.stages = std::move(*stages);
  }
  if (f.limit == 0 || f.limit > 100) {
    PrintError("--limit takes a number from 1 to 100");
    return kExitUsage;
  }

  auto st = OpenStore(f.store);
  if (!st.ok()) return Fail(st.status());
  auto entries = (*st)->IndexEntries();
  if (!entries.ok()) return Fail(entries.status());
  auto index = discovery::SearchIndex::Create();
  std::map<std::string, std::string> summaries;
  for (store::Store::IndexEntry& e : *entries) {
    discovery::Document d = ToDocument(std::move(e));
    summaries[d.id] = d.summary;
    if (Status s = index->Upsert(std::move(d)); !s.ok()) return Fail(s);
  }
  discovery::SearchResponse r = index->Search(q);

  // A request nothing fits is demand, whatever the filters were.
  bool recorded = false;
  if (!r.match) {
    SystemClock clock;
    auto db = OpenDemandDb((*st)->dir());
    if (!db.ok()) return Fail(db.status());
    auto log = discovery::DemandLog::Open(db->get(), &clock);
    if (!log.ok()) return Fail(log.status());
    if (Status s = (*log)->Record(r, kCaller); !s.ok()) return Fail(s);
    recorded = true;
  }

  if (f.json) {
    std::cout << PrettyJson(ResultsJson(r, summaries)) << "\n";
    return kExitOk;
  }
  if (r.match) {
    std::cout << r.results.size() << " workflow(s) for " << Quote(f.query)
              << "\n";
    for (size_t i = 0; i < r.results.size(); ++i) {
      PrintResult(i, r.results[i], summaries);
    }
    return kExitOk;
  }
  std::cout << "no workflow fits " << Quote(f.query) << " (best confidence "
            << Fixed(r.confidence, 3) << ", threshold "
            << Fixed(index->options().threshold, 3) << ")";
  if (!r.unmatched.empty()) {
    std::cout << "; not covered: " << StrJoin(r.unmatched, ", ");
  }
  std::cout << "\n";
  if (recorded) {
    std::cout << "recorded as demand (see `wfstore demand`)\n";
  }
  if (r.results.empty()) {
    std::cout << "no candidates\n";
    return kExitOk;
  }
  std::cout << "nearest candidates:\n";
  for (size_t i = 0; i < r.results.size(); ++i) {
    PrintResult(i, r.results[i], summaries);
  }
  return kExitOk;
}

int Demand(const SearchFlags& f) {
  auto dir = StoreDir(f.store);
  if (!dir.ok()) return Fail(dir.status());
  auto db = OpenDemandDb(*dir);
  if (!db.ok()) return Fail(db.status());
  SystemClock clock;
  auto log = discovery::DemandLog::Open(db->get(), &clock);
  if (!log.ok()) return Fail(log.status());
  auto unmet = (*log)->Unmet();
  if (!unmet.ok()) return Fail(unmet.status());
  if (f.json) {
    std::cout << PrettyJson(discovery::ToJson(*unmet)) << "\n";
    return kExitOk;
  }
  if (unmet->empty()) {
    std::cout << "no unmet requests recorded\n";
    return kExitOk;
  }
  std::cout << "unmet requests, newest first (count, callers, last asked):\n";
  for (const discovery::UnmetIntent& u : *unmet) {
    std::cout << "  " << std::setw(4) << u.count << "x  " << Quote(u.query)
              << "  " << u.callers << " caller(s), last "
              << FormatRfc3339(u.last_us) << "\n";
    if (u.examples.size() > 1) {
      std::vector<std::string> others;
      for (size_t i = 1; i < u.examples.size(); ++i) {
        others.push_back(Quote(u.examples[i]));
      }
      std::cout << "         also: " << StrJoin(others, ", ") << "\n";
    }
    if (!u.nearest.empty()) {
      std::cout << "         nearest: " << u.nearest << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

void AddSearchCommands(CLI::App& app, SearchFlags& f) {
  CLI::App* c = app.add_subcommand(
      "search",
      "Find the workflows that fit a request, ranked; says when none fits "
      "and records the request as demand");
  c->add_option("query", f.query, "What you want done, in plain words")
      ->required();
  c->add_option("--stage", f.stage,
                "Only workflows at this stage or a later one (draft, tested, "
                "hardened, reviewed, canary, stable)");
  c->add_option("--effects", f.effects,
                "Only workflows whose every effect is allowed by one of these: "
                "read-only, an effect class (read, create, update, delete, "
                "send, spend, exec) or a capability (mail.read)")
      ->delimiter(',');
  c->add_option("--limit", f.limit, "Results to show (1-100, default 5)");
  c->add_flag("--json", f.json, "Print one JSON object");
  c->add_option("--store", f.store,
                "Store directory (default $WFSTORE_HOME or ~/.wfstore)");
  c->footer(
      "Ranking: BM25F over name, summary, intents and parameters, with "
      "synonyms and typo tolerance, reranked by a confidence; below the "
      "threshold the answer is \"no workflow fits\" (docs/discovery.md).");
  f.search = c;

  c = app.add_subcommand(
      "demand", "List requests no workflow fitted, grouped and counted, "
                "newest first");
  c->add_flag("--json", f.json, "Print JSON");
  c->add_option("--store", f.store,
                "Store directory (default $WFSTORE_HOME or ~/.wfstore)");
  f.demand = c;
}

int RunSearchCommand(const SearchFlags& f) {
  if (f.search != nullptr && f.search->parsed()) return Search(f);
  if (f.demand != nullptr && f.demand->parsed()) return Demand(f);
  return -1;
}

}  // namespace wfs::cli
