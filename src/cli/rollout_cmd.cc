#include "cli/rollout_cmd.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "base/strings.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/store_cmd.h"
#include "cli/store_dir.h"
#include "rollout/policy.h"
#include "rollout/readiness.h"
#include "rollout/recertify.h"

namespace wfs::cli {
namespace {

int Fail(const Status& s) {
  PrintError(s.message());
  return s.code() == Code::kInvalidArgument || s.code() == Code::kNotFound
             ? kExitUsage
             : kExitFailure;
}

void PrintFigures(const char* label, const Json& f) {
  std::cout << "  " << label << " " << f["version"].get<std::string>() << ": "
            << f["runs"].get<int>() << " runs";
  if (f["in_flight"].get<int>() > 0) {
    std::cout << " (+" << f["in_flight"].get<int>() << " in flight)";
  }
  std::cout << "; failures " << FormatPercent(f["failure_rate"].get<double>())
            << ", violations stopped "
            << FormatPercent(f["violation_rate"].get<double>())
            << ", compensated "
            << FormatPercent(f["compensation_rate"].get<double>())
            << ", denied " << FormatPercent(f["denial_rate"].get<double>())
            << "; p50 " << FormatFixed(f["latency_p50_ms"].get<double>(), 1)
            << " ms, p95 " << FormatFixed(f["latency_p95_ms"].get<double>(), 1)
            << " ms\n";
}

int Status_(store::Store& st, const RolloutFlags& f) {
  auto parts = OpenRollout(st);
  if (!parts.ok()) return Fail(parts.status());
  auto report = parts->controller->StatusReport(f.ref);
  if (!report.ok()) return Fail(report.status());
  const Json& r = *report;
  if (f.json) {
    std::cout << PrettyJson(r) << "\n";
    return kExitOk;
  }
  std::string state = r["state"].get<std::string>();
  std::cout << r["name"].get<std::string>() << ": canary "
            << r["canary"].get<std::string>() << " "
            << (state == "active"
                    ? "rolling out since " + r["started"].get<std::string>()
                    : (state == "promoted" ? "promoted " : "rolled back ") +
                          r["ended"].get<std::string>() + " (started " +
                          r["started"].get<std::string>() + ")");
  if (r["stable"].is_string()) {
    std::cout << ", stable " << r["stable"].get<std::string>();
  }
  std::cout << "\n";
  const Json& p = r["policy"];
  std::cout << "  policy: share " << FormatPercent(p["share"].get<double>());
  if (!p["agents"].empty()) {
    std::vector<std::string> a = p["agents"].get<std::vector<std::string>>();
    std::cout << " + agents " << StrJoin(a, ", ");
  }
  const Json& m = p["margins"];
  std::cout << ", verdict after " << p["min_runs"].get<int>() << " runs, soak "
            << p["soak"].get<std::string>() << "; margins: failure "
            << FormatPercent(m["failure"].get<double>()) << ", violation "
            << FormatPercent(m["violation"].get<double>()) << ", compensation "
            << FormatPercent(m["compensation"].get<double>()) << ", denial "
            << FormatPercent(m["denial"].get<double>()) << "\n";
  PrintFigures("canary", r["canary_figures"]);
  if (r.contains("stable_figures")) PrintFigures("stable", r["stable_figures"]);
  const Json& v = r["verdict"];
  std::cout << "  verdict: " << v["verdict"].get<std::string>() << "\n";
  for (const Json& why : v["reasons"]) {
    std::cout << "    " << why.get<std::string>() << "\n";
  }
  if (r.contains("next")) {
    std::cout << "  next: " << r["next"].get<std::string>() << "\n";
  }
  if (!r["earlier"].empty()) {
    std::cout << "  earlier rollouts:\n";
    for (const Json& e : r["earlier"]) {
      std::cout << "    " << e["canary"].get<std::string>() << " "
                << e["state"].get<std::string>() << " "
                << e["started"].get<std::string>()
                << (e.contains("reason")
                        ? " — " + e["reason"].get<std::string>()
                        : std::string())
                << "\n";
    }
  }
  return kExitOk;
}

int Start(store::Store& st, const RolloutFlags& f) {
  size_t at = f.ref.rfind('@');
  if (at == std::string::npos) {
    PrintError("rollout start needs NAME@VERSION (a canary)");
    return kExitUsage;
  }
  auto policy = rollout::LoadPolicy(st.dir());
  if (!policy.ok()) return Fail(policy.status());
  rollout::RolloutPolicy p = policy->rollout;
  if (f.share >= 0) p.share = f.share;
  if (!f.agents.empty()) p.agents = f.agents;
  if (f.min_runs > 0) p.min_runs = f.min_runs;
  if (!f.soak.empty()) {
    auto soak = rollout::ParseDuration(f.soak);
    if (!soak.ok()) return Fail(soak.status());
    p.soak_us = *soak;
  }
  auto parts = OpenRollout(st);
  if (!parts.ok()) return Fail(parts.status());
  auto r =
      parts->controller->Start(f.ref.substr(0, at), f.ref.substr(at + 1), p);
  if (!r.ok()) return Fail(r.status());
  if (f.json) {
    std::cout << PrettyJson(r->ToJson()) << "\n";
  } else {
    std::cout << "rolling out " << f.ref << " to " << FormatPercent(p.share)
              << " of calls"
              << (p.agents.empty() ? std::string()
                                   : " and agents " + StrJoin(p.agents, ", "))
              << (r->stable.empty() ? std::string(" (no stable version yet)")
                                    : ", the rest to stable " + r->stable)
              << "\n";
  }
  return kExitOk;
}

int Stop(store::Store& st, const RolloutFlags& f) {
  auto parts = OpenRollout(st);
  if (!parts.ok()) return Fail(parts.status());
  auto key = st.StoreKey();
  if (!key.ok()) return Fail(key.status());
  auto r = parts->controller->Stop(f.ref, f.reason, *key);
  if (!r.ok()) return Fail(r.status());
  if (f.json) {
    std::cout << PrettyJson(r->ToJson()) << "\n";
  } else {
    std::cout << "rolled back " << r->name << "@" << r->canary
              << " (demoted to reviewed); calls go to "
              << (r->stable.empty() ? std::string("no stable version")
                                    : "stable " + r->stable)
              << "\n";
  }
  return kExitOk;
}

int RecertifyCmd(store::Store& st, const RolloutFlags& f) {
  auto policy = rollout::LoadPolicy(st.dir());
  if (!policy.ok()) return Fail(policy.status());
  auto key = st.StoreKey();
  if (!key.ok()) return Fail(key.status());
  rollout::RecertifyOptions o;
  o.all = f.all;
  o.only = f.ref;
  o.dry_run = f.dry_run;
  bool tty = isatty(STDERR_FILENO) != 0 && !f.json;
  o.progress = [tty](const std::string& wf, int done, int total) {
    if (!tty) return;
    if (wf.empty()) {
      std::cerr << "\r" << std::string(70, ' ') << "\r" << std::flush;
      return;
    }
    std::cerr << "\r  recertifying " << done + 1 << "/" << total << " " << wf
              << "        " << std::flush;
  };
  auto results = rollout::Recertify(st, *policy, o, *key);
  if (!results.ok()) return Fail(results.status());
  int demoted = 0;
  Json out = Json::array();
  for (const rollout::RecertifyResult& r : *results) {
    demoted += r.verdict == "demoted";
    out.push_back(r.ToJson());
  }
  if (f.json) {
    std::cout << PrettyJson(Json{{"interfaces", st.InterfacesDigest()},
                                 {"policy", policy->HardenDigest()},
                                 {"results", out}})
              << "\n";
  } else if (results->empty()) {
    std::cout << "nothing to recertify: every workflow at hardened or later "
                 "was hardened against today's interfaces, dependencies and "
                 "policy\n";
  } else {
    for (const rollout::RecertifyResult& r : *results) {
      std::cout << r.workflow << " (" << r.stage << "): " << r.verdict;
      if (r.verdict == "demoted") std::cout << " to " << r.stage_after;
      std::cout << "\n    changed: " << StrJoin(r.changed, "; ") << "\n";
      if (!r.reason.empty()) std::cout << "    " << r.reason << "\n";
    }
  }
  return demoted > 0 ? kExitFailure : kExitOk;
}

int ReadinessCmd(store::Store& st, const RolloutFlags& f) {
  rollout::ReadinessOptions o;
  o.agent = f.agent;
  if (!f.since.empty()) {
    auto d = rollout::ParseDuration(f.since);
    if (!d.ok()) return Fail(d.status());
    o.since_us = st.NowMicros() - *d;
  }
  auto journal = OpenJournal(st.dir());
  if (!journal.ok()) return Fail(journal.status());
  auto r = rollout::Readiness(st, **journal, o);
  if (!r.ok()) return Fail(r.status());
  if (f.json) {
    std::cout << PrettyJson(*r) << "\n";
    return kExitOk;
  }
  std::cout << "readiness"
            << (f.agent.empty() ? std::string() : " of agent " + f.agent)
            << (f.since.empty() ? std::string() : " over the last " + f.since)
            << ": " << (*r)["answer"].get<std::string>() << "\n";
  if ((*r)["runs"].get<int>() == 0) return kExitOk;
  std::cout << "\n  workflow                              runs  stage now  "
               "grade  hardened  denied  stopped\n";
  for (const Json& w : (*r)["workflows"]) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-36s %5d  %-9s  %-5s  %7s  %6d  %7d\n",
                  w["workflow"].get<std::string>().c_str(),
                  w["runs"].get<int>(),
                  w["stage_now"].get<std::string>().c_str(),
                  w["grade"].get<std::string>().c_str(),
                  FormatPercent(w["hardened_share"].get<double>()).c_str(),
                  w["denials"].get<int>(), w["violations_stopped"].get<int>());
    std::cout << line;
  }
  if ((*r)["agents"].size() > 1 || f.agent.empty()) {
    std::cout << "\n  agent                 runs  hardened  drafts  denied  "
                 "stopped\n";
    for (const Json& a : (*r)["agents"]) {
      char line[256];
      std::snprintf(line, sizeof line, "  %-20s %5d  %7s  %6s  %6d  %7d\n",
                    a["agent"].get<std::string>().c_str(), a["runs"].get<int>(),
                    FormatPercent(a["hardened_share"].get<double>()).c_str(),
                    FormatPercent(a["draft_share"].get<double>()).c_str(),
                    a["denials"].get<int>(),
                    a["violations_stopped"].get<int>());
      std::cout << line;
    }
  }
  return kExitOk;
}

