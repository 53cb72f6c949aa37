#include "runtime/interpreter.h"

#include <algorithm>

#include "base/strings.h"
#include "runtime/builtins.h"
#include "runtime/scope.h"
#include "runtime/types.h"

namespace wfs::runtime {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kCompleted: return "completed";
    case Outcome::kFailed: return "failed";
    case Outcome::kDenied: return "denied";
    case Outcome::kUnanswered: return "unanswered";
    case Outcome::kViolation: return "violation";
    case Outcome::kLimit: return "limit";
    case Outcome::kWaiting: return "waiting";
  }
  return "failed";
}

std::string AnswerText(const Answer& a) {
  switch (a.kind) {
    case Answer::Kind::kApprove: return "approve";
    case Answer::Kind::kDeny: return "deny";
    case Answer::Kind::kChoose: return "choose " + std::to_string(a.choice);
    case Answer::Kind::kTimeout: return "timeout";
    case Answer::Kind::kDefer: return "defer";
  }
  return "?";
}

std::optional<Result<connectors::ActionResponse>> ExecHooks::Replay(
    const EffectEvent&) {
  return std::nullopt;
}
Status ExecHooks::BeforeEffect(const EffectEvent&) { return Status::Ok(); }
void ExecHooks::AfterEffect(const EffectEvent&,
                            const Result<connectors::ActionResponse>&) {}
std::optional<Answer> ExecHooks::BeforePrompt(const Prompt&) {
  return std::nullopt;
}
void ExecHooks::AfterPrompt(const Prompt&, const Answer&) {}
bool ExecHooks::UndoneBefore(const UndoEvent&) { return false; }
void ExecHooks::AfterUndo(const UndoEvent&, const Status&) {}

Json LabelJson(const Label& l) {
  Json prov = Json::array();
  static const char* kNames[] = {"literal", "agent",     "person",
                                 "trusted", "untrusted", "endorsed",
                                 "directory"};
  for (int i = 0; i < 7; ++i) {
    if (l.prov & (1 << i)) prov.push_back(kNames[i]);
  }
  return Json{{"prov", std::move(prov)}, {"conf", lang::ConfName(l.conf)}};
}

namespace {

struct CondFrame {
  Label saved_pc;
  Label saved_cond_pc;
  Label cond;
};

struct LoopFrame {
  Value list;
  size_t index = 0;
};

struct Frame {
  const Program* prog = nullptr;
  ProgramPtr hold;  // keeps a sub-workflow's program alive
  std::vector<Value> slots;
  size_t pc = 0;
  int ret_dst = -1;
  Label pc_label;   // what influences whether the current step runs
  Label cond_pc;    // join of enclosing conditions (not reset by confirm)
  std::vector<CondFrame> conds;
  std::vector<LoopFrame> loops;
  std::map<std::string, int64_t> counts;  // effects against this frame's limits
  std::map<std::string, std::vector<std::string>> scopes;  // "conn.scope"
  std::map<std::string, connectors::ScopeMap> conn_scopes;  // per connector
  std::string ref;  // name@version
};

struct UndoEntry {
  int seq;
  std::string connector;
  Json undo;
  std::string key;
  connectors::ScopeMap scopes;  // the effect's scopes, for its undo
};

// Whether a value has the shape of a type (arguments come from a checked
// program; this guards against tampered IR).
bool Matches(const Value& v, const RType& t, int depth = 0) {
  if (depth > 64) return false;
  switch (t.k) {
    case RType::kAny: return true;
    case RType::kOptional:
      return v.kind() == Kind::kNone || Matches(v, *t.elem, depth + 1);
    case RType::kNominal: return Matches(v, *t.elem, depth + 1);
    case RType::kBool: return v.kind() == Kind::kBool;
    case RType::kInt: return v.kind() == Kind::kInt;
    case RType::kDecimal:
      return v.kind() == Kind::kDecimal || v.kind() == Kind::kInt;
    case RType::kString:
    case RType::kEnum: return v.kind() == Kind::kString;
    case RType::kBytes:
      return v.kind() == Kind::kBytes || v.kind() == Kind::kString;
    case RType::kTime: return v.kind() == Kind::kTime;
    case RType::kDuration: return v.kind() == Kind::kDuration;
    case RType::kList:
      if (v.kind() != Kind::kList) return false;
      for (const Value& x : v.items()) {
        if (!Matches(x, *t.elem, depth + 1)) return false;
      }
      return true;
    case RType::kRecord:
      if (v.kind() != Kind::kRecord) return false;
      for (const RField& f : t.fields) {
        const Value* x = v.RawField(f.name);
        if (x == nullptr) {
          if (f.type->k != RType::kOptional) return false;
        } else if (!Matches(*x, *f.type, depth + 1)) {
          return false;
        }
      }
      return true;
  }
  return false;
}

// Where a taint came from, rendered to text only when a message needs it.
struct OriginNote {
  enum Kind : uint8_t { kNone, kInput, kInputConf, kResult, kResultConf, kField,
                        kFieldPrivate };
  Kind kind = kNone;
  const std::string* a = nullptr;  // input, action or field name
  const std::string* b = nullptr;  // action (fields)
  const Program* where = nullptr;  // the workflow (outlives the run)
  uint32_t line = 0;
  uint32_t col = 0;
  uint8_t conf = 0;
};

class Interpreter {
 public:
  Interpreter(ExecContext& ctx, RunResult& r) : ctx_(ctx), r_(r) {
    clock_ = ctx.clock ? ctx.clock : &system_clock_;
    notes_.push_back(OriginNote{});  // origin 0: unknown
  }

