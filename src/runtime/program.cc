#include "runtime/program.h"

#include <algorithm>

#include "base/strings.h"

namespace wfs::runtime {

namespace {

struct FnName {
  const char* name;
  Fn fn;
};
constexpr FnName kFns[] = {
    {"not", Fn::kNot},        {"neg", Fn::kNeg},
    {"+", Fn::kAdd},          {"-", Fn::kSub},
    {"*", Fn::kMul},          {"/", Fn::kDiv},
    {"%", Fn::kMod},          {"==", Fn::kEq},
    {"!=", Fn::kNe},          {"<", Fn::kLt},
    {"<=", Fn::kLe},          {">", Fn::kGt},
    {">=", Fn::kGe},          {"and", Fn::kAnd},
    {"or", Fn::kOr},          {"??", Fn::kCoalesce},
    {"len", Fn::kLen},        {"contains", Fn::kContains},
    {"starts_with", Fn::kStartsWith}, {"ends_with", Fn::kEndsWith},
    {"lower", Fn::kLower},    {"upper", Fn::kUpper},
    {"trim", Fn::kTrim},      {"replace", Fn::kReplace},
    {"split", Fn::kSplit},    {"join", Fn::kJoin},
    {"take", Fn::kTake},      {"count", Fn::kCount},
    {"where", Fn::kWhere},    {"str", Fn::kStr},
    {"min", Fn::kMin},        {"max", Fn::kMax},
};

Fn FindFn(const std::string& name) {
  for (const FnName& f : kFns) {
    if (name == f.name) return f.fn;
  }
  return Fn::kNone;
}

class Builder {
 public:
  Builder(Program* p) : p_(p) {}

  Status Slot(const Json& op, const char* key, int32_t* out,
              bool allow_null = false) {
    auto it = op.find(key);
    if (it == op.end() || (allow_null && it->is_null())) {
      if (allow_null) {
        *out = -1;
        return Status::Ok();
      }
      return InvalidArgument(StrCat("IR op lacks `", key, "`"));
    }
    if (!it->is_number_integer()) {
      return InvalidArgument(StrCat("IR op field `", key, "` is not a slot"));
    }
    int64_t v = it->get<int64_t>();
    if (v < 0 || v >= p_->slots) {
      return InvalidArgument(StrCat("IR slot ", v, " out of range"));
    }
    *out = static_cast<int32_t>(v);
    return Status::Ok();
  }

  Result<std::vector<int>> Slots(const Json& arr) {
    if (!arr.is_array()) return InvalidArgument("IR slot list is not a list");
    std::vector<int> out;
    for (const Json& s : arr) {
      if (!s.is_number_integer() || s.get<int64_t>() < 0 ||
          s.get<int64_t>() >= p_->slots) {
        return InvalidArgument("IR slot out of range");
      }
      out.push_back(static_cast<int>(s.get<int64_t>()));
    }
    return out;
  }

  void ScanJoin(const Json& block, JoinInfo* info, std::set<int>* assigned,
                std::set<int>* declared, int depth) {
    if (!block.is_array() || depth > 256) return;
    for (const Json& op : block) {
      if (!op.is_object()) continue;
      std::string kind = op.value("op", "");
      if (kind == "return" || kind == "fail") info->may_exit = true;
      if (kind == "assign" && op.contains("dst") &&
          op["dst"].is_number_integer()) {
        assigned->insert(op["dst"].get<int>());
      }
      if ((kind == "copy" || kind == "choose") && op.contains("dst") &&
          op["dst"].is_number_integer()) {
        declared->insert(op["dst"].get<int>());
      }
      for (const char* k : {"then", "else", "body"}) {
        if (op.contains(k)) ScanJoin(op[k], info, assigned, declared,
                                     depth + 1);
      }
    }
  }

  uint32_t Join(const Json& a, const Json* b) {
    JoinInfo info;
    std::set<int> assigned, declared;
    ScanJoin(a, &info, &assigned, &declared, 0);
    if (b) ScanJoin(*b, &info, &assigned, &declared, 0);
    for (int s : assigned) {
      if (!declared.count(s)) info.assigned.push_back(s);
    }
    p_->joins.push_back(std::move(info));
    return static_cast<uint32_t>(p_->joins.size() - 1);
  }

