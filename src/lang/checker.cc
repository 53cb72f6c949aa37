#include "lang/checker.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <unordered_set>

#include "base/sha256.h"
#include "base/strings.h"
#include "lang/analysis.h"
#include "lang/labels.h"
#include "lang/parser.h"

namespace wfs::lang {

Label JoinLabels(const Label& a, const Label& b) {
  Label out;
  out.prov = a.prov | b.prov;
  out.conf = std::max(a.conf, b.conf);
  out.untrusted_origin = (a.prov & kProvUntrusted) ? a.untrusted_origin
                                                   : b.untrusted_origin;
  out.agent_origin =
      (a.prov & kProvAgent) ? a.agent_origin : b.agent_origin;
  out.private_origin = a.conf >= b.conf && a.conf > 0 ? a.private_origin
                                                      : b.private_origin;
  out.inputs = a.inputs | b.inputs;
  return out;
}

Json LabelToJson(const Label& l) {
  Json prov = Json::array();
  static const char* kNames[] = {"literal", "agent",     "person",
                                 "trusted", "untrusted", "endorsed",
                                 "directory"};
  for (int i = 0; i < 7; ++i) {
    if (l.prov & (1 << i)) prov.push_back(kNames[i]);
  }
  Json inputs = Json::array();
  for (int i = 0; i < 64; ++i) {
    if (l.inputs & (uint64_t{1} << i)) inputs.push_back(i);
  }
  return Json{{"prov", std::move(prov)},
              {"conf", ConfName(l.conf)},
              {"inputs", std::move(inputs)}};
}

namespace {

// ---- label trees -------------------------------------------------------------
// A value's labels mirror its shape: a record's fields and a list's elements
// carry their own labels; the node's own label applies to everything below.

struct LNode;
using LTree = std::shared_ptr<const LNode>;
struct LNode {
  Label self;
  std::vector<std::pair<std::string, LTree>> fields;
  LTree elem;
};

LTree Leaf(const Label& l) {
  auto n = std::make_shared<LNode>();
  n->self = l;
  return n;
}

const LTree& Bottom() {
  static const LTree kBottom = Leaf(Label{});
  return kBottom;
}

Label Flatten(const LTree& t) {
  Label out;
  std::vector<const LNode*> stack;
  if (t) stack.push_back(t.get());
  while (!stack.empty()) {
    const LNode* n = stack.back();
    stack.pop_back();
    out = JoinLabels(out, n->self);
    for (const auto& [name, child] : n->fields) {
      if (child) stack.push_back(child.get());
    }
    if (n->elem) stack.push_back(n->elem.get());
  }
  return out;
}

LTree AddSelf(const LTree& t, const Label& l) {
  if (!t) return Leaf(l);
  Label joined = JoinLabels(t->self, l);
  if (joined == t->self) return t;
  auto n = std::make_shared<LNode>(*t);
  n->self = joined;
  return n;
}

LTree FieldOf(const LTree& t, const std::string& name) {
  if (!t) return Bottom();
  for (const auto& [n, child] : t->fields) {
    if (n == name) return AddSelf(child, t->self);
  }
  return Leaf(t->self);
}

LTree ElemOf(const LTree& t) {
  if (!t) return Bottom();
  if (t->elem) return AddSelf(t->elem, t->self);
  return Leaf(t->self);
}

bool TreeEq(const LTree& a, const LTree& b, int depth = 0) {
  if (a == b) return true;
  if (!a || !b) return Flatten(a) == Flatten(b);
  if (depth > 64) return Flatten(a) == Flatten(b);
  if (!(a->self == b->self)) return false;
  if (a->fields.size() != b->fields.size()) return false;
  for (size_t i = 0; i < a->fields.size(); ++i) {
    if (a->fields[i].first != b->fields[i].first) return false;
    if (!TreeEq(a->fields[i].second, b->fields[i].second, depth + 1))
      return false;
  }
  if (!!a->elem != !!b->elem) return false;
  return !a->elem || TreeEq(a->elem, b->elem, depth + 1);
}

bool SameShape(const LTree& a, const LTree& b) {
  if (a->fields.size() != b->fields.size()) return false;
  for (size_t i = 0; i < a->fields.size(); ++i) {
    if (a->fields[i].first != b->fields[i].first) return false;
  }
  return !!a->elem == !!b->elem;
}

LTree JoinTrees(const LTree& a, const LTree& b, int depth = 0) {
  if (a == b || !b) return a;
  if (!a) return b;
  if (depth > 64 || !SameShape(*&a, *&b)) {
    Label fa = Flatten(a);
    Label joined = JoinLabels(fa, Flatten(b));
    if (a->fields.empty() && !a->elem && joined == a->self) return a;
    return Leaf(joined);
  }
  auto n = std::make_shared<LNode>();
  n->self = JoinLabels(a->self, b->self);
  bool changed = !(n->self == a->self);
  for (size_t i = 0; i < a->fields.size(); ++i) {
    LTree j = JoinTrees(a->fields[i].second, b->fields[i].second, depth + 1);
    changed |= j != a->fields[i].second;
    n->fields.emplace_back(a->fields[i].first, std::move(j));
  }
  if (a->elem) {
    n->elem = JoinTrees(a->elem, b->elem, depth + 1);
    changed |= n->elem != a->elem;
  }
  return changed ? n : a;
}

// Every node below gets provenance `prov`; confidentiality is kept.
LTree Relabel(const LTree& t, uint8_t prov, int depth = 0) {
  auto n = std::make_shared<LNode>();
  n->self.prov = prov;
  n->self.conf = t ? t->self.conf : 0;
  n->self.private_origin = t ? t->self.private_origin : 0;
  if (!t || depth > 64) return n;
  for (const auto& [name, child] : t->fields) {
    n->fields.emplace_back(name, Relabel(child, prov, depth + 1));
  }
  if (t->elem) n->elem = Relabel(t->elem, prov, depth + 1);
  return n;
}

// Relabels the value at `path` (field names below the variable); containers
// on the way push their own label down to the siblings first, so only the
// named value changes.
LTree EndorsePath(const LTree& t, const std::vector<std::string>& path,
                  size_t i, uint8_t prov) {
  if (i == path.size()) return Relabel(t, prov);
  if (!t) return Bottom();
  auto n = std::make_shared<LNode>();
  n->self = Label{};
  n->self.conf = 0;
  bool found = false;
  for (const auto& [name, child] : t->fields) {
    LTree pushed = AddSelf(child, t->self);
    if (name == path[i]) {
      n->fields.emplace_back(name, EndorsePath(pushed, path, i + 1, prov));
      found = true;
    } else {
      n->fields.emplace_back(name, std::move(pushed));
    }
  }
  if (t->elem) n->elem = AddSelf(t->elem, t->self);
  if (!found) return t;  // not a field: leave as is (reported elsewhere)
  return n;
}

// ---- effects -----------------------------------------------------------------

using EffectMap = std::map<std::string, uint64_t>;

uint64_t SatAdd(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b
             ? std::numeric_limits<uint64_t>::max()
             : a + b;
}
uint64_t SatMul(uint64_t a, uint64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > std::numeric_limits<uint64_t>::max() / b
             ? std::numeric_limits<uint64_t>::max()
             : a * b;
}

// ---- flow state ----------------------------------------------------------------

// Control-flow state that branches copy. Variable labels are not here: they
// live in the checker with a trail of writes, so a branch costs in proportion
// to what it changes, not to how many variables exist.
struct Flow {
  Label pc;       // influence on whether the current step runs (confirm resets)
  Label cond_pc;  // join of enclosing conditions (never reset)
  Label exit;     // cond_pc at reachable return/fail statements
  bool may_exit = false;
  bool terminated = false;
  std::vector<Span> pending;  // irreversible effects not yet confirmed
  EffectMap effects;
};

void AddPending(std::vector<Span>& into, const std::vector<Span>& from) {
  for (const Span& s : from) {
    bool dup = false;
    for (const Span& t : into) dup |= t.offset == s.offset;
    if (!dup) into.push_back(s);
  }
}

struct Val {
  TypeId type = 0;
  LTree tree;
  bool literal = false;
};

bool IsLowerIdent(const std::string& s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

bool ValidSemver(const std::string& v) {
  // MAJOR.MINOR.PATCH with no leading zeros; pre-release/build allowed.
  size_t end = v.find_first_of("-+");
  std::string core = v.substr(0, end);
  std::vector<std::string> parts = StrSplit(core, '.');
  if (parts.size() != 3) return false;
  for (const std::string& p : parts) {
    if (p.empty() || (p.size() > 1 && p[0] == '0')) return false;
  }
  if (end != std::string::npos) {
    std::string rest = v.substr(end + 1);
    if (rest.empty()) return false;
  }
  return true;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  if (a.size() > 64 || b.size() > 64) return 99;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                         prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Suggest(const std::string& name,
                    const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = 3;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best.empty() ? "" : StrCat("did you mean `", best, "`?");
}

struct BuiltinSig {
  const char* name;
  const char* usage;
};
const BuiltinSig kBuiltins[] = {
    {"len", "len(list or string) -> int"},
    {"contains", "contains(string, string) or contains(list<T>, T) -> bool"},
    {"starts_with", "starts_with(string, string) -> bool"},
    {"ends_with", "ends_with(string, string) -> bool"},
    {"lower", "lower(string) -> string"},
    {"upper", "upper(string) -> string"},
    {"trim", "trim(string) -> string"},
    {"replace", "replace(text, old, new) -> string"},
    {"split", "split(string, separator) -> list<string>"},
    {"join", "join(list<string>, separator) -> string"},
    {"take", "take(list<T>, n) -> list<T>"},
    {"count", "count(list<T>, T) -> int"},
    {"str", "str(value) -> string"},
    {"where", "where(list<R>, \"field\", value) -> list<R>: the records "
              "whose field equals value"},
    {"min", "min(a, b) -> number"},
    {"max", "max(a, b) -> number"},
};

const BuiltinSig* FindBuiltin(const std::string& name) {
  for (const BuiltinSig& b : kBuiltins) {
    if (name == b.name) return &b;
  }
  return nullptr;
}

}  // namespace

namespace {

class Checker {
 public:
  Checker(const SourceFile& file, const Module& m, InterfaceSet& ifaces,
          const WorkflowResolver* resolver, DiagnosticSink& diags)
      : file_(file),
        m_(m),
        ifaces_(ifaces),
        T_(ifaces.types()),
        resolver_(resolver),
        diags_(diags),
        w_(*m.workflow) {
    a_.expr_type.assign(m.exprs.size(), T_.error());
    a_.expr_var.assign(m.exprs.size(), -1);
    a_.stmt_var.assign(m.stmts.size(), -1);
    notes_.push_back(Note{});  // origin 0: unknown
  }

  CheckOutput Run() {
    CheckHeader();
    CheckBody();
    CheckBudgets();
    CheckTests();
    CheckOutput out;
    out.ok = !diags_.has_errors();
    auto sig = std::make_shared<WorkflowSignature>();
    sig->name = w_.name;
    sig->version = w_.version;
    for (size_t i = 0; i < w_.inputs.size(); ++i) {
      sig->inputs.emplace_back(w_.inputs[i].name, a_.input_types[i]);
    }
    sig->outputs = a_.outputs;
    sig->bounds = a_.bounds;
    for (const UsesDecl& u : w_.uses) {
      sig->uses.insert(u.connector + "." + u.effect);
    }
    sig->target_inputs = a_.target_inputs;
    sig->irreversible_inputs = a_.irreversible_inputs;
    sig->deps = a_.deps;
    if (out.ok) {
      out.canonical_ir = LowerWorkflow(file_, m_, a_, ifaces_);
      sig->content_id = "sha256:" + Sha256Hex(out.canonical_ir);
    }
    out.signature = std::move(sig);
    return out;
  }

 private:
  // ---- diagnostics with de-duplication (loops are checked more than once) --
  Diagnostic* Err(const char* code, Span span, std::string msg,
                  std::string hint = "") {
    if (!reported_.insert({StrCat(code, msg), span.offset}).second) {
      return nullptr;
    }
    return &diags_.Error(code, span, std::move(msg), std::move(hint));
  }
  Diagnostic* Warn(const char* code, Span span, std::string msg,
                   std::string hint = "") {
    if (!reported_.insert({StrCat(code, msg), span.offset}).second) {
      return nullptr;
    }
    return &diags_.Warning(code, span, std::move(msg), std::move(hint));
  }
  uint32_t AddOrigin(std::string msg, Span span) {
    notes_.push_back(Note{std::move(msg), span});
    return static_cast<uint32_t>(notes_.size() - 1);
  }
  void NoteOrigin(Diagnostic* d, uint32_t origin) {
    if (d != nullptr && origin > 0 && origin < notes_.size()) {
      d->notes.push_back(notes_[origin]);
    }
  }

  std::string Pos(Span s) const { return StrCat(s.line, ":", s.col); }

  // ---- header ----------------------------------------------------------------
  void CheckHeader() {
    std::vector<std::string> parts = StrSplit(w_.name, '.');
    bool name_ok = parts.size() >= 2;
    for (const std::string& p : parts) name_ok &= IsLowerIdent(p);
    if (!w_.name.empty() && !name_ok) {
      Err("E004", w_.name_span,
          StrCat("invalid workflow name `", w_.name, "`"),
          "names are a dotted namespace of lower_snake_case parts, e.g. "
          "mail.delete_message");
    }
    if (!w_.version.empty() && !ValidSemver(w_.version)) {
      Err("E004", w_.version_span,
          StrCat("invalid version `", w_.version, "`"),
          "use semantic versioning without leading zeros: 1.0.0, 2.1.0-rc.1");
    }
    if (!w_.has_summary) {
      Err("E003", w_.name_span, "workflow has no `summary`",
          "add summary \"One sentence saying what it does\"; agents and "
          "reviewers read it first");
    } else if (Trim(w_.summary).empty()) {
      Err("E003", w_.name_span, "the summary is empty");
    }
    if (w_.intents.empty()) {
      Err("E003", w_.name_span, "workflow has no `intent`",
          "add intent \"...\" lines: the requests agents will search with");
    }
    if (!w_.has_run) {
      Err("E003", w_.name_span, "workflow has no `run` block",
          "add run { ... } with the workflow's steps");
    }
    // Inputs become the first variables.
    std::set<std::string> names;
    PushScope();
    for (size_t i = 0; i < w_.inputs.size(); ++i) {
      const InputDecl& in = w_.inputs[i];
      TypeId t = ifaces_.ResolveType(m_, in.type, nullptr, diags_);
      a_.input_types.push_back(t);
      if (!names.insert(in.name).second) {
        Err("E003", in.span, StrCat("input `", in.name, "` is declared twice"));
        continue;
      }
      if (IsReservedWord(in.name) || ifaces_.Find(in.name) != nullptr) {
        Err("E003", in.span,
            StrCat("input name `", in.name, "` is a keyword or a connector"),
            "pick another name");
        continue;
      }
      if (in.doc.empty()) {
        Warn("W003", in.span,
             StrCat("input `", in.name, "` has no description"),
             "agents read the description to fill the argument: add a string "
             "after the type");
      }
      Label l;
      l.prov = kProvAgent;
      if (in.ann.conf > 0) {
        l.conf = static_cast<uint8_t>(in.ann.conf);
        l.private_origin =
            AddOrigin(StrCat("input `", in.name, "` is declared ",
                             ConfName(l.conf)),
                      in.span);
      }
      l.agent_origin =
          AddOrigin(StrCat("input `", in.name, "` is chosen by the agent"),
                    in.span);
      if (i < 64) l.inputs = uint64_t{1} << i;
      int v = Declare(in.name, t, false, in.span);
      a_.vars[v].input = static_cast<int>(i);
      SetLabel(v, MakeTree(t, l, nullptr, in.span));
    }
    std::set<std::string> out_names;
    for (const OutputDecl& o : w_.outputs) {
      TypeId t = ifaces_.ResolveType(m_, o.type, nullptr, diags_);
      if (!out_names.insert(o.name).second) {
        Err("E003", o.span, StrCat("output `", o.name, "` is declared twice"));
      }
      OutputSig sig;
      sig.name = o.name;
      sig.type = t;
      sig.reveal = o.reveal;
      a_.outputs.push_back(sig);
    }
    for (const UsesDecl& u : w_.uses) {
      const ConnectorInfo* c = ifaces_.Find(u.connector);
      std::string key = u.connector + "." + u.effect;
      if (c == nullptr) {
        Err("E303", u.span, StrCat("unknown connector `", u.connector, "`"),
            Suggest(u.connector, ConnectorNames()));
      } else if (!ParseEffect(u.effect)) {
        Err("E303", u.span, StrCat("unknown effect class `", u.effect, "`"),
            "capabilities are CONNECTOR.EFFECT with effect read, create, "
            "update, delete, send, spend or exec");
      }
      declared_uses_[key] = u.span;
    }
    for (const ScopeDecl& s : w_.scopes) {
      const ConnectorInfo* c = ifaces_.Find(s.connector);
      int idx = c ? c->FindScope(s.scope) : -1;
      if (c == nullptr) {
        Err("E304", s.span, StrCat("unknown connector `", s.connector, "`"));
        continue;
      }
      if (idx < 0) {
        std::vector<std::string> scope_names;
        for (const ScopeInfo& si : c->scopes) scope_names.push_back(si.name);
        Err("E304", s.span,
            StrCat("connector `", s.connector, "` has no scope `", s.scope,
                   "`"),
            scope_names.empty()
                ? "this connector declares no scopes"
                : StrCat("its scopes: ", StrJoin(scope_names, ", ")));
        continue;
      }
      std::string key = s.connector + "." + s.scope;
      if (scope_decls_.count(key)) {
        Err("E304", s.span, StrCat("scope `", key, "` is set twice"));
        continue;
      }
      scope_decls_[key] = s.span;
      // A scope is an input or a literal (list) of strings.
      const Expr& e = m_.expr(s.value);
      bool ok = false;
      TypeId st = T_.error();
      if (e.kind == ExprKind::kName) {
        int v = Lookup(e.text);
        if (v >= 0 && a_.vars[v].input >= 0) {
          MarkScopeInput(a_.vars[v].input);
          st = a_.vars[v].type;
          TypeId base = T_.Kind(T_.Underlying(st)) == TypeKind::kList
                            ? T_.Get(T_.Underlying(st)).elem
                            : st;
          ok = T_.IsStringLike(base);
          a_.expr_var[s.value] = v;
          a_.expr_type[s.value] = st;
        }
      } else if (e.kind == ExprKind::kString) {
        ok = true;
        st = T_.string_type();
        a_.expr_type[s.value] = st;
      } else if (e.kind == ExprKind::kList) {
        // Literal strings and string inputs, e.g. [mailbox, "Archive"].
        ok = !e.items.empty();
        for (NodeId item : e.items) {
          const Expr& ie = m_.expr(item);
          if (ie.kind == ExprKind::kString) {
            a_.expr_type[item] = T_.string_type();
            continue;
          }
          int v = ie.kind == ExprKind::kName ? Lookup(ie.text) : -1;
          if (v >= 0 && a_.vars[v].input >= 0 &&
              T_.IsStringLike(a_.vars[v].type)) {
            MarkScopeInput(a_.vars[v].input);
            a_.expr_var[item] = v;
            a_.expr_type[item] = a_.vars[v].type;
            continue;
          }
          ok = false;
        }
        st = T_.List(T_.string_type());
        a_.expr_type[s.value] = st;
      }
      if (!ok) {
        Err("E304", e.span,
            StrCat("scope `", key, "` must be an input or a string literal"),
            "e.g. scope fs.root = repo (an input) or scope mail.mailbox = "
            "[\"INBOX\", \"Trash\"]");
      }
      a_.scope_types.emplace_back(key, st);
    }
    std::set<std::string> limit_keys;
    for (const LimitDecl& l : w_.limits) {
      std::string key = l.connector.empty() ? l.effect
                                            : l.connector + "." + l.effect;
      if (!ParseEffect(l.effect)) {
        Err("E302", l.span, StrCat("unknown effect class `", l.effect, "`"),
            "limit CONNECTOR.EFFECT <= N, or EFFECT <= N for every "
            "connector");
      } else if (!l.connector.empty() && !ifaces_.Find(l.connector)) {
        Err("E302", l.span, StrCat("unknown connector `", l.connector, "`"));
      }
      if (!limit_keys.insert(key).second) {
        Err("E003", l.span, StrCat("limit `", key, "` is set twice"));
      }
    }
  }

  // An input that sets a scope decides what may be touched: callers must
  // treat it like a target.
  void MarkScopeInput(int input) {
    if (input >= 0 && input < 64) a_.target_inputs |= uint64_t{1} << input;
  }

  std::vector<std::string> ConnectorNames() const {
    std::vector<std::string> out;
    for (const auto& [name, c] : ifaces_.all()) out.push_back(name);
    return out;
  }

  // ---- variables -------------------------------------------------------------
  int Declare(const std::string& name, TypeId type, bool mut, Span span) {
    int prior = Lookup(name);
    if (prior >= 0) {
      Err("E104", span,
          StrCat("`", name, "` is already declared at ",
                 Pos(a_.vars[prior].span)),
          "pick another name; shadowing is not allowed");
    } else if (ifaces_.Find(name) != nullptr) {
      Err("E104", span, StrCat("`", name, "` names a connector"),
          "pick another name");
    } else if (FindBuiltin(name) != nullptr) {
      Err("E104", span, StrCat("`", name, "` names a built-in function"),
          "pick another name");
    }
    VarInfo v;
    v.name = name;
    v.type = type;
    v.mutable_ = mut;
    v.span = span;
    a_.vars.push_back(v);
    int id = static_cast<int>(a_.vars.size() - 1);
    scopes_.back().push_back(id);
    live_[name].push_back(id);
    return id;
  }

  int Lookup(const std::string& name) const {
    auto it = live_.find(name);
    return it == live_.end() || it->second.empty() ? -1 : it->second.back();
  }

  void PushScope() { scopes_.emplace_back(); }
  void PopScope() {
    for (int id : scopes_.back()) {
      auto it = live_.find(a_.vars[id].name);
      if (it != live_.end() && !it->second.empty()) it->second.pop_back();
    }
    scopes_.pop_back();
  }

  std::vector<std::string> VisibleNames() const {
    std::vector<std::string> out;
    for (const auto& [name, ids] : live_) {
      if (!ids.empty()) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Variable labels with a trail: inside a branch every write records the
  // old value, so the branch can be undone and its changes merged.
  void SetLabel(int var, LTree t) {
    if (var < 0) return;
    if (labels_.size() <= static_cast<size_t>(var)) labels_.resize(var + 1);
    if (branch_depth_ > 0) trail_.emplace_back(var, labels_[var]);
    labels_[var] = std::move(t);
  }
  LTree GetLabel(int var) const {
    if (var < 0 || static_cast<size_t>(var) >= labels_.size() ||
        !labels_[var]) {
      return Bottom();
    }
    return labels_[var];
  }
  // The current labels of the variables written since `mark`.
  std::vector<std::pair<int, LTree>> Capture(size_t mark) const {
    std::vector<std::pair<int, LTree>> out;
    std::unordered_set<int> seen;
    for (size_t i = mark; i < trail_.size(); ++i) {
      int var = trail_[i].first;
      if (seen.insert(var).second) out.emplace_back(var, labels_[var]);
    }
    return out;
  }
  // Undoes the writes since `mark`.
  void Rollback(size_t mark) {
    while (trail_.size() > mark) {
      labels_[trail_.back().first] = std::move(trail_.back().second);
      trail_.pop_back();
    }
  }

  // Builds the label tree of a value of type `t` produced with label `base`.
  // Record fields with annotations add their own taint. `source` names the
  // action for origin notes (null for inputs).
  LTree MakeTree(TypeId t, const Label& base, const ActionInfo* source,
                 Span span, int depth = 0) {
    auto n = std::make_shared<LNode>();
    n->self = base;
    if (depth > 32) return n;
    TypeId u = T_.Underlying(T_.NonOptional(t));
    const Type& ty = T_.Get(u);
    if (ty.kind == TypeKind::kRecord) {
      for (const Field& f : ty.fields) {
        Label fl;
        if (f.ann.untrusted) {
          fl.prov |= kProvUntrusted;
          fl.untrusted_origin = AddOrigin(
              source ? StrCat("field `", f.name, "` of ", source->qualified(),
                              "'s result is untrusted (outsiders can write "
                              "it)")
                     : StrCat("field `", f.name, "` is untrusted"),
              span);
        }
        if (f.ann.trusted) fl.prov |= kProvTrusted;
        if (f.ann.conf > 0) {
          fl.conf = static_cast<uint8_t>(f.ann.conf);
          fl.private_origin = AddOrigin(
              StrCat("field `", f.name, "` is ", ConfName(fl.conf)), span);
        }
        n->fields.emplace_back(f.name,
                               MakeTree(f.type, fl, source, span, depth + 1));
      }
    } else if (ty.kind == TypeKind::kList) {
      n->elem = MakeTree(ty.elem, Label{}, source, span, depth + 1);
    }
    return n;
  }

  // ---- body ------------------------------------------------------------------
  void CheckBody() {
    Flow f;
    PushScope();
    CheckBlock(w_.body, f);
    PopScope();
    if (w_.has_run && !a_.outputs.empty() && !f.terminated) {
      Err("E105", w_.run_span,
          "the run block can finish without returning the outputs",
          "end every path with return { ... } or fail \"...\"");
    }
    a_.bounds = f.effects;
    for (const auto& [key, span] : declared_uses_) {
      if (!used_caps_.count(key)) {
        Warn("W305", span, StrCat("capability `", key, "` is declared but "
                                  "never used"),
             "remove it: grants should cover exactly what a workflow does");
      }
    }
    for (const OutputSig& o : a_.outputs) {
      if (o.reveal && (o.label.prov & kProvUntrusted)) {
        Span span;
        for (const OutputDecl& d : w_.outputs) {
          if (d.name == o.name) span = d.span;
        }
        Diagnostic* d =
            Warn("W407", span,
                 StrCat("output `", o.name, "` is revealed to the agent but "
                        "can hold untrusted text"),
                 "an injection the model reads can steer it; drop `reveal` "
                 "so the agent gets a handle");
        NoteOrigin(d, o.label.untrusted_origin);
      }
    }
  }

  void CheckBlock(const std::vector<NodeId>& stmts, Flow& f) {
    bool warned = false;
    for (NodeId id : stmts) {
      if (f.terminated && !warned) {
        Warn("W108", m_.stmt(id).span, "unreachable statement",
             "nothing after return or fail runs");
        warned = true;
      }
      CheckStmt(id, f);
    }
  }

  void CheckStmt(NodeId id, Flow& f) {
    const Stmt& s = m_.stmt(id);
    switch (s.kind) {
      case StmtKind::kLet:
      case StmtKind::kVar: {
        Val v = CheckExpr(s.expr, f);
        TypeId type = v.type;
        if (s.type != kNoNode) {
          TypeId declared = ifaces_.ResolveType(m_, s.type, nullptr, diags_);
          if (!T_.Assignable(v.type, declared, v.literal)) {
            Err("E102", m_.expr(s.expr).span,
                StrCat("`", s.name, "` is declared ", T_.Name(declared),
                       " but the value is ", T_.Name(v.type)));
          }
          type = declared;
        } else if (T_.Kind(v.type) == TypeKind::kNone) {
          Err("E102", s.span, StrCat("cannot tell the type of `", s.name,
                                     "` from `none`"),
              StrCat("declare it: let ", s.name, ": T? = none"));
        } else if (T_.Kind(v.type) == TypeKind::kVoid) {
          Err("E102", m_.expr(s.expr).span, "this call returns nothing");
        }
        int var = Declare(s.name, type, s.kind == StmtKind::kVar, s.name_span);
        a_.stmt_var[id] = var;
        SetLabel(var, v.tree);
        break;
      }
      case StmtKind::kAssign: {
        Val v = CheckExpr(s.expr, f);
        int var = Lookup(s.name);
        if (var < 0) {
          Err("E101", s.name_span, StrCat("unknown variable `", s.name, "`"),
              Suggest(s.name, VisibleNames()));
          break;
        }
        a_.stmt_var[id] = var;
        if (!a_.vars[var].mutable_) {
          Err("E104", s.name_span,
              StrCat("`", s.name, "` cannot be assigned: it is not a `var`"),
              StrCat("declare it with `var ", s.name, " = ...`"));
        }
        if (!T_.Assignable(v.type, a_.vars[var].type, v.literal)) {
          Err("E102", m_.expr(s.expr).span,
              StrCat("`", s.name, "` is ", T_.Name(a_.vars[var].type),
                     " but the value is ", T_.Name(v.type)));
        }
        SetLabel(var, AddSelf(v.tree, f.cond_pc));
        break;
      }
      case StmtKind::kIf: CheckIf(s, f); break;
      case StmtKind::kFor: CheckFor(id, s, f); break;
      case StmtKind::kConfirm: {
        Val v = CheckExpr(s.expr, f);
        (void)v;
        const Expr& text = m_.expr(s.expr);
        if (text.kind == ExprKind::kInterp) {
          for (NodeId hole : text.items) Endorse(hole, kProvPerson);
        }
        // The person decided what follows in this block.
        f.pc.prov = kProvPerson;
        f.pc.untrusted_origin = 0;
        f.pc.agent_origin = 0;
        f.pending.clear();
        break;
      }
      case StmtKind::kChoose: {
        Val list = CheckExpr(s.expr, f);
        CheckExpr(s.expr2, f);
        TypeId u = T_.Underlying(list.type);
        TypeId elem = T_.error();
        if (T_.Kind(u) == TypeKind::kList) {
          elem = T_.Get(u).elem;
        } else if (!T_.IsError(u)) {
          Err("E102", m_.expr(s.expr).span,
              StrCat("choose needs a list of candidates, found ",
                     T_.Name(list.type)));
        }
        LTree e = ElemOf(list.tree);
        Label fl = Flatten(e);
        LTree chosen =
            (fl.prov & (kProvUntrusted | kProvAgent))
                ? Relabel(e, kProvPerson)
                : Relabel(e, static_cast<uint8_t>(fl.prov | kProvPerson));
        int var = Declare(s.name, elem, false, s.name_span);
        a_.stmt_var[id] = var;
        SetLabel(var, chosen);
        f.pending.clear();
        break;
      }
      case StmtKind::kEndorse: {
        int var = Lookup(s.path[0]);
        if (var < 0) {
          Err("E101", s.path_spans[0],
              StrCat("unknown variable `", s.path[0], "`"),
              Suggest(s.path[0], VisibleNames()));
          break;
        }
        a_.stmt_var[id] = var;
        TypeId t = a_.vars[var].type;
        for (size_t i = 1; i < s.path.size(); ++i) {
          const Field* fd = T_.FindField(T_.NonOptional(t), s.path[i]);
          if (fd == nullptr) {
            Err("E101", s.path_spans[i],
                StrCat(T_.Name(t), " has no field `", s.path[i], "`"));
            return;
          }
          t = fd->type;
        }
        std::vector<std::string> fields(s.path.begin() + 1, s.path.end());
        SetLabel(var, EndorsePath(GetLabel(var), fields, 0,
                                     kProvEndorsed));
        a_.endorsements.push_back({s.span, StrJoin(s.path, "."), s.text});
        break;
      }
      case StmtKind::kReturn: CheckReturn(s, f); break;
      case StmtKind::kFail: {
        CheckExpr(s.expr, f);
        Fallible(s.span, f);
        f.exit = JoinLabels(f.exit, f.cond_pc);
        f.may_exit = true;
        f.terminated = true;
        break;
      }
      case StmtKind::kExpr: CheckExpr(s.expr, f); break;
    }
  }

  // Marks the value at a confirm hole's path as confirmed by the person.
  void Endorse(NodeId hole, uint8_t prov) {
    std::vector<std::string> fields;
    NodeId cur = hole;
    while (m_.expr(cur).kind == ExprKind::kField) {
      fields.push_back(m_.expr(cur).text);
      cur = m_.expr(cur).a;
    }
    if (m_.expr(cur).kind != ExprKind::kName) return;
    int var = a_.expr_var[cur];
    if (var < 0) return;
    std::reverse(fields.begin(), fields.end());
    SetLabel(var, EndorsePath(GetLabel(var), fields, 0, prov));
  }

  void CheckIf(const Stmt& s, Flow& f) {
    Val c = CheckExpr(s.expr, f);
    if (!T_.Assignable(c.type, T_.bool_type())) {
      Err("E102", m_.expr(s.expr).span,
          StrCat("the condition must be bool, found ", T_.Name(c.type)));
    }
    Label cl = Flatten(c.tree);
    Flow base = f;
    base.pc = JoinLabels(f.pc, cl);
    base.cond_pc = JoinLabels(f.cond_pc, cl);
    base.exit = Label{};
    base.may_exit = false;
    const int outer = static_cast<int>(a_.vars.size());
    ++branch_depth_;
    const size_t mark = trail_.size();
    Flow t = base;
    PushScope();
    CheckBlock(s.body, t);
    PopScope();
    auto then_changes = Capture(mark);
    Rollback(mark);
    Flow e = base;
    if (s.has_else) {
      PushScope();
      CheckBlock(s.else_body, e);
      PopScope();
    }
    auto else_changes = Capture(mark);
    Rollback(mark);
    if (--branch_depth_ == 0) trail_.clear();
    // A variable's label after the branch joins what each branch that can
    // fall through left in it.
    std::map<int, std::pair<LTree, LTree>> changed;
    for (auto& [var, tree] : then_changes) {
      if (var < outer) changed[var].first = tree;
    }
    for (auto& [var, tree] : else_changes) {
      if (var < outer) changed[var].second = tree;
    }
    for (auto& [var, pair] : changed) {
      LTree base_tree = GetLabel(var);
      LTree tv = pair.first ? pair.first : base_tree;
      LTree ev = pair.second ? pair.second : base_tree;
      LTree joined;
      if (!t.terminated) joined = tv;
      if (!e.terminated) joined = joined ? JoinTrees(joined, ev) : ev;
      if (joined && joined != base_tree) SetLabel(var, joined);
    }
    Merge(f, t, e);
  }

  // Joins two branch flows back into `f` (the flow before the branch).
  void Merge(Flow& f, const Flow& t, const Flow& e) {
    const Flow* live[2] = {t.terminated ? nullptr : &t,
                           e.terminated ? nullptr : &e};
    std::vector<Span> pending;
    for (const Flow* b : live) {
      if (b) AddPending(pending, b->pending);
    }
    f.pending = std::move(pending);
    EffectMap eff = t.effects;
    for (const auto& [k, v] : e.effects) eff[k] = std::max(eff[k], v);
    f.effects = std::move(eff);
    f.terminated = t.terminated && e.terminated;
    if (t.may_exit || e.may_exit) {
      Label ex = JoinLabels(t.exit, e.exit);
      f.may_exit = true;
      f.exit = JoinLabels(f.exit, ex);
      f.pc = JoinLabels(f.pc, ex);
      f.cond_pc = JoinLabels(f.cond_pc, ex);
    }
  }

  void CheckFor(NodeId id, const Stmt& s, Flow& f) {
    Val list = CheckExpr(s.expr, f);
    TypeId u = T_.Underlying(list.type);
    TypeId elem = T_.error();
    if (T_.Kind(u) == TypeKind::kList) {
      elem = T_.Get(u).elem;
    } else if (!T_.IsError(u)) {
      Err("E102", m_.expr(s.expr).span,
          StrCat("`for` iterates over a list, found ", T_.Name(list.type)));
    }
    uint64_t bound = 0;
    const Expr& le = m_.expr(s.expr);
    if (s.limit >= 0) {
      if (s.limit < 1) {
        Err("E201", s.limit_span, "a loop limit must be at least 1");
      }
      bound = static_cast<uint64_t>(std::max<int64_t>(s.limit, 0));
      if (le.kind == ExprKind::kList && le.items.size() > bound) {
        Err("E201", s.limit_span,
            StrCat("the list has ", le.items.size(),
                   " items but the loop allows ", s.limit));
      }
    } else if (le.kind == ExprKind::kList) {
      bound = le.items.size();
    } else {
      Err("E201", s.span,
          "loop has no bound: workflows must terminate within a known "
          "number of steps",
          StrCat("add a limit: for ", s.name, " in ... limit 50 { ... }"));
      bound = 1;
    }
    Label container = list.tree ? list.tree->self : Label{};
    Flow body = f;
    body.pc = JoinLabels(f.pc, container);
    body.cond_pc = JoinLabels(f.cond_pc, container);
    body.effects.clear();
    body.exit = Label{};
    body.may_exit = false;
    body.terminated = false;
    const int outer = static_cast<int>(a_.vars.size());
    Flow end;
    ++branch_depth_;
    for (int pass = 0; pass < 8; ++pass) {
      end = body;
      const size_t mark = trail_.size();
      PushScope();
      int var = Declare(s.name, elem, false, s.name_span);
      a_.stmt_var[id] = var;
      SetLabel(var, ElemOf(list.tree));
      CheckBlock(s.body, end);
      PopScope();
      auto changes = Capture(mark);
      Rollback(mark);
      // The next iteration starts where this one ended or where the loop
      // began (their join): iterate until the labels stop changing. The
      // joins stay in place, so after the last pass the labels are those
      // after any number of iterations, including none.
      bool changed = false;
      if (!end.terminated) {
        for (auto& [v, tree] : changes) {
          if (v >= outer) continue;
          LTree before = GetLabel(v);
          LTree j = JoinTrees(before, tree);
          if (!TreeEq(j, before)) {
            SetLabel(v, j);
            changed = true;
          }
        }
        size_t before = body.pending.size();
        AddPending(body.pending, end.pending);
        changed |= body.pending.size() != before;
      }
      if (!changed) break;
      // Variables declared by this pass are dropped; the next pass declares
      // fresh ones.
    }
    if (--branch_depth_ == 0) trail_.clear();
    AddPending(f.pending, end.pending);
    for (const auto& [k, v] : end.effects) {
      f.effects[k] = SatAdd(f.effects[k], SatMul(v, bound));
    }
    if (end.may_exit) {
      f.may_exit = true;
      f.exit = JoinLabels(f.exit, end.exit);
      f.pc = JoinLabels(f.pc, end.exit);
      f.cond_pc = JoinLabels(f.cond_pc, end.exit);
    }
  }

  void CheckReturn(const Stmt& s, Flow& f) {
    std::set<std::string> given;
    if (s.expr != kNoNode) {
      const Expr& rec = m_.expr(s.expr);
      for (size_t i = 0; i < rec.items.size(); ++i) {
        const std::string& name = rec.names[i];
        Val v = CheckExpr(rec.items[i], f);
        if (!given.insert(name).second) {
          Err("E105", rec.name_spans[i],
              StrCat("output `", name, "` is returned twice"));
          continue;
        }
        OutputSig* out = nullptr;
        for (OutputSig& o : a_.outputs) {
          if (o.name == name) out = &o;
        }
        if (out == nullptr) {
          std::vector<std::string> names;
          for (const OutputSig& o : a_.outputs) names.push_back(o.name);
          Err("E105", rec.name_spans[i],
              StrCat("`", name, "` is not a declared output"),
              names.empty() ? "declare it with `output NAME: TYPE \"doc\"`"
                            : Suggest(name, names));
          continue;
        }
        if (!T_.Assignable(v.type, out->type, v.literal)) {
          Err("E102", m_.expr(rec.items[i]).span,
              StrCat("output `", name, "` is ", T_.Name(out->type),
                     " but the value is ", T_.Name(v.type)));
        }
        out->label =
            JoinLabels(out->label, JoinLabels(Flatten(v.tree), f.cond_pc));
      }
    }
    for (const OutputSig& o : a_.outputs) {
      if (!given.count(o.name) &&
          T_.Kind(o.type) != TypeKind::kOptional) {
        Err("E105", s.span, StrCat("return is missing output `", o.name, "`"),
            StrCat("return { ", o.name, ": ..., ... }"));
      }
    }
    f.exit = JoinLabels(f.exit, f.cond_pc);
    f.may_exit = true;
    f.terminated = true;
  }

  // A step that can fail: warn when an irreversible effect precedes it with no
  // confirmation in between.
  void Fallible(Span span, Flow& f) {
    if (f.pending.empty()) return;
    Diagnostic* d =
        Warn("W406", span,
             "this step can fail after an irreversible effect, which "
             "compensation cannot undo",
             "do the irreversible effect last, or confirm with the person "
             "before continuing");
    if (d) {
      d->notes.push_back(
          Note{"the irreversible effect happens here", f.pending.front()});
    }
    f.pending.clear();
  }

  // ---- expressions -----------------------------------------------------------
  Label LiteralLabel() const {
    Label l;
    l.prov = kProvLiteral;
    return l;
  }

  Val Set(NodeId id, TypeId type, LTree tree, bool literal = false) {
    a_.expr_type[id] = type;
    return Val{type, std::move(tree), literal};
  }

  bool ContainsCall(NodeId id) const {
    std::vector<NodeId> stack = {id};
    while (!stack.empty()) {
      NodeId n = stack.back();
      stack.pop_back();
      if (n == kNoNode) continue;
      const Expr& e = m_.expr(n);
      if (e.kind == ExprKind::kWorkflow) return true;
      if (e.kind == ExprKind::kCall) {
        const Expr& callee = m_.expr(e.a);
        if (callee.kind == ExprKind::kField &&
            m_.expr(callee.a).kind == ExprKind::kName &&
            ifaces_.Find(m_.expr(callee.a).text) != nullptr) {
          return true;
        }
      }
      stack.push_back(e.a);
      stack.push_back(e.b);
      for (NodeId c : e.items) stack.push_back(c);
    }
    return false;
  }

  Val CheckExpr(NodeId id, Flow& f) {
    if (id == kNoNode) return Val{T_.error(), Bottom()};
    const Expr& e = m_.expr(id);
    switch (e.kind) {
      case ExprKind::kInt:
        return Set(id, T_.int_type(), Leaf(LiteralLabel()), true);
      case ExprKind::kDecimal: {
        size_t dot = e.text.find('.');
        if (dot != std::string::npos && e.text.size() - dot - 1 > 6) {
          Err("E102", e.span, "decimals carry at most 6 fractional digits");
        }
        if (dot != std::string::npos && dot > 12) {
          Err("E102", e.span, "decimal is out of range (at most 12 digits "
                              "before the point)");
        }
        return Set(id, T_.decimal(), Leaf(LiteralLabel()), true);
      }
      case ExprKind::kString:
        return Set(id, T_.string_type(), Leaf(LiteralLabel()), true);
      case ExprKind::kBool:
        return Set(id, T_.bool_type(), Leaf(LiteralLabel()), true);
      case ExprKind::kNone:
        return Set(id, T_.none(), Leaf(LiteralLabel()), true);
      case ExprKind::kDuration:
        return Set(id, T_.duration(), Leaf(LiteralLabel()), true);
      case ExprKind::kInterp: {
        Label l = LiteralLabel();
        for (NodeId hole : e.items) {
          Val v = CheckExpr(hole, f);
          if (T_.Kind(v.type) == TypeKind::kVoid) {
            Err("E102", m_.expr(hole).span, "this value cannot be shown");
          }
          l = JoinLabels(l, Flatten(v.tree));
        }
        return Set(id, T_.string_type(), Leaf(l));
      }
      case ExprKind::kName: return CheckName(id, e);
      case ExprKind::kField: return CheckField(id, e, f);
      case ExprKind::kIndex: {
        Val base = CheckExpr(e.a, f);
        Val idx = CheckExpr(e.b, f);
        if (!T_.Assignable(idx.type, T_.int_type())) {
          Err("E102", m_.expr(e.b).span,
              StrCat("an index must be int, found ", T_.Name(idx.type)));
        }
        TypeId u = T_.Underlying(base.type);
        if (T_.Kind(u) == TypeKind::kJson) return Set(id, T_.json(), Bottom());
        if (T_.Kind(u) != TypeKind::kList) {
          if (!T_.IsError(u)) {
            Err("E102", m_.expr(e.a).span,
                StrCat("only lists can be indexed, found ",
                       T_.Name(base.type)));
          }
          return Set(id, T_.error(), Bottom());
        }
        return Set(id, T_.Get(u).elem,
                   AddSelf(ElemOf(base.tree), Flatten(idx.tree)));
      }
      case ExprKind::kList: {
        TypeId elem = T_.error();
        bool first = true;
        bool literal = true;
        LTree elem_tree;
        for (NodeId item : e.items) {
          Val v = CheckExpr(item, f);
          literal &= v.literal;
          elem_tree = elem_tree ? JoinTrees(elem_tree, v.tree) : v.tree;
          if (first) {
            elem = v.type;
            first = false;
          } else if (T_.Assignable(v.type, elem, v.literal)) {
            // keeps the first item's type
          } else if (T_.Assignable(elem, v.type, true)) {
            elem = v.type;
          } else {
            Err("E102", m_.expr(item).span,
                StrCat("list items must share a type: ", T_.Name(elem),
                       " and ", T_.Name(v.type)));
          }
        }
        auto n = std::make_shared<LNode>();
        n->self = LiteralLabel();
        n->elem = elem_tree ? elem_tree : Bottom();
        return Set(id, T_.List(elem), n, literal);
      }
      case ExprKind::kRecord: {
        std::vector<Field> fields;
        std::set<std::string> seen;
        auto n = std::make_shared<LNode>();
        bool literal = true;
        for (size_t i = 0; i < e.items.size(); ++i) {
          Val v = CheckExpr(e.items[i], f);
          literal &= v.literal;
          if (!seen.insert(e.names[i]).second) {
            Err("E102", e.name_spans[i],
                StrCat("field `", e.names[i], "` appears twice"));
            continue;
          }
          fields.push_back(Field{e.names[i], v.type, {}, ""});
          n->fields.emplace_back(e.names[i], v.tree);
        }
        return Set(id, T_.Record(std::move(fields)), n, literal);
      }
      case ExprKind::kUnary: {
        Val v = CheckExpr(e.a, f);
        if (e.text == "not") {
          if (!T_.Assignable(v.type, T_.bool_type())) {
            Err("E102", e.span,
                StrCat("`not` needs a bool, found ", T_.Name(v.type)));
          }
          return Set(id, T_.bool_type(), Leaf(Flatten(v.tree)), v.literal);
        }
        TypeId u = T_.Underlying(v.type);
        if (!T_.IsNumeric(u) && T_.Kind(u) != TypeKind::kDuration &&
            !T_.IsError(u)) {
          Err("E102", e.span,
              StrCat("`-` needs a number, found ", T_.Name(v.type)));
        }
        return Set(id, u, Leaf(Flatten(v.tree)), v.literal);
      }
      case ExprKind::kBinary: return CheckBinary(id, e, f);
      case ExprKind::kCall: return CheckCall(id, e, f);
      case ExprKind::kWorkflow: return CheckSubWorkflow(id, e, f);
    }
    return Set(id, T_.error(), Bottom());
  }

  Val CheckName(NodeId id, const Expr& e) {
    int var = Lookup(e.text);
    if (var >= 0) {
      a_.expr_var[id] = var;
      return Set(id, a_.vars[var].type, GetLabel(var));
    }
    if (test_mode_) {
      auto it = test_names_.find(e.text);
      if (it != test_names_.end()) return Set(id, it->second, Bottom());
    }
    if (ifaces_.Find(e.text) != nullptr) {
      Err("E101", e.span,
          StrCat("`", e.text, "` is a connector, not a value"),
          StrCat("call one of its actions, e.g. ", e.text, ".ACTION(...)"));
    } else {
      std::vector<std::string> names = VisibleNames();
      if (test_mode_) {
        for (const auto& [n, t] : test_names_) names.push_back(n);
      }
      Err("E101", e.span, StrCat("unknown name `", e.text, "`"),
          Suggest(e.text, names));
    }
    return Set(id, T_.error(), Bottom());
  }

  Val CheckField(NodeId id, const Expr& e, Flow& f) {
    const Expr& base_e = m_.expr(e.a);
    if (base_e.kind == ExprKind::kName && Lookup(base_e.text) < 0 &&
        ifaces_.Find(base_e.text) != nullptr) {
      const ConnectorInfo* c = ifaces_.Find(base_e.text);
      if (test_mode_) {
        TypeId wt = c->FindWorld(e.text);
        if (wt != 0) {
          CallInfo ci;
          ci.kind = CallInfo::kWorld;
          ci.name = c->name + "." + e.text;
          a_.calls[id] = ci;
          return Set(id, wt, Bottom());
        }
        std::vector<std::string> names;
        for (const auto& [n, t] : c->worlds) names.push_back(n);
        Err("E601", e.span,
            StrCat("connector `", c->name, "` has no world collection `",
                   e.text, "`"),
            names.empty() ? "" : StrCat("collections: ", StrJoin(names, ", ")));
        return Set(id, T_.error(), Bottom());
      }
      if (c->FindAction(e.text) != nullptr) {
        Err("E101", e.span,
            StrCat("action `", base_e.text, ".", e.text,
                   "` must be called"),
            StrCat(base_e.text, ".", e.text, "(...)"));
      } else {
        std::vector<std::string> names;
        for (const auto& [n, a] : c->actions) names.push_back(n);
        Err("E101", e.span,
            StrCat("connector `", c->name, "` has no action `", e.text, "`"),
            Suggest(e.text, names));
      }
      return Set(id, T_.error(), Bottom());
    }
    Val base = CheckExpr(e.a, f);
    TypeId u = T_.Underlying(base.type);
    if (T_.IsError(u)) return Set(id, T_.error(), Bottom());
    if (T_.Kind(u) == TypeKind::kJson) return Set(id, T_.json(), Bottom());
    if (T_.Kind(u) == TypeKind::kOptional) {
      Err("E102", e.span,
          StrCat("`", T_.Name(base.type), "` may be none: handle that "
                                          "before reading `", e.text, "`"),
          "compare with none first, or use `??` to give a default");
      return Set(id, T_.error(), Bottom());
    }
    if (test_mode_ && T_.Kind(u) == TypeKind::kList) {
      // Tests read a field across a list: mail.messages.id
      TypeId elem = T_.Underlying(T_.Get(u).elem);
      const Field* fd = T_.FindField(elem, e.text);
      if (fd != nullptr) return Set(id, T_.List(fd->type), Bottom());
    }
    if (T_.Kind(u) != TypeKind::kRecord) {
      Err("E102", e.span,
          StrCat(T_.Name(base.type), " has no fields (reading `", e.text,
                 "`)"));
      return Set(id, T_.error(), Bottom());
    }
    const Field* fd = T_.FindField(u, e.text);
    if (fd == nullptr) {
      std::vector<std::string> names;
      for (const Field& x : T_.Get(u).fields) names.push_back(x.name);
      std::string hint = Suggest(e.text, names);
      if (hint.empty()) hint = StrCat("fields: ", StrJoin(names, ", "));
      Err("E101", e.name_spans.empty() ? e.span : e.name_spans[0],
          StrCat(T_.Name(base.type), " has no field `", e.text, "`"), hint);
      return Set(id, T_.error(), Bottom());
    }
    return Set(id, fd->type, FieldOf(base.tree, e.text));
  }

  Val CheckBinary(NodeId id, const Expr& e, Flow& f) {
    const std::string& op = e.text;
    Val a = CheckExpr(e.a, f);
    if ((op == "and" || op == "or" || op == "??") && ContainsCall(e.b)) {
      Err("E102", m_.expr(e.b).span,
          StrCat("an action call on the right of `", op,
                 "` would run only sometimes"),
          "bind its result with `let` first, or use `if`");
    }
    Val b = CheckExpr(e.b, f);
    bool lit = a.literal && b.literal;
    LTree leaf = Leaf(JoinLabels(Flatten(a.tree), Flatten(b.tree)));
    TypeId ua = T_.Underlying(a.type);
    TypeId ub = T_.Underlying(b.type);
    bool err = T_.IsError(ua) || T_.IsError(ub);
    if (op == "and" || op == "or") {
      if (!T_.Assignable(a.type, T_.bool_type()) ||
          !T_.Assignable(b.type, T_.bool_type())) {
        Err("E102", e.span,
            StrCat("`", op, "` needs bools, found ", T_.Name(a.type), " and ",
                   T_.Name(b.type)));
      }
      return Set(id, T_.bool_type(), leaf, lit);
    }
    if (op == "??") {
      if (T_.Kind(a.type) != TypeKind::kOptional && !err &&
          T_.Kind(a.type) != TypeKind::kJson) {
        Err("E102", e.span,
            StrCat("`??` needs an optional value on the left, found ",
                   T_.Name(a.type)));
        return Set(id, a.type, leaf);
      }
      TypeId inner = T_.Kind(a.type) == TypeKind::kOptional
                         ? T_.Get(a.type).elem
                         : a.type;
      if (!T_.Assignable(b.type, inner, b.literal)) {
        Err("E102", m_.expr(e.b).span,
            StrCat("the default must be ", T_.Name(inner), ", found ",
                   T_.Name(b.type)));
      }
      return Set(id, inner, JoinTrees(AddSelf(a.tree, Label{}), b.tree));
    }
    if (op == "==" || op == "!=") {
      if (!err && !T_.Comparable(a.type, b.type)) {
        Err("E102", e.span,
            StrCat("cannot compare ", T_.Name(a.type), " with ",
                   T_.Name(b.type)));
      }
      CheckEnumLiteral(a.type, e.b);
      CheckEnumLiteral(b.type, e.a);
      return Set(id, T_.bool_type(), leaf, lit);
    }
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      bool ok = (T_.IsNumeric(ua) && T_.IsNumeric(ub)) ||
                (T_.IsStringLike(ua) && T_.IsStringLike(ub)) ||
                (T_.Kind(ua) == TypeKind::kTime &&
                 T_.Kind(ub) == TypeKind::kTime) ||
                (T_.Kind(ua) == TypeKind::kDuration &&
                 T_.Kind(ub) == TypeKind::kDuration) ||
                T_.Kind(ua) == TypeKind::kJson ||
                T_.Kind(ub) == TypeKind::kJson;
      if (!ok && !err) {
        Err("E102", e.span,
            StrCat("cannot order ", T_.Name(a.type), " and ",
                   T_.Name(b.type)));
      }
      return Set(id, T_.bool_type(), leaf, lit);
    }
    // Arithmetic.
    if (err) return Set(id, T_.error(), leaf);
    TypeKind ka = T_.Kind(ua);
    TypeKind kb = T_.Kind(ub);
    if (ka == TypeKind::kJson || kb == TypeKind::kJson) {
      return Set(id, T_.json(), leaf);
    }
    if (op == "+") {
      if (T_.IsStringLike(ua) && T_.IsStringLike(ub)) {
        return Set(id, T_.string_type(), leaf, lit);
      }
      if (ka == TypeKind::kList && kb == TypeKind::kList &&
          (T_.Assignable(ub, ua) || T_.Assignable(ua, ub))) {
        auto n = std::make_shared<LNode>();
        n->self = JoinLabels(a.tree ? a.tree->self : Label{},
                             b.tree ? b.tree->self : Label{});
        n->elem = JoinTrees(ElemOf(a.tree), ElemOf(b.tree));
        return Set(id, T_.Assignable(ub, ua) ? ua : ub, n, lit);
      }
      if (ka == TypeKind::kTime && kb == TypeKind::kDuration) {
        return Set(id, T_.time(), leaf);
      }
    }
    if (op == "-" && ka == TypeKind::kTime) {
      if (kb == TypeKind::kDuration) return Set(id, T_.time(), leaf);
      if (kb == TypeKind::kTime) return Set(id, T_.duration(), leaf);
    }
    if ((op == "+" || op == "-") && ka == TypeKind::kDuration &&
        kb == TypeKind::kDuration) {
      return Set(id, T_.duration(), leaf, lit);
    }
    if (op == "*" && ((ka == TypeKind::kDuration && kb == TypeKind::kInt) ||
                      (ka == TypeKind::kInt && kb == TypeKind::kDuration))) {
      return Set(id, T_.duration(), leaf, lit);
    }
    if (T_.IsNumeric(ua) && T_.IsNumeric(ub) &&
        !(op == "%" && (ka == TypeKind::kDecimal || kb == TypeKind::kDecimal))) {
      TypeId r = (ka == TypeKind::kDecimal || kb == TypeKind::kDecimal)
                     ? T_.decimal()
                     : T_.int_type();
      return Set(id, r, leaf, lit);
    }
    Err("E102", e.span,
        StrCat("`", op, "` does not apply to ", T_.Name(a.type), " and ",
               T_.Name(b.type)));
    return Set(id, T_.error(), leaf);
  }

  // A string literal compared with an enum must be one of its values.
  void CheckEnumLiteral(TypeId t, NodeId other) {
    TypeId u = T_.Underlying(T_.NonOptional(t));
    if (T_.Kind(u) != TypeKind::kEnum) return;
    const Expr& o = m_.expr(other);
    if (o.kind != ExprKind::kString) return;
    const auto& vals = T_.Get(u).values;
    if (std::find(vals.begin(), vals.end(), o.text) == vals.end()) {
      Err("E102", o.span,
          StrCat("`", o.text, "` is not a value of ", T_.Name(t)),
          StrCat("values: ", StrJoin(vals, ", ")));
    }
  }

  bool LiteralFits(const Val& v, NodeId expr, TypeId to) {
    if (T_.Assignable(v.type, to, v.literal)) {
      CheckEnumArg(to, expr);
      return true;
    }
    TypeId u = T_.Underlying(T_.NonOptional(to));
    if (T_.Kind(u) == TypeKind::kEnum &&
        m_.expr(expr).kind == ExprKind::kString) {
      CheckEnumArg(to, expr);
      return true;
    }
    return false;
  }
  void CheckEnumArg(TypeId to, NodeId expr) { CheckEnumLiteral(to, expr); }

  // Binds call arguments (positional first, then named) to parameters.
  // Returns arg index per parameter (-1 when omitted).
  std::vector<int> BindArgs(const Expr& call,
                            const std::vector<std::string>& params,
                            const std::vector<bool>& optional,
                            const std::string& what) {
    std::vector<int> out(params.size(), -1);
    for (size_t i = 0; i < call.items.size(); ++i) {
      const std::string& name = call.names[i];
      size_t p = params.size();
      if (name.empty()) {
        p = i;
        if (p >= params.size()) {
          Err("E103", m_.expr(call.items[i]).span,
              StrCat(what, " takes ", params.size(), " argument",
                     params.size() == 1 ? "" : "s", ", got ",
                     call.items.size()));
          continue;
        }
      } else {
        for (size_t k = 0; k < params.size(); ++k) {
          if (params[k] == name) p = k;
        }
        if (p == params.size()) {
          Err("E103", call.name_spans[i],
              StrCat(what, " has no parameter `", name, "`"),
              StrCat("parameters: ", StrJoin(params, ", ")));
          continue;
        }
      }
      if (out[p] >= 0) {
        Err("E103", m_.expr(call.items[i]).span,
            StrCat("parameter `", params[p], "` is given twice"));
        continue;
      }
      out[p] = static_cast<int>(i);
    }
    for (size_t k = 0; k < params.size(); ++k) {
      if (out[k] < 0 && !optional[k]) {
        Err("E103", call.span,
            StrCat(what, " needs `", params[k], "`"),
            StrCat("parameters: ", StrJoin(params, ", ")));
      }
    }
    return out;
  }

  Val CheckCall(NodeId id, const Expr& e, Flow& f) {
    const Expr& callee = m_.expr(e.a);
    if (callee.kind == ExprKind::kName && Lookup(callee.text) < 0) {
      if (FindBuiltin(callee.text) != nullptr) {
        return CheckBuiltin(id, e, callee.text, f);
      }
      std::vector<std::string> names;
      for (const BuiltinSig& b : kBuiltins) names.push_back(b.name);
      Err("E101", callee.span, StrCat("unknown function `", callee.text, "`"),
          Suggest(callee.text, names).empty()
              ? "built-in functions: " + StrJoin(names, ", ")
              : Suggest(callee.text, names));
      for (NodeId arg : e.items) CheckExpr(arg, f);
      return Set(id, T_.error(), Bottom());
    }
    if (callee.kind == ExprKind::kField &&
        m_.expr(callee.a).kind == ExprKind::kName &&
        Lookup(m_.expr(callee.a).text) < 0) {
      const std::string& conn = m_.expr(callee.a).text;
      const ConnectorInfo* c = ifaces_.Find(conn);
      if (c == nullptr) {
        Err("E101", m_.expr(callee.a).span,
            StrCat("unknown connector `", conn, "`"),
            Suggest(conn, ConnectorNames()));
        for (NodeId arg : e.items) CheckExpr(arg, f);
        return Set(id, T_.error(), Bottom());
      }
      if (const ActionInfo* a = c->FindAction(callee.text)) {
        return CheckAction(id, e, *a, f);
      }
      auto ty = c->types.find(callee.text);
      if (ty != c->types.end()) return CheckConvert(id, e, ty->second, f);
      std::vector<std::string> names;
      for (const auto& [n, a] : c->actions) names.push_back(n);
      Err("E101", callee.span,
          StrCat("connector `", conn, "` has no action `", callee.text, "`"),
          Suggest(callee.text, names));
      for (NodeId arg : e.items) CheckExpr(arg, f);
      return Set(id, T_.error(), Bottom());
    }
    Err("E101", callee.span, "only actions and built-in functions can be "
                             "called");
    for (NodeId arg : e.items) CheckExpr(arg, f);
    return Set(id, T_.error(), Bottom());
  }

  Val CheckConvert(NodeId id, const Expr& e, TypeId nominal, Flow& f) {
    CallInfo ci;
    ci.kind = CallInfo::kConvert;
    ci.convert = nominal;
    a_.calls[id] = ci;
    if (e.items.size() != 1 || !e.names[0].empty()) {
      Err("E103", e.span, StrCat(T_.Name(nominal), "(...) takes one value"));
      for (NodeId arg : e.items) CheckExpr(arg, f);
      return Set(id, nominal, Bottom());
    }
    Val v = CheckExpr(e.items[0], f);
    TypeId base = T_.Get(nominal).base;
    if (!T_.Assignable(v.type, base, true)) {
      Err("E102", m_.expr(e.items[0]).span,
          StrCat(T_.Name(nominal), " is made from ", T_.Name(base),
                 ", not ", T_.Name(v.type)));
    }
    return Set(id, nominal, v.tree);
  }

  Val CheckBuiltin(NodeId id, const Expr& e, const std::string& name,
                   Flow& f) {
    CallInfo ci;
    ci.kind = CallInfo::kBuiltin;
    ci.name = name;
    a_.calls[id] = ci;
    std::vector<Val> args;
    Label joined;
    for (size_t i = 0; i < e.items.size(); ++i) {
      if (!e.names[i].empty()) {
        Err("E103", e.name_spans[i],
            StrCat("built-in `", name, "` takes positional arguments"));
      }
      args.push_back(CheckExpr(e.items[i], f));
      joined = JoinLabels(joined, Flatten(args.back().tree));
    }
    const BuiltinSig* sig = FindBuiltin(name);
    auto bad = [&]() {
      Err("E103", e.span, StrCat("wrong arguments to `", name, "`"),
          StrCat("usage: ", sig->usage));
      return Set(id, T_.error(), Leaf(joined));
    };
    auto kind = [&](size_t i) { return T_.Kind(T_.Underlying(args[i].type)); };
    auto str = [&](size_t i) {
      return T_.IsStringLike(args[i].type) || kind(i) == TypeKind::kJson ||
             kind(i) == TypeKind::kError;
    };
    auto list = [&](size_t i) {
      return kind(i) == TypeKind::kList || kind(i) == TypeKind::kJson ||
             kind(i) == TypeKind::kError;
    };
    size_t n = args.size();
    LTree leaf = Leaf(joined);
    if (name == "len") {
      if (n != 1 || !(list(0) || str(0))) return bad();
      // A list's length depends on its membership, not on its elements.
      if (kind(0) == TypeKind::kList && args[0].tree) {
        return Set(id, T_.int_type(), Leaf(args[0].tree->self));
      }
      return Set(id, T_.int_type(), leaf);
    }
    if (name == "contains") {
      if (n != 2) return bad();
      if (str(0) && str(1)) return Set(id, T_.bool_type(), leaf);
      if (kind(0) == TypeKind::kList) {
        TypeId elem = T_.Get(T_.Underlying(args[0].type)).elem;
        if (!T_.Comparable(elem, args[1].type)) return bad();
        return Set(id, T_.bool_type(), leaf);
      }
      return bad();
    }
    if (name == "starts_with" || name == "ends_with") {
      if (n != 2 || !str(0) || !str(1)) return bad();
      return Set(id, T_.bool_type(), leaf);
    }
    if (name == "lower" || name == "upper" || name == "trim") {
      if (n != 1 || !str(0)) return bad();
      return Set(id, T_.string_type(), leaf);
    }
    if (name == "replace") {
      if (n != 3 || !str(0) || !str(1) || !str(2)) return bad();
      return Set(id, T_.string_type(), leaf);
    }
    if (name == "split") {
      if (n != 2 || !str(0) || !str(1)) return bad();
      auto t = std::make_shared<LNode>();
      t->self = joined;
      t->elem = Leaf(joined);
      return Set(id, T_.List(T_.string_type()), t);
    }
    if (name == "join") {
      if (n != 2 || !list(0) || !str(1)) return bad();
      if (kind(0) == TypeKind::kList &&
          !T_.IsStringLike(T_.Get(T_.Underlying(args[0].type)).elem)) {
        return bad();
      }
      return Set(id, T_.string_type(), leaf);
    }
    if (name == "take") {
      if (n != 2 || !list(0) || !T_.Assignable(args[1].type, T_.int_type()))
        return bad();
      return Set(id, args[0].type, AddSelf(args[0].tree,
                                           Flatten(args[1].tree)));
    }
    if (name == "where") {
      if (n != 3 || kind(0) != TypeKind::kList ||
          m_.expr(e.items[1]).kind != ExprKind::kString) {
        return bad();
      }
      TypeId elem = T_.Underlying(T_.Get(T_.Underlying(args[0].type)).elem);
      const Field* fd = T_.FindField(elem, m_.expr(e.items[1]).text);
      if (fd == nullptr) {
        Err("E101", m_.expr(e.items[1]).span,
            StrCat(T_.Name(T_.Get(T_.Underlying(args[0].type)).elem),
                   " has no field `", m_.expr(e.items[1]).text, "`"));
        return Set(id, args[0].type, args[0].tree);
      }
      if (!T_.Comparable(fd->type, args[2].type)) return bad();
      CheckEnumLiteral(fd->type, e.items[2]);
      // Which elements remain depends on the field and the value.
      Label sel = JoinLabels(Flatten(FieldOf(ElemOf(args[0].tree),
                                             m_.expr(e.items[1]).text)),
                             Flatten(args[2].tree));
      return Set(id, args[0].type, AddSelf(args[0].tree, sel));
    }
    if (name == "count") {
      if (n != 2 || !list(0)) return bad();
      if (kind(0) == TypeKind::kList) {
        TypeId elem = T_.Get(T_.Underlying(args[0].type)).elem;
        if (!T_.Comparable(elem, args[1].type)) return bad();
      }
      return Set(id, T_.int_type(), leaf);
    }
    if (name == "str") {
      if (n != 1 || kind(0) == TypeKind::kVoid) return bad();
      return Set(id, T_.string_type(), leaf);
    }
    if (name == "min" || name == "max") {
      if (n != 2 || !T_.IsNumeric(args[0].type) ||
          !T_.IsNumeric(args[1].type)) {
        return bad();
      }
      bool dec = kind(0) == TypeKind::kDecimal || kind(1) == TypeKind::kDecimal;
      return Set(id, dec ? T_.decimal() : T_.int_type(), leaf);
    }
    return bad();
  }

  // ---- actions -----------------------------------------------------------------
  void CountEffect(const std::string& key, Span span, uint64_t n, Flow& f) {
    f.effects[key] = SatAdd(f.effects[key], n);
    effect_site_.emplace(key, span);
  }

  void UseCapability(const std::string& key, Span span) {
    used_caps_.insert(key);
    if (!declared_uses_.count(key)) {
      Err("E303", span,
          StrCat("capability `", key, "` is used but not declared"),
          StrCat("add `uses ", key, "` to the workflow header"));
    }
  }

  Val CheckAction(NodeId id, const Expr& e, const ActionInfo& a, Flow& f) {
    std::vector<std::string> pnames;
    std::vector<bool> popt;
    for (const ParamInfo& p : a.params) {
      pnames.push_back(p.name);
      popt.push_back(p.optional);
    }
    CallInfo ci;
    ci.kind = CallInfo::kAction;
    ci.action = &a;
    ci.arg_for_param = BindArgs(e, pnames, popt, a.qualified());
    std::vector<Val> vals(e.items.size());
    for (size_t i = 0; i < e.items.size(); ++i) {
      vals[i] = CheckExpr(e.items[i], f);
    }
    Fallible(e.span, f);
    const std::string what = a.qualified();
    const ConnectorInfo* conn = ifaces_.Find(a.connector);
    if (std::find(a_.interfaces_used.begin(), a_.interfaces_used.end(),
                  a.connector) == a_.interfaces_used.end()) {
      a_.interfaces_used.push_back(a.connector);
    }
    uint8_t payload_conf = f.pc.conf;
    uint32_t payload_origin = f.pc.private_origin;
    bool untrusted_arg = false;
    uint32_t untrusted_arg_origin = 0;
    for (size_t p = 0; p < a.params.size(); ++p) {
      int ai = ci.arg_for_param[p];
      if (ai < 0) continue;
      const ParamInfo& pi = a.params[p];
      const Val& v = vals[ai];
      Span span = m_.expr(e.items[ai]).span;
      if (!LiteralFits(v, e.items[ai], pi.type)) {
        Err("E102", span,
            StrCat("`", pi.name, "` of ", what, " is ", T_.Name(pi.type),
                   ", found ", T_.Name(v.type)),
            T_.Kind(pi.type) == TypeKind::kNominal &&
                    T_.Assignable(v.type, T_.Get(pi.type).base)
                ? StrCat("convert it explicitly: ", T_.Name(pi.type), "(...)")
                : "");
      }
      Label l = Flatten(v.tree);
      if (l.prov & kProvUntrusted) {
        untrusted_arg = true;
        untrusted_arg_origin = l.untrusted_origin;
      }
      if (!pi.target) {
        if (l.conf > payload_conf) {
          payload_conf = l.conf;
          payload_origin = l.private_origin;
        }
        continue;
      }
      a_.target_inputs |= l.inputs | f.pc.inputs;
      if (a.irreversible) a_.irreversible_inputs |= l.inputs;
      if (l.prov & kProvUntrusted) {
        Diagnostic* d = Err(
            "E401", span,
            StrCat("untrusted data reaches target `", pi.name, "` of ", what),
            StrCat("a target decides what is acted on; show the value to the "
                   "person first (confirm \"... {", ExprText(e.items[ai]),
                   "} ...\"), let them `choose` it, or `endorse` it with a "
                   "reason"));
        NoteOrigin(d, l.untrusted_origin);
      } else if (a.irreversible && (l.prov & kProvAgent)) {
        Diagnostic* d = Err(
            "E404", span,
            StrCat("irreversible ", what, " acts on `", pi.name,
                   "` chosen by the agent, without the person's "
                   "confirmation"),
            StrCat("confirm the concrete target first: confirm \"... {",
                   ExprText(e.items[ai]),
                   "} ...?\", or resolve it through a directory the person "
                   "keeps"));
        NoteOrigin(d, l.agent_origin);
      }
      if (pi.scope >= 0 && conn != nullptr) {
        const ScopeInfo& sc = conn->scopes[pi.scope];
        std::string key = a.connector + "." + sc.name;
        if (!sc.optional && !scope_decls_.count(key) &&
            missing_scope_reported_.insert(key).second) {
          Err("E304", e.span,
              StrCat(what, " acts within scope `", key,
                     "`, but the workflow does not set it"),
              StrCat("add `scope ", key, " = INPUT` (", ScopeKindName(sc.kind),
                     "): the runtime refuses targets outside it"));
        }
      }
    }
    bool any_target = false;
    for (const ParamInfo& pi : a.params) any_target |= pi.target;
    if (any_target && (f.pc.prov & kProvUntrusted)) {
      Diagnostic* d = Err(
          "E402", e.span,
          StrCat("whether ", what,
                 " runs depends on untrusted data (an implicit flow into its "
                 "targets)"),
          "decide with trusted values, or confirm with the person inside the "
          "branch before the effect");
      NoteOrigin(d, f.pc.untrusted_origin);
    }
    if (IsOutbound(a.effect) && payload_conf >= kPrivate) {
      for (size_t p = 0; p < a.params.size(); ++p) {
        int ai = ci.arg_for_param[p];
        if (ai < 0 || !a.params[p].target) continue;
        Label l = Flatten(vals[ai].tree);
        uint8_t unconfirmed =
            l.prov & ~(kProvPerson | kProvLiteral | kProvEndorsed);
        if (unconfirmed) {
          Diagnostic* d = Err(
              "E403", m_.expr(e.items[ai]).span,
              StrCat(ConfName(payload_conf), " data goes out through ", what,
                     " to `", a.params[p].name,
                     "`, which the person has not confirmed"),
              StrCat("confirm the recipient first: confirm \"Send to {",
                     ExprText(e.items[ai]), "}?\""));
          NoteOrigin(d, payload_origin);
        }
      }
    }
    std::string key = a.connector + "." + EffectName(a.effect);
    CountEffect(key, e.span, 1, f);
    UseCapability(key, e.span);
    if (a.irreversible) f.pending.push_back(e.span);
    a_.calls[id] = ci;
    // The result: the connector's word, tainted when an untrusted value shaped
    // the request.
    Label base;
    base.prov = a.directory ? kProvDirectory : kProvTrusted;
    if (a.returns_ann.untrusted) {
      base.prov = kProvUntrusted;
      base.untrusted_origin =
          AddOrigin(StrCat(what, "'s result is untrusted"), e.span);
    }
    if (a.returns_ann.conf > 0) {
      base.conf = static_cast<uint8_t>(a.returns_ann.conf);
      base.private_origin = AddOrigin(
          StrCat(what, "'s result is ", ConfName(base.conf)), e.span);
    }
    if (untrusted_arg) {
      base.prov |= kProvUntrusted;
      if (!base.untrusted_origin) base.untrusted_origin = untrusted_arg_origin;
    }
    return Set(id, a.returns, MakeTree(a.returns, base, &a, e.span));
  }

  // Source text of the value a hint should name: the path inside a list
  // literal such as [m.from], else the expression itself.
  std::string ExprText(NodeId id) const {
    for (int guard = 0; guard < 16; ++guard) {
      const Expr& x = m_.expr(id);
      if ((x.kind == ExprKind::kList && !x.items.empty()) ||
          (x.kind == ExprKind::kCall && x.items.size() == 1)) {
        id = x.items[0];
      } else {
        break;
      }
    }
    const Expr& e = m_.expr(id);
    if (e.kind != ExprKind::kName && e.kind != ExprKind::kField) {
      return "value";
    }
    std::string_view text(file_.text());
    if (e.span.offset + e.span.length <= text.size() && e.span.length < 60) {
      return std::string(text.substr(e.span.offset, e.span.length));
    }
    return "value";
  }

  Val CheckSubWorkflow(NodeId id, const Expr& e, Flow& f) {
    std::vector<Val> vals;
    for (NodeId arg : e.items) vals.push_back(CheckExpr(arg, f));
    Fallible(e.span, f);
    const WorkflowSignature* sig =
        resolver_ ? resolver_->Find(e.text, e.aux) : nullptr;
    std::string ref = e.text + "@" + e.aux;
    if (sig == nullptr) {
      if (e.text == w_.name) {
        Err("E202", e.span,
            StrCat("workflow `", e.text, "` calls itself"),
            "workflows are total: recursion is not allowed");
      } else {
        Err("E203", e.span, StrCat("unknown workflow `", ref, "`"),
            "check it together with this file, or publish it to the store "
            "first; versions are pinned exactly");
      }
      return Set(id, T_.error(), Bottom());
    }
    if (std::find(a_.deps.begin(), a_.deps.end(), ref) == a_.deps.end()) {
      a_.deps.push_back(ref);
    }
    std::vector<std::string> pnames;
    std::vector<bool> popt;
    for (const auto& [n, t] : sig->inputs) {
      pnames.push_back(n);
      popt.push_back(T_.Kind(t) == TypeKind::kOptional);
    }
    CallInfo ci;
    ci.kind = CallInfo::kWorkflow;
    ci.sub = sig;
    ci.arg_for_param = BindArgs(e, pnames, popt, ref);
    Label result_extra;
    for (size_t p = 0; p < sig->inputs.size(); ++p) {
      int ai = ci.arg_for_param[p];
      if (ai < 0) continue;
      const Val& v = vals[ai];
      Span span = m_.expr(e.items[ai]).span;
      if (!LiteralFits(v, e.items[ai], sig->inputs[p].second)) {
        Err("E102", span,
            StrCat("input `", sig->inputs[p].first, "` of ", ref, " is ",
                   T_.Name(sig->inputs[p].second), ", found ",
                   T_.Name(v.type)));
      }
      Label l = Flatten(v.tree);
      uint64_t bit = p < 64 ? uint64_t{1} << p : 0;
      if (sig->target_inputs & bit) {
        a_.target_inputs |= l.inputs | f.pc.inputs;
        if (l.prov & kProvUntrusted) {
          Diagnostic* d =
              Err("E401", span,
                  StrCat("untrusted data reaches input `",
                         sig->inputs[p].first, "` of ", ref,
                         ", which acts as a target there"),
                  "confirm, choose or endorse the value first");
          NoteOrigin(d, l.untrusted_origin);
        } else if (f.pc.prov & kProvUntrusted) {
          Diagnostic* d =
              Err("E402", e.span,
                  StrCat("whether ", ref,
                         " runs depends on untrusted data"),
                  "decide with trusted values, or confirm first");
          NoteOrigin(d, f.pc.untrusted_origin);
        }
      }
      if ((sig->irreversible_inputs & bit) && (l.prov & kProvAgent)) {
        a_.irreversible_inputs |= l.inputs;
      }
    }
    for (const auto& [key, n] : sig->bounds) CountEffect(key, e.span, n, f);
    for (const std::string& cap : sig->uses) UseCapability(cap, e.span);
    for (const auto& [key, n] : sig->bounds) {
      (void)n;
      used_caps_.insert(key);
    }
    a_.calls[id] = ci;
    // The outputs carry the callee's labels, with the arguments' labels for
    // outputs derived from inputs.
    std::vector<Field> fields;
    auto rec = std::make_shared<LNode>();
    for (const OutputSig& o : sig->outputs) {
      fields.push_back(Field{o.name, o.type, {}, ""});
      Label l = o.label;
      l.prov &= static_cast<uint8_t>(~kProvAgent);
      l.inputs = 0;
      for (size_t p = 0; p < sig->inputs.size() && p < 64; ++p) {
        int ai = ci.arg_for_param[p];
        if (ai >= 0 && (o.label.inputs & (uint64_t{1} << p))) {
          l = JoinLabels(l, Flatten(vals[ai].tree));
        }
      }
      rec->fields.emplace_back(o.name, Leaf(l));
    }
    (void)result_extra;
    return Set(id, T_.Record(std::move(fields)), rec);
  }

  // ---- budgets -------------------------------------------------------------------
  void CheckBudgets() {
    // Totals per effect class across connectors, for class-wide limits.
    std::map<std::string, uint64_t> per_class;
    for (const auto& [key, n] : a_.bounds) {
      std::string cls = key.substr(key.find('.') + 1);
      per_class[cls] = SatAdd(per_class[cls], n);
    }
    auto show = [](uint64_t n) {
      return n == std::numeric_limits<uint64_t>::max() ? std::string("unbounded")
                                                       : std::to_string(n);
    };
    for (const LimitDecl& l : w_.limits) {
      if (!ParseEffect(l.effect)) continue;
      uint64_t bound = 0;
      std::string key;
      if (l.connector.empty()) {
        bound = per_class[l.effect];
        key = l.effect;
      } else {
        key = l.connector + "." + l.effect;
        auto it = a_.bounds.find(key);
        bound = it == a_.bounds.end() ? 0 : it->second;
      }
      if (bound > static_cast<uint64_t>(l.max)) {
        Diagnostic* d = Err(
            "E301", l.span,
            StrCat("up to ", show(bound), " `", key,
                   "` effects can happen, but the limit is ", l.max),
            "tighten the loop bounds, or raise the limit if the larger "
            "number is intended (reviewers will see it)");
        for (const auto& [k, span] : effect_site_) {
          if (d && (k == key || k.substr(k.find('.') + 1) == key)) {
            d->notes.push_back(Note{StrCat("a `", k, "` effect happens here"),
                                    span});
            break;
          }
        }
      }
    }
    for (const auto& [key, n] : a_.bounds) {
      std::string cls = key.substr(key.find('.') + 1);
      if (cls == "read" || n == 0) continue;
      bool limited = false;
      for (const LimitDecl& l : w_.limits) {
        limited |= (l.connector.empty() && l.effect == cls) ||
                   (l.connector + "." + l.effect == key);
      }
      if (!limited) {
        auto it = effect_site_.find(key);
        Err("E302", it != effect_site_.end() ? it->second : w_.name_span,
            StrCat("`", key, "` effects have no budget"),
            StrCat("add `limit ", key, " <= ", show(n),
                   "` (the most this workflow can do) or a tighter number"));
      }
    }
  }

  // ---- tests -----------------------------------------------------------------------
  void CheckTests() {
    test_mode_ = true;
    std::vector<Field> out_fields;
    for (const OutputSig& o : a_.outputs) {
      out_fields.push_back(Field{o.name, o.type, {}, ""});
    }
    TypeId effect_t = T_.Record(
        {Field{"action", T_.string_type(), {}, ""},
         Field{"connector", T_.string_type(), {}, ""},
         Field{"effect", T_.string_type(), {}, ""},
         Field{"args", T_.json(), {}, ""},
         Field{"undone", T_.bool_type(), {}, ""}});
    std::set<std::string> names;
    for (size_t ti = 0; ti < w_.tests.size(); ++ti) {
      const TestDecl& t = w_.tests[ti];
      if (!names.insert(t.name).second) {
        Err("E601", t.span, StrCat("test `", t.name, "` is declared twice"));
      }
      test_names_.clear();
      test_names_["output"] = T_.Record(out_fields);
      test_names_["outcome"] = T_.string_type();
      test_names_["error"] = T_.string_type();
      test_names_["effects"] = T_.List(effect_t);
      test_names_["undone"] = T_.List(effect_t);
      test_names_["asked"] = T_.List(T_.string_type());
      int calls = 0;
      bool has_expect = false;
      for (size_t si = 0; si < t.stmts.size(); ++si) {
        const TestStmt& s = t.stmts[si];
        switch (s.kind) {
          case TestStmtKind::kForall: {
            if (!t.property) {
              Err("E601", s.span, "`forall` belongs in a property block");
            }
            TypeId ft = ifaces_.ResolveType(m_, s.type, nullptr, diags_);
            a_.forall_types[{ti, si}] = ft;
            test_names_[s.name] = ft;
            break;
          }
          case TestStmtKind::kGiven: CheckGiven(s); break;
          case TestStmtKind::kCall: {
            ++calls;
            CheckCallRecord(s);
            break;
          }
          case TestStmtKind::kExpect: {
            has_expect = true;
            Flow f;
            Val v = CheckExpr(s.expr, f);
            if (!T_.Assignable(v.type, T_.bool_type())) {
              Err("E601", m_.expr(s.expr).span,
                  StrCat("an expectation must be bool, found ",
                         T_.Name(v.type)));
            }
            if (ContainsCall(s.expr)) {
              Err("E601", m_.expr(s.expr).span,
                  "expectations cannot call actions or workflows",
                  "assert on the world: given/expect mail.messages...");
            }
            break;
          }
          case TestStmtKind::kFault: {
            const ConnectorInfo* c = ifaces_.Find(s.connector);
            if (c == nullptr || c->FindAction(s.key) == nullptr) {
              Err("E601", s.key_span,
                  StrCat("unknown action `", s.connector, ".", s.key, "`"));
            }
            break;
          }
          case TestStmtKind::kAnswerAny:
            if (!t.property) {
              Err("E601", s.span, "`answer any` belongs in a property block",
                  "tests script each answer: approve, deny, choose N");
            }
            break;
          default: break;
        }
      }
      if (calls != 1) {
        Err("E601", t.span,
            StrCat(t.property ? "property" : "test", " `", t.name,
                   "` must have exactly one `call`, found ", calls));
      }
      if (!has_expect) {
        Err("E601", t.span,
            StrCat(t.property ? "property" : "test", " `", t.name,
                   "` has no `expect`"),
            "a test that cannot fail proves nothing: add expect ...");
      }
    }
    test_mode_ = false;
  }

  void CheckGiven(const TestStmt& s) {
    const ConnectorInfo* c = ifaces_.Find(s.connector);
    if (c == nullptr) {
      Err("E601", s.span, StrCat("unknown connector `", s.connector, "`"));
      return;
    }
    TypeId wt = c->FindWorld(s.key);
    if (wt == 0) {
      std::vector<std::string> names;
      for (const auto& [n, t] : c->worlds) names.push_back(n);
      Err("E601", s.key_span,
          StrCat("connector `", s.connector, "` has no world collection `",
                 s.key, "`"),
          names.empty() ? "" : StrCat("collections: ", StrJoin(names, ", ")));
      return;
    }
    if (s.any) return;
    CheckConst(s.expr, wt, true);
  }

  // World values and call inputs are constants checked against a type;
  // records in worlds may leave fields out (the simulator fills defaults).
  void CheckConst(NodeId id, TypeId want, bool partial) {
    std::vector<std::pair<NodeId, TypeId>> stack = {{id, want}};
    while (!stack.empty()) {
      auto [n, t] = stack.back();
      stack.pop_back();
      const Expr& e = m_.expr(n);
      TypeId u = T_.Underlying(t);
      TypeKind k = T_.Kind(u);
      if (k == TypeKind::kOptional) {
        if (e.kind == ExprKind::kNone) continue;
        stack.push_back({n, T_.Get(u).elem});
        continue;
      }
      if (k == TypeKind::kError || k == TypeKind::kJson) {
        a_.expr_type[n] = T_.json();
        continue;
      }
      a_.expr_type[n] = t;
      switch (e.kind) {
        case ExprKind::kList:
          if (k != TypeKind::kList) break;
          for (NodeId item : e.items) stack.push_back({item, T_.Get(u).elem});
          continue;
        case ExprKind::kRecord: {
          if (k != TypeKind::kRecord) break;
          std::set<std::string> seen;
          for (size_t i = 0; i < e.items.size(); ++i) {
            const Field* fd = T_.FindField(u, e.names[i]);
            if (fd == nullptr) {
              Err("E601", e.name_spans[i],
                  StrCat(T_.Name(t), " has no field `", e.names[i], "`"));
              continue;
            }
            seen.insert(e.names[i]);
            stack.push_back({e.items[i], fd->type});
          }
          if (!partial) {
            for (const Field& fd : T_.Get(u).fields) {
              if (!seen.count(fd.name) &&
                  T_.Kind(fd.type) != TypeKind::kOptional) {
                Err("E601", e.span, StrCat("missing field `", fd.name, "`"));
              }
            }
          }
          continue;
        }
        case ExprKind::kString:
          if (T_.IsStringLike(u) || k == TypeKind::kTime) {
            CheckEnumLiteral(t, n);
            continue;
          }
          break;
        case ExprKind::kInt:
          if (k == TypeKind::kInt || k == TypeKind::kDecimal) continue;
          break;
        case ExprKind::kDecimal:
          if (k == TypeKind::kDecimal) continue;
          break;
        case ExprKind::kBool:
          if (k == TypeKind::kBool) continue;
          break;
        case ExprKind::kDuration:
          if (k == TypeKind::kDuration) continue;
          break;
        case ExprKind::kName:
          if (test_names_.count(e.text) && partial == false) {
            // A forall variable given to `call`.
            if (!T_.Assignable(test_names_[e.text], t)) {
              Err("E601", e.span,
                  StrCat("`", e.text, "` is ", T_.Name(test_names_[e.text]),
                         ", but ", T_.Name(t), " is expected"));
            }
            a_.expr_type[n] = test_names_[e.text];
            continue;
          }
          Err("E601", e.span,
              "test data must be literal values",
              "write the value out: strings, numbers, lists, records");
          continue;
        case ExprKind::kUnary:
          if (e.text == "-" && (m_.expr(e.a).kind == ExprKind::kInt ||
                                m_.expr(e.a).kind == ExprKind::kDecimal) &&
              T_.IsNumeric(u)) {
            a_.expr_type[e.a] = t;
            continue;
          }
          break;
        default:
          Err("E601", e.span, "test data must be literal values",
              "write the value out: strings, numbers, lists, records");
          continue;
      }
      Err("E601", e.span, StrCat("expected ", T_.Name(t), " here"));
    }
  }

  void CheckCallRecord(const TestStmt& s) {
    const Expr& rec = m_.expr(s.expr);
    std::set<std::string> seen;
    for (size_t i = 0; i < rec.items.size(); ++i) {
      size_t k = w_.inputs.size();
      for (size_t j = 0; j < w_.inputs.size(); ++j) {
        if (w_.inputs[j].name == rec.names[i]) k = j;
      }
      if (k == w_.inputs.size()) {
        std::vector<std::string> names;
        for (const InputDecl& in : w_.inputs) names.push_back(in.name);
        Err("E601", rec.name_spans[i],
            StrCat("`", rec.names[i], "` is not an input of this workflow"),
            Suggest(rec.names[i], names));
        continue;
      }
      seen.insert(rec.names[i]);
      CheckConst(rec.items[i], a_.input_types[k], false);
    }
    for (size_t j = 0; j < w_.inputs.size(); ++j) {
      if (!seen.count(w_.inputs[j].name) &&
          T_.Kind(a_.input_types[j]) != TypeKind::kOptional) {
        Err("E601", rec.span,
            StrCat("the call does not give input `", w_.inputs[j].name, "`"));
      }
    }
  }

  const SourceFile& file_;
  const Module& m_;
  InterfaceSet& ifaces_;
  TypeTable& T_;
  const WorkflowResolver* resolver_;
  DiagnosticSink& diags_;
  const WorkflowDecl& w_;
  Analysis a_;
  std::vector<std::vector<int>> scopes_;
  std::vector<LTree> labels_;  // per variable id
  std::vector<std::pair<int, LTree>> trail_;
  int branch_depth_ = 0;
  std::unordered_map<std::string, std::vector<int>> live_;
  std::vector<Note> notes_;
  std::set<std::pair<std::string, uint32_t>> reported_;
  std::map<std::string, Span> declared_uses_;
  std::set<std::string> used_caps_;
  std::map<std::string, Span> scope_decls_;
  std::set<std::string> missing_scope_reported_;
  std::map<std::string, Span> effect_site_;
  bool test_mode_ = false;
  std::map<std::string, TypeId> test_names_;
};

}  // namespace

CheckOutput CheckWorkflow(const SourceFile& file, const Module& module,
                          InterfaceSet& interfaces,
                          const WorkflowResolver* resolver,
                          DiagnosticSink& diags) {
  if (!module.workflow) {
    CheckOutput out;
    if (module.connector) {
      diags.Error("E002", module.connector->span,
                  "expected a workflow, found a connector interface",
                  "connector interfaces belong in .wfi files");
    }
    return out;
  }
  return Checker(file, module, interfaces, resolver, diags).Run();
}

namespace {

Result<TypeId> TypeFromJson(const Json& j, TypeTable& t, int depth = 0) {
  if (depth > 48) return InvalidArgument("type nests too deeply");
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "bool") return t.bool_type();
    if (s == "int") return t.int_type();
    if (s == "decimal") return t.decimal();
    if (s == "string") return t.string_type();
    if (s == "time") return t.time();
    if (s == "duration") return t.duration();
    if (s == "bytes") return t.bytes();
    return InvalidArgument("unknown type " + s);
  }
  if (!j.is_object() || j.size() == 0) return InvalidArgument("bad type");
  if (j.contains("list")) {
    WFS_ASSIGN_OR_RETURN(TypeId e, TypeFromJson(j["list"], t, depth + 1));
    return t.List(e);
  }
  if (j.contains("optional")) {
    WFS_ASSIGN_OR_RETURN(TypeId e, TypeFromJson(j["optional"], t, depth + 1));
    return t.Optional(e);
  }
  if (j.contains("enum") && j["enum"].is_array()) {
    std::vector<std::string> vals;
    for (const Json& v : j["enum"]) {
      if (!v.is_string()) return InvalidArgument("bad enum");
      vals.push_back(v.get<std::string>());
    }
    return t.Enum(std::move(vals));
  }
  if (j.contains("nominal") && j["nominal"].is_string() && j.contains("base")) {
    TypeId n = t.Nominal(j["nominal"].get<std::string>());
    if (t.IsError(t.Get(n).base)) {
      WFS_ASSIGN_OR_RETURN(TypeId b, TypeFromJson(j["base"], t, depth + 1));
      t.SetNominalBase(n, b);
    }
    return n;
  }
  if (j.contains("record") && j["record"].is_array()) {
    std::vector<Field> fields;
    for (const Json& f : j["record"]) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string() ||
          !f.contains("type")) {
        return InvalidArgument("bad record field");
      }
      Field fd;
      fd.name = f["name"].get<std::string>();
      WFS_ASSIGN_OR_RETURN(fd.type, TypeFromJson(f["type"], t, depth + 1));
      if (f.contains("label") && f["label"].is_object()) {
        const Json& l = f["label"];
        fd.ann.untrusted = l.value("untrusted", false);
        fd.ann.trusted = l.value("trusted", false);
        std::string conf = l.value("conf", "");
        fd.ann.conf = conf == "public"    ? 0
                      : conf == "private" ? 1
                      : conf == "secret"  ? 2
                                          : -1;
      }
      fields.push_back(std::move(fd));
    }
    return t.Record(std::move(fields));
  }
  return InvalidArgument("unknown type form");
}

Label LabelFromJson(const Json& j) {
  Label l;
  if (!j.is_object()) return l;
  static const char* kNames[] = {"literal", "agent",     "person",
                                 "trusted", "untrusted", "endorsed",
                                 "directory"};
  if (j.contains("prov") && j["prov"].is_array()) {
    for (const Json& p : j["prov"]) {
      for (int i = 0; i < 7; ++i) {
        if (p.is_string() && p.get<std::string>() == kNames[i]) {
          l.prov |= static_cast<uint8_t>(1 << i);
        }
      }
    }
  }
  std::string conf = j.value("conf", "public");
  l.conf = conf == "secret" ? kSecret : conf == "private" ? kPrivate : kPublic;
  if (j.contains("inputs") && j["inputs"].is_array()) {
    for (const Json& i : j["inputs"]) {
      if (i.is_number_unsigned() && i.get<uint64_t>() < 64) {
        l.inputs |= uint64_t{1} << i.get<uint64_t>();
      }
    }
  }
  return l;
}

uint64_t MaskFromJson(const Json& j) {
  uint64_t m = 0;
  if (!j.is_array()) return m;
  for (const Json& i : j) {
    if (i.is_number_unsigned() && i.get<uint64_t>() < 64) {
      m |= uint64_t{1} << i.get<uint64_t>();
    }
  }
  return m;
}

}  // namespace

