#include "discovery/search_index.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "base/strings.h"

namespace wfs::discovery {
namespace {

constexpr size_t kMaxQueryTerms = 32;
constexpr size_t kMaxQueryBytes = 4096;  // analysed; the rest is ignored
constexpr size_t kMaxLimit = 100;
constexpr uint32_t kIntentEnd = UINT32_MAX;
constexpr size_t kNormTable = 256;

// Effect classes (docs/language.md), one bit each; anything else is kOther.
constexpr const char* kEffectClasses[] = {"read", "create", "update", "delete",
                                          "send", "spend",  "exec"};
constexpr uint32_t kOtherEffect = 1u << 7;

uint32_t EffectBit(std::string_view cls) {
  if (cls == "read-only") cls = "read";
  for (uint32_t i = 0; i < 7; ++i) {
    if (cls == kEffectClasses[i]) return 1u << i;
  }
  return kOtherEffect;
}

std::string_view EffectClass(std::string_view capability) {
  size_t dot = capability.rfind('.');
  return dot == std::string_view::npos ? capability
                                       : capability.substr(dot + 1);
}

// Semantic-version order for ties between versions of one name: numeric
// core parts, then a release before its pre-releases.
int CompareVersions(const std::string& a, const std::string& b) {
  auto split = [](const std::string& v) {
    size_t dash = v.find('-');
    std::string core = v.substr(0, dash);
    std::vector<int64_t> parts;
    for (const std::string& p : StrSplit(core, '.')) {
      int64_t n = 0;
      for (char c : p) {
        if (c < '0' || c > '9') break;
        n = n * 10 + (c - '0');
        if (n > (int64_t{1} << 40)) break;
      }
      parts.push_back(n);
    }
    return std::make_pair(
        parts, dash == std::string::npos ? std::string() : v.substr(dash + 1));
  };
  auto [pa, ra] = split(a);
  auto [pb, rb] = split(b);
  if (pa != pb) return pa < pb ? -1 : 1;
  if (ra == rb) return 0;
  if (ra.empty()) return 1;
  if (rb.empty()) return -1;
  return ra < rb ? -1 : 1;
}

uint64_t HashKey(std::string_view s) {
  return std::hash<std::string_view>()(s);
}

// Optimal string alignment distance, stopping early above 1.
bool WithinOneEdit(std::string_view a, std::string_view b) {
  if (a == b) return true;
  size_t n = a.size(), m = b.size();
  if (n > m + 1 || m > n + 1) return false;
  size_t i = 0;
  while (i < n && i < m && a[i] == b[i]) ++i;
  if (n == m) {
    if (a.substr(i + 1) == b.substr(i + 1)) return true;  // substitution
    return i + 1 < n && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           a.substr(i + 2) == b.substr(i + 2);  // transposition
  }
  if (n > m) return a.substr(i + 1) == b.substr(i);  // a has one more
  return a.substr(i) == b.substr(i + 1);
}

bool IsTransposition(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a == b) return false;
  size_t i = 0;
  while (a[i] == b[i]) ++i;
  return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] &&
         a.substr(i + 2) == b.substr(i + 2);
}

struct Posting {
  uint32_t doc;
  std::array<uint8_t, kNumFields> tf;
};

struct TermEntry {
  std::string text;
  std::vector<Posting> postings;
};

struct DocEntry {
  bool live = false;
  std::string id, name, version, stage, signer;
  std::vector<std::string> effects;
  uint32_t effect_mask = 0;
  std::vector<uint32_t> terms;       // sorted, unique
  std::vector<uint8_t> term_fields;  // field bit mask per terms[i]
  // Per intent (the name first) its distinct terms, then kIntentEnd.
  std::vector<uint32_t> intents;
  std::vector<uint32_t> ns_terms;  // terms of the name's namespace
};

constexpr uint32_t kReadEffect = 1u << 0;

// One way a query term can match: an indexed term and the share of the
// query term's weight it earns.
struct Variant {
  uint32_t term;
  float weight;
};

