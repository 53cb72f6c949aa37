// Lowers a checked workflow to the canonical IR described in docs/ir.md.

#include <algorithm>

#include "base/strings.h"
#include "lang/analysis.h"
#include "lang/labels.h"

namespace wfs::lang {

namespace {

class Lowerer {
 public:
  Lowerer(const SourceFile& file, const Module& m, const Analysis& a,
          InterfaceSet& ifaces)
      : file_(file), m_(m), a_(a), ifaces_(ifaces), T_(ifaces.types()) {
    next_slot_ = static_cast<int>(a.vars.size());
  }

  Json Run() {
    const WorkflowDecl& w = *m_.workflow;
    Json ir = Json::object();
    ir["format"] = "wfstore-ir/1";
    ir["kind"] = "workflow";
    ir["name"] = w.name;
    ir["version"] = w.version;
    ir["summary"] = w.summary;
    ir["intents"] = w.intents;
    Json inputs = Json::array();
    for (size_t i = 0; i < w.inputs.size(); ++i) {
      Json in = {{"name", w.inputs[i].name},
                 {"type", T_.ToJson(a_.input_types[i])},
                 {"doc", w.inputs[i].doc},
                 {"slot", i}};
      if (w.inputs[i].ann.conf > 0) {
        in["conf"] = ConfName(static_cast<uint8_t>(w.inputs[i].ann.conf));
      }
      inputs.push_back(std::move(in));
    }
    ir["inputs"] = std::move(inputs);
    Json outputs = Json::array();
    for (size_t i = 0; i < w.outputs.size(); ++i) {
      const OutputSig& o = a_.outputs[i];
      outputs.push_back({{"name", o.name},
                         {"type", T_.ToJson(o.type)},
                         {"doc", w.outputs[i].doc},
                         {"reveal", o.reveal},
                         {"label", LabelToJson(o.label)}});
    }
    ir["outputs"] = std::move(outputs);
    std::vector<std::string> uses;
    for (const UsesDecl& u : w.uses) uses.push_back(u.connector + "." + u.effect);
    std::sort(uses.begin(), uses.end());
    uses.erase(std::unique(uses.begin(), uses.end()), uses.end());
    ir["uses"] = uses;
    Json scopes = Json::array();
    for (const ScopeDecl& s : w.scopes) {
      const ConnectorInfo* c = ifaces_.Find(s.connector);
      int idx = c ? c->FindScope(s.scope) : -1;
      Json js = {{"connector", s.connector}, {"scope", s.scope}};
      if (idx >= 0) js["kind"] = ScopeKindName(c->scopes[idx].kind);
      // Literal values and the names of inputs whose values join them.
      const Expr& e = m_.expr(s.value);
      Json vals = Json::array();
      Json ins = Json::array();
      auto add = [&](const Expr& x) {
        if (x.kind == ExprKind::kString) {
          vals.push_back(x.text);
        } else {
          ins.push_back(x.text);
        }
      };
      if (e.kind == ExprKind::kList) {
        for (NodeId item : e.items) add(m_.expr(item));
      } else {
        add(e);
      }
      js["values"] = std::move(vals);
      js["inputs"] = std::move(ins);
      scopes.push_back(std::move(js));
    }
    ir["scopes"] = std::move(scopes);
    Json limits = Json::object();
    for (const LimitDecl& l : w.limits) {
      limits[l.connector.empty() ? l.effect : l.connector + "." + l.effect] =
          l.max;
    }
    ir["limits"] = std::move(limits);
    Json bounds = Json::object();
    for (const auto& [k, v] : a_.bounds) bounds[k] = v;
    ir["bounds"] = std::move(bounds);

    // Lower the body first: it decides which actions the IR embeds.
    Json code = LowerBlock(w.body);
    ir["code"] = std::move(code);
    ir["slots"] = next_slot_;
    Json vars = Json::array();
    for (size_t i = 0; i < a_.vars.size(); ++i) {
      vars.push_back({{"slot", i},
                      {"name", a_.vars[i].name},
                      {"at", At(a_.vars[i].span)}});
    }
    ir["vars"] = std::move(vars);
    ir["steps"] = next_step_;
    ir["branches"] = next_branch_;
    Json tests = LowerTests();

    Json actions = Json::object();
    std::vector<std::string> connectors;
    for (const auto& [qn, action] : used_actions_) {
      actions[qn] = ifaces_.ActionToJson(*action);
      connectors.push_back(action->connector);
      // Undo actions run during compensation: embed their contracts too.
      if (!action->undo.empty()) {
        const ConnectorInfo* c = ifaces_.Find(action->connector);
        if (const ActionInfo* u = c ? c->FindAction(action->undo) : nullptr) {
          actions[u->qualified()] = ifaces_.ActionToJson(*u);
        }
      }
    }
    for (const auto& [name, key] : world_refs_) connectors.push_back(name);
    ir["actions"] = std::move(actions);
    std::sort(connectors.begin(), connectors.end());
    connectors.erase(std::unique(connectors.begin(), connectors.end()),
                     connectors.end());
    for (const TestDecl& t : w.tests) {
      for (const TestStmt& s : t.stmts) {
        if (s.kind == TestStmtKind::kGiven || s.kind == TestStmtKind::kFault) {
          if (std::find(connectors.begin(), connectors.end(), s.connector) ==
              connectors.end()) {
            connectors.push_back(s.connector);
          }
        }
      }
    }
    std::sort(connectors.begin(), connectors.end());
    Json ifs = Json::array();
    for (const std::string& name : connectors) {
      const ConnectorInfo* c = ifaces_.Find(name);
      if (c == nullptr) continue;
      Json scopes_j = Json::array();
      for (const ScopeInfo& s : c->scopes) {
        scopes_j.push_back({{"name", s.name},
                            {"kind", ScopeKindName(s.kind)},
                            {"optional", s.optional}});
      }
      ifs.push_back({{"name", c->name},
                     {"version", c->version},
                     {"digest", c->digest},
                     {"scopes", std::move(scopes_j)}});
    }
    ir["interfaces"] = std::move(ifs);
    Json deps = Json::array();
    for (const auto& [ref, sig] : deps_) {
      deps.push_back({{"name", sig->name},
                      {"version", sig->version},
                      {"content_id", sig->content_id}});
    }
    ir["deps"] = std::move(deps);
    Json ends = Json::array();
    for (const EndorsementInfo& e : a_.endorsements) {
      ends.push_back({{"at", At(e.span)}, {"value", e.path},
                      {"reason", e.reason}});
    }
    ir["endorsements"] = std::move(ends);
    Json flow = Json::object();
    flow["target_inputs"] = Mask(a_.target_inputs);
    flow["irreversible_inputs"] = Mask(a_.irreversible_inputs);
    ir["flow"] = std::move(flow);
    ir["tests"] = std::move(tests);
    return ir;
  }

