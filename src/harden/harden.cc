#include "harden/harden.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "base/strings.h"
#include "runtime/types.h"

namespace wfs::harden {
namespace {

using runtime::Answer;
using runtime::Program;
using testing::CaseRun;
using testing::CaseSpec;

constexpr int kMaxMutants = 60;
constexpr int kAnswers = 16;  // prompts answered per run

// A test block as a base case for adversarial variations.
struct BaseCase {
  std::string name;
  CaseSpec spec;
};

Answer AnswerFromJson(const Json& a) {
  if (a.is_string()) {
    std::string s = a.get<std::string>();
    if (s == "approve") return Answer::Approve();
    if (s == "deny") return Answer::Deny();
    return Answer::Timeout();
  }
  if (a.is_object() && a.contains("choose") && a["choose"].is_number_integer()) {
    return Answer::Choose(a["choose"].get<int>());
  }
  return Answer::Timeout();
}

std::vector<BaseCase> BaseCases(const Program& p) {
  std::vector<BaseCase> out;
  for (const Json& t : p.tests) {
    if (!t.is_object() || t.value("property", false)) continue;
    BaseCase b;
    b.name = t.value("name", std::string("test"));
    Json world = Json::object();
    for (const Json& g : JsonArrayMember(t, "given")) {
      if (!g.is_object() || !g.contains("value")) continue;
      world[g.value("connector", std::string())][g.value("key", std::string())] =
          g["value"];
    }
    b.spec.world = world;
    b.spec.inputs = JsonObjectMember(t, "call");
    for (const Json& a : JsonArrayMember(t, "answers")) {
      b.spec.answers.push_back(AnswerFromJson(a));
    }
    out.push_back(std::move(b));
  }
  return out;
}

// Where a payload can be planted: collection element field paths whose
// declared type marks them untrusted text.
struct Spot {
  std::string connector, collection;
  size_t index = 0;
  std::string field;
};

std::vector<Spot> UntrustedSpots(const Json& world,
                                 const connectors::sim::WorldSchema& schema) {
  std::vector<Spot> out;
  for (const auto& [conn, cols] : world.items()) {
    auto sc = schema.find(conn);
    if (sc == schema.end() || !cols.is_object()) continue;
    for (const auto& [col, items] : cols.items()) {
      auto st = sc->second.find(col);
      if (st == sc->second.end() || !items.is_array()) continue;
      auto type = runtime::ParseType(st->second);
      if (!type.ok()) continue;
      const runtime::RType* t = type->get();
      if (t->k == runtime::RType::kList) t = t->elem.get();
      const runtime::RType& rec = runtime::Base(*t);
      if (rec.k != runtime::RType::kRecord) continue;
      for (size_t i = 0; i < items.size(); ++i) {
        for (const runtime::RField& f : rec.fields) {
          const runtime::RType& ft = runtime::Base(*f.type);
          if (f.untrusted && ft.k == runtime::RType::kString) {
            out.push_back({conn, col, i, f.name});
          }
        }
      }
    }
  }
  return out;
}

const runtime::ActionSpec* FindAction(const Program& p, const std::string& q) {
  auto it = p.action_index.find(q);
  return it == p.action_index.end() ? nullptr : &p.actions[it->second];
}

std::string AnswerName(const Answer& a) {
  switch (a.kind) {
    case Answer::Kind::kApprove: return "approve";
    case Answer::Kind::kDeny: return "deny";
    case Answer::Kind::kChoose: return "choose";
    default: return "timeout";
  }
}

// Whether every part of argument `param` carries the person's confirmation
// (they saw the value and approved it: the target is theirs, not the
// attacker's).
bool ConfirmedByPerson(const runtime::CallRecord& c, const std::string& param) {
  constexpr uint32_t kPerson = 1u << 2;  // runtime label bit "person"
  bool any = false;
  for (const auto& [name, label] : c.arg_labels) {
    bool mine = name == param || StartsWith(name, param + "[") ||
                StartsWith(name, param + ".");
    if (!mine) continue;
    any = true;
    if ((label.prov & kPerson) == 0) return false;
  }
  return any;
}

class Checker {
 public:
  Checker(const Program& p, HardenReport* report) : p_(p), report_(report) {}