int PolicyCmd(store::Store& st, const RolloutFlags& f) {
  auto policy = rollout::LoadPolicy(st.dir());
  if (!policy.ok()) return Fail(policy.status());
  Json j = policy->ToJson();
  j["harden_digest"] = policy->HardenDigest();
  if (!f.json) {
    std::cout << "# " << st.dir() << "/policy.json (defaults where absent)\n";
  }
  std::cout << PrettyJson(j) << "\n";
  return kExitOk;
}

}  // namespace

Result<RolloutParts> OpenRollout(store::Store& st) {
  RolloutParts p;
  WFS_ASSIGN_OR_RETURN(p.journal, OpenJournal(st.dir()));
  rollout::ControllerOptions o;
  o.store = &st;
  o.journal = p.journal.get();
  o.path = st.dir() + "/rollout.db";
  WFS_ASSIGN_OR_RETURN(p.controller, rollout::Controller::Open(o));
  return p;
}

void AddRolloutCommands(CLI::App& app, RolloutFlags& f) {
  auto add = [&](CLI::App* parent, const std::string& name,
                 const std::string& help, const std::string& id) {
    CLI::App* c = parent->add_subcommand(name, help);
    c->add_option("--store", f.store,
                  "Store directory (default $WFSTORE_HOME or ~/.wfstore)");
    c->add_flag("--json", f.json, "Print JSON");
    f.commands.push_back({id, c});
    return c;
  };
  CLI::App* ro = app.add_subcommand(
      "rollout",
      "Staged rollout of canary versions: a share of calls, per-version "
      "figures, automatic rollback");
  ro->require_subcommand(1);
  CLI::App* c = add(ro, "start",
                    "Roll out NAME@VERSION (at stage canary) to a share of "
                    "calls, or change the policy of its rollout",
                    "rollout start");
  c->add_option("ref", f.ref, "NAME@VERSION")->required();
  c->add_option("--share", f.share,
                "Fraction of calls that may take either version which go to "
                "the canary (default: policy.json, else 0.1)")
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--agent", f.agents,
                "An agent whose calls always go to the canary (repeatable)");
  c->add_option("--min-runs", f.min_runs,
                "Canary runs before any verdict (default 50)")
      ->check(CLI::Range(1, 1000000));
  c->add_option("--soak", f.soak,
                "How long the canary runs before it may become stable "
                "(default 24h)");
  c->footer(
      "`wfstore promote NAME@VERSION canary` starts a rollout with the "
      "policy in STORE/policy.json; this command changes it.");

  c = add(ro, "status",
          "The rollout of NAME: canary and stable figures (runs, failures, "
          "violations stopped, compensations, denials, latency), the verdict "
          "and what comes next",
          "rollout status");
  c->add_option("name", f.ref, "NAME")->required();

  c = add(ro, "stop",
          "Roll the canary of NAME back now: demote it and send its calls to "
          "stable",
          "rollout stop");
  c->add_option("name", f.ref, "NAME")->required();
  c->add_option("--reason", f.reason, "Why (recorded in its report)");

  c = add(&app, "recertify",
          "Re-run the hardening pipeline for workflows at hardened or later "
          "whose connector interfaces, dependencies or hardening policy "
          "changed; demote those that fail, with the reason in their report",
          "recertify");
  c->add_option("ref", f.ref, "Only NAME or NAME@VERSION");
  c->add_flag("--all", f.all, "Re-run every one, changed or not");
  c->add_flag("--dry-run", f.dry_run, "List what is affected and why");
  c->footer("Exit status: 0 when nothing was demoted, 1 when something was.");

  c = add(&app, "readiness",
          "How much engineering rigor stands behind what agents did: runs by "
          "the stage their workflow had, grades, denials, violations stopped",
          "readiness");
  c->add_option("--agent", f.agent, "Only this agent's runs");
  c->add_option("--since", f.since, "Only the last DURATION (e.g. 7d, 12h)");

  add(&app, "policy",
      "Print the deployment policy: hardening thresholds and rollout "
      "defaults (STORE/policy.json)",
      "policy");
}

int RunRolloutCommand(const RolloutFlags& f) {
  std::string which;
  for (const auto& [id, cmd] : f.commands) {
    if (cmd->parsed()) which = id;
  }
  if (which.empty()) return -1;
  auto st = OpenStore(f.store);
  if (!st.ok()) return Fail(st.status());
  store::Store& s = **st;
  if (which == "rollout start") return Start(s, f);
  if (which == "rollout status") return Status_(s, f);
  if (which == "rollout stop") return Stop(s, f);
  if (which == "recertify") return RecertifyCmd(s, f);
  if (which == "readiness") return ReadinessCmd(s, f);
  if (which == "policy") return PolicyCmd(s, f);
  return kExitUsage;
}

}  // namespace wfs::cli
