#include "testing/test_runner.h"

#include <chrono>
#include <memory>

#include "base/sha256.h"
#include "base/strings.h"
#include "connectors/sim/simulators.h"
#include "runtime/builtins.h"
#include "runtime/types.h"
#include "testing/generate.h"

namespace wfs::testing {

using connectors::ActionRequest;
using connectors::ActionResponse;
using connectors::Connector;
using runtime::Answer;
using runtime::Items;
using runtime::Kind;
using runtime::Value;

namespace {

// Makes chosen actions fail after a number of successful calls.
class FaultyConnector : public Connector {
 public:
  FaultyConnector(Connector* inner, std::map<std::string, int> after)
      : inner_(inner), after_(std::move(after)) {}
  const std::string& name() const override { return inner_->name(); }
  Result<ActionResponse> Invoke(const ActionRequest& r) override {
    auto it = after_.find(r.action);
    if (it != after_.end() && !r.compensation) {
      if (calls_[r.action]++ >= it->second) {
        return Unavailable(StrCat("injected fault: ", name(), ".", r.action,
                                  " failed"));
      }
    }
    return inner_->Invoke(r);
  }
  Result<std::string> ScopeKey(const std::string& action,
                               const std::string& param, const Json& value,
                               const connectors::ScopeMap& scopes) override {
    return inner_->ScopeKey(action, param, value, scopes);
  }

 private:
  Connector* inner_;
  std::map<std::string, int> after_;
  std::map<std::string, int> calls_;
};

// Answers from a list, then at random (when allowed) or by timing out;
// remembers what it answered so a failing case can be replayed exactly.
class CaseApprover : public runtime::Approver {
 public:
  CaseApprover(const std::vector<Answer>& scripted, bool random, uint64_t seed)
      : scripted_(scripted), random_(random), rng_(seed) {}
  Answer Ask(const runtime::Prompt& p) override {
    Answer a = Answer::Timeout();
    if (next_ < scripted_.size()) {
      a = scripted_[next_];
    } else if (random_) {
      uint64_t r = rng_.Uniform(10);
      if (p.kind == runtime::Prompt::Kind::kChoose) {
        a = r < 8 ? Answer::Choose(static_cast<int>(
                        rng_.Uniform(std::max<size_t>(p.options.size(), 1))))
            : r == 8 ? Answer::Deny()
                     : Answer::Timeout();
      } else {
        a = r < 6 ? Answer::Approve() : r < 9 ? Answer::Deny()
                                              : Answer::Timeout();
      }
    }
    ++next_;
    given_.push_back(a);
    return a;
  }
  const std::vector<Answer>& given() const { return given_; }