  // `inputs`: the program's input values by input index, already checked.
  void Run(const Program& prog, std::vector<Value> inputs) {
    r_.started_micros = clock_->NowMicros();
    start_mono_ = clock_->MonotonicMicros();
    Frame f;
    f.prog = &prog;
    f.ref = prog.name + "@" + prog.version;
    f.slots.resize(prog.slots);
    r_.input_labels.reserve(prog.inputs.size());
    for (size_t i = 0; i < prog.inputs.size(); ++i) {
      const InputSpec& in = prog.inputs[i];
      Label l;
      l.prov = kProvAgent;
      l.conf = static_cast<uint8_t>(in.conf);
      l.agent_origin = Note({OriginNote::kInput, &in.name});
      if (in.conf > 0) {
        OriginNote n{OriginNote::kInputConf, &in.name};
        n.conf = l.conf;
        l.private_origin = Note(n);
      }
      f.slots[in.slot] = inputs[i].WithLabel(l);
      r_.input_labels.emplace_back(in.name, l);
    }
    ResolveScopes(f);
    frames_.push_back(std::move(f));
    Loop();
    if (r_.outcome != Outcome::kCompleted && r_.outcome != Outcome::kWaiting) {
      Compensate();
    }
    for (const auto& [name, c] : ctx_.connectors->all()) c->EndRun(ctx_.run_id);
    r_.finished_micros = clock_->NowMicros();
  }

 private:
  uint32_t Note(OriginNote n) {
    notes_.push_back(n);
    return static_cast<uint32_t>(notes_.size() - 1);
  }
  std::string OriginText(uint32_t o) const {
    if (o == 0 || o >= notes_.size()) return "";
    const OriginNote& n = notes_[o];
    std::string at = n.where ? StrCat(n.where->name, "@", n.where->version,
                                      " line ", n.line, ":", n.col)
                             : "";
    switch (n.kind) {
      case OriginNote::kInput:
        return StrCat("input `", *n.a, "`, chosen by the agent");
      case OriginNote::kInputConf:
        return StrCat("input `", *n.a, "` is declared ",
                      lang::ConfName(n.conf));
      case OriginNote::kResult:
        return StrCat("the result of ", *n.a, " at ", at);
      case OriginNote::kResultConf:
        return StrCat("the result of ", *n.a, " (", lang::ConfName(n.conf),
                      ")");
      case OriginNote::kField:
        return StrCat("field `", *n.a, "` of ", *n.b, "'s result at ", at,
                      " (outsiders can write it)");
      case OriginNote::kFieldPrivate:
        return StrCat("field `", *n.a, "` of ", *n.b, "'s result at ", at,
                      " (private)");
      default: return "";
    }
  }

  void ResolveScopes(Frame& f) {
    for (const ScopeSpec& s : f.prog->scopes) {
      std::vector<std::string> values = s.values;
      for (int slot : s.input_slots) {
        const Value& v = f.slots[slot];
        if (v.kind() == Kind::kList) {
          for (const Value& x : v.items()) values.push_back(x.Display());
        } else if (v.kind() != Kind::kNone) {
          values.push_back(v.Display());
        }
      }
      f.conn_scopes[s.connector][s.scope] = values;
      f.scopes[s.connector + "." + s.scope] = std::move(values);
    }
  }

  void Stop(Outcome o, std::string error, std::string rule = "") {
    if (stopped_) return;
    stopped_ = true;
    r_.outcome = o;
    r_.error = std::move(error);
    r_.rule = std::move(rule);
  }

  std::string At(const Instr& in) const {
    return StrCat(frames_.back().ref, " line ", in.line, ":", in.col);
  }

  void Charge(size_t bytes) {
    bytes_ += bytes;
    if (bytes_ > ctx_.options.max_bytes) {
      Stop(Outcome::kLimit,
           StrCat("the run created more than ", ctx_.options.max_bytes,
                  " bytes of values"));
    }
  }

  void Cover(const Frame& f, int branch, int side) {
    if (ctx_.coverage) {
      (*ctx_.coverage)[f.prog->content_id].insert({branch, side});
    }
  }

  void Loop() {
    while (!stopped_) {
      if (++r_.steps > ctx_.options.max_steps) {
        Stop(Outcome::kLimit,
             StrCat("the run exceeded ", ctx_.options.max_steps, " steps"));
        return;
      }
      if ((r_.steps & 63) == 0 &&
          clock_->MonotonicMicros() - start_mono_ >
              ctx_.options.max_wall_micros) {
        Stop(Outcome::kLimit, StrCat("the run exceeded its wall-time limit of ",
                                     ctx_.options.max_wall_micros / 1000,
                                     " ms"));
        return;
      }
      Frame& f = frames_.back();
      if (f.pc >= f.prog->code.size()) {
        Return(f, nullptr);
        continue;
      }
      const Instr& in = f.prog->code[f.pc++];
      Step(f, in);
    }
  }