  // Checks one adversarial run; records findings. `attack`: the run had a
  // planted payload, so a target carrying the marker is attacker-chosen.
  void Check(const std::string& name, const CaseRun& run, bool attack,
             const Json& inputs) {
    ++report_->adversarial_cases;
    if (!run.status.ok()) {
      // Malformed inputs refused cleanly are fine; anything else is not.
      if (run.status.code() != Code::kInvalidArgument) {
        Add("error", name, run.status.message());
      }
      return;
    }
    const runtime::RunResult& r = run.run;
    std::map<std::string, int64_t> counts;
    for (const runtime::CallRecord& c : r.calls) {
      if (c.read || c.decision != "allowed") continue;
      const runtime::ActionSpec* a = FindAction(p_, c.action);
      std::string cls = c.effect;
      counts[c.action]++;
      counts[cls]++;
      if (a == nullptr) continue;
      for (const runtime::ParamSpec& ps : a->params) {
        if (!c.args.contains(ps.name)) continue;
        std::string v = CanonicalJson(c.args[ps.name]);
        if (attack && ps.target && v.find(kMarker) != std::string::npos &&
            !ConfirmedByPerson(c, ps.name)) {
          Add("target", name,
              StrCat(c.action, " ran with attacker-chosen `", ps.name,
                     "` = ", Quote(v, 60)));
        }
        if (c.args[ps.name].is_string() &&
            EscapesPathScope(a->connector, ps.scope,
                             c.args[ps.name].get<std::string>(), inputs)) {
          Add("scope", name,
              StrCat(c.action, " ran with `", ps.name, "` = ", Quote(v, 60),
                     " outside its scope"));
        }
      }
      if (r.outcome != runtime::Outcome::kCompleted &&
          r.outcome != runtime::Outcome::kWaiting && c.undoable &&
          !c.undone) {
        Add("uncompensated", name,
            StrCat(c.action, " (call #", c.seq, ") was not undone after the "
                   "run ended ", runtime::OutcomeName(r.outcome)));
      }
    }
    for (const auto& [key, limit] : p_.limits) {
      auto it = counts.find(key);
      if (it != counts.end() && it->second > limit) {
        Add("budget", name,
            StrCat(key, " ran ", it->second, " times; the limit is ", limit));
      }
    }
  }

 private:
  // Whether `value` of a parameter under path scope `scope` resolves
  // outside every root the workflow declared for it (roots are literals or
  // inputs; relative values are taken relative to a root).
  bool EscapesPathScope(const std::string& connector, const std::string& scope,
                        const std::string& value, const Json& inputs) const {
    if (scope.empty()) return false;
    for (const runtime::ScopeSpec& s : p_.scopes) {
      if (s.kind != lang::ScopeKind::kPath) continue;
      if (s.scope != scope && connector + "." + s.scope != scope &&
          s.connector + "." + s.scope != scope) {
        continue;
      }
      std::vector<std::string> roots = s.values;
      for (int slot : s.input_slots) {
        for (const runtime::InputSpec& in : p_.inputs) {
          if (in.slot == slot && inputs.contains(in.name) &&
              inputs[in.name].is_string()) {
            roots.push_back(inputs[in.name].get<std::string>());
          }
        }
      }
      for (const std::string& root : roots) {
        if (value == root) return false;  // the root itself
        namespace fs = std::filesystem;
        fs::path r = fs::path(root).lexically_normal();
        fs::path v = fs::path(value);
        fs::path full = (v.is_absolute() ? v : r / v).lexically_normal();
        auto rel = full.lexically_relative(r);
        if (!rel.empty() && *rel.begin() != "..") return false;
      }
      return !roots.empty();
    }
    return false;
  }