Result<std::shared_ptr<WorkflowSignature>> SignatureFromIr(const Json& ir,
                                                           TypeTable& types) {
  if (!ir.is_object() || ir.value("kind", "") != "workflow") {
    return InvalidArgument("not a workflow IR document");
  }
  auto sig = std::make_shared<WorkflowSignature>();
  sig->name = ir.value("name", "");
  sig->version = ir.value("version", "");
  sig->content_id = "sha256:" + Sha256Hex(CanonicalJson(ir));
  for (const Json& in : ir.value("inputs", Json::array())) {
    WFS_ASSIGN_OR_RETURN(TypeId t, TypeFromJson(in.value("type", Json()),
                                                 types));
    sig->inputs.emplace_back(in.value("name", ""), t);
  }
  for (const Json& o : ir.value("outputs", Json::array())) {
    OutputSig out;
    out.name = o.value("name", "");
    WFS_ASSIGN_OR_RETURN(out.type, TypeFromJson(o.value("type", Json()),
                                                types));
    out.reveal = o.value("reveal", false);
    out.label = LabelFromJson(o.value("label", Json::object()));
    sig->outputs.push_back(std::move(out));
  }
  const Json bounds = ir.value("bounds", Json::object());
  for (const auto& [k, v] : bounds.items()) {
    if (v.is_number_unsigned()) sig->bounds[k] = v.get<uint64_t>();
  }
  for (const Json& u : ir.value("uses", Json::array())) {
    if (u.is_string()) sig->uses.insert(u.get<std::string>());
  }
  const Json flow = ir.value("flow", Json::object());
  sig->target_inputs = MaskFromJson(flow.value("target_inputs", Json()));
  sig->irreversible_inputs =
      MaskFromJson(flow.value("irreversible_inputs", Json()));
  for (const Json& d : ir.value("deps", Json::array())) {
    if (d.is_object()) {
      sig->deps.push_back(d.value("name", "") + "@" + d.value("version", ""));
    }
  }
  return sig;
}

}  // namespace wfs::lang