  void NoteBranch(int64_t id, uint32_t line, uint32_t col, const char* kind) {
    if (id < 0 || id > 1000000) return;
    if (p_->branch_at.size() <= static_cast<size_t>(id)) {
      p_->branch_at.resize(id + 1);
      p_->branch_kind.resize(id + 1);
    }
    p_->branch_at[id] = {line, col};
    p_->branch_kind[id] = kind;
  }

  Status Block(const Json& block, int depth) {
    if (depth > 256) return InvalidArgument("IR nests too deeply");
    if (!block.is_array()) return InvalidArgument("IR block is not a list");
    for (const Json& op : block) {
      WFS_RETURN_IF_ERROR(Op1(op, depth));
    }
    return Status::Ok();
  }

  int Emit(Instr in) {
    p_->code.push_back(in);
    return static_cast<int>(p_->code.size() - 1);
  }

  Status Op1(const Json& op, int depth) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string()) {
      return InvalidArgument("IR op without a name");
    }
    const std::string kind = op["op"].get<std::string>();
    Instr in;
    const Json at = op.value("at", Json::array());
    if (at.is_array() && at.size() == 2 && at[0].is_number_unsigned() &&
        at[1].is_number_unsigned()) {
      in.line = at[0].get<uint32_t>();
      in.col = at[1].get<uint32_t>();
    }
    if (kind == "const") {
      in.op = Op::kConst;
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst));
      Label lit;
      lit.prov = kProvLiteral;
      const Json type = op.value("type", Json("none"));
      const Json value = op.value("value", Json());
      Value v;
      if (type.is_string() && type.get<std::string>() == "none") {
        v = Value::None(lit);
      } else if (type.is_string() && type.get<std::string>() == "duration") {
        if (!value.is_number_integer()) return InvalidArgument("bad duration");
        v = Value::Duration(value.get<int64_t>(), lit);
      } else {
        WFS_ASSIGN_OR_RETURN(RTypePtr t, ParseType(type));
        WFS_ASSIGN_OR_RETURN(v, FromJson(value, *t, lit, nullptr, "constant"));
      }
      p_->consts.push_back(std::move(v));
      in.aux = static_cast<uint32_t>(p_->consts.size() - 1);
    } else if (kind == "copy" || kind == "assign") {
      in.op = kind == "copy" ? Op::kCopy : Op::kAssign;
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst));
      WFS_RETURN_IF_ERROR(Slot(op, "src", &in.a));
    } else if (kind == "field") {
      in.op = Op::kField;
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst));
      WFS_RETURN_IF_ERROR(Slot(op, "src", &in.a));
      p_->names.push_back(op.value("name", ""));
      in.aux = static_cast<uint32_t>(p_->names.size() - 1);
    } else if (kind == "index") {
      in.op = Op::kIndex;
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst));
      WFS_RETURN_IF_ERROR(Slot(op, "src", &in.a));
      WFS_RETURN_IF_ERROR(Slot(op, "index", &in.b));
    } else if (kind == "list") {
      in.op = Op::kList;
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst));
      WFS_ASSIGN_OR_RETURN(auto items, Slots(op.value("items", Json())));
      p_->slot_lists.push_back(std::move(items));
      in.aux = static_cast<uint32_t>(p_->slot_lists.size() - 1);
    } else if (kind == "record") {
      in.op = Op::kRecord;
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst));
      const Json fields = op.value("fields", Json::object());
      if (!fields.is_object()) return InvalidArgument("bad record op");
      auto shape = std::make_shared<RecordShape>();
      std::vector<int> slots;
      for (const auto& [name, slot] : fields.items()) {
        if (!slot.is_number_integer() || slot.get<int64_t>() < 0 ||
            slot.get<int64_t>() >= p_->slots) {
          return InvalidArgument("IR slot out of range");
        }
        shape->names.push_back(name);
        slots.push_back(slot.get<int>());
      }
      p_->records.emplace_back(std::move(shape), std::move(slots));
      in.aux = static_cast<uint32_t>(p_->records.size() - 1);
    } else if (kind == "unary" || kind == "binary" || kind == "call") {
      in.op = kind == "unary"    ? Op::kUnary
              : kind == "binary" ? Op::kBinary
                                 : Op::kCall;
      in.fn = FindFn(op.value("fn", ""));
      if (in.fn == Fn::kNone) {
        return InvalidArgument("unknown IR function " + op.value("fn", ""));
      }
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst));
      if (kind == "unary") {
        WFS_RETURN_IF_ERROR(Slot(op, "src", &in.a));
      } else if (kind == "binary") {
        WFS_RETURN_IF_ERROR(Slot(op, "lhs", &in.a));
        WFS_RETURN_IF_ERROR(Slot(op, "rhs", &in.b));
      } else {
        WFS_ASSIGN_OR_RETURN(auto args, Slots(op.value("args", Json())));
        p_->slot_lists.push_back(std::move(args));
        in.aux = static_cast<uint32_t>(p_->slot_lists.size() - 1);
      }
    } else if (kind == "format") {
      in.op = Op::kFormat;
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst));
      WFS_ASSIGN_OR_RETURN(auto args, Slots(op.value("args", Json())));
      std::vector<std::string> pieces;
      for (const Json& piece : JsonArrayMember(op, "pieces")) {
        if (!piece.is_string()) return InvalidArgument("bad format piece");
        pieces.push_back(piece.get<std::string>());
      }
      if (pieces.size() != args.size() + 1) {
        return InvalidArgument("format pieces and arguments do not match");
      }
      p_->formats.emplace_back(std::move(pieces), std::move(args));
      in.aux = static_cast<uint32_t>(p_->formats.size() - 1);
    } else if (kind == "convert") {
      in.op = Op::kConvert;
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst));
      WFS_RETURN_IF_ERROR(Slot(op, "src", &in.a));
      WFS_ASSIGN_OR_RETURN(RTypePtr t, ParseType(op.value("type", Json())));
      p_->types.push_back(std::move(t));
      in.aux = static_cast<uint32_t>(p_->types.size() - 1);
    } else if (kind == "action") {
      in.op = Op::kAction;
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst, /*allow_null=*/true));
      auto it = p_->action_index.find(op.value("action", ""));
      if (it == p_->action_index.end()) {
        return InvalidArgument("IR calls an action it does not declare: " +
                               op.value("action", ""));
      }
      ActionCall call;
      call.action = it->second;
      call.step = JsonIntMember32(op, "step", 0);
      const ActionSpec& spec = p_->actions[it->second];
      const Json args = op.value("args", Json::object());
      for (const auto& [name, slot] : args.items()) {
        int pi = -1;
        for (size_t k = 0; k < spec.params.size(); ++k) {
          if (spec.params[k].name == name) pi = static_cast<int>(k);
        }
        if (pi < 0 || !slot.is_number_integer() || slot.get<int>() < 0 ||
            slot.get<int>() >= p_->slots) {
          return InvalidArgument("bad argument `" + name + "` to " +
                                 spec.qualified);
        }
        call.args.emplace_back(pi, slot.get<int>());
      }
      p_->action_calls.push_back(std::move(call));
      in.aux = static_cast<uint32_t>(p_->action_calls.size() - 1);
    } else if (kind == "workflow") {
      in.op = Op::kWorkflow;
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst));
      WorkflowCall call;
      call.name = op.value("name", "");
      call.version = op.value("version", "");
      call.content_id = op.value("content_id", "");
      call.step = JsonIntMember32(op, "step", 0);
      for (const auto& [name, slot] : JsonObjectMember(op, "args").items()) {
        if (!slot.is_number_integer() || slot.get<int>() < 0 ||
            slot.get<int>() >= p_->slots) {
          return InvalidArgument("bad sub-workflow argument");
        }
        call.args.emplace_back(name, slot.get<int>());
      }
      p_->workflow_calls.push_back(std::move(call));
      in.aux = static_cast<uint32_t>(p_->workflow_calls.size() - 1);
    } else if (kind == "if") {
      in.op = Op::kIf;
      WFS_RETURN_IF_ERROR(Slot(op, "cond", &in.a));
      int64_t branch = JsonIntMember(op, "branch", 0);
      in.aux = static_cast<uint32_t>(branch);
      NoteBranch(branch, in.line, in.col, "if");
      const Json then_b = op.value("then", Json::array());
      const Json else_b = op.value("else", Json::array());
      uint32_t join = Join(then_b, &else_b);
      int if_pc = Emit(in);
      WFS_RETURN_IF_ERROR(Block(then_b, depth + 1));
      Instr j;
      j.op = Op::kJump;
      j.line = in.line;
      j.col = in.col;
      int jump_pc = Emit(j);
      p_->code[if_pc].jump = static_cast<int32_t>(p_->code.size());
      WFS_RETURN_IF_ERROR(Block(else_b, depth + 1));
      p_->code[jump_pc].jump = static_cast<int32_t>(p_->code.size());
      Instr end;
      end.op = Op::kEndIf;
      end.aux = join;
      end.line = in.line;
      end.col = in.col;
      Emit(end);
      return Status::Ok();
    } else if (kind == "for") {
      in.op = Op::kForInit;
      WFS_RETURN_IF_ERROR(Slot(op, "list", &in.a));
      int64_t limit = JsonIntMember(op, "limit", 0);
      if (limit < 0 || limit > (int64_t{1} << 30)) {
        return InvalidArgument("bad loop limit");
      }
      in.b = static_cast<int32_t>(limit);
      int64_t branch = JsonIntMember(op, "branch", 0);
      in.aux = static_cast<uint32_t>(branch);
      NoteBranch(branch, in.line, in.col, "for");
      const Json body = op.value("body", Json::array());
      uint32_t join = Join(body, nullptr);
      Emit(in);
      Instr next;
      next.op = Op::kForNext;
      WFS_RETURN_IF_ERROR(Slot(op, "var", &next.dst));
      next.line = in.line;
      next.col = in.col;
      int next_pc = Emit(next);
      WFS_RETURN_IF_ERROR(Block(body, depth + 1));
      Instr back;
      back.op = Op::kJump;
      back.jump = next_pc;
      back.line = in.line;
      back.col = in.col;
      Emit(back);
      p_->code[next_pc].jump = static_cast<int32_t>(p_->code.size());
      Instr end;
      end.op = Op::kForEnd;
      end.aux = join;
      end.line = in.line;
      end.col = in.col;
      Emit(end);
      return Status::Ok();
    } else if (kind == "confirm") {
      in.op = Op::kConfirm;
      WFS_RETURN_IF_ERROR(Slot(op, "text", &in.a));
      int64_t branch = JsonIntMember(op, "branch", 0);
      in.b = static_cast<int32_t>(branch);
      NoteBranch(branch, in.line, in.col, "confirm");
      std::vector<EndorseTarget> targets;
      for (const Json& e : JsonArrayMember(op, "endorse")) {
        EndorseTarget t;
        WFS_RETURN_IF_ERROR(Slot(e, "slot", &t.slot));
        for (const Json& f : JsonArrayMember(e, "path")) {
          if (!f.is_string()) return InvalidArgument("bad endorse path");
          t.path.push_back(f.get<std::string>());
        }
        targets.push_back(std::move(t));
      }
      p_->endorse_lists.push_back(std::move(targets));
      in.aux = static_cast<uint32_t>(p_->endorse_lists.size() - 1);
    } else if (kind == "choose") {
      in.op = Op::kChoose;
      WFS_RETURN_IF_ERROR(Slot(op, "dst", &in.dst));
      WFS_RETURN_IF_ERROR(Slot(op, "from", &in.a));
      WFS_RETURN_IF_ERROR(Slot(op, "question", &in.b));
      int64_t branch = JsonIntMember(op, "branch", 0);
      in.aux = static_cast<uint32_t>(branch);
      NoteBranch(branch, in.line, in.col, "choose");
    } else if (kind == "endorse") {
      in.op = Op::kEndorse;
      EndorseTarget t;
      WFS_RETURN_IF_ERROR(Slot(op, "slot", &t.slot));
      for (const Json& f : JsonArrayMember(op, "path")) {
        if (!f.is_string()) return InvalidArgument("bad endorse path");
        t.path.push_back(f.get<std::string>());
      }
      in.a = t.slot;
      p_->endorsements.emplace_back(std::move(t), op.value("reason", ""));
      in.aux = static_cast<uint32_t>(p_->endorsements.size() - 1);
    } else if (kind == "return") {
      in.op = Op::kReturn;
      std::vector<std::pair<std::string, int>> fields;
      for (const auto& [name, slot] :
           JsonObjectMember(op, "fields").items()) {
        if (!slot.is_number_integer() || slot.get<int>() < 0 ||
            slot.get<int>() >= p_->slots) {
          return InvalidArgument("bad return field");
        }
        fields.emplace_back(name, slot.get<int>());
      }
      p_->returns.push_back(std::move(fields));
      in.aux = static_cast<uint32_t>(p_->returns.size() - 1);
    } else if (kind == "fail") {
      in.op = Op::kFail;
      WFS_RETURN_IF_ERROR(Slot(op, "message", &in.a));
    } else {
      return InvalidArgument("unknown IR op " + kind);
    }
    Emit(in);
    return Status::Ok();
  }

 private:
  Program* p_;
};