  void Step(Frame& f, const Instr& in) {
    const Program& p = *f.prog;
    switch (in.op) {
      case Op::kConst: f.slots[in.dst] = p.consts[in.aux]; break;
      case Op::kCopy: f.slots[in.dst] = f.slots[in.a]; break;
      case Op::kAssign: {
        const Value& v = f.slots[in.a];
        f.slots[in.dst] = v.WithLabel(Join(v.label(), f.cond_pc));
        break;
      }
      case Op::kField: {
        const Value& rec = f.slots[in.a];
        const Value* field = rec.RawField(p.names[in.aux]);
        if (field == nullptr) {
          Stop(Outcome::kFailed,
               StrCat("no field `", p.names[in.aux], "` in ",
                      KindName(rec.kind()), " at ", At(in)));
          return;
        }
        f.slots[in.dst] = field->WithLabel(Join(field->label(), rec.label()));
        break;
      }
      case Op::kIndex: {
        const Value& list = f.slots[in.a];
        const Value& idx = f.slots[in.b];
        if (list.kind() != Kind::kList || idx.kind() != Kind::kInt) {
          Stop(Outcome::kFailed, StrCat("bad index at ", At(in)));
          return;
        }
        if (idx.i() < 0 || static_cast<size_t>(idx.i()) >= list.items().size()) {
          Stop(Outcome::kFailed,
               StrCat("index ", idx.i(), " is out of range (the list has ",
                      list.items().size(), " items) at ", At(in)));
          return;
        }
        const Value& item = list.items()[idx.i()];
        f.slots[in.dst] = item.WithLabel(
            Join(Join(item.label(), list.label()), idx.Flatten()));
        break;
      }
      case Op::kList: {
        Items items;
        const std::vector<int>& slots = p.slot_lists[in.aux];
        items.reserve(slots.size());
        for (int s : slots) items.push_back(f.slots[s]);
        Label lit;
        lit.prov = kProvLiteral;
        Charge(32 * items.size());
        f.slots[in.dst] = Value::List(std::move(items), lit);
        break;
      }
      case Op::kRecord: {
        const auto& [shape, slots] = p.records[in.aux];
        Items items;
        items.reserve(slots.size());
        for (int s : slots) items.push_back(f.slots[s]);
        Charge(32 * items.size());
        f.slots[in.dst] = Value::Record(shape, std::move(items), Label{});
        break;
      }
      case Op::kUnary:
      case Op::kBinary:
      case Op::kCall: {
        Result<Value> v = Value();
        if (in.op == Op::kUnary) {
          v = ApplyUnary(in.fn, f.slots[in.a]);
        } else if (in.op == Op::kBinary) {
          v = ApplyBinary(in.fn, f.slots[in.a], f.slots[in.b]);
        } else {
          std::vector<const Value*> args;
          for (int s : p.slot_lists[in.aux]) args.push_back(&f.slots[s]);
          v = ApplyBuiltin(in.fn, args);
        }
        if (!v.ok()) {
          Stop(Outcome::kFailed,
               StrCat(v.status().message(), " at ", At(in)));
          return;
        }
        if (v->kind() == Kind::kString) Charge(v->s().size());
        f.slots[in.dst] = std::move(*v);
        break;
      }
      case Op::kFormat: {
        const auto& [pieces, slots] = p.formats[in.aux];
        std::string out = pieces[0];
        Label l;
        l.prov = kProvLiteral;
        for (size_t i = 0; i < slots.size(); ++i) {
          const Value& v = f.slots[slots[i]];
          out += v.Display();
          out += pieces[i + 1];
          l = Join(l, v.Flatten());
        }
        Charge(out.size());
        f.slots[in.dst] = Value::String(std::move(out), l);
        break;
      }
      case Op::kConvert: {
        const Value& v = f.slots[in.a];
        const RType& base = Base(*p.types[in.aux]);
        bool ok = (base.k == RType::kString &&
                   (v.kind() == Kind::kString || v.kind() == Kind::kBytes)) ||
                  (base.k == RType::kInt && v.kind() == Kind::kInt) ||
                  base.k == RType::kAny || base.k == RType::kRecord ||
                  base.k == RType::kList;
        if (!ok) {
          Stop(Outcome::kFailed, StrCat("cannot convert ", KindName(v.kind()),
                                        " to ", TypeName(*p.types[in.aux]),
                                        " at ", At(in)));
          return;
        }
        f.slots[in.dst] = v;
        break;
      }
      case Op::kAction: CallAction(f, in); break;
      case Op::kWorkflow: CallWorkflow(f, in); break;
      case Op::kIf: {
        const Value& c = f.slots[in.a];
        if (c.kind() != Kind::kBool) {
          Stop(Outcome::kFailed, StrCat("condition is not a bool at ", At(in)));
          return;
        }
        Label cl = c.Flatten();
        f.conds.push_back(CondFrame{f.pc_label, f.cond_pc, cl});
        f.pc_label = Join(f.pc_label, cl);
        f.cond_pc = Join(f.cond_pc, cl);
        Cover(f, static_cast<int>(in.aux), c.b() ? 1 : 2);
        if (!c.b()) f.pc = static_cast<size_t>(in.jump);
        break;
      }
      case Op::kJump: f.pc = static_cast<size_t>(in.jump); break;
      case Op::kEndIf:
      case Op::kForEnd: {
        if (in.op == Op::kForEnd && !f.loops.empty()) f.loops.pop_back();
        if (f.conds.empty()) break;
        CondFrame cf = f.conds.back();
        f.conds.pop_back();
        f.pc_label = cf.saved_pc;
        f.cond_pc = cf.saved_cond_pc;
        const JoinInfo& join = p.joins[in.aux];
        // Hybrid monitoring: what the branch could have done when not taken
        // still depends on the condition.
        if (join.may_exit) {
          f.pc_label = Join(f.pc_label, cf.cond);
          f.cond_pc = Join(f.cond_pc, cf.cond);
        }
        for (int s : join.assigned) {
          f.slots[s] = f.slots[s].WithLabel(Join(f.slots[s].label(), cf.cond));
        }
        break;
      }
      case Op::kForInit: {
        const Value& list = f.slots[in.a];
        if (list.kind() != Kind::kList) {
          Stop(Outcome::kFailed, StrCat("`for` over a non-list at ", At(in)));
          return;
        }
        if (list.items().size() > static_cast<size_t>(in.b)) {
          Stop(Outcome::kLimit,
               StrCat("the list has ", list.items().size(),
                      " items but the loop allows ", in.b, " at ", At(in)));
          return;
        }
        Cover(f, static_cast<int>(in.aux), list.items().empty() ? 2 : 1);
        f.conds.push_back(CondFrame{f.pc_label, f.cond_pc, list.label()});
        f.pc_label = Join(f.pc_label, list.label());
        f.cond_pc = Join(f.cond_pc, list.label());
        f.loops.push_back(LoopFrame{list, 0});
        break;
      }
      case Op::kForNext: {
        LoopFrame& lf = f.loops.back();
        if (lf.index >= lf.list.items().size()) {
          f.pc = static_cast<size_t>(in.jump);
          break;
        }
        const Value& item = lf.list.items()[lf.index++];
        f.slots[in.dst] = item.WithLabel(Join(item.label(), lf.list.label()));
        break;
      }
      case Op::kConfirm: Confirm(f, in); break;
      case Op::kChoose: Choose(f, in); break;
      case Op::kEndorse: {
        const auto& [target, reason] = p.endorsements[in.aux];
        (void)reason;
        f.slots[target.slot] =
            RelabelPath(f.slots[target.slot], target.path, 0, kProvEndorsed);
        break;
      }
      case Op::kReturn: Return(f, &p.returns[in.aux]); break;
      case Op::kFail:
        Stop(Outcome::kFailed, f.slots[in.a].Display());
        break;
    }
  }