struct QueryTerm {
  std::string term;
  std::string surface;
  std::vector<Variant> variants;
  float info = 0;  // weight in the coverage
  bool quantifier = false;
  bool names_namespace = false;  // a variant is some namespace's term
  uint32_t action_mask = 0;  // effect classes the term asks for, as bits
};

// Buffers for scoring one query, sized to the document slots; every entry
// of acc and best is zero between queries.
struct Scratch {
  std::vector<float> acc;
  std::vector<float> best;
  std::vector<uint32_t> touched;
  std::vector<uint32_t> term_touched;
};

class Index final : public SearchIndex {
 public:
  explicit Index(const SearchOptions& options) : options_(options) {
    if (options_.analyzer == nullptr) options_.analyzer = &Analyzer::Default();
  }

  Status Upsert(Document doc) override;
  bool Remove(const std::string& id) override;
  SearchResponse Search(const SearchQuery& query) const override;
  size_t size() const override {
    auto lock = ReadLock();
    return live_;
  }
  IndexStats Stats() const override;
  const SearchOptions& options() const override { return options_; }

 private:
  // std::shared_mutex lets a steady stream of searches starve an update
  // (glibc prefers readers). Both sides pass through gate_ first, and a
  // writer keeps it while it waits, so searches that arrive after a waiting
  // update queue behind it.
  std::shared_lock<std::shared_mutex> ReadLock() const {
    std::lock_guard gate(gate_);
    return std::shared_lock(mu_);
  }
  std::unique_lock<std::shared_mutex> WriteLock() {
    std::lock_guard gate(gate_);
    return std::unique_lock(mu_);
  }
  // Scoring buffers are pooled per index (one per concurrent search).
  std::unique_ptr<Scratch> TakeScratch() const {
    std::lock_guard lock(scratch_mu_);
    if (scratch_.empty()) return std::make_unique<Scratch>();
    std::unique_ptr<Scratch> s = std::move(scratch_.back());
    scratch_.pop_back();
    return s;
  }
  void ReturnScratch(std::unique_ptr<Scratch> s) const {
    std::lock_guard lock(scratch_mu_);
    scratch_.push_back(std::move(s));
  }

  uint32_t TermId(const std::string& term);  // adds it when new
  void RemoveSlot(uint32_t slot);
  double Idf(size_t df) const {
    double n = static_cast<double>(live_);
    return std::log(1.0 + (n - static_cast<double>(df) + 0.5) /
                              (static_cast<double>(df) + 0.5));
  }
  size_t Df(uint32_t term) const { return terms_[term].postings.size(); }
  std::vector<uint32_t> TypoCandidates(const std::string& q) const;
  std::vector<QueryTerm> AnalyzeQuery(const std::string& text) const;
  bool Passes(const DocEntry& d, const SearchQuery& q,
              const std::vector<std::string>& stages, uint32_t class_mask,
              bool capability_filter) const;
  SearchResult Explain(uint32_t slot, double score,
                       const std::vector<QueryTerm>& qt,
                       std::vector<bool>* matched_terms) const;

  SearchOptions options_;
  mutable std::mutex gate_;
  mutable std::shared_mutex mu_;
  mutable std::mutex scratch_mu_;
  mutable std::vector<std::unique_ptr<Scratch>> scratch_;
  std::unordered_map<std::string, uint32_t> term_ids_;
  std::vector<TermEntry> terms_;
  // Hash of (term with one character deleted) -> term ids: the typo index.
  std::unordered_map<uint64_t, std::vector<uint32_t>> deletes_;
  std::vector<DocEntry> docs_;
  std::vector<std::array<uint16_t, kNumFields>> lens_;  // per slot
  std::vector<uint32_t> free_;
  std::unordered_map<std::string, uint32_t> slot_of_;
  // Namespace term -> live documents in a namespace with that term.
  std::unordered_map<uint32_t, uint32_t> ns_docs_;
  std::array<uint64_t, kNumFields> total_len_{};
  size_t live_ = 0;
  size_t postings_ = 0;
};

