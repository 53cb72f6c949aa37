#include "rollout/readiness.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "base/strings.h"

namespace wfs::rollout {
namespace {

// A version's stage over time: (since, stage), oldest first.
using History = std::vector<std::pair<int64_t, std::string>>;

Result<History> StageHistory(store::Store& store, const store::PackageInfo& p) {
  History h{{p.published_us, "draft"}};
  WFS_ASSIGN_OR_RETURN(std::vector<store::Attestation> atts,
                       store.Attestations(p.name, p.version));
  for (const store::Attestation& a : atts) {
    if (!a.verified) continue;
    if (a.kind == "promotion" || a.kind == "demotion") {
      h.push_back({a.created_us, a.stage});
    }
  }
  std::stable_sort(h.begin(), h.end(), [](const auto& a, const auto& b) {
    return a.first < b.first;
  });
  return h;
}

std::string StageAt(const History& h, int64_t t) {
  std::string stage = "draft";
  for (const auto& [since, s] : h) {
    if (since > t) break;
    stage = s;
  }
  return stage;
}

struct Tally {
  int runs = 0, hardened = 0, reviewed_or_later = 0, drafts = 0,
      unpublished = 0, denials = 0, violations = 0, failures = 0,
      compensated = 0, waiting = 0;
  std::map<std::string, int> by_stage;

  void Add(const journal::Journal::RunSummary& r, const std::string& stage) {
    ++runs;
    ++by_stage[stage];
    int s = store::StageIndex(stage);
    if (s >= store::StageIndex("hardened")) ++hardened;
    if (s >= store::StageIndex("reviewed")) ++reviewed_or_later;
    if (stage == "draft" || stage == "tested") ++drafts;
    if (stage == "unpublished") ++unpublished;
    if (r.state == "denied") ++denials;
    if (r.state == "violation") ++violations;
    if (r.state == "failed" || r.state == "limit") ++failures;
    if (r.state == "waiting") ++waiting;
    if (r.compensated) ++compensated;
  }
  Json ToJson() const {
    return {
        {"runs", runs},
        {"by_stage_at_run", by_stage},
        {"hardened_or_later", hardened},
        {"hardened_share", runs == 0 ? 0.0 : double(hardened) / runs},
        {"reviewed_or_later", reviewed_or_later},
        {"supervised_drafts", drafts + unpublished},
        {"draft_share", runs == 0 ? 0.0 : double(drafts + unpublished) / runs},
        {"unpublished", unpublished},
        {"denials", denials},
        {"violations_stopped", violations},
        {"failures", failures},
        {"compensated", compensated},
        {"waiting", waiting}};
  }
};

std::string Pct(int n, int of) {
  return FormatPercent(of == 0 ? 0.0 : static_cast<double>(n) / of);
}

}  // namespace

Result<Json> Readiness(store::Store& store, journal::Journal& journal,
                       const ReadinessOptions& options) {
  journal::Journal::RunFilter f;
  f.caller = options.agent;
  f.since_us = options.since_us;
  Tally total;
  std::map<std::string, Tally> by_agent, by_workflow;
  std::map<std::string, std::pair<History, store::PackageInfo>> known;
  std::map<std::string, bool> missing;
  auto count = [&](const journal::Journal::RunSummary& r) -> Status {
    std::string stage = "unpublished";
    if (!missing.count(r.workflow)) {
      auto it = known.find(r.workflow);
      if (it == known.end()) {
        size_t at = r.workflow.rfind('@');
        auto info = at == std::string::npos
                        ? Result<store::PackageInfo>(NotFound(""))
                        : store.Get(r.workflow.substr(0, at),
                                    r.workflow.substr(at + 1));
        // A run of a file that was never published, or published with
        // other content, went through no gate.
        if (!info.ok() || info->content_id != r.content_id) {
          missing[r.workflow] = true;
        } else {
          WFS_ASSIGN_OR_RETURN(History h, StageHistory(store, *info));
          it = known.emplace(r.workflow, std::make_pair(std::move(h), *info))
                   .first;
        }
      }
      if (it != known.end() && !missing.count(r.workflow)) {
        stage = StageAt(it->second.first, r.created_us);
      }
    }
    total.Add(r, stage);
    by_agent[r.caller].Add(r, stage);
    by_workflow[r.workflow].Add(r, stage);
    return Status::Ok();
  };
  // One run at a time: the report's memory grows with the workflows and
  // agents, not with the journal.
  WFS_RETURN_IF_ERROR(journal.ScanRuns(f, count));
  Json workflows = Json::array();
  for (const auto& [wf, t] : by_workflow) {
    Json j = t.ToJson();
    j["workflow"] = wf;
    auto it = known.find(wf);
    if (it != known.end()) {
      const store::PackageInfo& p = it->second.second;
      j["stage_now"] = p.stage;
      auto report = store.Report(p.name, p.version);
      if (report.ok()) j["grade"] = (*report)["grade"];
    } else {
      j["stage_now"] = "unpublished";
      j["grade"] = "-";
    }
    workflows.push_back(std::move(j));
  }
  std::sort(workflows.begin(), workflows.end(),
            [](const Json& a, const Json& b) {
              return a["runs"].get<int>() > b["runs"].get<int>();
            });
  Json agents = Json::array();
  for (const auto& [agent, t] : by_agent) {
    Json j = t.ToJson();
    j["agent"] = agent;
    agents.push_back(std::move(j));
  }
  Json out = total.ToJson();
  out["agent"] = options.agent.empty() ? Json() : Json(options.agent);
  out["since"] =
      options.since_us == 0 ? Json() : Json(FormatRfc3339(options.since_us));
  out["workflows"] = workflows;
  out["agents"] = agents;
  out["answer"] =
      total.runs == 0
          ? std::string("no agent runs recorded yet")
          : StrCat(Pct(total.hardened, total.runs), " of ", total.runs,
                   " runs went through workflows that were hardened or "
                   "later when they ran (",
                   Pct(total.reviewed_or_later, total.runs),
                   " reviewed or later); ",
                   Pct(total.drafts + total.unpublished, total.runs),
                   " through drafts or unpublished files under "
                   "supervision; the runtime stopped ",
                   total.violations, " rule violation(s), and people denied ",
                   total.denials, " action(s)");
  return out;
}

}  // namespace wfs::rollout