  // Asks the person (or replays a recorded answer).
  Answer Ask(Prompt prompt) {
    prompt.seq = static_cast<int>(r_.asked.size());
    std::optional<Answer> replay;
    if (ctx_.hooks) replay = ctx_.hooks->BeforePrompt(prompt);
    Answer a = replay ? *replay
               : ctx_.approver ? ctx_.approver->Ask(prompt)
                               : Answer::Timeout();
    if (ctx_.hooks && !replay) ctx_.hooks->AfterPrompt(prompt, a);
    r_.asked.push_back(prompt);
    r_.answers.push_back(a);
    return a;
  }

  bool Answered(const Answer& a, const Instr& in) {
    switch (a.kind) {
      case Answer::Kind::kDeny:
        Stop(Outcome::kDenied, StrCat("the person declined at ", At(in)));
        return false;
      case Answer::Kind::kTimeout:
        Stop(Outcome::kUnanswered,
             StrCat("nobody answered the question at ", At(in)));
        return false;
      case Answer::Kind::kDefer:
        Stop(Outcome::kWaiting, "waiting for the person's answer");
        return false;
      default: return true;
    }
  }

  void Confirm(Frame& f, const Instr& in) {
    Prompt prompt;
    prompt.kind = Prompt::Kind::kConfirm;
    prompt.text = f.slots[in.a].Display();
    prompt.workflow = f.ref;
    prompt.line = in.line;
    prompt.col = in.col;
    Answer a = Ask(prompt);
    if (a.kind == Answer::Kind::kChoose) a = Answer::Deny();
    Cover(f, in.b, a.kind == Answer::Kind::kApprove ? 1 : 2);
    if (!Answered(a, in)) return;
    for (const EndorseTarget& t : f.prog->endorse_lists[in.aux]) {
      f.slots[t.slot] = RelabelPath(f.slots[t.slot], t.path, 0, kProvPerson);
    }
    // What follows in this block is the person's decision.
    f.pc_label.prov = kProvPerson;
    f.pc_label.untrusted_origin = 0;
    f.pc_label.agent_origin = 0;
  }

  void Choose(Frame& f, const Instr& in) {
    const Value& list = f.slots[in.a];
    if (list.kind() != Kind::kList) {
      Stop(Outcome::kFailed, StrCat("choose needs a list at ", At(in)));
      return;
    }
    const Items& items = list.items();
    if (items.empty()) {
      Stop(Outcome::kFailed, StrCat("nothing to choose from at ", At(in)));
      return;
    }
    Label ll = list.Flatten();
    bool outsider = ll.has(kProvUntrusted | kProvAgent);
    if (items.size() == 1 && !outsider) {
      Cover(f, static_cast<int>(in.aux), 2);
      const Value& only = items[0];
      f.slots[in.dst] = only.WithLabel(Join(only.label(), list.label()));
      return;
    }
    Prompt prompt;
    prompt.kind = Prompt::Kind::kChoose;
    prompt.text = f.slots[in.b].Display();
    for (const Value& v : items) prompt.options.push_back(v.Display());
    prompt.workflow = f.ref;
    prompt.line = in.line;
    prompt.col = in.col;
    Answer a = Ask(prompt);
    Cover(f, static_cast<int>(in.aux), 1);
    if (a.kind == Answer::Kind::kApprove && items.size() == 1) {
      a = Answer::Choose(0);
    }
    if (!Answered(a, in)) return;
    if (a.kind != Answer::Kind::kChoose || a.choice < 0 ||
        static_cast<size_t>(a.choice) >= items.size()) {
      Stop(Outcome::kDenied, StrCat("no candidate was picked at ", At(in)));
      return;
    }
    const Value& picked = items[a.choice];
    Value v = picked.WithLabel(Join(picked.label(), list.label()));
    uint8_t prov = static_cast<uint8_t>(
        outsider ? kProvPerson : (v.Flatten().prov | kProvPerson));
    f.slots[in.dst] = Relabel(v, prov);
  }

  void Return(Frame& f, const std::vector<std::pair<std::string, int>>* fields) {
    std::vector<std::string> names;
    Items values;
    if (fields) {
      for (const auto& [name, slot] : *fields) {
        names.push_back(name);
        values.push_back(f.slots[slot]);
      }
    }
    for (const OutputSpec& o : f.prog->outputs) {
      bool given = std::find(names.begin(), names.end(), o.name) != names.end();
      if (!given) {
        if (o.type->k == RType::kOptional) {
          names.push_back(o.name);
          values.push_back(Value::None());
        } else {
          Stop(Outcome::kFailed, StrCat(f.ref, " ended without output `",
                                        o.name, "`"));
          return;
        }
      }
    }
    Value out = Value::Record(std::move(names), std::move(values), Label{});
    int ret = f.ret_dst;
    frames_.pop_back();
    if (frames_.empty()) {
      r_.outputs = std::move(out);
      r_.outcome = Outcome::kCompleted;
      stopped_ = true;
      return;
    }
    frames_.back().slots[ret] = std::move(out);
  }