uint32_t Index::TermId(const std::string& term) {
  auto [it, inserted] =
      term_ids_.emplace(term, static_cast<uint32_t>(terms_.size()));
  if (!inserted) return it->second;
  terms_.push_back({term, {}});
  if (term.size() >= 3) {
    for (size_t i = 0; i < term.size(); ++i) {
      std::string d = term.substr(0, i) + term.substr(i + 1);
      std::vector<uint32_t>& ids = deletes_[HashKey(d)];
      if (ids.empty() || ids.back() != it->second) ids.push_back(it->second);
    }
  }
  return it->second;
}

Status Index::Upsert(Document doc) {
  if (doc.name.empty() || doc.version.empty()) {
    return InvalidArgument("discovery: a document needs a name and a version");
  }
  if (doc.id.empty()) doc.id = doc.name + "@" + doc.version;
  const Analyzer& an = *options_.analyzer;

  // Analysis happens outside the lock.
  std::vector<std::pair<std::string, int>> occurrences;  // term, field
  std::array<uint16_t, kNumFields> len{};
  auto add = [&](std::string_view text, int field) {
    std::vector<std::string> terms = an.Terms(text);
    for (std::string& t : terms) occurrences.emplace_back(std::move(t), field);
    len[field] = static_cast<uint16_t>(
        std::min<size_t>(65535, len[field] + terms.size()));
    return terms.size();
  };
  std::vector<std::vector<std::string>> intent_terms;
  intent_terms.push_back(an.Terms(doc.name));  // the name counts as one
  add(doc.name, kFieldName);
  add(doc.summary, kFieldSummary);
  for (const std::string& intent : doc.intents) {
    size_t before = occurrences.size();
    add(intent, kFieldIntents);
    std::vector<std::string> it;
    for (size_t i = before; i < occurrences.size(); ++i) {
      it.push_back(occurrences[i].first);
    }
    intent_terms.push_back(std::move(it));
  }
  for (const auto& [pname, pdoc] : doc.params) {
    add(pname, kFieldParamNames);
    add(pdoc, kFieldParamDocs);
  }

  auto lock = WriteLock();
  auto existing = slot_of_.find(doc.id);
  if (existing != slot_of_.end()) RemoveSlot(existing->second);
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(docs_.size());
    docs_.emplace_back();
    lens_.emplace_back();
  }
  DocEntry& d = docs_[slot];
  d.live = true;

  std::vector<std::pair<uint32_t, int>> ids;
  ids.reserve(occurrences.size());
  for (const auto& [term, field] : occurrences) {
    ids.emplace_back(TermId(term), field);
  }
  std::sort(ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size();) {
    Posting p{slot, {}};
    uint8_t mask = 0;
    size_t j = i;
    for (; j < ids.size() && ids[j].first == ids[i].first; ++j) {
      uint8_t& tf = p.tf[ids[j].second];
      if (tf < 255) ++tf;
      mask |= static_cast<uint8_t>(1u << ids[j].second);
    }
    terms_[ids[i].first].postings.push_back(p);
    ++postings_;
    d.terms.push_back(ids[i].first);
    d.term_fields.push_back(mask);
    i = j;
  }
  for (const auto& it : intent_terms) {
    std::vector<uint32_t> seen;
    for (const std::string& t : it) {
      uint32_t id = term_ids_.at(t);
      if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
      seen.push_back(id);
      d.intents.push_back(id);
    }
    d.intents.push_back(kIntentEnd);
  }
  for (const std::string& t :
       an.Terms(std::string_view(doc.name).substr(0, doc.name.find('.')))) {
    // Analysed alone, the namespace may give a term the whole name does not
    // ("address.book_x": the name says "address book", a phrase).
    auto it = term_ids_.find(t);
    if (it == term_ids_.end() ||
        !std::binary_search(d.terms.begin(), d.terms.end(), it->second)) {
      continue;
    }
    uint32_t id = it->second;
    if (std::find(d.ns_terms.begin(), d.ns_terms.end(), id) !=
        d.ns_terms.end()) {
      continue;
    }
    d.ns_terms.push_back(id);
    ++ns_docs_[id];
  }
  d.effect_mask = 0;
  for (const std::string& e : doc.effects) {
    d.effect_mask |= EffectBit(EffectClass(e));
  }
  d.id = std::move(doc.id);
  d.name = std::move(doc.name);
  d.version = std::move(doc.version);
  d.stage = std::move(doc.stage);
  d.signer = std::move(doc.signer);
  d.effects = std::move(doc.effects);
  lens_[slot] = len;
  for (int f = 0; f < kNumFields; ++f) total_len_[f] += len[f];
  slot_of_[d.id] = slot;
  ++live_;
  return Status::Ok();
}