 private:
  static Json Mask(uint64_t m) {
    Json out = Json::array();
    for (int i = 0; i < 64; ++i) {
      if (m & (uint64_t{1} << i)) out.push_back(i);
    }
    return out;
  }

  static Json At(Span s) { return Json::array({s.line, s.col}); }

  int Temp() { return next_slot_++; }

  Json LowerBlock(const std::vector<NodeId>& stmts) {
    Json code = Json::array();
    for (NodeId id : stmts) LowerStmt(id, code);
    return code;
  }

  void Emit(Json& code, Json op, Span span) {
    op["at"] = At(span);
    code.push_back(std::move(op));
  }

  void LowerStmt(NodeId id, Json& code) {
    const Stmt& s = m_.stmt(id);
    switch (s.kind) {
      case StmtKind::kLet:
      case StmtKind::kVar: {
        int v = LowerExpr(s.expr, code);
        Emit(code, {{"op", "copy"}, {"dst", a_.stmt_var[id]}, {"src", v}},
             s.span);
        break;
      }
      case StmtKind::kAssign: {
        int v = LowerExpr(s.expr, code);
        Emit(code, {{"op", "assign"}, {"dst", a_.stmt_var[id]}, {"src", v}},
             s.span);
        break;
      }
      case StmtKind::kIf: {
        int c = LowerExpr(s.expr, code);
        int branch = next_branch_++;
        Json then_code = LowerBlock(s.body);
        Json else_code = LowerBlock(s.else_body);
        Emit(code,
             {{"op", "if"},
              {"cond", c},
              {"then", std::move(then_code)},
              {"else", std::move(else_code)},
              {"branch", branch}},
             s.span);
        break;
      }
      case StmtKind::kFor: {
        int list = LowerExpr(s.expr, code);
        int branch = next_branch_++;
        const Expr& le = m_.expr(s.expr);
        int64_t limit = s.limit >= 0 ? s.limit
                                     : static_cast<int64_t>(le.items.size());
        Json body = LowerBlock(s.body);
        Emit(code,
             {{"op", "for"},
              {"var", a_.stmt_var[id]},
              {"list", list},
              {"limit", limit},
              {"body", std::move(body)},
              {"branch", branch}},
             s.span);
        break;
      }
      case StmtKind::kConfirm: {
        int text = LowerExpr(s.expr, code);
        Json endorse = Json::array();
        const Expr& t = m_.expr(s.expr);
        if (t.kind == ExprKind::kInterp) {
          for (NodeId hole : t.items) {
            Json path = Json::array();
            NodeId cur = hole;
            std::vector<std::string> fields;
            while (m_.expr(cur).kind == ExprKind::kField) {
              fields.push_back(m_.expr(cur).text);
              cur = m_.expr(cur).a;
            }
            std::reverse(fields.begin(), fields.end());
            if (a_.expr_var[cur] < 0) continue;
            endorse.push_back({{"slot", a_.expr_var[cur]}, {"path", fields}});
          }
        }
        int branch = next_branch_++;
        Emit(code,
             {{"op", "confirm"},
              {"text", text},
              {"endorse", std::move(endorse)},
              {"branch", branch}},
             s.span);
        break;
      }
      case StmtKind::kChoose: {
        int from = LowerExpr(s.expr, code);
        int q = LowerExpr(s.expr2, code);
        int branch = next_branch_++;
        Emit(code,
             {{"op", "choose"},
              {"dst", a_.stmt_var[id]},
              {"from", from},
              {"question", q},
              {"branch", branch}},
             s.span);
        break;
      }
      case StmtKind::kEndorse: {
        std::vector<std::string> fields(s.path.begin() + 1, s.path.end());
        Emit(code,
             {{"op", "endorse"},
              {"slot", a_.stmt_var[id]},
              {"path", fields},
              {"reason", s.text}},
             s.span);
        break;
      }
      case StmtKind::kReturn: {
        Json fields = Json::object();
        if (s.expr != kNoNode) {
          const Expr& rec = m_.expr(s.expr);
          for (size_t i = 0; i < rec.items.size(); ++i) {
            fields[rec.names[i]] = LowerExpr(rec.items[i], code);
          }
        }
        Emit(code, {{"op", "return"}, {"fields", std::move(fields)}}, s.span);
        break;
      }
      case StmtKind::kFail: {
        int msg = LowerExpr(s.expr, code);
        Emit(code, {{"op", "fail"}, {"message", msg}}, s.span);
        break;
      }
      case StmtKind::kExpr: LowerExpr(s.expr, code, /*discard=*/true); break;
    }
  }