  void CallWorkflow(Frame& f, const Instr& in) {
    const WorkflowCall& call = f.prog->workflow_calls[in.aux];
    if (frames_.size() >= static_cast<size_t>(ctx_.options.max_call_depth)) {
      Stop(Outcome::kLimit, StrCat("sub-workflow calls nest deeper than ",
                                   ctx_.options.max_call_depth));
      return;
    }
    ProgramPtr sub =
        ctx_.resolver ? ctx_.resolver->Find(call.name, call.version) : nullptr;
    if (!sub) {
      Stop(Outcome::kFailed, StrCat("sub-workflow ", call.name, "@",
                                    call.version, " is not available"));
      return;
    }
    if (!call.content_id.empty() && sub->content_id != call.content_id) {
      Stop(Outcome::kViolation,
           StrCat("sub-workflow ", call.name, "@", call.version,
                  " is not the pinned one (", call.content_id, ", found ",
                  sub->content_id, ")"),
           "pinned-dependency");
      return;
    }
    Frame nf;
    nf.prog = sub.get();
    nf.hold = sub;
    nf.ref = sub->name + "@" + sub->version;
    nf.slots.resize(sub->slots);
    nf.ret_dst = in.dst;
    nf.pc_label = f.pc_label;
    nf.cond_pc = f.cond_pc;
    for (const auto& [name, slot] : call.args) {
      for (const InputSpec& is : sub->inputs) {
        if (is.name == name) nf.slots[is.slot] = f.slots[slot];
      }
    }
    ResolveScopes(nf);
    frames_.push_back(std::move(nf));
  }

  // ---- connector calls -------------------------------------------------------
  std::string LabelText(const Label& l) const {
    return StrCat(lang::ProvName(l.prov), ", ", lang::ConfName(l.conf));
  }

  void Refuse(CallRecord& rec, const std::string& rule, std::string message) {
    rec.decision = "refused";
    if (rec.args.is_null() && pending_args_ != nullptr) rec.args = *pending_args_;
    rec.rule = rule;
    rec.error = message;
    r_.calls.push_back(rec);
    Stop(Outcome::kViolation, std::move(message), rule);
  }

  // Checks one target argument against its scope. Returns false (after
  // refusing) on a violation.
  bool CheckScope(const Frame& f, const ActionSpec& a, const ParamSpec& p,
                  const Value& v, const Json& arg, CallRecord& rec,
                  connectors::Connector* conn, bool replaying) {
    std::string key = a.connector + "." + p.scope;
    auto it = f.scopes.find(key);
    lang::ScopeKind kind = lang::ScopeKind::kExact;
    bool optional = false;
    auto sk = f.prog->scope_kinds.find(key);
    if (sk != f.prog->scope_kinds.end()) {
      kind = sk->second.first;
      optional = sk->second.second;
    }
    if (it == f.scopes.end()) {
      if (optional) return true;
      Refuse(rec, "scope",
             StrCat(a.qualified, ": scope `", key, "` is not set, so `",
                    p.name, "` cannot be checked"));
      return false;
    }
    const std::vector<std::string>& allowed = it->second;
    std::vector<std::pair<Json, const Value*>> values;
    if (v.kind() == Kind::kList) {
      for (size_t i = 0; i < v.items().size(); ++i) {
        values.emplace_back(arg[i], &v.items()[i]);
      }
    } else {
      values.emplace_back(arg, &v);
    }
    for (const auto& [j, x] : values) {
      Status s = Status::Ok();
      switch (kind) {
        case lang::ScopeKind::kPath:
          s = CheckPathInScope(x->Display(), allowed);
          break;
        case lang::ScopeKind::kDomain:
          s = CheckDomainInScope(x->Display(), allowed);
          break;
        case lang::ScopeKind::kExact: {
          // A replayed effect was checked when it happened; the world may
          // have moved on since (the message is in Trash now).
          if (replaying) break;
          auto k = conn->ScopeKey(a.name, p.name, j,
                                  connectors::ScopeMap{});
          if (!k.ok()) {
            rec.decision = "refused";
            rec.error = k.status().message();
            r_.calls.push_back(rec);
            Stop(Outcome::kFailed,
                 StrCat(a.qualified, ": ", k.status().message()));
            return false;
          }
          if (std::find(allowed.begin(), allowed.end(), *k) == allowed.end()) {
            std::vector<std::string> shown;
            for (const std::string& a_val : allowed) {
              shown.push_back(Quote(a_val));
            }
            s = PermissionDenied(StrCat(Quote(*k), " is not among ",
                                        shown.empty() ? "(none)"
                                                      : StrJoin(shown, ", ")));
          }
          break;
        }
      }
      if (!s.ok()) {
        Refuse(rec, "scope",
               StrCat(a.qualified, ": `", p.name, "` is outside scope `", key,
                      "`: ", s.message()));
        return false;
      }
    }
    return true;
  }