void Index::RemoveSlot(uint32_t slot) {
  DocEntry& d = docs_[slot];
  for (uint32_t t : d.terms) {
    std::vector<Posting>& ps = terms_[t].postings;
    for (size_t i = 0; i < ps.size(); ++i) {
      if (ps[i].doc == slot) {
        ps[i] = ps.back();
        ps.pop_back();
        --postings_;
        break;
      }
    }
  }
  for (uint32_t t : d.ns_terms) {
    auto it = ns_docs_.find(t);
    if (it != ns_docs_.end() && --it->second == 0) ns_docs_.erase(it);
  }
  for (int f = 0; f < kNumFields; ++f) total_len_[f] -= lens_[slot][f];
  lens_[slot] = {};
  slot_of_.erase(d.id);
  d = DocEntry();
  free_.push_back(slot);
  --live_;
}

bool Index::Remove(const std::string& id) {
  auto lock = WriteLock();
  auto it = slot_of_.find(id);
  if (it == slot_of_.end()) return false;
  RemoveSlot(it->second);
  return true;
}

std::vector<uint32_t> Index::TypoCandidates(const std::string& q) const {
  std::vector<uint32_t> out;
  auto consider = [&](uint32_t id) {
    const std::string& t = terms_[id].text;
    if (Df(id) == 0 || t == q) return;
    bool ok = q.size() == 3 ? IsTransposition(q, t)
                            : t.size() >= 4 && WithinOneEdit(q, t);
    if (ok && std::find(out.begin(), out.end(), id) == out.end()) {
      out.push_back(id);
    }
  };
  auto lookup_deletes = [&](std::string_view key) {
    auto it = deletes_.find(HashKey(key));
    if (it == deletes_.end()) return;
    for (uint32_t id : it->second) consider(id);
  };
  lookup_deletes(q);  // the query lacks a character
  for (size_t i = 0; i < q.size(); ++i) {
    std::string d = q.substr(0, i) + q.substr(i + 1);
    auto it = term_ids_.find(d);  // the query has an extra character
    if (it != term_ids_.end()) consider(it->second);
    lookup_deletes(d);  // substitution or transposition
  }
  return out;
}

std::vector<QueryTerm> Index::AnalyzeQuery(const std::string& text) const {
  const Analyzer& an = *options_.analyzer;
  std::vector<QueryTerm> out;
  double idf1 = Idf(1);
  std::string_view head(text);
  for (Token& tok : an.Analyze(head.substr(0, kMaxQueryBytes))) {
    bool dup = false;
    for (const QueryTerm& q : out) dup = dup || q.term == tok.term;
    if (dup) continue;
    if (out.size() == kMaxQueryTerms) break;
    QueryTerm q;
    q.term = std::move(tok.term);
    q.surface = std::move(tok.surface);
    q.quantifier = an.IsQuantifier(q.term);
    auto add = [&](uint32_t id, float w) {
      if (Df(id) == 0) return;
      for (Variant& v : q.variants) {
        if (v.term == id) {
          v.weight = std::max(v.weight, w);
          return;
        }
      }
      q.variants.push_back({id, w});
    };
    auto add_with_synonyms = [&](const std::string& term, float w) {
      auto it = term_ids_.find(term);
      if (it != term_ids_.end()) add(it->second, w);
      for (const std::string& s : an.Synonyms(term)) {
        auto st = term_ids_.find(s);
        if (st != term_ids_.end()) add(st->second, w * options_.synonym_weight);
      }
    };
    add_with_synonyms(q.term, 1.0f);
    auto exact = term_ids_.find(q.term);
    bool known = exact != term_ids_.end() && Df(exact->second) > 0;
    auto action_mask = [&](const std::string& term) {
      uint32_t mask = 0;
      for (const std::string& c : an.ActionClasses(term)) mask |= EffectBit(c);
      return mask;
    };
    q.action_mask = action_mask(q.term);
    // A correctly spelled word is what it says, even when no document
    // holds it: "contract" must not become "contact".
    if (!known && q.term.size() >= 3 && !an.IsWord(q.term)) {
      for (uint32_t id : TypoCandidates(q.term)) {
        add_with_synonyms(terms_[id].text, options_.typo_weight);
        if (q.action_mask == 0) q.action_mask = action_mask(terms_[id].text);
      }
    }
    for (const Variant& v : q.variants) {
      q.names_namespace = q.names_namespace || ns_docs_.count(v.term) != 0;
    }
    if (q.variants.empty()) {
      q.info = options_.unknown_term_weight;
    } else {
      // The term's own document frequency, else that of its best variant.
      size_t df = known ? Df(exact->second) : 0;
      if (!known) {
        float best = -1;
        for (const Variant& v : q.variants) {
          if (v.weight > best) {
            best = v.weight;
            df = Df(v.term);
          }
        }
      }
      double info = idf1 > 0 ? Idf(df) / idf1 : 1.0;
      q.info = static_cast<float>(std::clamp(info, 0.05, 1.0));
    }
    out.push_back(std::move(q));
  }
  return out;
}