  void Add(const std::string& kind, const std::string& name,
           const std::string& detail) {
    report_->findings.push_back({"adversarial", kind, name, detail});
  }

  const Program& p_;
  HardenReport* report_;
};

// ---- mutation -----------------------------------------------------------------

struct Mutant {
  std::string what;
  Json ir;
};

// Every mutant of the IR: each `if` with its branches swapped, each
// confirmation dropped, each comparison negated, each limit widened.
std::vector<Mutant> Mutants(const Json& ir) {
  std::vector<Mutant> out;
  // Paths (JSON pointers) of every op, found with an explicit stack.
  std::vector<Json::json_pointer> ops;
  std::vector<Json::json_pointer> stack = {Json::json_pointer("/code")};
  while (!stack.empty()) {
    Json::json_pointer at = stack.back();
    stack.pop_back();
    const Json& block = ir.at(at);
    if (!block.is_array()) continue;
    for (size_t i = 0; i < block.size(); ++i) {
      Json::json_pointer op = at / i;
      ops.push_back(op);
      for (const char* k : {"then", "else", "body"}) {
        if (block[i].is_object() && block[i].contains(k) &&
            block[i][k].is_array()) {
          stack.push_back(op / k);
        }
      }
    }
  }
  auto line = [&](const Json::json_pointer& op) {
    const Json& at = ir.at(op).value("at", Json::array());
    return at.is_array() && !at.empty() && at[0].is_number_integer()
               ? at[0].get<int64_t>()
               : int64_t{0};
  };
  static const std::map<std::string, std::string> kNegate = {
      {"==", "!="}, {"!=", "=="}, {"<", ">="}, {">=", "<"},
      {">", "<="},  {"<=", ">"}};
  for (const Json::json_pointer& op : ops) {
    const Json& o = ir.at(op);
    std::string kind = o.value("op", std::string());
    if (kind == "if") {
      Mutant m{StrCat("line ", line(op), ": if with its branches swapped"), ir};
      std::swap(m.ir.at(op)["then"], m.ir.at(op)["else"]);
      out.push_back(std::move(m));
    } else if (kind == "confirm") {
      Mutant m{StrCat("line ", line(op), ": confirmation dropped"), ir};
      Json& block = m.ir.at(op.parent_pointer());
      block.erase(static_cast<size_t>(std::stoul(op.back())));
      out.push_back(std::move(m));
    } else if (kind == "binary") {
      auto it = kNegate.find(o.value("fn", std::string()));
      if (it != kNegate.end()) {
        Mutant m{StrCat("line ", line(op), ": ", it->first, " became ",
                        it->second),
                 ir};
        m.ir.at(op)["fn"] = it->second;
        out.push_back(std::move(m));
      }
    }
  }
  if (ir.contains("limits") && ir["limits"].is_object()) {
    const Json& bounds = JsonObjectMember(ir, "bounds");
    for (const auto& [k, v] : ir["limits"].items()) {
      if (!v.is_number_integer()) continue;
      // Where the checker proved a bound within the limit, widening the
      // limit cannot change behaviour: an equivalent mutant, not counted.
      auto b = bounds.find(k);
      if (b != bounds.end() && b->is_number_integer() &&
          b->get<int64_t>() <= v.get<int64_t>()) {
        continue;
      }
      Mutant m{StrCat("limit ", k, " widened from ", v.get<int64_t>(), " to ",
                      v.get<int64_t>() * 10 + 10),
               ir};
      m.ir["limits"][k] = v.get<int64_t>() * 10 + 10;
      out.push_back(std::move(m));
    }
  }
  if (out.size() > static_cast<size_t>(kMaxMutants)) out.resize(kMaxMutants);
  return out;
}

const char* SideName(const std::string& kind, int side) {
  if (kind == "if") return side == 1 ? "then" : "else";
  if (kind == "for") return side == 1 ? "loop entered" : "loop skipped";
  if (kind == "confirm") return side == 1 ? "approved" : "denied";
  if (kind == "choose") return side == 1 ? "asked" : "picked without asking";
  return side == 1 ? "taken" : "not taken";
}

}  // namespace

Json HardenReport::ToJson(const HardenOptions& options) const {
  Json f = Json::array();
  for (const Finding& x : findings) {
    f.push_back({{"phase", x.phase},
                 {"kind", x.kind},
                 {"case", x.name},
                 {"detail", x.detail}});
  }
  return Json{
      {"workflow", workflow},
      {"content_id", content_id},
      {"passed", passed},
      {"reasons", reasons},
      {"tests", {{"run", tests}, {"failed", tests_failed}}},
      {"coverage",
       {{"branch_sides", branch_sides},
        {"covered", branch_sides_covered},
        {"uncovered", uncovered},
        {"threshold", options.min_branch_coverage}}},
      {"adversarial",
       {{"cases", adversarial_cases}, {"payloads", payloads}}},
      {"mutation",
       {{"mutants", mutants},
        {"killed", mutants_killed},
        {"surviving", surviving_mutants},
        {"threshold", options.min_mutation_score}}},
      {"findings", f},
      {"seconds", seconds},
      {"seed", options.seed}};
}

Result<HardenReport> Harden(const Program& program, testing::TestRunner& runner,
                            const HardenOptions& options) {
  auto started = std::chrono::steady_clock::now();
  HardenReport report;
  report.workflow = program.name + "@" + program.version;
  report.content_id = program.content_id;
  auto progress = [&](const std::string& phase, int done, int total) {
    if (options.progress) options.progress(phase, done, total);
  };

  // 1. Tests and properties, with branch coverage.
  runtime::Coverage coverage;
  testing::TestOptions topts;
  topts.seed = options.seed;
  topts.property_cases = options.property_cases;
  topts.coverage = &coverage;
  progress("tests", 0, 1);
  std::vector<testing::TestResult> results = runner.Run(program, topts);
  for (const testing::TestResult& t : results) {
    ++report.tests;
    if (!t.passed) {
      ++report.tests_failed;
      report.findings.push_back({"tests", "failed", t.name, t.message});
    }
  }
  progress("tests", 1, 1);

  // 2. Adversarial cases.
  std::vector<BaseCase> bases = BaseCases(program);
  Checker checker(program, &report);
  const std::vector<std::string>& payloads = InjectionPayloads();
  report.payloads = static_cast<int>(payloads.size());
  std::vector<Answer> approve_all(kAnswers, Answer::Approve());
  int done = 0;
  int total = static_cast<int>(bases.size());
  for (const BaseCase& b : bases) {
    progress("adversarial", done++, total);
    // Injection: each payload in each untrusted field, the person approving
    // whatever they are asked (the worst case: an attack must be stopped by
    // the workflow's rules, not by a suspicious person).
    for (const Spot& s : UntrustedSpots(b.spec.world, runner.schema())) {
      for (size_t i = 0; i < payloads.size(); ++i) {
        CaseSpec spec = b.spec;
        spec.world[s.connector][s.collection][s.index][s.field] = payloads[i];
        spec.answers = approve_all;
        checker.Check(StrCat(b.name, ": payload #", i, " in ", s.connector,
                             ".", s.collection, "[", s.index, "].", s.field),
                      runner.RunCase(program, spec, topts), true, spec.inputs);
      }
    }
    // Hostile inputs: scope escapes, look-alikes, oversized and empty text.
    for (const runtime::InputSpec& in : program.inputs) {
      if (runtime::Base(*in.type).k != runtime::RType::kString) continue;
      for (const std::string& v :
           {std::string("../../etc/passwd"), std::string("/etc/passwd"),
            std::string("INBOX/../Trash"), std::string("attacker@evil.example"),
            std::string("ex\xD0\xB0mple.com"), std::string(),
            std::string(1 << 20, 'A')}) {
        CaseSpec spec = b.spec;
        spec.inputs[in.name] = v;
        spec.answers = approve_all;
        checker.Check(StrCat(b.name, ": input `", in.name, "` = ",
                             Quote(v, 24)),
                      runner.RunCase(program, spec, topts), false,
                      spec.inputs);
      }
    }
    // Denied and unanswered confirmations: stopped runs must compensate.
    for (const Answer& a : {Answer::Deny(), Answer::Timeout()}) {
      CaseSpec spec = b.spec;
      for (Answer& x : spec.answers) x = a;
      if (spec.answers.empty()) spec.answers.push_back(a);
      checker.Check(StrCat(b.name, ": every question answered ",
                           AnswerName(a)),
                    runner.RunCase(program, spec, topts), false, spec.inputs);
    }
    // Connector faults mid-run.
    for (const runtime::ActionSpec& a : program.actions) {
      for (int after : {0, 1}) {
        CaseSpec spec = b.spec;
        spec.faults.push_back({a.qualified, after});
        checker.Check(StrCat(b.name, ": ", a.qualified, " fails after ",
                             after, " call(s)"),
                      runner.RunCase(program, spec, topts), false,
                      spec.inputs);
      }
    }
  }
  progress("adversarial", total, total);

  // Coverage over the tests' runs (adversarial runs do not count).
  const auto& sides = coverage[program.content_id];
  for (int b = 0; b < program.branches; ++b) {
    std::string kind = static_cast<size_t>(b) < program.branch_kind.size()
                           ? program.branch_kind[b]
                           : "";
    uint32_t line = static_cast<size_t>(b) < program.branch_at.size()
                        ? program.branch_at[b].first
                        : 0;
    for (int side : {1, 2}) {
      ++report.branch_sides;
      if (sides.count({b, side})) {
        ++report.branch_sides_covered;
      } else {
        report.uncovered.push_back(
            StrCat("line ", line, ": ", kind, " ", SideName(kind, side)));
      }
    }
  }

  // 3. Mutation testing against the workflow's own tests.
  std::vector<Mutant> mutants = Mutants(program.ir);
  testing::TestOptions mopts;
  mopts.seed = options.seed;
  mopts.property_cases = options.mutant_property_cases;
  for (size_t i = 0; i < mutants.size(); ++i) {
    progress("mutation", static_cast<int>(i), static_cast<int>(mutants.size()));
    auto mp = Program::FromIr(mutants[i].ir,
                              StrCat(program.content_id, "#mutant", i));
    if (!mp.ok()) continue;  // not a runnable program: not counted
    ++report.mutants;
    bool killed = false;
    for (const testing::TestResult& t : runner.Run(**mp, mopts)) {
      killed |= !t.passed;
    }
    if (killed) {
      ++report.mutants_killed;
    } else {
      report.surviving_mutants.push_back(mutants[i].what);
    }
  }
  progress("mutation", static_cast<int>(mutants.size()),
           static_cast<int>(mutants.size()));

  // Verdict.
  if (report.tests_failed > 0) {
    report.reasons.push_back(StrCat(report.tests_failed, " test(s) failed"));
  }
  int adversarial = 0;
  for (const Finding& f : report.findings) adversarial += f.phase == "adversarial";
  if (adversarial > 0) {
    report.reasons.push_back(
        StrCat(adversarial, " adversarial case(s) failed"));
  }
  if (report.coverage() + 1e-9 < options.min_branch_coverage) {
    report.reasons.push_back(StrCat(
        "branch coverage ", static_cast<int>(report.coverage() * 100),
        "% is below ", static_cast<int>(options.min_branch_coverage * 100),
        "%"));
  }
  if (report.mutation_score() + 1e-9 < options.min_mutation_score) {
    report.reasons.push_back(StrCat(
        "mutation score ", static_cast<int>(report.mutation_score() * 100),
        "% is below ", static_cast<int>(options.min_mutation_score * 100),
        "%"));
  }
  if (bases.empty()) {
    report.reasons.push_back(
        "no test blocks: adversarial cases are built from the tests' worlds");
  }
  report.passed = report.reasons.empty();
  report.seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - started)
                       .count();
  return report;
}

}  // namespace wfs::harden