  void CallAction(Frame& f, const Instr& in) {
    const ActionCall& call = f.prog->action_calls[in.aux];
    const ActionSpec& a = f.prog->actions[call.action];
    bool read = a.effect == lang::Effect::kRead;
    CallRecord rec;
    rec.seq = seq_++;
    rec.step = call.step;
    rec.workflow = f.ref;
    rec.action = a.qualified;
    rec.effect = lang::EffectName(a.effect);
    rec.read = read;
    rec.line = in.line;
    rec.col = in.col;
    // Arguments.
    pending_args_ = nullptr;
    std::vector<const Value*> vals(a.params.size(), nullptr);
    for (const auto& [pi, slot] : call.args) vals[pi] = &f.slots[slot];
    Json args = Json::object();
    rec.arg_labels.reserve(a.params.size());
    for (size_t i = 0; i < a.params.size(); ++i) {
      if (vals[i] == nullptr) continue;
      args[a.params[i].name] = ToJson(*vals[i]);
      rec.arg_labels.emplace_back(a.params[i].name, vals[i]->Flatten());
    }
    pending_args_ = &args;
    // Capability: the workflow declares it; the caller's grant covers it.
    if (!f.prog->uses.count(a.effect_key)) {
      Refuse(rec, "capability",
             StrCat(a.qualified, " needs capability `", a.effect_key,
                    "`, which ", f.ref, " does not declare"));
      return;
    }
    if (!ctx_.granted.empty() && !ctx_.granted.count(a.effect_key)) {
      Refuse(rec, "grant",
             StrCat(a.qualified, " needs capability `", a.effect_key,
                    "`, which the caller's grant does not include"));
      return;
    }
    connectors::Connector* conn = ctx_.connectors
                                      ? ctx_.connectors->Find(a.connector)
                                      : nullptr;
    if (conn == nullptr) {
      rec.decision = "refused";
      rec.error = "no connector named " + a.connector + " is configured";
      r_.calls.push_back(rec);
      Stop(Outcome::kFailed, StrCat(a.qualified, ": ", rec.error));
      return;
    }
    // Types, then the label rules, before the connector sees anything.
    uint8_t payload_conf = 0;
    uint32_t payload_origin = 0;
    bool untrusted_arg = false;
    uint32_t untrusted_arg_origin = 0;
    for (size_t i = 0; i < a.params.size(); ++i) {
      const ParamSpec& p = a.params[i];
      if (vals[i] == nullptr) {
        if (p.optional) continue;
        Stop(Outcome::kFailed, StrCat(a.qualified, ": missing `", p.name, "`"));
        return;
      }
      if (!Matches(*vals[i], *p.type)) {
        Stop(Outcome::kFailed,
             StrCat(a.qualified, ": `", p.name, "` must be ",
                    TypeName(*p.type), ", got ", KindName(vals[i]->kind())));
        return;
      }
      Label l = vals[i]->Flatten();
      if (l.has(kProvUntrusted)) {
        untrusted_arg = true;
        untrusted_arg_origin = l.untrusted_origin;
      }
      if (!p.target) {
        if (l.conf > payload_conf) {
          payload_conf = l.conf;
          payload_origin = l.private_origin;
        }
        continue;
      }
      if (l.has(kProvUntrusted)) {
        Refuse(rec, "untrusted-target",
               StrCat(a.qualified, ": target `", p.name,
                      "` holds untrusted data (", OriginText(l.untrusted_origin),
                      ")"));
        return;
      }
      if (a.irreversible && l.has(kProvAgent)) {
        Refuse(rec, "irreversible-agent-target",
               StrCat(a.qualified, " is irreversible and its target `", p.name,
                      "` was chosen by the agent without the person's "
                      "confirmation (",
                      OriginText(l.agent_origin), ")"));
        return;
      }
    }
    if (a.has_targets && f.pc_label.has(kProvUntrusted)) {
      Refuse(rec, "implicit-flow",
             StrCat("whether ", a.qualified,
                    " runs depends on untrusted data (",
                    OriginText(f.pc_label.untrusted_origin), ")"));
      return;
    }
    // The branch the call sits in counts as payload too (its existence says
    // something), after the arguments so messages name an argument first.
    if (f.pc_label.conf > payload_conf) {
      payload_conf = f.pc_label.conf;
      payload_origin = f.pc_label.private_origin;
    }
    if (lang::IsOutbound(a.effect) && payload_conf >= lang::kPrivate) {
      for (size_t i = 0; i < a.params.size(); ++i) {
        if (!a.params[i].target || vals[i] == nullptr) continue;
        Label l = vals[i]->Flatten();
        if (l.prov & ~(kProvPerson | kProvLiteral | kProvEndorsed)) {
          Refuse(rec, "private-to-unconfirmed",
                 StrCat(lang::ConfName(payload_conf), " data (",
                        OriginText(payload_origin), ") would go out through ",
                        a.qualified, " to `", a.params[i].name,
                        "`, which the person has not confirmed"));
          return;
        }
      }
    }
    EffectEvent ev;
    ev.seq = rec.seq;
    ev.step = call.step;
    ev.workflow = f.ref;
    ev.action = a.qualified;
    ev.effect = a.effect;
    ev.args = &args;
    ev.idempotency_key = StrCat(ctx_.run_id, "/", call.step, "/", rec.seq);
    std::optional<Result<connectors::ActionResponse>> replay;
    if (ctx_.hooks) replay = ctx_.hooks->Replay(ev);
    // Scopes.
    for (size_t i = 0; i < a.params.size(); ++i) {
      const ParamSpec& p = a.params[i];
      if (p.scope.empty() || vals[i] == nullptr) continue;
      if (!CheckScope(f, a, p, *vals[i], args[p.name], rec, conn,
                      replay.has_value())) {
        return;
      }
    }
    // Budgets: every enclosing workflow's limits count this effect.
    std::string cls = lang::EffectName(a.effect);
    for (Frame& fr : frames_) {
      for (const std::string& key : {a.effect_key, cls}) {
        auto lim = fr.prog->limits.find(key);
        if (lim == fr.prog->limits.end()) continue;
        if (fr.counts[key] + 1 > lim->second) {
          Refuse(rec, "budget",
                 StrCat(a.qualified, " would be `", key, "` effect number ",
                        fr.counts[key] + 1, ", but ", fr.ref, " allows ",
                        lim->second));
          return;
        }
      }
    }
    for (Frame& fr : frames_) {
      ++fr.counts[a.effect_key];
      ++fr.counts[cls];
    }
    // The call.
    Result<connectors::ActionResponse> resp = connectors::ActionResponse{};
    if (replay) {
      resp = std::move(*replay);
      rec.decision = "replayed";
    } else {
      if (ctx_.hooks) {
        Status intent = ctx_.hooks->BeforeEffect(ev);
        if (!intent.ok()) {
          rec.decision = "refused";
          rec.args = args;
          rec.error = intent.message();
          r_.calls.push_back(rec);
          Stop(Outcome::kFailed,
               StrCat(a.qualified, ": ", intent.message()));
          return;
        }
      }
      connectors::ActionRequest req;
      req.action = a.name;
      req.args = args;
      req.idempotency_key = ev.idempotency_key;
      req.run_id = ctx_.run_id;
      req.scopes = &f.conn_scopes[a.connector];
      resp = conn->Invoke(req);
      rec.decision = "allowed";
      if (!resp.ok() && !read &&
          (resp.status().code() == Code::kUnavailable ||
           resp.status().code() == Code::kDeadlineExceeded)) {
        // No answer: the effect may or may not have happened. Ask the
        // connector by idempotency key before deciding.
        auto found = conn->Lookup(ev.idempotency_key);
        if (found.ok() && found->has_value()) {
          resp = std::move(**found);
          rec.decision = "reconciled";
        } else if (!found.ok()) {
          resp = Status(resp.status().code(),
                        StrCat(resp.status().message(),
                               "; whether the effect happened is unknown (",
                               found.status().message(), ")"));
        }
      }
      if (ctx_.hooks) ctx_.hooks->AfterEffect(ev, resp);
    }
    if (!resp.ok()) {
      rec.ok = false;
      rec.args = std::move(args);
      rec.error = resp.status().ToString();
      r_.calls.push_back(rec);
      if (resp.status().code() == Code::kPermissionDenied) {
        // The connector's own check (e.g. a symlink out of the root).
        Stop(Outcome::kViolation,
             StrCat(a.qualified, " refused by connector ", a.connector, ": ",
                    resp.status().message()),
             "connector-scope");
        return;
      }
      Stop(Outcome::kFailed, StrCat(a.qualified, " failed at ", At(in), ": ",
                                    resp.status().message()));
      return;
    }
    rec.ok = true;
    rec.result = resp->result;
    rec.args = std::move(args);
    if (!read && !resp->undo.is_null() && !a.undo.empty()) {
      rec.undoable = true;
      undo_.push_back(UndoEntry{rec.seq, a.connector, resp->undo,
                                ev.idempotency_key,
                                f.conn_scopes[a.connector]});
    }
    r_.calls.push_back(rec);
    if (in.dst < 0) return;
    if (!a.returns) {
      f.slots[in.dst] = Value::None();
      return;
    }
    // The result: the connector's word, tainted when an untrusted value shaped
    // the request.
    Label base;
    base.prov = a.directory ? kProvDirectory : kProvTrusted;
    if (a.returns_untrusted) {
      base.prov = kProvUntrusted;
      OriginNote n{OriginNote::kResult, &a.qualified, nullptr, f.prog};
      n.line = in.line;
      n.col = in.col;
      base.untrusted_origin = Note(n);
    }
    if (a.returns_conf > 0) {
      base.conf = static_cast<uint8_t>(a.returns_conf);
      OriginNote n{OriginNote::kResultConf, &a.qualified};
      n.conf = base.conf;
      base.private_origin = Note(n);
    }
    if (untrusted_arg) {
      base.prov |= kProvUntrusted;
      if (!base.untrusted_origin) base.untrusted_origin = untrusted_arg_origin;
    }
    auto origin = [&](const std::string& field, bool untrusted) -> uint32_t {
      // The same field of the same call reuses its note.
      for (size_t k = notes_.size(); k-- > 1 && k + 16 > notes_.size();) {
        const OriginNote& n = notes_[k];
        if (n.b == &a.qualified && n.line == in.line && n.col == in.col &&
            (n.kind == OriginNote::kField) == untrusted && *n.a == field) {
          return static_cast<uint32_t>(k);
        }
      }
      OriginNote n{untrusted ? OriginNote::kField : OriginNote::kFieldPrivate,
                   &field, &a.qualified, f.prog};
      n.line = in.line;
      n.col = in.col;
      return Note(n);
    };
    auto v = FromJson(resp->result, *a.returns, base, origin,
                      a.qualified + " result");
    if (!v.ok()) {
      Stop(Outcome::kFailed,
           StrCat("connector ", a.connector, " returned a malformed result: ",
                  v.status().message()));
      return;
    }
    Charge(v->ApproxBytes());
    f.slots[in.dst] = std::move(*v);
  }