bool Index::Passes(const DocEntry& d, const SearchQuery& q,
                   const std::vector<std::string>& stages, uint32_t class_mask,
                   bool capability_filter) const {
  if (!stages.empty() &&
      std::find(stages.begin(), stages.end(), d.stage) == stages.end()) {
    return false;
  }
  if (q.effects.empty()) return true;
  if (!capability_filter) return (d.effect_mask & ~class_mask) == 0;
  for (const std::string& e : d.effects) {
    bool allowed = false;
    for (const std::string& a : q.effects) {
      if (a == e || (a.find('.') == std::string::npos &&
                     EffectBit(a) == EffectBit(EffectClass(e)))) {
        allowed = true;
        break;
      }
    }
    if (!allowed) return false;
  }
  return true;
}

SearchResult Index::Explain(uint32_t slot, double score,
                            const std::vector<QueryTerm>& qt,
                            std::vector<bool>* matched_terms) const {
  const DocEntry& d = docs_[slot];
  SearchResult r;
  r.id = d.id;
  r.name = d.name;
  r.version = d.version;
  r.score = score;
  r.stage = d.stage;
  r.effects = d.effects;
  r.signer = d.signer;

  // Query coverage: each query term's best match in the document.
  double covered = 0, total = 0;
  int unknown = 0;
  bool missing_quantifier = false;
  // The largest weight of a query term that names another namespace
  // (SearchOptions::namespace_penalty).
  double conflict = 0;
  // The query's first action verb asks for effect classes the document
  // cannot have.
  bool missing_effect = false;
  for (const QueryTerm& q : qt) {
    if (q.action_mask == 0) continue;
    missing_effect = (q.action_mask & d.effect_mask) == 0;
    break;
  }
  std::array<std::vector<std::string>, kNumFields> fields;
  matched_terms->assign(qt.size(), false);
  for (size_t i = 0; i < qt.size(); ++i) {
    float best = 0;
    uint8_t mask = 0;
    for (const Variant& v : qt[i].variants) {
      auto it = std::lower_bound(d.terms.begin(), d.terms.end(), v.term);
      if (it == d.terms.end() || *it != v.term) continue;
      best = std::max(best, v.weight);
      mask |= d.term_fields[it - d.terms.begin()];
    }
    if (qt[i].variants.empty()) {
      ++unknown;
    } else {
      total += qt[i].info;
      covered += qt[i].info * best;
    }
    if (best > 0) (*matched_terms)[i] = true;
    if (qt[i].quantifier && best == 0) missing_quantifier = true;
    if (best == 0 && qt[i].names_namespace) {
      conflict = std::max(conflict, static_cast<double>(qt[i].info));
    }
    for (int f = 0; f < kNumFields; ++f) {
      if (mask & (1u << f)) fields[f].push_back(qt[i].surface);
    }
  }
  total += std::min<double>(unknown * options_.unknown_term_weight,
                            options_.unknown_terms_cap);
  double query_cov = total > 0 ? covered / total : 0;

  // Intent coverage: the share of one intent (or of the name) the query
  // says, each query term standing for at most one intent term.
  double idf1 = Idf(1);
  double intent_cov = 0;
  std::vector<bool> used(qt.size());
  double got = 0, want = 0;
  for (uint32_t t : d.intents) {
    if (t == kIntentEnd) {
      if (want > 0) intent_cov = std::max(intent_cov, got / want);
      got = want = 0;
      std::fill(used.begin(), used.end(), false);
      continue;
    }
    double w = idf1 > 0 ? std::clamp(Idf(Df(t)) / idf1, 0.05, 1.0) : 1.0;
    if (options_.intent_idf_power != 1.0f) {
      w = std::pow(w, static_cast<double>(options_.intent_idf_power));
    }
    want += w;
    float best = 0;
    size_t best_i = qt.size();
    for (size_t i = 0; i < qt.size(); ++i) {
      if (used[i]) continue;
      for (const Variant& v : qt[i].variants) {
        if (v.term == t && v.weight > best) {
          best = v.weight;
          best_i = i;
        }
      }
    }
    if (best_i < qt.size()) {
      used[best_i] = true;
      got += w * best;
    }
  }

  double a = options_.coverage_share;
  double conf = a * query_cov + (1 - a) * intent_cov;

  // "All" matters to a workflow that changes things; a search that finds
  // all matches is what was asked.
  if (missing_quantifier && (d.effect_mask & ~kReadEffect) != 0) {
    conf *= options_.quantifier_penalty;
  }
  if (missing_effect) conf *= options_.effect_penalty;
  if (conflict > 0 && intent_cov < 1) {
    conf *= 1 - (1 - options_.namespace_penalty) * conflict;
  }
  r.confidence = std::clamp(conf, 0.0, 1.0);
  for (int f = 0; f < kNumFields; ++f) {
    if (!fields[f].empty()) r.matched.emplace_back(FieldName(f), fields[f]);
  }
  return r;
}