  Json ConstValue(const Expr& e, std::string* type) {
    switch (e.kind) {
      case ExprKind::kInt: *type = "int"; return e.int_value;
      case ExprKind::kDecimal: *type = "decimal"; return e.text;
      case ExprKind::kString: *type = "string"; return e.text;
      case ExprKind::kBool: *type = "bool"; return e.int_value != 0;
      case ExprKind::kNone: *type = "none"; return nullptr;
      case ExprKind::kDuration:
        *type = "duration";
        return e.duration_ms ? e.int_value : e.int_value * 1000;
      default: *type = "none"; return nullptr;
    }
  }

  // Returns the slot holding the expression's value (-1 for void calls when
  // `discard`).
  int LowerExpr(NodeId id, Json& code, bool discard = false) {
    const Expr& e = m_.expr(id);
    switch (e.kind) {
      case ExprKind::kInt:
      case ExprKind::kDecimal:
      case ExprKind::kString:
      case ExprKind::kBool:
      case ExprKind::kNone:
      case ExprKind::kDuration: {
        std::string type;
        Json v = ConstValue(e, &type);
        int d = Temp();
        // A literal used where a nominal or enum is expected keeps its
        // declared type.
        Json jt = type;
        TypeId t = a_.expr_type[id];
        if (T_.Kind(t) == TypeKind::kNominal) jt = T_.ToJson(t);
        Emit(code, {{"op", "const"}, {"dst", d}, {"value", v}, {"type", jt}},
             e.span);
        return d;
      }
      case ExprKind::kInterp: {
        Json args = Json::array();
        for (NodeId hole : e.items) args.push_back(LowerExpr(hole, code));
        int d = Temp();
        Emit(code,
             {{"op", "format"}, {"dst", d}, {"pieces", e.names},
              {"args", std::move(args)}},
             e.span);
        return d;
      }
      case ExprKind::kName: return a_.expr_var[id];
      case ExprKind::kField: {
        int src = LowerExpr(e.a, code);
        int d = Temp();
        Emit(code, {{"op", "field"}, {"dst", d}, {"src", src},
                    {"name", e.text}},
             e.span);
        return d;
      }
      case ExprKind::kIndex: {
        int src = LowerExpr(e.a, code);
        int idx = LowerExpr(e.b, code);
        int d = Temp();
        Emit(code, {{"op", "index"}, {"dst", d}, {"src", src},
                    {"index", idx}},
             e.span);
        return d;
      }
      case ExprKind::kList: {
        Json items = Json::array();
        for (NodeId item : e.items) items.push_back(LowerExpr(item, code));
        int d = Temp();
        Emit(code, {{"op", "list"}, {"dst", d}, {"items", std::move(items)}},
             e.span);
        return d;
      }
      case ExprKind::kRecord: {
        Json fields = Json::object();
        for (size_t i = 0; i < e.items.size(); ++i) {
          fields[e.names[i]] = LowerExpr(e.items[i], code);
        }
        int d = Temp();
        Emit(code,
             {{"op", "record"}, {"dst", d}, {"fields", std::move(fields)}},
             e.span);
        return d;
      }
      case ExprKind::kUnary: {
        int src = LowerExpr(e.a, code);
        int d = Temp();
        Emit(code,
             {{"op", "unary"}, {"dst", d},
              {"fn", e.text == "not" ? "not" : "neg"}, {"src", src}},
             e.span);
        return d;
      }
      case ExprKind::kBinary: {
        int l = LowerExpr(e.a, code);
        int r = LowerExpr(e.b, code);
        int d = Temp();
        Emit(code,
             {{"op", "binary"}, {"dst", d}, {"fn", e.text}, {"lhs", l},
              {"rhs", r}},
             e.span);
        return d;
      }
      case ExprKind::kCall: {
        auto it = a_.calls.find(id);
        if (it == a_.calls.end()) return -1;
        const CallInfo& ci = it->second;
        if (ci.kind == CallInfo::kBuiltin) {
          Json args = Json::array();
          for (NodeId arg : e.items) args.push_back(LowerExpr(arg, code));
          int d = Temp();
          Emit(code,
               {{"op", "call"}, {"dst", d}, {"fn", ci.name},
                {"args", std::move(args)}},
               e.span);
          return d;
        }
        if (ci.kind == CallInfo::kConvert) {
          int src = LowerExpr(e.items[0], code);
          int d = Temp();
          Emit(code,
               {{"op", "convert"}, {"dst", d}, {"src", src},
                {"type", T_.ToJson(ci.convert)}},
               e.span);
          return d;
        }
        // Connector action.
        const ActionInfo& a = *ci.action;
        std::vector<int> arg_slots(e.items.size());
        for (size_t i = 0; i < e.items.size(); ++i) {
          arg_slots[i] = LowerExpr(e.items[i], code);
        }
        Json args = Json::object();
        for (size_t p = 0; p < a.params.size(); ++p) {
          if (ci.arg_for_param[p] >= 0) {
            args[a.params[p].name] = arg_slots[ci.arg_for_param[p]];
          }
        }
        used_actions_[a.qualified()] = &a;
        int d = a.returns == T_.void_type() ? -1 : Temp();
        Json op = {{"op", "action"},
                   {"action", a.qualified()},
                   {"args", std::move(args)},
                   {"step", next_step_++}};
        op["dst"] = d >= 0 ? Json(d) : Json(nullptr);
        Emit(code, std::move(op), e.span);
        (void)discard;
        return d;
      }
      case ExprKind::kWorkflow: {
        auto it = a_.calls.find(id);
        if (it == a_.calls.end()) return -1;
        const CallInfo& ci = it->second;
        std::vector<int> arg_slots(e.items.size());
        for (size_t i = 0; i < e.items.size(); ++i) {
          arg_slots[i] = LowerExpr(e.items[i], code);
        }
        Json args = Json::object();
        for (size_t p = 0; p < ci.sub->inputs.size(); ++p) {
          if (ci.arg_for_param[p] >= 0) {
            args[ci.sub->inputs[p].first] = arg_slots[ci.arg_for_param[p]];
          }
        }
        deps_[e.text + "@" + e.aux] = ci.sub;
        int d = Temp();
        Emit(code,
             {{"op", "workflow"},
              {"dst", d},
              {"name", e.text},
              {"version", e.aux},
              {"content_id", ci.sub->content_id},
              {"args", std::move(args)},
              {"step", next_step_++}},
             e.span);
        return d;
      }
    }
    return -1;
  }