Result<ActionSpec> ParseAction(const std::string& qualified, const Json& a) {
  ActionSpec s;
  s.qualified = qualified;
  s.connector = a.value("connector", "");
  s.name = a.value("name", "");
  auto effect = lang::ParseEffect(a.value("effect", "read"));
  if (!effect) return InvalidArgument("bad effect in " + qualified);
  s.effect = *effect;
  s.effect_key = s.connector + "." + lang::EffectName(s.effect);
  s.undo = a.value("undo", "");
  s.irreversible = a.value("irreversible", false);
  s.directory = a.value("directory", false);
  for (const Json& p : JsonArrayMember(a, "params")) {
    ParamSpec ps;
    ps.name = p.value("name", "");
    WFS_ASSIGN_OR_RETURN(ps.type, ParseType(p.value("type", Json())));
    ps.target = p.value("target", false);
    ps.optional = p.value("optional", false);
    if (p.contains("scope") && p["scope"].is_string()) {
      ps.scope = p["scope"].get<std::string>();
    }
    s.has_targets |= ps.target;
    s.params.push_back(std::move(ps));
  }
  if (a.contains("returns")) {
    WFS_ASSIGN_OR_RETURN(s.returns, ParseType(a["returns"]));
  }
  if (a.contains("label") && a["label"].is_object()) {
    const Json& l = a["label"];
    s.returns_untrusted = l.value("untrusted", false);
    s.returns_trusted = l.value("trusted", false);
    std::string c = l.value("conf", "");
    s.returns_conf = c == "private" ? 1 : c == "secret" ? 2 : -1;
  }
  return s;
}

}  // namespace