SearchResponse Index::Search(const SearchQuery& query) const {
  SearchResponse resp;
  resp.query = query.text;
  size_t limit = std::min(query.limit, kMaxLimit);
  if (limit == 0) return resp;

  auto lock = ReadLock();
  if (live_ == 0) return resp;
  std::vector<QueryTerm> qt = AnalyzeQuery(query.text);
  if (qt.empty()) return resp;

  std::unique_ptr<Scratch> scratch = TakeScratch();
  Scratch& s = *scratch;
  if (s.acc.size() < docs_.size()) {
    s.acc.resize(docs_.size(), 0.0f);
    s.best.resize(docs_.size(), 0.0f);
  }
  s.touched.clear();

  // Field weight over length normalization, w / (1 - b + b * len / avglen),
  // tabulated for this query's averages so the posting loop does not divide
  // (fields of kNormTable words or more are computed directly).
  std::array<float, kNumFields> one_minus_b, b_over_avg, w;
  std::array<std::array<float, kNormTable>, kNumFields> norm;
  for (int f = 0; f < kNumFields; ++f) {
    double avg = static_cast<double>(total_len_[f]) / live_;
    float b = options_.field_b[f];
    one_minus_b[f] = 1 - b;
    b_over_avg[f] = avg > 0 ? static_cast<float>(b / avg) : 0.0f;
    w[f] = options_.field_weight[f];
    for (size_t l = 0; l < kNormTable; ++l) {
      norm[f][l] = w[f] / (one_minus_b[f] + b_over_avg[f] * l);
    }
  }
  const float k1 = options_.k1;

  for (const QueryTerm& q : qt) {
    s.term_touched.clear();
    for (const Variant& v : q.variants) {
      const float coef =
          v.weight * static_cast<float>(Idf(Df(v.term))) * (k1 + 1);
      for (const Posting& p : terms_[v.term].postings) {
        const std::array<uint16_t, kNumFields>& len = lens_[p.doc];
        float tf = 0;
        for (int f = 0; f < kNumFields; ++f) {
          float n = len[f] < kNormTable
                        ? norm[f][len[f]]
                        : w[f] / (one_minus_b[f] + b_over_avg[f] * len[f]);
          tf += static_cast<float>(p.tf[f]) * n;
        }
        float sc = coef * tf / (k1 + tf);
        if (!(sc > 0)) continue;
        float& best = s.best[p.doc];
        if (best == 0) s.term_touched.push_back(p.doc);
        if (sc > best) best = sc;
      }
    }
    for (uint32_t doc : s.term_touched) {
      if (s.acc[doc] == 0) s.touched.push_back(doc);
      s.acc[doc] += s.best[doc];
      s.best[doc] = 0;
    }
  }

  // Filter, then rank by score (ties: name, then the higher version).
  uint32_t class_mask = 0;
  bool capability_filter = false;
  for (const std::string& e : query.effects) {
    if (e.find('.') != std::string::npos) capability_filter = true;
    class_mask |= EffectBit(e);
  }
  std::vector<std::pair<float, uint32_t>> cand;
  cand.reserve(s.touched.size());
  for (uint32_t doc : s.touched) {
    float sc = s.acc[doc];
    s.acc[doc] = 0;
    if (Passes(docs_[doc], query, query.stages, class_mask,
               capability_filter)) {
      cand.emplace_back(sc, doc);
    }
  }
  ReturnScratch(std::move(scratch));
  auto better = [&](const std::pair<float, uint32_t>& a,
                    const std::pair<float, uint32_t>& b) {
    if (a.first != b.first) return a.first > b.first;
    const DocEntry& da = docs_[a.second];
    const DocEntry& db = docs_[b.second];
    if (da.name != db.name) return da.name < db.name;
    int c = CompareVersions(da.version, db.version);
    if (c != 0) return c > 0;
    return da.id < db.id;
  };
  const size_t depth = std::min(options_.rerank_depth, kMaxLimit);
  size_t want = std::max(limit, depth);
  std::vector<SearchResult> results;
  std::vector<std::vector<bool>> matched;  // per result, per query term
  std::vector<std::string> names;
  size_t sorted = 0;
  size_t next = 0;
  while (results.size() < want && next < cand.size()) {
    if (next == sorted) {
      // Sort the next stretch only: most queries need a handful.
      size_t upto = std::min(cand.size(), std::max<size_t>(sorted * 4, 64));
      std::partial_sort(cand.begin() + static_cast<std::ptrdiff_t>(sorted),
                        cand.begin() + static_cast<std::ptrdiff_t>(upto),
                        cand.end(), better);
      sorted = upto;
    }
    const auto& [sc, doc] = cand[next++];
    const DocEntry& d = docs_[doc];
    if (query.one_per_name) {
      if (std::find(names.begin(), names.end(), d.name) != names.end()) {
        continue;
      }
      names.push_back(d.name);
    }
    matched.emplace_back();
    results.push_back(Explain(doc, sc, qt, &matched.back()));
  }
  if (results.empty()) return resp;

  // Rerank the first candidates by confidence and relative score.
  const double top = results.front().score;
  std::vector<size_t> order(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    SearchResult& r = results[i];
    r.rank = r.confidence +
             options_.rank_score_share * (top > 0 ? r.score / top : 0.0);
    order[i] = i;
  }
  const size_t reranked = std::min(depth, results.size());
  std::stable_sort(
      order.begin(), order.begin() + static_cast<std::ptrdiff_t>(reranked),
      [&](size_t a, size_t b) { return results[a].rank > results[b].rank; });
  order.resize(std::min(order.size(), limit));
  const std::vector<bool>& first_matched = matched[order.front()];
  for (size_t i : order) resp.results.push_back(std::move(results[i]));
  resp.confidence = resp.results.front().confidence;
  resp.match = resp.confidence >= options_.threshold;
  for (size_t i = 0; i < qt.size(); ++i) {
    if (!first_matched[i]) resp.unmatched.push_back(qt[i].surface);
  }
  return resp;
}