  void Compensate() {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
      UndoRecord rec;
      rec.seq = it->seq;
      std::string action = it->undo.value("action", "");
      rec.action = it->connector + "." + action;
      rec.args = it->undo.value("args", Json::object());
      UndoEvent ev;
      ev.seq = it->seq;
      ev.connector = it->connector;
      ev.undo = it->undo;
      ev.idempotency_key = it->key + "/undo";
      if (ctx_.hooks && ctx_.hooks->UndoneBefore(ev)) {
        rec.ok = true;
        for (CallRecord& c : r_.calls) {
          if (c.seq == it->seq) c.undone = true;
        }
        r_.undo.push_back(std::move(rec));
        continue;
      }
      connectors::Connector* conn = ctx_.connectors->Find(it->connector);
      Status s = Status::Ok();
      if (conn == nullptr || action.empty()) {
        s = Internal("no way to undo effect " + std::to_string(it->seq));
      } else {
        connectors::ActionRequest req;
        req.action = action;
        req.args = rec.args;
        req.idempotency_key = it->key + "/undo";
        req.run_id = ctx_.run_id;
        req.scopes = &it->scopes;
        req.compensation = true;
        auto resp = conn->Invoke(req);
        if (!resp.ok()) s = resp.status();
      }
      rec.ok = s.ok();
      rec.error = s.ok() ? "" : s.ToString();
      if (ctx_.hooks) ctx_.hooks->AfterUndo(ev, s);
      if (rec.ok) {
        for (CallRecord& c : r_.calls) {
          if (c.seq == it->seq) c.undone = true;
        }
      }
      r_.undo.push_back(std::move(rec));
    }
    undo_.clear();
  }

