#include "rollout/recertify.h"

#include <optional>
#include <utility>

#include "base/file_lock.h"
#include "base/strings.h"
#include "testing/test_runner.h"

namespace wfs::rollout {
namespace {

std::string StrOf(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Why name@version needs recertifying (empty when it does not).
Result<std::vector<std::string>> Changes(store::Store& store,
                                         const store::PackageInfo& p,
                                         const std::string& interfaces,
                                         const std::string& policy) {
  std::vector<std::string> why;
  WFS_ASSIGN_OR_RETURN(std::vector<store::Attestation> atts,
                       store.Attestations(p.name, p.version));
  const store::Attestation* last = nullptr;
  for (const store::Attestation& a : atts) {
    if (a.kind == "evidence" && a.verified &&
        a.predicate_type == store::kHardeningPredicate &&
        a.predicate.is_object() && a.predicate.value("passed", false)) {
      last = &a;
    }
  }
  if (last == nullptr) {
    why.push_back("no passed hardening evidence");
  } else {
    std::string itf = StrOf(last->predicate, "interfaces_digest");
    if (itf != interfaces) {
      why.push_back(itf.empty()
                        ? "its hardening evidence does not record the "
                          "interfaces it was run against"
                        : "the connector interfaces changed since it was "
                          "hardened");
    }
    std::string pol = StrOf(last->predicate, "policy_digest");
    if (pol != policy) {
      why.push_back(pol.empty()
                        ? "its hardening evidence does not record the policy"
                        : "the hardening policy changed since it was "
                          "hardened");
    }
  }
  for (const std::string& f : p.flags) {
    if (!StartsWith(f, store::kDemotedFlagPrefix)) why.push_back(f);
  }
  return why;
}

}  // namespace

harden::HardenOptions HardenOptionsFor(const HardenPolicy& policy) {
  harden::HardenOptions o;
  o.min_branch_coverage = policy.min_coverage;
  o.min_mutation_score = policy.min_mutation;
  o.property_cases = policy.cases;
  o.seed = policy.seed;
  return o;
}

Json HardeningEvidence(const harden::HardenReport& report,
                       const harden::HardenOptions& options,
                       const std::string& interfaces_digest) {
  Json j = report.ToJson(options);
  Policy effective;
  effective.harden.min_coverage = options.min_branch_coverage;
  effective.harden.min_mutation = options.min_mutation_score;
  effective.harden.cases = options.property_cases;
  effective.harden.seed = options.seed;
  j["interfaces_digest"] = interfaces_digest;
  j["policy_digest"] = effective.HardenDigest();
  return j;
}

Json RecertifyResult::ToJson() const {
  Json j = {{"workflow", workflow},
            {"stage", stage},
            {"changed", changed},
            {"verdict", verdict},
            {"stage_after", stage_after}};
  if (!reason.empty()) j["reason"] = reason;
  return j;
}

Result<std::vector<RecertifyResult>> Recertify(store::Store& store,
                                               const Policy& policy,
                                               const RecertifyOptions& options,
                                               const crypto::SecretKey& key) {
  std::optional<FileLock> lock;
  if (!options.dry_run && !store.dir().empty()) {
    std::string path = store.dir() + "/recertify.lock";
    if (options.wait_for_others) {
      WFS_ASSIGN_OR_RETURN(FileLock l, FileLock::Take(path));
      lock.emplace(std::move(l));
    } else {
      WFS_ASSIGN_OR_RETURN(lock, FileLock::TryTake(path));
      if (!lock) {
        return Unavailable(
            "another wfstore process is recertifying this store");
      }
    }
  }
  // Dependency and interface problems are already flags: the store re-checks
  // when it opens with other interfaces and after every yank.
  const std::string interfaces = store.InterfacesDigest();
  const std::string policy_digest = policy.HardenDigest();
  WFS_ASSIGN_OR_RETURN(std::vector<store::PackageInfo> all, store.List());
  std::vector<std::pair<store::PackageInfo, std::vector<std::string>>> todo;
  for (const store::PackageInfo& listed : all) {
    if (listed.yanked ||
        store::StageIndex(listed.stage) < store::StageIndex("hardened")) {
      continue;
    }
    WFS_ASSIGN_OR_RETURN(store::PackageInfo p,
                         store.Get(listed.name, listed.version));
    // A demoted version waits for its successor; re-running it proves
    // nothing new.
    bool demoted = false;
    for (const std::string& f : p.flags) {
      demoted = demoted || StartsWith(f, store::kDemotedFlagPrefix);
    }
    if (demoted) continue;
    if (!options.only.empty() && options.only != p.name &&
        options.only != p.name + "@" + p.version) {
      continue;
    }
    WFS_ASSIGN_OR_RETURN(std::vector<std::string> why,
                         Changes(store, p, interfaces, policy_digest));
    if (why.empty() && options.all) why.push_back("asked for (--all)");
    if (!why.empty()) todo.push_back({p, std::move(why)});
  }
  std::vector<RecertifyResult> out;
  harden::HardenOptions ho = HardenOptionsFor(policy.harden);
  int done = 0;
  for (auto& [p, why] : todo) {
    RecertifyResult r;
    r.workflow = p.name + "@" + p.version;
    r.stage = p.stage;
    r.changed = why;
    r.stage_after = p.stage;
    if (options.progress) {
      options.progress(r.workflow, done++, static_cast<int>(todo.size()));
    }
    if (options.dry_run) {
      r.verdict = "affected";
      out.push_back(std::move(r));
      continue;
    }
    std::vector<std::string> problems;
    for (const std::string& f : p.flags) {
      if (!StartsWith(f, store::kDemotedFlagPrefix)) problems.push_back(f);
    }
    Json details = {{"changed", why}};
    std::string to = "tested";
    if (problems.empty()) {
      WFS_ASSIGN_OR_RETURN(runtime::ProgramPtr program,
                           store.LoadProgram(p.name, p.version));
      testing::TestRunner runner(store.schema(), &store.programs());
      WFS_ASSIGN_OR_RETURN(harden::HardenReport report,
                           harden::Harden(*program, runner, ho));
      Json evidence = HardeningEvidence(report, ho, interfaces);
      if (report.passed) {
        WFS_RETURN_IF_ERROR(store
                                .RecordEvidence(p.name, p.version,
                                                store::kHardeningPredicate,
                                                evidence, key)
                                .status());
        r.verdict = "recertified";
        out.push_back(std::move(r));
        continue;
      }
      for (const harden::Finding& f : report.findings) {
        if (problems.size() == 3) break;
        problems.push_back(
            StrCat(f.phase, " ", f.kind, ": ", f.name, ": ", f.detail));
      }
      for (const std::string& why_not : report.reasons) {
        problems.push_back(why_not);
      }
      details["hardening"] = evidence;
    } else {
      // It no longer checks or passes its tests: nothing above a draft.
      to = "draft";
    }
    r.reason = StrCat("recertification failed (", StrJoin(why, "; "),
                      "): ", StrJoin(problems, "; "));
    details["problems"] = problems;
    WFS_RETURN_IF_ERROR(
        store.Demote(p.name, p.version, to, r.reason, details, key).status());
    r.verdict = "demoted";
    r.stage_after = to;
    out.push_back(std::move(r));
  }
  if (options.progress && !todo.empty()) {
    options.progress("", done, done);
  }
  return out;
}

}  // namespace wfs::rollout