Fn BuiltinFn(const std::string& name) { return FindFn(name); }

const char* FnName(Fn fn) {
  for (const auto& f : kFns) {
    if (f.fn == fn) return f.name;
  }
  return "?";
}

namespace {
Result<std::shared_ptr<const Program>> FromIrUnchecked(const Json& ir,
                                                       std::string content_id);
}  // namespace

Result<std::shared_ptr<const Program>> Program::FromIr(const Json& ir,
                                                       std::string content_id) {
  // IR documents come from files and stores: a member of the wrong JSON type
  // anywhere is a clear error, never an exception.
  try {
    return FromIrUnchecked(ir, std::move(content_id));
  } catch (const Json::exception& e) {
    return InvalidArgument(StrCat("malformed IR: ", e.what()));
  }
}

namespace {

Result<std::shared_ptr<const Program>> FromIrUnchecked(const Json& ir,
                                                       std::string content_id) {
  if (!ir.is_object() || ir.value("format", "") != "wfstore-ir/1" ||
      ir.value("kind", "") != "workflow") {
    return InvalidArgument("not a wfstore-ir/1 workflow document");
  }
  auto p = std::make_shared<Program>();
  p->content_id = std::move(content_id);
  p->name = ir.value("name", "");
  p->version = ir.value("version", "");
  p->summary = ir.value("summary", "");
  for (const Json& i : JsonArrayMember(ir, "intents")) {
    if (i.is_string()) p->intents.push_back(i.get<std::string>());
  }
  int64_t slots = JsonIntMember(ir, "slots", 0);
  if (slots < 0 || slots > (int64_t{1} << 24)) {
    return InvalidArgument("IR slot count out of range");
  }
  p->slots = static_cast<int>(slots);
  p->steps = JsonIntMember32(ir, "steps", 0);
  p->branches = JsonIntMember32(ir, "branches", 0);
  p->slot_names.assign(p->slots, "");
  for (const Json& v : JsonArrayMember(ir, "vars")) {
    int64_t s = JsonIntMember(v, "slot", -1);
    if (s >= 0 && s < p->slots) p->slot_names[s] = v.value("name", "");
  }
  for (const Json& in : JsonArrayMember(ir, "inputs")) {
    InputSpec spec;
    spec.name = in.value("name", "");
    WFS_ASSIGN_OR_RETURN(spec.type, ParseType(in.value("type", Json())));
    int64_t slot = JsonIntMember(in, "slot", -1);
    if (slot < 0 || slot >= p->slots) {
      return InvalidArgument("IR input slot out of range");
    }
    spec.slot = static_cast<int>(slot);
    std::string conf = in.value("conf", "public");
    spec.conf = conf == "secret" ? 2 : conf == "private" ? 1 : 0;
    spec.doc = in.value("doc", "");
    p->inputs.push_back(std::move(spec));
  }
  for (const Json& out : JsonArrayMember(ir, "outputs")) {
    OutputSpec spec;
    spec.name = out.value("name", "");
    WFS_ASSIGN_OR_RETURN(spec.type, ParseType(out.value("type", Json())));
    spec.reveal = out.value("reveal", false);
    spec.doc = out.value("doc", "");
    p->outputs.push_back(std::move(spec));
  }
  for (const Json& u : JsonArrayMember(ir, "uses")) {
    if (u.is_string()) p->uses.insert(u.get<std::string>());
  }
  for (const auto& [k, v] : JsonObjectMember(ir, "limits").items()) {
    if (v.is_number_integer()) p->limits[k] = v.get<int64_t>();
  }
  for (const auto& [k, v] : JsonObjectMember(ir, "bounds").items()) {
    if (v.is_number_integer()) p->bounds[k] = v.get<int64_t>();
  }
  for (const Json& s : JsonArrayMember(ir, "scopes")) {
    ScopeSpec spec;
    spec.connector = s.value("connector", "");
    spec.scope = s.value("scope", "");
    std::string kind = s.value("kind", "exact");
    spec.kind = kind == "path"     ? lang::ScopeKind::kPath
                : kind == "domain" ? lang::ScopeKind::kDomain
                                   : lang::ScopeKind::kExact;
    for (const Json& v : JsonArrayMember(s, "values")) {
      if (v.is_string()) spec.values.push_back(v.get<std::string>());
    }
    for (const Json& n : JsonArrayMember(s, "inputs")) {
      bool found = false;
      for (const InputSpec& in : p->inputs) {
        if (n.is_string() && in.name == n.get<std::string>()) {
          spec.input_slots.push_back(in.slot);
          found = true;
        }
      }
      if (!found) return InvalidArgument("scope names an unknown input");
    }
    p->scopes.push_back(std::move(spec));
  }
  for (const Json& i : JsonArrayMember(ir, "interfaces")) {
    std::string conn = i.value("name", "");
    for (const Json& s : JsonArrayMember(i, "scopes")) {
      std::string kind = s.value("kind", "exact");
      p->scope_kinds[conn + "." + s.value("name", "")] = {
          kind == "path"     ? lang::ScopeKind::kPath
          : kind == "domain" ? lang::ScopeKind::kDomain
                             : lang::ScopeKind::kExact,
          s.value("optional", false)};
    }
  }
  for (const auto& [qn, a] : JsonObjectMember(ir, "actions").items()) {
    WFS_ASSIGN_OR_RETURN(ActionSpec spec, ParseAction(qn, a));
    p->action_index[qn] = static_cast<int>(p->actions.size());
    p->actions.push_back(std::move(spec));
  }
  Builder b(p.get());
  WFS_RETURN_IF_ERROR(b.Block(ir.value("code", Json::array()), 0));
  if (p->branch_at.size() < static_cast<size_t>(std::max(p->branches, 0))) {
    p->branch_at.resize(p->branches);
    p->branch_kind.resize(p->branches);
  }
  p->tests = ir.value("tests", Json::array());
  p->ir = ir;
  return std::shared_ptr<const Program>(std::move(p));
}

}  // namespace

ProgramPtr ProgramSet::Find(const std::string& name,
                            const std::string& version) const {
  auto it = by_ref_.find(name + "@" + version);
  return it == by_ref_.end() ? nullptr : it->second;
}

}  // namespace wfs::runtime