 private:
  std::vector<Answer> scripted_;
  bool random_;
  Rng rng_;
  size_t next_ = 0;
  std::vector<Answer> given_;
};

Json AnswerJson(const Answer& a) {
  if (a.kind == Answer::Kind::kChoose) return Json{{"choose", a.choice}};
  return runtime::AnswerText(a);
}

Answer AnswerFromJson(const Json& j) {
  if (j.is_object() && j.contains("choose") && j["choose"].is_number_integer()) {
    return Answer::Choose(j["choose"].get<int>());
  }
  std::string s = j.is_string() ? j.get<std::string>() : "";
  if (s == "approve") return Answer::Approve();
  if (s == "deny") return Answer::Deny();
  return Answer::Timeout();
}

Value Str(const std::string& s) { return Value::String(s); }

Value EffectRecord(const runtime::CallRecord& c) {
  auto args = runtime::FromJson(c.args, runtime::RType{}, runtime::Label{},
                                nullptr, "args");
  std::string connector = c.action.substr(0, c.action.find('.'));
  return Value::Record({"action", "connector", "effect", "args", "undone"},
                       {Str(c.action), Str(connector), Str(c.effect),
                        args.ok() ? *args : Value::None(),
                        Value::Bool(c.undone)});
}

std::string Show(const Value& v) {
  std::string s = v.Display();
  if (v.kind() == Kind::kString) s = "\"" + s + "\"";
  return s.size() > 300 ? s.substr(0, 300) + "..." : s;
}

}  // namespace

TestRunner::TestRunner(connectors::sim::WorldSchema schema,
                       const runtime::ProgramResolver* resolver)
    : schema_(std::move(schema)), resolver_(resolver) {}

CaseRun TestRunner::RunCase(const runtime::Program& program,
                            const CaseSpec& spec, const TestOptions& options) {
  CaseRun out;
  auto world = connectors::sim::World::FromJson(spec.world, schema_);
  if (!world.ok()) {
    out.status = world.status();
    return out;
  }
  std::vector<std::unique_ptr<Connector>> sims =
      connectors::sim::MakeSimulators(&*world);
  std::map<std::string, std::map<std::string, int>> faults;
  for (const auto& [action, after] : spec.faults) {
    size_t dot = action.find('.');
    faults[action.substr(0, dot)][action.substr(dot + 1)] = after;
  }
  std::vector<std::unique_ptr<Connector>> wrappers;
  connectors::ConnectorSet set;
  for (auto& s : sims) {
    auto f = faults.find(s->name());
    if (f != faults.end()) {
      wrappers.push_back(std::make_unique<FaultyConnector>(s.get(), f->second));
      set.Add(wrappers.back().get());
    } else {
      set.Add(s.get());
    }
  }
  CaseApprover approver(spec.answers, spec.answer_any, spec.answer_seed);
  FakeClock clock;
  runtime::ExecContext ctx;
  ctx.connectors = &set;
  ctx.approver = &approver;
  ctx.resolver = resolver_;
  ctx.clock = &clock;
  ctx.run_id = "test";
  ctx.caller = "test";
  ctx.options = options.exec;
  ctx.coverage = options.coverage;
  auto r = runtime::Execute(program, spec.inputs, ctx);
  if (!r.ok()) {
    out.status = r.status();
    return out;
  }
  out.run = std::move(*r);
  out.world_after = world->ToJson();
  out.answers_given = approver.given();
  return out;
}

Result<Value> TestRunner::WorldValue(const std::string& ref,
                                     const Json& world) const {
  size_t dot = ref.find('.');
  std::string conn = ref.substr(0, dot);
  std::string coll = ref.substr(dot + 1);
  auto c = schema_.find(conn);
  if (c == schema_.end() || !c->second.count(coll)) {
    return InvalidArgument("unknown world collection " + ref);
  }
  WFS_ASSIGN_OR_RETURN(runtime::RTypePtr t,
                       runtime::ParseType(c->second.at(coll)));
  Json data = Json::array();
  if (world.contains(conn) && world[conn].contains(coll)) {
    data = world[conn][coll];
  }
  return runtime::FromJson(data, *t, runtime::Label{}, nullptr, ref);
}

Result<Value> TestRunner::Evaluate(
    const Json& e, const CaseRun& run,
    const std::map<std::string, Value>& vars) const {
  if (!e.is_object()) return InvalidArgument("malformed expectation");
  if (e.contains("lit")) {
    const Json& v = e["lit"];
    if (e.value("decimal", false) && v.is_string()) {
      WFS_ASSIGN_OR_RETURN(int64_t d, runtime::ParseDecimal(
                                          v.get_ref<const std::string&>()));
      return Value::Decimal(d);
    }
    return runtime::FromJson(v, runtime::RType{}, runtime::Label{}, nullptr,
                             "literal");
  }
  if (e.contains("var")) {
    std::string name = e["var"].get<std::string>();
    auto it = vars.find(name);
    if (it != vars.end()) return it->second;
    const runtime::RunResult& r = run.run;
    if (name == "output") return r.outputs;
    if (name == "outcome") return Str(runtime::OutcomeName(r.outcome));
    if (name == "error") return Str(r.error);
    if (name == "effects") {
      Items items;
      for (const runtime::CallRecord* c : r.Effects()) {
        items.push_back(EffectRecord(*c));
      }
      return Value::List(std::move(items));
    }
    if (name == "undone") {
      Items items;
      for (const runtime::UndoRecord& u : r.undo) {
        if (!u.ok) continue;
        for (const runtime::CallRecord& c : r.calls) {
          if (c.seq == u.seq) items.push_back(EffectRecord(c));
        }
      }
      return Value::List(std::move(items));
    }
    if (name == "asked") {
      Items items;
      for (const runtime::Prompt& p : r.asked) items.push_back(Str(p.text));
      return Value::List(std::move(items));
    }
    return InvalidArgument("unknown name " + name);
  }
  if (e.contains("world")) return WorldValue(e["world"].get<std::string>(),
                                             run.world_after);
  if (e.contains("field")) {
    WFS_ASSIGN_OR_RETURN(Value of, Evaluate(e["of"], run, vars));
    std::string f = e["field"].get<std::string>();
    if (of.kind() == Kind::kList) {  // a field across a list
      Items items;
      for (const Value& x : of.items()) {
        const Value* v = x.RawField(f);
        items.push_back(v ? *v : Value::None());
      }
      return Value::List(std::move(items));
    }
    const Value* v = of.RawField(f);
    if (v == nullptr) return Value::None();
    return *v;
  }
  if (e.contains("index")) {
    WFS_ASSIGN_OR_RETURN(Value of, Evaluate(e["of"], run, vars));
    WFS_ASSIGN_OR_RETURN(Value idx, Evaluate(e["index"], run, vars));
    if (of.kind() != Kind::kList || idx.kind() != Kind::kInt ||
        idx.i() < 0 || static_cast<size_t>(idx.i()) >= of.items().size()) {
      return InvalidArgument(StrCat("index ", idx.Display(), " out of range of ",
                                    Show(of)));
    }
    return of.items()[idx.i()];
  }
  if (e.contains("list")) {
    Items items;
    for (const Json& x : e["list"]) {
      WFS_ASSIGN_OR_RETURN(Value v, Evaluate(x, run, vars));
      items.push_back(std::move(v));
    }
    return Value::List(std::move(items));
  }
  if (e.contains("record")) {
    std::vector<std::string> names;
    Items vals;
    for (const auto& [k, x] : e["record"].items()) {
      WFS_ASSIGN_OR_RETURN(Value v, Evaluate(x, run, vars));
      names.push_back(k);
      vals.push_back(std::move(v));
    }
    return Value::Record(std::move(names), std::move(vals));
  }
  if (e.contains("format")) {
    std::string out;
    const Json& pieces = e["format"];
    const Json& args = e["args"];
    for (size_t i = 0; i < pieces.size(); ++i) {
      out += pieces[i].get<std::string>();
      if (i < args.size()) {
        WFS_ASSIGN_OR_RETURN(Value v, Evaluate(args[i], run, vars));
        out += v.Display();
      }
    }
    return Str(out);
  }
  if (e.contains("op") || e.contains("fn")) {
    std::vector<Value> args;
    for (const Json& x : e.value("args", Json::array())) {
      WFS_ASSIGN_OR_RETURN(Value v, Evaluate(x, run, vars));
      args.push_back(std::move(v));
    }
    std::string name = e.contains("op") ? e["op"].get<std::string>()
                                        : e["fn"].get<std::string>();
    runtime::Fn fn = runtime::BuiltinFn(name);
    if (fn == runtime::Fn::kNone) {
      return InvalidArgument("unknown operation " + name);
    }
    if (e.contains("op") && args.size() == 1) {
      return runtime::ApplyUnary(fn, args[0]);
    }
    if (e.contains("op") && args.size() == 2) {
      return runtime::ApplyBinary(fn, args[0], args[1]);
    }
    std::vector<const Value*> ptrs;
    for (const Value& v : args) ptrs.push_back(&v);
    return runtime::ApplyBuiltin(fn, ptrs);
  }
  return InvalidArgument("malformed expectation");
}

std::string TestRunner::Check(const Json& test, const CaseRun& run,
                              const std::map<std::string, Value>& vars) const {
  if (!run.status.ok()) return run.status.message();
  for (const Json& ex : test.value("expect", Json::array())) {
    const Json& expr = ex.value("expr", Json());
    std::string where = StrCat("expect ", ex.value("text", ""), " (line ",
                               ex.value("at", Json::array({0}))[0].dump(), ")");
    auto v = Evaluate(expr, run, vars);
    if (!v.ok()) return StrCat(where, ": ", v.status().message());
    if (v->kind() == Kind::kBool && v->b()) continue;
    std::string detail;
    const std::string op = expr.value("op", "");
    if (expr.contains("args") && expr["args"].size() == 2 && !op.empty()) {
      auto l = Evaluate(expr["args"][0], run, vars);
      auto r = Evaluate(expr["args"][1], run, vars);
      if (l.ok() && r.ok()) {
        detail = StrCat(": left is ", Show(*l), ", right is ", Show(*r));
      }
    }
    std::string context =
        StrCat(" [outcome ", runtime::OutcomeName(run.run.outcome),
               run.run.error.empty() ? "" : ": " + run.run.error, "]");
    return StrCat(where, " failed", detail, context);
  }
  return "";
}

TestResult TestRunner::RunTest(const runtime::Program& p, const Json& test,
                               const TestOptions& options) {
  TestResult tr;
  tr.workflow = p.name + "@" + p.version;
  tr.name = test.value("name", "");
  tr.cases = 1;
  CaseSpec spec;
  Json world = Json::object();
  for (const Json& g : test.value("given", Json::array())) {
    world[g.value("connector", "")][g.value("key", "")] = g.value("value", Json());
  }
  spec.world = world;
  spec.inputs = test.value("call", Json::object());
  for (const Json& a : test.value("answers", Json::array())) {
    spec.answers.push_back(AnswerFromJson(a));
  }
  for (const Json& f : test.value("faults", Json::array())) {
    spec.faults.emplace_back(f.value("action", ""),
                             JsonIntMember32(f, "after", 0));
  }
  CaseRun run = RunCase(p, spec, options);
  tr.message = Check(test, run, {});
  tr.passed = tr.message.empty();
  return tr;
}

TestResult TestRunner::RunProperty(const runtime::Program& p, const Json& test,
                                   const TestOptions& options) {
  TestResult tr;
  tr.workflow = p.name + "@" + p.version;
  tr.name = test.value("name", "");
  tr.property = true;
  // The seed depends on the run's seed and the property, so reordering tests
  // does not change what each one sees.
  std::string h = Sha256Hex(StrCat(options.seed, "/", tr.workflow, "/", tr.name));
  uint64_t base = std::stoull(h.substr(0, 15), nullptr, 16);
  tr.seed = base;
  std::vector<Answer> scripted;
  for (const Json& a : test.value("answers", Json::array())) {
    scripted.push_back(AnswerFromJson(a));
  }
  bool any = test.value("answer_any", false);
  std::vector<std::pair<std::string, int>> faults;
  for (const Json& f : test.value("faults", Json::array())) {
    faults.emplace_back(f.value("action", ""), JsonIntMember32(f, "after", 0));
  }
  struct Case {
    Json world;
    Json vars;
    std::vector<Answer> answers;
  };
  // Builds the call's inputs from the forall variables.
  auto make_inputs = [&](const Json& vars) {
    Json inputs = Json::object();
    for (const auto& [k, v] : JsonObjectMember(test, "call").items()) {
      if (v.is_object() && v.contains("var") && vars.contains(v["var"])) {
        inputs[k] = vars[v["var"].get<std::string>()];
      } else {
        inputs[k] = v;
      }
    }
    return inputs;
  };
  auto var_values = [&](const Json& vars) {
    std::map<std::string, Value> out;
    for (const Json& f : test.value("forall", Json::array())) {
      std::string name = f.value("name", "");
      auto t = runtime::ParseType(f.value("type", Json()));
      if (!t.ok() || !vars.contains(name)) continue;
      auto v = runtime::FromJson(vars[name], **t, runtime::Label{}, nullptr,
                                 name);
      if (v.ok()) out[name] = *v;
    }
    return out;
  };
  auto run_case = [&](const Case& c, uint64_t answer_seed, bool random,
                      CaseRun* out) {
    CaseSpec spec;
    spec.world = c.world;
    spec.inputs = make_inputs(c.vars);
    spec.answers = c.answers;
    spec.answer_any = random;
    spec.answer_seed = answer_seed;
    spec.faults = faults;
    *out = RunCase(p, spec, options);
    // Generated data the workflow cannot accept is not a failure.
    if (!out->status.ok()) return std::string();
    return Check(test, *out, var_values(c.vars));
  };
  for (int i = 0; i < options.property_cases; ++i) {
    Generator gen(base + static_cast<uint64_t>(i));
    Case c;
    c.world = Json::object();
    for (const Json& g : test.value("given", Json::array())) {
      std::string conn = g.value("connector", "");
      std::string key = g.value("key", "");
      if (g.value("any", false)) {
        auto sc = schema_.find(conn);
        if (sc != schema_.end() && sc->second.count(key)) {
          c.world[conn][key] = gen.Collection(sc->second.at(key));
        }
      } else {
        c.world[conn][key] = g.value("value", Json());
      }
    }
    c.vars = Json::object();
    for (const Json& f : test.value("forall", Json::array())) {
      c.vars[f.value("name", "")] = gen.Value(f.value("type", Json()));
    }
    c.answers = scripted;
    CaseRun run;
    std::string msg = run_case(c, base + static_cast<uint64_t>(i), any, &run);
    ++tr.cases;
    if (msg.empty()) continue;
    // Shrink: fix the answers that were given, then try smaller worlds and
    // inputs while the property still fails.
    c.answers = run.answers_given;
    Case best = c;
    std::string best_msg = msg;
    bool progress = true;
    while (progress && tr.shrink_steps < options.max_shrink_steps) {
      progress = false;
      std::vector<Case> candidates;
      for (const auto& [conn, colls] : best.world.items()) {
        for (const auto& [key, value] : colls.items()) {
          for (Json& smaller : ShrinkValue(value)) {
            Case cand = best;
            cand.world[conn][key] = std::move(smaller);
            candidates.push_back(std::move(cand));
          }
        }
      }
      for (const auto& [name, value] : best.vars.items()) {
        for (Json& smaller : ShrinkValue(value)) {
          Case cand = best;
          cand.vars[name] = std::move(smaller);
          candidates.push_back(std::move(cand));
        }
      }
      for (size_t k = 0; k < best.answers.size(); ++k) {
        if (best.answers[k].kind != Answer::Kind::kApprove &&
            best.answers[k].kind != Answer::Kind::kChoose) {
          Case cand = best;
          cand.answers[k] = Answer::Approve();
          candidates.push_back(std::move(cand));
        }
      }
      for (Case& cand : candidates) {
        if (++tr.shrink_steps > options.max_shrink_steps) break;
        CaseRun r2;
        std::string m2 = run_case(cand, 0, false, &r2);
        if (!m2.empty()) {
          best = std::move(cand);
          best_msg = m2;
          progress = true;
          break;
        }
      }
    }
    Json answers = Json::array();
    for (const Answer& a : best.answers) answers.push_back(AnswerJson(a));
    tr.counterexample = {{"world", best.world},
                         {"inputs", make_inputs(best.vars)},
                         {"answers", answers},
                         {"case", i}};
    tr.message = best_msg;
    tr.passed = false;
    return tr;
  }
  tr.passed = true;
  return tr;
}

std::vector<TestResult> TestRunner::Run(const runtime::Program& program,
                                        const TestOptions& options) {
  std::vector<TestResult> out;
  for (const Json& t : program.tests) {
    std::string name = t.value("name", "");
    if (!options.filter.empty() &&
        name.find(options.filter) == std::string::npos) {
      continue;
    }
    auto start = std::chrono::steady_clock::now();
    TestResult r = t.value("property", false) ? RunProperty(program, t, options)
                                              : RunTest(program, t, options);
    r.millis = std::chrono::duration<double, std::milli>(
                   std::chrono::steady_clock::now() - start)
                   .count();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace wfs::testing