IndexStats Index::Stats() const {
  auto lock = ReadLock();
  IndexStats st;
  st.documents = live_;
  st.postings = postings_;
  size_t bytes = 0;
  for (const TermEntry& t : terms_) {
    if (!t.postings.empty()) ++st.terms;
    bytes += sizeof(TermEntry) + t.text.capacity() +
             t.postings.capacity() * sizeof(Posting);
  }
  // Hash tables: buckets plus nodes (key, value, next pointer).
  bytes += term_ids_.bucket_count() * sizeof(void*) +
           term_ids_.size() * (sizeof(std::string) + 2 * sizeof(void*) + 8);
  bytes += deletes_.bucket_count() * sizeof(void*);
  for (const auto& [k, v] : deletes_) {
    bytes += sizeof(k) + sizeof(v) + 2 * sizeof(void*) +
             v.capacity() * sizeof(uint32_t);
  }
  for (const DocEntry& d : docs_) {
    bytes += sizeof(DocEntry) + d.id.capacity() + d.name.capacity() +
             d.version.capacity() + d.stage.capacity() + d.signer.capacity() +
             d.terms.capacity() * 4 + d.term_fields.capacity() +
             d.intents.capacity() * 4;
    for (const std::string& e : d.effects) {
      bytes += sizeof(std::string) + e.capacity();
    }
  }
  bytes += lens_.capacity() * sizeof(lens_[0]);
  bytes += slot_of_.bucket_count() * sizeof(void*) +
           slot_of_.size() * (sizeof(std::string) + 2 * sizeof(void*) + 8);
  st.bytes = bytes;
  return st;
}

}  // namespace

