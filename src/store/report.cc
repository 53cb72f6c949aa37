// The rigor report and what search indexes (docs/store.md, "Report").
#include <set>

#include "base/strings.h"
#include "store/internal.h"
#include "store/store.h"

namespace wfs::store {

using internal::StrMember;

namespace {

const char* EffectVerb(const std::string& effect) {
  if (effect == "read") return "read";
  if (effect == "create") return "create";
  if (effect == "update") return "change";
  if (effect == "delete") return "delete";
  if (effect == "send") return "send";
  if (effect == "spend") return "spend (make payments)";
  if (effect == "exec") return "run commands";
  return "act";
}

// "mail.delete" -> {"mail", "delete"}; "delete" -> {"", "delete"}.
std::pair<std::string, std::string> SplitCap(const std::string& cap) {
  size_t dot = cap.find('.');
  if (dot == std::string::npos) return {"", cap};
  return {cap.substr(0, dot), cap.substr(dot + 1)};
}

std::string Times(int64_t n) {
  return n == 1 ? "once" : StrCat(n, " times");
}

// Budgets in plain words, one line per capability.
Json Budgets(const Json& ir) {
  Json out = Json::array();
  const Json& limits = JsonObjectMember(ir, "limits");
  const Json& bounds = JsonObjectMember(ir, "bounds");
  for (const Json& c : JsonArrayMember(ir, "uses")) {
    if (!c.is_string()) continue;
    std::string cap = c.get<std::string>();
    auto [conn, effect] = SplitCap(cap);
    std::string line;
    int64_t bound = -1;
    if (auto b = bounds.find(cap); b != bounds.end() && b->is_number()) {
      bound = b->get<int64_t>();
    }
    int64_t limit = -1;
    if (auto l = limits.find(cap); l != limits.end() && l->is_number()) {
      limit = l->get<int64_t>();
    } else if (auto l2 = limits.find(effect);
               l2 != limits.end() && l2->is_number()) {
      limit = l2->get<int64_t>();
    }
    if (effect == "read") {
      line = StrCat("reads from ", conn,
                    bound >= 0 ? StrCat(" at most ", Times(bound), " per run")
                               : std::string());
    } else if (limit >= 0) {
      line = StrCat("may ", EffectVerb(effect), " in ", conn, " at most ",
                    Times(limit), " per run (enforced at run time",
                    bound >= 0 ? StrCat("; the checker proved at most ", bound)
                               : std::string(),
                    ")");
    } else {
      line = StrCat("may ", EffectVerb(effect), " in ", conn);
    }
    out.push_back({{"capability", cap},
                   {"limit", limit >= 0 ? Json(limit) : Json()},
                   {"bound", bound >= 0 ? Json(bound) : Json()},
                   {"text", line}});
  }
  return out;
}

Json Scopes(const Json& ir) {
  Json out = Json::array();
  for (const Json& s : JsonArrayMember(ir, "scopes")) {
    std::string name =
        StrCat(StrMember(s, "connector"), ".", StrMember(s, "scope"));
    std::vector<std::string> parts;
    for (const Json& v : JsonArrayMember(s, "values")) {
      if (v.is_string()) parts.push_back(Quote(v.get<std::string>()));
    }
    for (const Json& i : JsonArrayMember(s, "inputs")) {
      if (i.is_string()) {
        parts.push_back(StrCat("the input `", i.get<std::string>(), "`"));
      }
    }
    std::string kind = StrMember(s, "kind");
    std::string how = kind == "path"     ? "paths under "
                      : kind == "domain" ? "addresses in "
                                         : "exactly ";
    std::string text =
        parts.empty()
            ? StrCat(name, ": nothing is allowed (no value given)")
            : StrCat(name, " limited to ", how, StrJoin(parts, " or "));
    out.push_back({{"scope", name}, {"kind", kind}, {"text", text}});
  }
  return out;
}

}  // namespace

Result<Json> Store::Report(const std::string& name,
                           const std::string& version) {
  PackageInfo info;
  if (version.empty()) {
    WFS_ASSIGN_OR_RETURN(info, Latest(name));
  } else {
    WFS_ASSIGN_OR_RETURN(info, Get(name, version));
  }
  std::lock_guard lock(mu_);
  std::string ref = info.name + "@" + info.version;
  Json r = {{"name", info.name},
            {"version", info.version},
            {"package", info.package_id},
            {"content_id", info.content_id},
            {"publisher", info.signer},
            {"published", FormatRfc3339(info.published_us)},
            {"stage", info.stage},
            {"yanked", info.yanked},
            {"summary", info.summary}};
  if (info.yanked) r["yank_reason"] = info.yank_reason;
  if (!info.deprecated.empty()) {
    r["deprecated"] = {{"message", info.deprecated},
                       {"successor", info.successor}};
  }

  // Verification comes first: nothing else in a report of a package that
  // fails it can be trusted.
  auto sp = LoadLocked(info.name, info.version);
  r["verified"] = sp.ok();
  if (!sp.ok()) r["verification_error"] = sp.status().message();

  WFS_ASSIGN_OR_RETURN(std::vector<Attestation> atts,
                       AttestationsLocked(info.name, info.version));
  Json stages = Json::array();
  int reached = StageIndex(info.stage);
  for (int i = 0; i < static_cast<int>(std::size(kStages)); ++i) {
    Json s = {{"stage", kStages[i]}, {"reached", i <= reached}};
    if (i == 0) {
      s["at"] = FormatRfc3339(info.published_us);
      s["by"] = info.signer;
      s["evidence"] = {{"signature", "minisign over the package bytes"}};
    }
    for (const Attestation& a : atts) {
      if (a.kind == "promotion" && a.stage == kStages[i]) {
        s["at"] = FormatRfc3339(a.created_us);
        s["by"] = a.signer;
        s["verified"] = a.verified;
        s["evidence"] = JsonObjectMember(a.predicate, "gate");
      }
    }
    stages.push_back(std::move(s));
  }
  r["stages"] = stages;

  Json reviews = Json::array();
  Json evidence = Json::array();
  Json demotions = Json::array();
  for (const Attestation& a : atts) {
    if (a.kind == "demotion") {
      demotions.push_back({{"by", a.signer},
                           {"at", FormatRfc3339(a.created_us)},
                           {"from", StrMember(a.predicate, "from")},
                           {"stage", a.stage},
                           {"reason", StrMember(a.predicate, "reason")},
                           {"details", JsonObjectMember(a.predicate, "details")},
                           {"verified", a.verified}});
    } else if (a.kind == "review") {
      reviews.push_back({{"by", a.signer},
                         {"at", FormatRfc3339(a.created_us)},
                         {"verdict", StrMember(a.predicate, "verdict")},
                         {"comment", StrMember(a.predicate, "comment")},
                         {"verified", a.verified}});
    } else if (a.kind == "evidence") {
      Json p = a.predicate;
      evidence.push_back({{"by", a.signer},
                          {"at", FormatRfc3339(a.created_us)},
                          {"type", a.predicate_type},
                          {"passed", p.value("passed", false)},
                          {"verified", a.verified},
                          {"predicate", p}});
    }
  }
  r["reviews"] = reviews;
  r["required_reviews"] = options_.required_reviews;
  r["evidence"] = evidence;
  r["demotions"] = demotions;

  Json warnings = Json::array();
  if (sp.ok()) {
    const Json& ir = sp->package.ir;
    r["effects"] = {{"uses", JsonArrayMember(ir, "uses")},
                    {"budgets", Budgets(ir)},
                    {"scopes", Scopes(ir)}};
    Json inputs = Json::array();
    for (const Json& in : JsonArrayMember(ir, "inputs")) {
      inputs.push_back({{"name", StrMember(in, "name")},
                        {"doc", StrMember(in, "doc")}});
    }
    r["inputs"] = inputs;
    const Json& flow = JsonObjectMember(ir, "flow");
    std::vector<std::string> target_inputs;
    for (const Json& i : JsonArrayMember(flow, "target_inputs")) {
      if (i.is_number_integer()) {
        const Json& ins = JsonArrayMember(ir, "inputs");
        size_t k = i.get<size_t>();
        if (k < ins.size()) target_inputs.push_back(StrMember(ins[k], "name"));
      }
    }
    r["agent_chosen_targets"] = target_inputs;
    // Interfaces as pinned, and whether they still match today's.
    Json itfs = Json::array();
    for (const Json& itf : sp->package.interfaces) {
      std::string n = StrMember(itf, "name");
      const lang::ConnectorInfo* c = compiler_->interfaces().Find(n);
      bool current = c && c->digest == StrMember(itf, "digest");
      itfs.push_back({{"name", n},
                      {"version", StrMember(itf, "version")},
                      {"digest", StrMember(itf, "digest")},
                      {"current", current}});
      if (!current) {
        warnings.push_back(StrCat("the ", n,
                                  " interface changed since publishing"));
      }
    }
    r["interfaces"] = itfs;
    // The checker's warnings, from the stored source.
    std::vector<lang::CompiledFile> out = compiler_->Check(
        {{sp->package.source_path, sp->package.source_text}});
    for (const lang::Diagnostic& d : out.front().diagnostics) {
      if (d.severity != lang::Severity::kError) {
        warnings.push_back(StrCat(d.path, ":", d.span.line, ":",
                                  d.span.col, ": ", d.code, " ",
                                  d.message));
      }
    }
  }
  Json deps = Json::array();
  for (const Dependency& d : info.deps) {
    auto di = GetLocked(d.name, d.version);
    Json j = {{"name", d.name}, {"version", d.version}, {"package", d.package}};
    if (di.ok()) {
      j["stage"] = di->stage;
      j["yanked"] = di->yanked;
      j["flags"] = di->flags;
    } else {
      j["missing"] = true;
    }
    deps.push_back(std::move(j));
  }
  r["dependencies"] = deps;
  WFS_ASSIGN_OR_RETURN(std::vector<PackageInfo> dependents,
                       DependentsLocked(info.name, info.version));
  Json dj = Json::array();
  for (const PackageInfo& d : dependents) {
    dj.push_back(d.name + "@" + d.version);
  }
  r["dependents"] = dj;
  if (!info.deprecated.empty()) {
    warnings.push_back(StrCat("deprecated: ", info.deprecated,
                              info.successor.empty()
                                  ? std::string()
                                  : StrCat(" (use ", info.successor, ")")));
  }
  r["warnings"] = warnings;
  r["flags"] = info.flags;

  // The grade: what was proven, in one line.
  int reviews_ok = 0;
  for (const Json& rv : reviews) {
    if (rv["verified"].get<bool>() && rv["by"] != info.signer) ++reviews_ok;
  }
  std::string grade, line;
  if (!sp.ok()) {
    grade = "F";
    line = "fails verification: do not run it";
  } else if (info.yanked) {
    grade = "F";
    line = StrCat("yanked: ", info.yank_reason);
  } else if (!info.flags.empty()) {
    grade = "F";
    line = StrCat("open problems: ", info.flags.front());
  } else {
    static const char* kGrades[] = {"D", "C", "B", "A-", "A", "A+"};
    static const char* kLines[] = {
        "draft: checked and signed, never tested by the store",
        "tested: its tests and properties pass; not yet attacked",
        "hardened: tested and survived adversarial evaluation, not reviewed",
        "reviewed: tested, hardened and approved by independent reviewers",
        "canary: reviewed and rolling out to a few callers",
        "stable: went through every gate and a clean canary"};
    grade = kGrades[reached];
    line = kLines[reached];
    if (reached < StageIndex("reviewed")) {
      line += StrCat(" (", reviews_ok, " of ", options_.required_reviews,
                     " reviews)");
    }
  }
  r["grade"] = grade;
  r["grade_line"] = StrCat(grade, " — ", ref, " ", line);
  return r;
}

Result<std::vector<Store::IndexEntry>> Store::IndexEntries() {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("SELECT name, version, stage, bytes, signer FROM packages WHERE "
                  "yanked = 0 ORDER BY name, version"));
  sql::ScopedReset st_reset(st);
  std::vector<IndexEntry> out;
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    auto doc = ParseJson(st->Text(3), JsonLimits{64u << 20, 256});
    if (!doc.ok()) continue;  // a damaged row; Load reports it when used
    const Json& ir = JsonObjectMember(*doc, "ir");
    IndexEntry e;
    e.name = st->Text(0);
    e.version = st->Text(1);
    e.stage = st->Text(2);
    e.signer = st->Text(4);
    e.summary = StrMember(ir, "summary");
    for (const Json& i : JsonArrayMember(ir, "intents")) {
      if (i.is_string()) e.intents.push_back(i.get<std::string>());
    }
    for (const char* key : {"inputs", "outputs"}) {
      for (const Json& p : JsonArrayMember(ir, key)) {
        e.params.push_back({StrMember(p, "name"), StrMember(p, "doc")});
      }
    }
    for (const Json& u : JsonArrayMember(ir, "uses")) {
      if (u.is_string()) e.effects.push_back(u.get<std::string>());
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace wfs::store
