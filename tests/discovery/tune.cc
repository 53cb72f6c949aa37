// Chooses SearchOptions' ranking and confidence parameters on the tune split
// of queries.json by coordinate descent, and the threshold by a sweep over
// the confidences (docs/discovery.md). Prints the chosen values and the
// figures on both splits; the holdout split is never used to choose.
//
// Objective: answered rate (right first result with match) + no-match recall
// (none queries refused), i.e. balanced over the two kinds of query.
// Usage: discovery_tune [ROUNDS]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "tests/discovery/catalog_util.h"

using namespace wfs::discovery;
using namespace wfs::discovery::testing;

namespace {

struct Data {
  std::vector<Document> docs;
  std::vector<LabelledQuery> queries;
};

struct Outcome {
  double confidence;
  bool none;   // labelled none
  bool right;  // first result is the wanted workflow
};

std::vector<Outcome> Run(const Data& data, const SearchOptions& o,
                         const std::string& split) {
  auto index = SearchIndex::Create(o);
  for (const Document& d : data.docs) index->Upsert(d).IgnoreError();
  std::vector<Outcome> out;
  for (const LabelledQuery& q : data.queries) {
    if (q.split != split) continue;
    SearchQuery sq;
    sq.text = q.q;
    sq.limit = 1;
    SearchResponse r = index->Search(sq);
    out.push_back({r.confidence, q.want == "none",
                   !r.results.empty() && r.results[0].name == q.want});
  }
  return out;
}

double Objective(const std::vector<Outcome>& v, double threshold) {
  int pos = 0, neg = 0, answered = 0, refused = 0;
  for (const Outcome& o : v) {
    bool match = o.confidence >= threshold;
    if (o.none) {
      ++neg;
      refused += !match;
    } else {
      ++pos;
      answered += match && o.right;
    }
  }
  return double(answered) / std::max(pos, 1) +
         double(refused) / std::max(neg, 1);
}

// The best threshold: the middle of the widest best-scoring gap between
// consecutive confidences.
std::pair<double, double> BestThreshold(const std::vector<Outcome>& v) {
  std::vector<double> c;
  for (const Outcome& o : v) c.push_back(o.confidence);
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  double best = -1, best_t = 0.5, best_gap = -1;
  for (size_t i = 0; i + 1 < c.size(); ++i) {
    double t = (c[i] + c[i + 1]) / 2;
    double obj = Objective(v, t);
    double gap = c[i + 1] - c[i];
    if (obj > best + 1e-9 || (obj > best - 1e-9 && gap > best_gap)) {
      best = obj;
      best_t = t;
      best_gap = gap;
    }
  }
  return {best, best_t};
}

struct Knob {
  const char* name;
  std::function<float&(SearchOptions&)> ref;
  std::vector<float> values;
};

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 3;
  auto docs = LoadCatalog();
  auto queries = LoadQueries();
  if (!docs.ok() || !queries.ok()) {
    std::fprintf(stderr, "cannot load the catalog or the queries\n");
    return 1;
  }
  const Data data{*docs, *queries};

  std::vector<Knob> knobs = {
      {"field_weight[name]",
       [](SearchOptions& o) -> float& { return o.field_weight[kFieldName]; },
       {1, 2, 3, 4, 6}},
      {"field_weight[summary]",
       [](SearchOptions& o) -> float& { return o.field_weight[kFieldSummary]; },
       {0.5, 1, 1.5, 2}},
      {"field_weight[intents]",
       [](SearchOptions& o) -> float& { return o.field_weight[kFieldIntents]; },
       {1, 2, 3, 4}},
      {"field_weight[params]",
       [](SearchOptions& o) -> float& {
         return o.field_weight[kFieldParamNames];
       },
       {0, 0.25, 0.5, 1}},
      {"field_weight[param_docs]",
       [](SearchOptions& o) -> float& {
         return o.field_weight[kFieldParamDocs];
       },
       {0, 0.25, 0.5, 1}},
      {"k1",
       [](SearchOptions& o) -> float& { return o.k1; },
       {0.8, 1.2, 1.6, 2.0}},
      {"synonym_weight",
       [](SearchOptions& o) -> float& { return o.synonym_weight; },
       {0.4, 0.5, 0.6, 0.7, 0.8, 0.9}},
      {"typo_weight",
       [](SearchOptions& o) -> float& { return o.typo_weight; },
       {0.5, 0.6, 0.7, 0.8, 0.9}},
      {"unknown_term_weight",
       [](SearchOptions& o) -> float& { return o.unknown_term_weight; },
       {0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0}},
      {"unknown_terms_cap",
       [](SearchOptions& o) -> float& { return o.unknown_terms_cap; },
       {0.5, 0.75, 1, 1.5, 2, 100}},
      {"intent_idf_power",
       [](SearchOptions& o) -> float& { return o.intent_idf_power; },
       {0, 0.5, 1}},
      {"coverage_share",
       [](SearchOptions& o) -> float& { return o.coverage_share; },
       {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8}},
      {"quantifier_penalty",
       [](SearchOptions& o) -> float& { return o.quantifier_penalty; },
       {0.3, 0.5, 0.7, 1.0}},
      {"effect_penalty",
       [](SearchOptions& o) -> float& { return o.effect_penalty; },
       {0.3, 0.5, 0.7, 0.85, 1.0}},
      {"namespace_penalty",
       [](SearchOptions& o) -> float& { return o.namespace_penalty; },
       {0.5, 0.6, 0.7, 0.8, 0.9, 1.0}},
      {"rank_score_share",
       [](SearchOptions& o) -> float& { return o.rank_score_share; },
       {0, 0.25, 0.5, 1, 2, 100}},
  };

  SearchOptions best;
  auto [best_obj, best_t] = BestThreshold(Run(data, best, "tune"));
  std::printf("defaults: objective %.4f at threshold %.3f\n", best_obj, best_t);
  for (int r = 0; r < rounds; ++r) {
    bool changed = false;
    for (Knob& k : knobs) {
      for (float v : k.values) {
        SearchOptions o = best;
        k.ref(o) = v;
        auto [obj, t] = BestThreshold(Run(data, o, "tune"));
        // A change must win at least one query, not a rounding error.
        if (obj > best_obj + 0.005) {
          best = o;
          best_obj = obj;
          best_t = t;
          changed = true;
          std::printf("round %d: %s = %g -> objective %.4f at threshold %.3f\n",
                      r + 1, k.name, v, obj, t);
        }
      }
    }
    if (!changed) break;
  }
  std::printf("\nchosen:\n");
  for (Knob& k : knobs) std::printf("  %s = %g\n", k.name, k.ref(best));
  std::printf("  threshold = %.3f\n", best_t);
  best.threshold = static_cast<float>(best_t);
  auto index = SearchIndex::Create(best);
  for (const Document& d : data.docs) index->Upsert(d).IgnoreError();
  std::printf("tune    %s\n",
              Format(Evaluate(*index, data.queries, "tune")).c_str());
  std::printf("holdout %s\n",
              Format(Evaluate(*index, data.queries, "holdout")).c_str());
  std::printf("all     %s\n",
              Format(Evaluate(*index, data.queries, "")).c_str());
  return 0;
}
