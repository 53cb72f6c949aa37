// Lowers a checked workflow to the canonical IR described in docs/ir.md.

#include <algorithm>

#include "base/json_writer.h"
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

  // Returns the canonical IR text.
  std::string Run() {
    const WorkflowDecl& w = *m_.workflow;
    // The body first: it decides which actions the IR embeds.
    std::string code;
    {
      w_ = JsonWriter(&code);
      LowerBlock(w.body);
    }
    Json tests = LowerTests();
    std::string vars;
    {
      JsonWriter vw(&vars);
      vw.BeginArray();
      for (size_t i = 0; i < a_.vars.size(); ++i) {
        vw.BeginObject();
        vw.Key("at");
        vw.BeginArray();
        vw.Uint(a_.vars[i].span.line);
        vw.Uint(a_.vars[i].span.col);
        vw.EndArray();
        vw.Key("name");
        vw.String(a_.vars[i].name);
        vw.Key("slot");
        vw.Uint(i);
        vw.EndObject();
      }
      vw.EndArray();
    }

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
    Json outputs = Json::array();
    for (size_t i = 0; i < w.outputs.size(); ++i) {
      const OutputSig& o = a_.outputs[i];
      outputs.push_back({{"name", o.name},
                         {"type", T_.ToJson(o.type)},
                         {"doc", w.outputs[i].doc},
                         {"reveal", o.reveal},
                         {"label", LabelToJson(o.label)}});
    }
    std::vector<std::string> uses;
    for (const UsesDecl& u : w.uses) uses.push_back(u.connector + "." + u.effect);
    std::sort(uses.begin(), uses.end());
    uses.erase(std::unique(uses.begin(), uses.end()), uses.end());
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
    Json limits = Json::object();
    for (const LimitDecl& l : w.limits) {
      limits[l.connector.empty() ? l.effect : l.connector + "." + l.effect] =
          l.max;
    }
    Json bounds = Json::object();
    for (const auto& [k, v] : a_.bounds) bounds[k] = v;

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
    for (const TestDecl& t : w.tests) {
      for (const TestStmt& s : t.stmts) {
        if (s.kind == TestStmtKind::kGiven || s.kind == TestStmtKind::kFault) {
          connectors.push_back(s.connector);
        }
      }
    }
    std::sort(connectors.begin(), connectors.end());
    connectors.erase(std::unique(connectors.begin(), connectors.end()),
                     connectors.end());
    Json ifs = Json::array();
    for (const std::string& name : connectors) {
      const ConnectorInfo* c = ifaces_.Find(name);
      if (c == nullptr) continue;
      Json scopes_j = Json::array();
      for (const ScopeInfo& sc : c->scopes) {
        scopes_j.push_back({{"name", sc.name},
                            {"kind", ScopeKindName(sc.kind)},
                            {"optional", sc.optional}});
      }
      ifs.push_back({{"name", c->name},
                     {"version", c->version},
                     {"digest", c->digest},
                     {"scopes", std::move(scopes_j)}});
    }
    Json deps = Json::array();
    for (const auto& [ref, sig] : deps_) {
      deps.push_back({{"name", sig->name},
                      {"version", sig->version},
                      {"content_id", sig->content_id}});
    }
    Json ends = Json::array();
    for (const EndorsementInfo& e : a_.endorsements) {
      ends.push_back({{"at", Json::array({e.span.line, e.span.col})},
                      {"value", e.path},
                      {"reason", e.reason}});
    }
    Json flow = Json::object();
    flow["target_inputs"] = Mask(a_.target_inputs);
    flow["irreversible_inputs"] = Mask(a_.irreversible_inputs);

    // Top level, keys in sorted order.
    std::string out;
    out.reserve(code.size() + vars.size() + 4096);
    JsonWriter tw(&out);
    tw.BeginObject();
    tw.Key("actions");
    tw.Raw(CanonicalJson(actions));
    tw.Key("bounds");
    tw.Raw(CanonicalJson(bounds));
    tw.Key("branches");
    tw.Int(next_branch_);
    tw.Key("code");
    tw.Raw(code);
    tw.Key("deps");
    tw.Raw(CanonicalJson(deps));
    tw.Key("endorsements");
    tw.Raw(CanonicalJson(ends));
    tw.Key("flow");
    tw.Raw(CanonicalJson(flow));
    tw.Key("format");
    tw.String("wfstore-ir/1");
    tw.Key("inputs");
    tw.Raw(CanonicalJson(inputs));
    tw.Key("intents");
    tw.Raw(CanonicalJson(Json(w.intents)));
    tw.Key("interfaces");
    tw.Raw(CanonicalJson(ifs));
    tw.Key("kind");
    tw.String("workflow");
    tw.Key("limits");
    tw.Raw(CanonicalJson(limits));
    tw.Key("name");
    tw.String(w.name);
    tw.Key("outputs");
    tw.Raw(CanonicalJson(outputs));
    tw.Key("scopes");
    tw.Raw(CanonicalJson(scopes));
    tw.Key("slots");
    tw.Int(next_slot_);
    tw.Key("steps");
    tw.Int(next_step_);
    tw.Key("summary");
    tw.String(w.summary);
    tw.Key("tests");
    tw.Raw(CanonicalJson(tests));
    tw.Key("uses");
    tw.Raw(CanonicalJson(Json(uses)));
    tw.Key("vars");
    tw.Raw(vars);
    tw.Key("version");
    tw.String(w.version);
    tw.EndObject();
    return out;
  }

 private:
  static Json Mask(uint64_t m) {
    Json out = Json::array();
    for (int i = 0; i < 64; ++i) {
      if (m & (uint64_t{1} << i)) out.push_back(i);
    }
    return out;
  }

  static Json AtJson(Span s) { return Json::array({s.line, s.col}); }

  int Temp() { return next_slot_++; }

  // ---- code: streamed as canonical JSON, keys in sorted order ------------
  void At(Span s) {
    w_.Key("at");
    w_.BeginArray();
    w_.Uint(s.line);
    w_.Uint(s.col);
    w_.EndArray();
  }
  void KeyInt(const char* k, int64_t v) {
    w_.Key(k);
    w_.Int(v);
  }
  void KeyStr(const char* k, std::string_view v) {
    w_.Key(k);
    w_.String(v);
  }
  void SlotMap(const char* k, const std::map<std::string, int>& m) {
    w_.Key(k);
    w_.BeginObject();
    for (const auto& [name, slot] : m) {
      w_.Key(name);
      w_.Int(slot);
    }
    w_.EndObject();
  }
  void SlotList(const char* k, const std::vector<int>& v) {
    w_.Key(k);
    w_.BeginArray();
    for (int slot : v) w_.Int(slot);
    w_.EndArray();
  }
  void StrList(const char* k, const std::vector<std::string>& v) {
    w_.Key(k);
    w_.BeginArray();
    for (const std::string& x : v) w_.String(x);
    w_.EndArray();
  }

  void LowerBlock(const std::vector<NodeId>& stmts) {
    w_.BeginArray();
    for (NodeId id : stmts) LowerStmt(id);
    w_.EndArray();
  }

  // {at, dst, op, src} for copy and assign.
  void Move(const char* op, int dst, int src, Span span) {
    w_.BeginObject();
    At(span);
    KeyInt("dst", dst);
    KeyStr("op", op);
    KeyInt("src", src);
    w_.EndObject();
  }

  void LowerStmt(NodeId id) {
    const Stmt& s = m_.stmt(id);
    switch (s.kind) {
      case StmtKind::kLet:
      case StmtKind::kVar: {
        int v = LowerExpr(s.expr);
        Move("copy", a_.stmt_var[id], v, s.span);
        break;
      }
      case StmtKind::kAssign: {
        int v = LowerExpr(s.expr);
        Move("assign", a_.stmt_var[id], v, s.span);
        break;
      }
      case StmtKind::kIf: {
        int c = LowerExpr(s.expr);
        int branch = next_branch_++;
        w_.BeginObject();
        At(s.span);
        KeyInt("branch", branch);
        KeyInt("cond", c);
        w_.Key("else");
        LowerBlock(s.else_body);
        KeyStr("op", "if");
        w_.Key("then");
        LowerBlock(s.body);
        w_.EndObject();
        break;
      }
      case StmtKind::kFor: {
        int list = LowerExpr(s.expr);
        int branch = next_branch_++;
        const Expr& le = m_.expr(s.expr);
        int64_t limit = s.limit >= 0 ? s.limit
                                     : static_cast<int64_t>(le.items.size());
        w_.BeginObject();
        At(s.span);
        w_.Key("body");
        LowerBlock(s.body);
        KeyInt("branch", branch);
        KeyInt("limit", limit);
        KeyInt("list", list);
        KeyStr("op", "for");
        KeyInt("var", a_.stmt_var[id]);
        w_.EndObject();
        break;
      }
      case StmtKind::kConfirm: {
        int text = LowerExpr(s.expr);
        int branch = next_branch_++;
        w_.BeginObject();
        At(s.span);
        KeyInt("branch", branch);
        w_.Key("endorse");
        w_.BeginArray();
        const Expr& t = m_.expr(s.expr);
        if (t.kind == ExprKind::kInterp) {
          for (NodeId hole : t.items) {
            NodeId cur = hole;
            std::vector<std::string> fields;
            while (m_.expr(cur).kind == ExprKind::kField) {
              fields.push_back(m_.expr(cur).text);
              cur = m_.expr(cur).a;
            }
            std::reverse(fields.begin(), fields.end());
            if (a_.expr_var[cur] < 0) continue;
            w_.BeginObject();
            StrList("path", fields);
            KeyInt("slot", a_.expr_var[cur]);
            w_.EndObject();
          }
        }
        w_.EndArray();
        KeyStr("op", "confirm");
        KeyInt("text", text);
        w_.EndObject();
        break;
      }
      case StmtKind::kChoose: {
        int from = LowerExpr(s.expr);
        int q = LowerExpr(s.expr2);
        int branch = next_branch_++;
        w_.BeginObject();
        At(s.span);
        KeyInt("branch", branch);
        KeyInt("dst", a_.stmt_var[id]);
        KeyInt("from", from);
        KeyStr("op", "choose");
        KeyInt("question", q);
        w_.EndObject();
        break;
      }
      case StmtKind::kEndorse: {
        std::vector<std::string> fields(s.path.begin() + 1, s.path.end());
        w_.BeginObject();
        At(s.span);
        KeyStr("op", "endorse");
        StrList("path", fields);
        KeyStr("reason", s.text);
        KeyInt("slot", a_.stmt_var[id]);
        w_.EndObject();
        break;
      }
      case StmtKind::kReturn: {
        std::map<std::string, int> fields;
        if (s.expr != kNoNode) {
          const Expr& rec = m_.expr(s.expr);
          for (size_t i = 0; i < rec.items.size(); ++i) {
            fields[rec.names[i]] = LowerExpr(rec.items[i]);
          }
        }
        w_.BeginObject();
        At(s.span);
        SlotMap("fields", fields);
        KeyStr("op", "return");
        w_.EndObject();
        break;
      }
      case StmtKind::kFail: {
        int msg = LowerExpr(s.expr);
        w_.BeginObject();
        At(s.span);
        KeyInt("message", msg);
        KeyStr("op", "fail");
        w_.EndObject();
        break;
      }
      case StmtKind::kExpr: LowerExpr(s.expr); break;
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

  // Emits the ops computing the expression and returns the slot holding its
  // value (-1 for actions without a result).
  int LowerExpr(NodeId id) {
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
        w_.BeginObject();
        At(e.span);
        KeyInt("dst", d);
        KeyStr("op", "const");
        // A literal used where a nominal is expected keeps its declared type.
        w_.Key("type");
        TypeId t = a_.expr_type[id];
        if (T_.Kind(t) == TypeKind::kNominal) {
          w_.Raw(CanonicalJson(T_.ToJson(t)));
        } else {
          w_.String(type);
        }
        w_.Key("value");
        switch (e.kind) {
          case ExprKind::kInt: w_.Int(e.int_value); break;
          case ExprKind::kBool: w_.Bool(e.int_value != 0); break;
          case ExprKind::kNone: w_.Null(); break;
          case ExprKind::kDuration:
            w_.Int(e.duration_ms ? e.int_value : e.int_value * 1000);
            break;
          default: w_.String(e.text); break;
        }
        w_.EndObject();
        return d;
      }
      case ExprKind::kInterp: {
        std::vector<int> args;
        for (NodeId hole : e.items) args.push_back(LowerExpr(hole));
        int d = Temp();
        w_.BeginObject();
        SlotList("args", args);
        At(e.span);
        KeyInt("dst", d);
        KeyStr("op", "format");
        StrList("pieces", e.names);
        w_.EndObject();
        return d;
      }
      case ExprKind::kName: return a_.expr_var[id];
      case ExprKind::kField: {
        int src = LowerExpr(e.a);
        int d = Temp();
        w_.BeginObject();
        At(e.span);
        KeyInt("dst", d);
        KeyStr("name", e.text);
        KeyStr("op", "field");
        KeyInt("src", src);
        w_.EndObject();
        return d;
      }
      case ExprKind::kIndex: {
        int src = LowerExpr(e.a);
        int idx = LowerExpr(e.b);
        int d = Temp();
        w_.BeginObject();
        At(e.span);
        KeyInt("dst", d);
        KeyInt("index", idx);
        KeyStr("op", "index");
        KeyInt("src", src);
        w_.EndObject();
        return d;
      }
      case ExprKind::kList: {
        std::vector<int> items;
        for (NodeId item : e.items) items.push_back(LowerExpr(item));
        int d = Temp();
        w_.BeginObject();
        At(e.span);
        KeyInt("dst", d);
        SlotList("items", items);
        KeyStr("op", "list");
        w_.EndObject();
        return d;
      }
      case ExprKind::kRecord: {
        std::map<std::string, int> fields;
        for (size_t i = 0; i < e.items.size(); ++i) {
          fields[e.names[i]] = LowerExpr(e.items[i]);
        }
        int d = Temp();
        w_.BeginObject();
        At(e.span);
        KeyInt("dst", d);
        SlotMap("fields", fields);
        KeyStr("op", "record");
        w_.EndObject();
        return d;
      }
      case ExprKind::kUnary: {
        int src = LowerExpr(e.a);
        int d = Temp();
        w_.BeginObject();
        At(e.span);
        KeyInt("dst", d);
        KeyStr("fn", e.text == "not" ? "not" : "neg");
        KeyStr("op", "unary");
        KeyInt("src", src);
        w_.EndObject();
        return d;
      }
      case ExprKind::kBinary: {
        int l = LowerExpr(e.a);
        int r = LowerExpr(e.b);
        int d = Temp();
        w_.BeginObject();
        At(e.span);
        KeyInt("dst", d);
        KeyStr("fn", e.text);
        KeyInt("lhs", l);
        KeyStr("op", "binary");
        KeyInt("rhs", r);
        w_.EndObject();
        return d;
      }
      case ExprKind::kCall: {
        auto it = a_.calls.find(id);
        if (it == a_.calls.end()) return -1;
        const CallInfo& ci = it->second;
        if (ci.kind == CallInfo::kBuiltin) {
          std::vector<int> args;
          for (NodeId arg : e.items) args.push_back(LowerExpr(arg));
          int d = Temp();
          w_.BeginObject();
          SlotList("args", args);
          At(e.span);
          KeyInt("dst", d);
          KeyStr("fn", ci.name);
          KeyStr("op", "call");
          w_.EndObject();
          return d;
        }
        if (ci.kind == CallInfo::kConvert) {
          int src = LowerExpr(e.items[0]);
          int d = Temp();
          w_.BeginObject();
          At(e.span);
          KeyInt("dst", d);
          KeyStr("op", "convert");
          KeyInt("src", src);
          w_.Key("type");
          w_.Raw(CanonicalJson(T_.ToJson(ci.convert)));
          w_.EndObject();
          return d;
        }
        // Connector action.
        const ActionInfo& a = *ci.action;
        std::vector<int> arg_slots(e.items.size());
        for (size_t i = 0; i < e.items.size(); ++i) {
          arg_slots[i] = LowerExpr(e.items[i]);
        }
        std::map<std::string, int> args;
        for (size_t p = 0; p < a.params.size(); ++p) {
          if (ci.arg_for_param[p] >= 0) {
            args[a.params[p].name] = arg_slots[ci.arg_for_param[p]];
          }
        }
        used_actions_[a.qualified()] = &a;
        int d = a.returns == T_.void_type() ? -1 : Temp();
        w_.BeginObject();
        KeyStr("action", a.qualified());
        SlotMap("args", args);
        At(e.span);
        w_.Key("dst");
        if (d >= 0) {
          w_.Int(d);
        } else {
          w_.Null();
        }
        KeyStr("op", "action");
        KeyInt("step", next_step_++);
        w_.EndObject();
        return d;
      }
      case ExprKind::kWorkflow: {
        auto it = a_.calls.find(id);
        if (it == a_.calls.end()) return -1;
        const CallInfo& ci = it->second;
        std::vector<int> arg_slots(e.items.size());
        for (size_t i = 0; i < e.items.size(); ++i) {
          arg_slots[i] = LowerExpr(e.items[i]);
        }
        std::map<std::string, int> args;
        for (size_t p = 0; p < ci.sub->inputs.size(); ++p) {
          if (ci.arg_for_param[p] >= 0) {
            args[ci.sub->inputs[p].first] = arg_slots[ci.arg_for_param[p]];
          }
        }
        deps_[e.text + "@" + e.aux] = ci.sub;
        int d = Temp();
        w_.BeginObject();
        SlotMap("args", args);
        At(e.span);
        KeyStr("content_id", ci.sub->content_id);
        KeyInt("dst", d);
        KeyStr("name", e.text);
        KeyStr("op", "workflow");
        KeyInt("step", next_step_++);
        KeyStr("version", e.aux);
        w_.EndObject();
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
                 {"at", AtJson(t.span)}};
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
                              {"at", AtJson(s.span)}});
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
  std::string scratch_;
  JsonWriter w_{&scratch_};
};

}  // namespace

std::string LowerWorkflow(const SourceFile& file, const Module& module,
                          const Analysis& analysis,
                          InterfaceSet& interfaces) {
  return Lowerer(file, module, analysis, interfaces).Run();
}

}  // namespace wfs::lang