  ExecContext& ctx_;
  RunResult& r_;
  SystemClock system_clock_;
  const Clock* clock_;
  int64_t start_mono_ = 0;
  std::vector<Frame> frames_;
  std::vector<OriginNote> notes_;
  std::vector<UndoEntry> undo_;
  bool stopped_ = false;
  const Json* pending_args_ = nullptr;  // the current call's arguments
  int seq_ = 0;
  size_t bytes_ = 0;
};

}  // namespace

Json CallRecord::LabelsJson() const {
  Json out = Json::object();
  for (const auto& [name, l] : arg_labels) out[name] = LabelJson(l);
  return out;
}

std::vector<const CallRecord*> RunResult::Effects() const {
  std::vector<const CallRecord*> out;
  for (const CallRecord& c : calls) {
    if (!c.read && c.decision != "refused") out.push_back(&c);
  }
  return out;
}

namespace {

Result<std::vector<Value>> ConvertInputs(const Program& program,
                                         const Json& inputs) {
  if (!inputs.is_object()) {
    return InvalidArgument("arguments must be a JSON object");
  }
  for (const auto& [k, v] : inputs.items()) {
    (void)v;
    bool known = false;
    for (const InputSpec& in : program.inputs) known |= in.name == k;
    if (!known) {
      std::vector<std::string> names;
      for (const InputSpec& in : program.inputs) names.push_back(in.name);
      return InvalidArgument(StrCat(program.name, " has no input `", k,
                                    "` (inputs: ", StrJoin(names, ", "), ")"));
    }
  }
  std::vector<Value> values;
  values.reserve(program.inputs.size());
  for (const InputSpec& in : program.inputs) {
    auto it = inputs.find(in.name);
    static const Json kNull;
    const Json& j = it != inputs.end() ? *it : kNull;
    if (j.is_null() && in.type->k != RType::kOptional) {
      return InvalidArgument(StrCat("missing input `", in.name, "` (",
                                    TypeName(*in.type), "): ", in.doc));
    }
    WFS_ASSIGN_OR_RETURN(Value v, FromJson(j, *in.type, Label{}, nullptr,
                                           "input `" + in.name + "`"));
    values.push_back(std::move(v));
  }
  return values;
}

}  // namespace

Status CheckInputs(const Program& program, const Json& inputs) {
  return ConvertInputs(program, inputs).status();
}

Result<RunResult> Execute(const Program& program, const Json& inputs,
                          ExecContext& ctx) {
  WFS_ASSIGN_OR_RETURN(std::vector<Value> values,
                       ConvertInputs(program, inputs));
  connectors::ConnectorSet empty;
  if (ctx.connectors == nullptr) ctx.connectors = &empty;
  RunResult r;
  r.run_id = ctx.run_id;
  r.caller = ctx.caller;
  r.inputs = inputs;
  Interpreter(ctx, r).Run(program, std::move(values));
  if (ctx.connectors == &empty) ctx.connectors = nullptr;
  return r;
}

Json RunResult::Audit(const Program& program) const {
  Json j = Json::object();
  j["run_id"] = run_id;
  j["workflow"] = {{"name", program.name},
                   {"version", program.version},
                   {"content_id", program.content_id}};
  j["caller"] = caller;
  Json in = Json::object();
  for (const auto& [k, v] : inputs.items()) {
    Json label;
    for (const auto& [name, l] : input_labels) {
      if (name == k) label = LabelJson(l);
    }
    in[k] = {{"value", v}, {"label", label}};
  }
  j["inputs"] = std::move(in);
  Json decisions = Json::array();
  for (size_t i = 0; i < asked.size(); ++i) {
    Json d = {{"kind", asked[i].kind == Prompt::Kind::kConfirm ? "confirm"
                                                               : "choose"},
              {"text", asked[i].text},
              {"workflow", asked[i].workflow},
              {"at", Json::array({asked[i].line, asked[i].col})},
              {"answer", i < answers.size() ? AnswerText(answers[i]) : ""}};
    if (!asked[i].options.empty()) d["options"] = asked[i].options;
    decisions.push_back(std::move(d));
  }
  Json calls_j = Json::array();
  for (const CallRecord& c : calls) {
    Json cj = {{"seq", c.seq},
               {"step", c.step},
               {"workflow", c.workflow},
               {"action", c.action},
               {"effect", c.effect},
               {"args", c.args},
               {"labels", c.LabelsJson()},
               {"decision", c.decision},
               {"ok", c.ok},
               {"undone", c.undone},
               {"at", Json::array({c.line, c.col})}};
    if (!c.rule.empty()) cj["rule"] = c.rule;
    if (!c.error.empty()) cj["error"] = c.error;
    calls_j.push_back(std::move(cj));
    decisions.push_back({{"kind", "effect"},
                         {"seq", c.seq},
                         {"action", c.action},
                         {"decision", c.decision},
                         {"rule", c.rule}});
  }
  j["decisions"] = std::move(decisions);
  j["calls"] = std::move(calls_j);
  Json undo_j = Json::array();
  for (const UndoRecord& u : undo) {
    undo_j.push_back({{"seq", u.seq},
                      {"action", u.action},
                      {"args", u.args},
                      {"ok", u.ok},
                      {"error", u.error}});
  }
  j["undo"] = std::move(undo_j);
  j["outcome"] = OutcomeName(outcome);
  if (!error.empty()) j["error"] = error;
  if (!rule.empty()) j["rule"] = rule;
  j["steps"] = steps;
  j["started"] = FormatRfc3339(started_micros);
  j["finished"] = FormatRfc3339(finished_micros);
  return j;
}

}  // namespace wfs::runtime