  // ---- tests ---------------------------------------------------------------
  Json ConstJson(NodeId id) {
    const Expr& e = m_.expr(id);
    switch (e.kind) {
      case ExprKind::kList: {
        Json out = Json::array();
        for (NodeId item : e.items) out.push_back(ConstJson(item));
        return out;
      }
      case ExprKind::kRecord: {
        Json out = Json::object();
        for (size_t i = 0; i < e.items.size(); ++i) {
          out[e.names[i]] = ConstJson(e.items[i]);
        }
        return out;
      }
      case ExprKind::kUnary: {
        Json inner = ConstJson(e.a);
        if (inner.is_number_integer()) return -inner.get<int64_t>();
        if (inner.is_string()) return "-" + inner.get<std::string>();
        return inner;
      }
      case ExprKind::kInt: {
        TypeId t = T_.Underlying(T_.NonOptional(a_.expr_type[id]));
        if (T_.Kind(t) == TypeKind::kDecimal) return e.text;
        return e.int_value;
      }
      case ExprKind::kName: return Json{{"var", e.text}};
      default: {
        std::string type;
        return ConstValue(e, &type);
      }
    }
  }

  Json ExprTree(NodeId id) {
    const Expr& e = m_.expr(id);
    switch (e.kind) {
      case ExprKind::kInt:
      case ExprKind::kString:
      case ExprKind::kBool:
      case ExprKind::kNone:
      case ExprKind::kDuration: {
        std::string type;
        return Json{{"lit", ConstValue(e, &type)}};
      }
      case ExprKind::kDecimal: return Json{{"lit", e.text}, {"decimal", true}};
      case ExprKind::kName: return Json{{"var", e.text}};
      case ExprKind::kField: {
        auto it = a_.calls.find(id);
        if (it != a_.calls.end() && it->second.kind == CallInfo::kWorld) {
          world_refs_.emplace(it->second.name.substr(
                                  0, it->second.name.find('.')),
                              it->second.name);
          return Json{{"world", it->second.name}};
        }
        return Json{{"field", e.text}, {"of", ExprTree(e.a)}};
      }
      case ExprKind::kIndex:
        return Json{{"index", ExprTree(e.b)}, {"of", ExprTree(e.a)}};
      case ExprKind::kList: {
        Json items = Json::array();
        for (NodeId item : e.items) items.push_back(ExprTree(item));
        return Json{{"list", std::move(items)}};
      }
      case ExprKind::kRecord: {
        Json fields = Json::object();
        for (size_t i = 0; i < e.items.size(); ++i) {
          fields[e.names[i]] = ExprTree(e.items[i]);
        }
        return Json{{"record", std::move(fields)}};
      }
      case ExprKind::kUnary:
        return Json{{"op", e.text == "not" ? "not" : "neg"},
                    {"args", Json::array({ExprTree(e.a)})}};
      case ExprKind::kBinary:
        return Json{{"op", e.text},
                    {"args", Json::array({ExprTree(e.a), ExprTree(e.b)})}};
      case ExprKind::kInterp: {
        Json args = Json::array();
        for (NodeId hole : e.items) args.push_back(ExprTree(hole));
        return Json{{"format", e.names}, {"args", std::move(args)}};
      }
      case ExprKind::kCall: {
        Json args = Json::array();
        for (NodeId arg : e.items) args.push_back(ExprTree(arg));
        auto it = a_.calls.find(id);
        std::string fn = it != a_.calls.end() ? it->second.name : "";
        return Json{{"fn", fn}, {"args", std::move(args)}};
      }
      case ExprKind::kWorkflow: return Json{{"lit", nullptr}};
    }
    return Json{{"lit", nullptr}};
  }