const char* FieldName(int field) {
  static const char* kNames[kNumFields] = {"name", "summary", "intents",
                                           "params", "param_docs"};
  return field >= 0 && field < kNumFields ? kNames[field] : "";
}

std::unique_ptr<SearchIndex> SearchIndex::Create(const SearchOptions& options) {
  return std::make_unique<Index>(options);
}

Result<Document> DocumentFromIr(const Json& ir) {
  if (!ir.is_object()) return InvalidArgument("discovery: IR is not an object");
  auto str = [&](const Json& j, const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  Document d;
  d.name = str(ir, "name");
  d.version = str(ir, "version");
  if (d.name.empty() || d.version.empty()) {
    return InvalidArgument("discovery: IR without a name or a version");
  }
  d.id = d.name + "@" + d.version;
  d.summary = str(ir, "summary");
  for (const Json& i : JsonArrayMember(ir, "intents")) {
    if (i.is_string()) d.intents.push_back(i.get<std::string>());
  }
  for (const char* key : {"inputs", "outputs"}) {
    for (const Json& p : JsonArrayMember(ir, key)) {
      if (!p.is_object()) continue;
      d.params.emplace_back(str(p, "name"), str(p, "doc"));
    }
  }
  for (const Json& u : JsonArrayMember(ir, "uses")) {
    if (u.is_string()) d.effects.push_back(u.get<std::string>());
  }
  return d;
}

Json ToJson(const SearchResponse& r) {
  Json j = Json::object();
  j["query"] = r.query;
  j["match"] = r.match;
  auto round4 = [](double v) { return std::round(v * 10000.0) / 10000.0; };
  j["confidence"] = round4(r.confidence);
  j["unmatched"] = r.unmatched;
  Json results = Json::array();
  for (const SearchResult& s : r.results) {
    Json o = Json::object();
    o["id"] = s.id;
    o["name"] = s.name;
    o["version"] = s.version;
    o["score"] = round4(s.score);
    o["confidence"] = round4(s.confidence);
    o["rank"] = round4(s.rank);
    Json m = Json::object();
    for (const auto& [field, words] : s.matched) m[field] = words;
    o["matched"] = std::move(m);
    o["stage"] = s.stage;
    o["effects"] = s.effects;
    o["signer"] = s.signer;
    results.push_back(std::move(o));
  }
  j["results"] = std::move(results);
  return j;
}

}  // namespace wfs::discovery