  std::string SourceText(Span s) const {
    std::string_view text(file_.text());
    if (s.offset + s.length > text.size()) return "";
    return std::string(text.substr(s.offset, s.length));
  }

  Json LowerTests() {
    const WorkflowDecl& w = *m_.workflow;
    Json tests = Json::array();
    for (size_t ti = 0; ti < w.tests.size(); ++ti) {
      const TestDecl& t = w.tests[ti];
      Json jt = {{"name", t.name},
                 {"property", t.property},
                 {"at", At(t.span)}};
      Json given = Json::array();
      Json forall = Json::array();
      Json answers = Json::array();
      Json faults = Json::array();
      Json expect = Json::array();
      Json call = Json::object();
      bool answer_any = false;
      for (size_t si = 0; si < t.stmts.size(); ++si) {
        const TestStmt& s = t.stmts[si];
        switch (s.kind) {
          case TestStmtKind::kGiven: {
            Json g = {{"connector", s.connector}, {"key", s.key}};
            if (s.any) {
              g["any"] = true;
            } else {
              g["value"] = ConstJson(s.expr);
            }
            given.push_back(std::move(g));
            break;
          }
          case TestStmtKind::kForall: {
            auto it = a_.forall_types.find({ti, si});
            forall.push_back(
                {{"name", s.name},
                 {"type", it != a_.forall_types.end() ? T_.ToJson(it->second)
                                                      : Json("string")}});
            break;
          }
          case TestStmtKind::kCall: {
            const Expr& rec = m_.expr(s.expr);
            for (size_t i = 0; i < rec.items.size(); ++i) {
              call[rec.names[i]] = ConstJson(rec.items[i]);
            }
            break;
          }
          case TestStmtKind::kApprove: answers.push_back("approve"); break;
          case TestStmtKind::kDeny: answers.push_back("deny"); break;
          case TestStmtKind::kTimeout: answers.push_back("timeout"); break;
          case TestStmtKind::kChoose:
            answers.push_back(Json{{"choose", s.n}});
            break;
          case TestStmtKind::kAnswerAny: answer_any = true; break;
          case TestStmtKind::kFault:
            faults.push_back({{"action", s.connector + "." + s.key},
                              {"after", s.n}});
            break;
          case TestStmtKind::kExpect:
            expect.push_back({{"expr", ExprTree(s.expr)},
                              {"text", SourceText(m_.expr(s.expr).span)},
                              {"at", At(s.span)}});
            break;
        }
      }
      jt["given"] = std::move(given);
      jt["forall"] = std::move(forall);
      jt["call"] = std::move(call);
      jt["answers"] = std::move(answers);
      jt["answer_any"] = answer_any;
      jt["faults"] = std::move(faults);
      jt["expect"] = std::move(expect);
      tests.push_back(std::move(jt));
    }
    return tests;
  }

  const SourceFile& file_;
  const Module& m_;
  const Analysis& a_;
  InterfaceSet& ifaces_;
  TypeTable& T_;
  int next_slot_ = 0;
  int next_step_ = 0;
  int next_branch_ = 0;
  std::map<std::string, const ActionInfo*> used_actions_;
  std::map<std::string, const WorkflowSignature*> deps_;
  std::multimap<std::string, std::string> world_refs_;
};

}  // namespace

Json LowerWorkflow(const SourceFile& file, const Module& module,
                   const Analysis& analysis, InterfaceSet& interfaces) {
  return Lowerer(file, module, analysis, interfaces).Run();
}

}  // namespace wfs::lang
