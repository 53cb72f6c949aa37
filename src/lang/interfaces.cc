#include "lang/interfaces.h"

#include <set>

#include "base/sha256.h"
#include "base/strings.h"

namespace wfs::lang {

const char* EffectName(Effect e) {
  switch (e) {
    case Effect::kRead: return "read";
    case Effect::kCreate: return "create";
    case Effect::kUpdate: return "update";
    case Effect::kDelete: return "delete";
    case Effect::kSend: return "send";
    case Effect::kSpend: return "spend";
    case Effect::kExec: return "exec";
  }
  return "read";
}

std::optional<Effect> ParseEffect(const std::string& n) {
  for (Effect e : {Effect::kRead, Effect::kCreate, Effect::kUpdate,
                   Effect::kDelete, Effect::kSend, Effect::kSpend,
                   Effect::kExec}) {
    if (n == EffectName(e)) return e;
  }
  return std::nullopt;
}

const char* ScopeKindName(ScopeKind k) {
  switch (k) {
    case ScopeKind::kPath: return "path";
    case ScopeKind::kExact: return "exact";
    case ScopeKind::kDomain: return "domain";
  }
  return "exact";
}

const ParamInfo* ActionInfo::FindParam(const std::string& n) const {
  for (const ParamInfo& p : params) {
    if (p.name == n) return &p;
  }
  return nullptr;
}

const ActionInfo* ConnectorInfo::FindAction(const std::string& n) const {
  auto it = actions.find(n);
  return it == actions.end() ? nullptr : &it->second;
}

int ConnectorInfo::FindScope(const std::string& n) const {
  for (size_t i = 0; i < scopes.size(); ++i) {
    if (scopes[i].name == n) return static_cast<int>(i);
  }
  return -1;
}

TypeId ConnectorInfo::FindWorld(const std::string& n) const {
  for (const auto& [world, type] : worlds) {
    if (world == n) return type;
  }
  return 0;
}

const ConnectorInfo* InterfaceSet::Find(const std::string& name) const {
  auto it = connectors_.find(name);
  return it == connectors_.end() ? nullptr : it->second.get();
}

namespace {

TypeId BuiltinType(const TypeTable& t, const std::string& name) {
  if (name == "bool") return t.bool_type();
  if (name == "int") return t.int_type();
  if (name == "decimal") return t.decimal();
  if (name == "string") return t.string_type();
  if (name == "time") return t.time();
  if (name == "duration") return t.duration();
  if (name == "bytes") return t.bytes();
  return t.error();
}

// Nominal types reachable from `id` without passing through another
// nominal's base (the direct structure of one definition).
void DirectNominals(const TypeTable& t, TypeId id, std::vector<TypeId>* out) {
  std::vector<TypeId> stack = {id};
  while (!stack.empty()) {
    TypeId cur = stack.back();
    stack.pop_back();
    const Type& ty = t.Get(cur);
    switch (ty.kind) {
      case TypeKind::kNominal: out->push_back(cur); break;
      case TypeKind::kList:
      case TypeKind::kOptional: stack.push_back(ty.elem); break;
      case TypeKind::kRecord:
        for (const Field& f : ty.fields) stack.push_back(f.type);
        break;
      default: break;
    }
  }
}

}  // namespace

TypeId InterfaceSet::ResolveType(const Module& m, NodeId id,
                                 const std::string* connector,
                                 DiagnosticSink& diags) {
  if (id == kNoNode) return types_->error();
  const TypeExpr& te = m.type(id);
  switch (te.kind) {
    case TypeExprKind::kName: {
      TypeId b = BuiltinType(*types_, te.name);
      if (!types_->IsError(b)) return b;
      std::string qualified = te.name;
      if (te.name.find('.') == std::string::npos) {
        if (connector == nullptr) {
          diags.Error("E101", te.span, StrCat("unknown type `", te.name, "`"),
                      "qualify connector types with the connector name, e.g. "
                      "mail.MessageId; built-in types are bool, int, decimal, "
                      "string, time, duration, bytes");
          return types_->error();
        }
        qualified = *connector + "." + te.name;
      }
      size_t dot = qualified.find('.');
      std::string conn = qualified.substr(0, dot);
      std::string local = qualified.substr(dot + 1);
      // Declared in this batch or an earlier one?
      if (declared_.count(qualified)) return types_->Nominal(qualified);
      const ConnectorInfo* c = Find(conn);
      if (c != nullptr) {
        auto it = c->types.find(local);
        if (it != c->types.end()) return it->second;
      }
      diags.Error("E101", te.span, StrCat("unknown type `", te.name, "`"),
                  c == nullptr && connector == nullptr
                      ? StrCat("no connector named `", conn, "` is loaded")
                      : "check the spelling against the connector's "
                        "interface");
      return types_->error();
    }
    case TypeExprKind::kList:
      return types_->List(ResolveType(m, te.elem, connector, diags));
    case TypeExprKind::kOptional:
      return types_->Optional(ResolveType(m, te.elem, connector, diags));
    case TypeExprKind::kEnum: {
      std::set<std::string> seen;
      for (const std::string& v : te.values) {
        if (!seen.insert(v).second) {
          diags.Error("E102", te.span, StrCat("enum value `", v,
                                              "` appears twice"));
        }
      }
      if (te.values.empty()) {
        diags.Error("E102", te.span, "an enum needs at least one value");
      }
      return types_->Enum(te.values);
    }
    case TypeExprKind::kRecord: {
      std::vector<Field> fields;
      std::set<std::string> seen;
      for (const FieldDecl& fd : te.fields) {
        if (!seen.insert(fd.name).second) {
          diags.Error("E102", fd.span,
                      StrCat("field `", fd.name, "` appears twice"));
          continue;
        }
        if (fd.ann.trusted && fd.ann.untrusted) {
          diags.Error("E501", fd.span, StrCat("field `", fd.name,
                                              "` is both trusted and "
                                              "untrusted"));
        }
        Field f;
        f.name = fd.name;
        f.type = ResolveType(m, fd.type, connector, diags);
        f.ann = fd.ann;
        f.doc = fd.doc;
        fields.push_back(std::move(f));
      }
      return types_->Record(std::move(fields));
    }
  }
  return types_->error();
}

void InterfaceSet::Load(const std::vector<InterfaceSource>& sources,
                        std::vector<DiagnosticSink*>& sinks) {
  struct Pending {
    const InterfaceSource* src;
    DiagnosticSink* diags;
    std::unique_ptr<ConnectorInfo> info;
    std::vector<std::pair<std::string, TypeId>> nominals;
  };
  std::vector<Pending> pending;
  std::set<std::string> names;
  // Phase 1: declare every type name so definitions may refer to each other.
  for (size_t i = 0; i < sources.size(); ++i) {
    const InterfaceSource& s = sources[i];
    DiagnosticSink& d = *sinks[i];
    if (!s.module->connector) {
      if (s.module->workflow) {
        d.Error("E002", s.module->workflow->span,
                "expected a connector interface, found a workflow",
                "interface files (.wfi) start with `connector NAME VERSION`");
      }
      continue;
    }
    const ConnectorDecl& c = *s.module->connector;
    if (c.name.empty()) continue;
    if (!names.insert(c.name).second) {
      d.Error("E501", c.name_span,
              StrCat("connector `", c.name, "` is declared twice"));
      continue;
    }
    Pending p;
    p.src = &s;
    p.diags = &d;
    p.info = std::make_unique<ConnectorInfo>();
    p.info->name = c.name;
    p.info->version = c.version;
    p.info->summary = c.summary;
    p.info->base_url = c.base_url;
    p.info->path = s.file->path();
    std::set<std::string> local;
    for (const TypeDef& td : c.types) {
      if (!types_->IsError(BuiltinType(*types_, td.name)) || td.name == "list" ||
          td.name == "enum") {
        d.Error("E501", td.span,
                StrCat("type `", td.name, "` would hide a built-in type"));
        continue;
      }
      if (!local.insert(td.name).second) {
        d.Error("E501", td.span, StrCat("type `", td.name,
                                        "` is declared twice"));
        continue;
      }
      std::string q = c.name + "." + td.name;
      declared_.insert(q);
      TypeId nominal = types_->Nominal(q);
      p.nominals.emplace_back(td.name, nominal);
    }
    pending.push_back(std::move(p));
  }
  // Phase 2: resolve definitions.
  for (Pending& p : pending) {
    const ConnectorDecl& c = *p.src->module->connector;
    size_t k = 0;
    for (const TypeDef& td : c.types) {
      if (k >= p.nominals.size() || p.nominals[k].first != td.name) continue;
      TypeId base = ResolveType(*p.src->module, td.type, &c.name, *p.diags);
      types_->SetNominalBase(p.nominals[k].second, base);
      p.info->types[td.name] = p.nominals[k].second;
      ++k;
    }
  }
  // Phase 3: refuse recursive types (values must have a finite shape).
  for (Pending& p : pending) {
    const ConnectorDecl& c = *p.src->module->connector;
    for (size_t k = 0; k < p.nominals.size(); ++k) {
      TypeId start = p.nominals[k].second;
      std::set<TypeId> seen;
      std::vector<TypeId> work;
      DirectNominals(*types_, types_->Get(start).base, &work);
      bool cyclic = false;
      while (!work.empty() && !cyclic) {
        TypeId n = work.back();
        work.pop_back();
        if (n == start) cyclic = true;
        if (!seen.insert(n).second) continue;
        DirectNominals(*types_, types_->Get(n).base, &work);
      }
      if (cyclic) {
        Span span;
        for (const TypeDef& td : c.types) {
          if (td.name == p.nominals[k].first) span = td.span;
        }
        p.diags->Error("E501", span,
                       StrCat("type `", p.nominals[k].first,
                              "` refers to itself"),
                       "recursive types are not allowed; values must have a "
                       "finite shape");
        types_->SetNominalBase(start, types_->error());
      }
    }
  }
  // Phase 4: scopes, worlds, actions.
  for (Pending& p : pending) {
    const ConnectorDecl& c = *p.src->module->connector;
    DiagnosticSink& d = *p.diags;
    ConnectorInfo& info = *p.info;
    for (const ScopeDef& sd : c.scopes) {
      if (info.FindScope(sd.name) >= 0) {
        d.Error("E501", sd.span, StrCat("scope `", sd.name,
                                        "` is declared twice"));
        continue;
      }
      info.scopes.push_back({sd.name, sd.kind, sd.optional, sd.doc});
    }
    for (const WorldDef& wd : c.worlds) {
      if (info.FindWorld(wd.name) != 0) {
        d.Error("E501", wd.span, StrCat("world collection `", wd.name,
                                        "` is declared twice"));
        continue;
      }
      info.worlds.emplace_back(wd.name,
                               ResolveType(*p.src->module, wd.type, &c.name,
                                           d));
    }
    for (const ActionDecl& ad : c.actions) {
      if (info.actions.count(ad.name)) {
        d.Error("E501", ad.span, StrCat("action `", ad.name,
                                        "` is declared twice"));
        continue;
      }
      ActionInfo a;
      a.connector = c.name;
      a.name = ad.name;
      a.span = ad.span;
      a.doc = ad.doc;
      a.directory = ad.directory;
      a.irreversible = ad.irreversible;
      a.undo = ad.undo;
      a.returns_ann = ad.returns_ann;
      a.returns = ad.returns == kNoNode
                      ? types_->void_type()
                      : ResolveType(*p.src->module, ad.returns, &c.name, d);
      std::set<std::string> pnames;
      for (const ParamDecl& pd : ad.params) {
        if (!pnames.insert(pd.name).second) {
          d.Error("E501", pd.span, StrCat("parameter `", pd.name,
                                          "` appears twice"));
          continue;
        }
        ParamInfo pi;
        pi.name = pd.name;
        pi.type = ResolveType(*p.src->module, pd.type, &c.name, d);
        pi.target = pd.target;
        pi.optional = pd.optional;
        if (pd.optional) pi.type = types_->Optional(pi.type);
        if (!pd.scope.empty()) {
          pi.scope = info.FindScope(pd.scope);
          if (pi.scope < 0) {
            d.Error("E501", pd.scope_span,
                    StrCat("unknown scope `", pd.scope, "`"),
                    "declare it with `scope NAME: path|exact|domain`");
          }
        }
        a.params.push_back(std::move(pi));
      }
      if (ad.effect.empty()) {
        d.Error("E501", ad.span,
                StrCat("action `", ad.name, "` has no effect class"),
                "add `effect read|create|update|delete|send|spend|exec`");
      } else if (auto e = ParseEffect(ad.effect)) {
        a.effect = *e;
      } else {
        d.Error("E501", ad.effect_span,
                StrCat("unknown effect class `", ad.effect, "`"),
                "effect classes: read, create, update, delete, send, spend, "
                "exec");
      }
      if (a.effect == Effect::kRead) {
        if (ad.irreversible || !ad.undo.empty()) {
          d.Error("E501", ad.span,
                  StrCat("read action `", ad.name,
                         "` cannot declare undo or irreversible"));
        }
      } else if (!ad.effect.empty() && ParseEffect(ad.effect)) {
        if (ad.irreversible == !ad.undo.empty()) {
          d.Error("E501", ad.span,
                  StrCat("action `", ad.name, "` must declare exactly one of "
                         "`undo ACTION` or `irreversible`"),
                  "every effect says how it is compensated, or that it "
                  "cannot be");
        }
      }
      if (ad.http) {
        static const std::set<std::string> kMethods = {
            "GET", "POST", "PUT", "PATCH", "DELETE"};
        if (!kMethods.count(ad.http->method)) {
          d.Error("E501", ad.http->span,
                  StrCat("unknown HTTP method `", ad.http->method, "`"));
        }
        if (c.base_url.empty()) {
          d.Error("E501", ad.http->span,
                  "HTTP-bound actions need the connector's `base \"URL\"`");
        }
        // Every {placeholder} names a parameter.
        const std::string& tpl = ad.http->path;
        for (size_t i = tpl.find('{'); i != std::string::npos;
             i = tpl.find('{', i + 1)) {
          size_t close = tpl.find('}', i);
          std::string name = close == std::string::npos
                                 ? ""
                                 : tpl.substr(i + 1, close - i - 1);
          if (!pnames.count(name)) {
            d.Error("E501", ad.http->span,
                    StrCat("URL template names unknown parameter `", name,
                           "`"));
          }
        }
        a.http = HttpInfo{ad.http->method, ad.http->path,
                          ad.http->idempotency_header};
      }
      info.actions.emplace(ad.name, std::move(a));
    }
    for (const auto& [name, a] : info.actions) {
      if (a.undo.empty()) continue;
      const ActionInfo* u = info.FindAction(a.undo);
      if (u == nullptr) {
        Span span;
        for (const ActionDecl& ad : c.actions) {
          if (ad.name == name) span = ad.undo_span;
        }
        d.Error("E501", span,
                StrCat("undo action `", a.undo, "` is not declared"),
                StrCat("declare `action ", a.undo, "(...)` in this connector"));
      } else if (u->effect == Effect::kRead) {
        d.Error("E501", a.span,
                StrCat("undo action `", a.undo, "` must be an effect, not a "
                                                "read"));
      }
    }
    if (d.has_errors()) continue;
    info.digest = "sha256:" + Sha256Hex(CanonicalJson(ConnectorToJson(info)));
    connectors_[info.name] = std::move(p.info);
  }
}

Json InterfaceSet::ActionToJson(const ActionInfo& a) const {
  Json params = Json::array();
  for (const ParamInfo& p : a.params) {
    Json jp = {{"name", p.name},
               {"type", types_->ToJson(p.type)},
               {"target", p.target}};
    if (p.scope >= 0) {
      const ConnectorInfo* c = Find(a.connector);
      jp["scope"] = c != nullptr && p.scope < static_cast<int>(c->scopes.size())
                        ? Json(c->scopes[p.scope].name)
                        : Json(nullptr);
    }
    if (p.optional) jp["optional"] = true;
    params.push_back(std::move(jp));
  }
  Json j = {{"connector", a.connector},
            {"name", a.name},
            {"effect", EffectName(a.effect)},
            {"params", std::move(params)},
            {"irreversible", a.irreversible},
            {"directory", a.directory}};
  if (a.returns != types_->void_type()) {
    j["returns"] = types_->ToJson(a.returns);
  }
  Json ann = LabelAnnToJson(a.returns_ann);
  if (!ann.empty()) j["label"] = std::move(ann);
  if (!a.undo.empty()) j["undo"] = a.undo;
  if (a.http) {
    j["http"] = {{"method", a.http->method}, {"path", a.http->path}};
    if (!a.http->idempotency_header.empty()) {
      j["http"]["idempotency_header"] = a.http->idempotency_header;
    }
  }
  return j;
}

Json InterfaceSet::ConnectorToJson(const ConnectorInfo& c) const {
  Json scopes = Json::array();
  for (const ScopeInfo& s : c.scopes) {
    scopes.push_back({{"name", s.name},
                      {"kind", ScopeKindName(s.kind)},
                      {"optional", s.optional}});
  }
  Json types = Json::object();
  for (const auto& [name, id] : c.types) {
    types[name] = types_->ToJson(types_->Get(id).base);
  }
  Json worlds = Json::array();
  for (const auto& [name, id] : c.worlds) {
    worlds.push_back({{"name", name}, {"type", types_->ToJson(id)}});
  }
  Json actions = Json::object();
  for (const auto& [name, a] : c.actions) actions[name] = ActionToJson(a);
  Json j = {{"name", c.name},       {"version", c.version},
            {"summary", c.summary}, {"scopes", std::move(scopes)},
            {"types", std::move(types)}, {"worlds", std::move(worlds)},
            {"actions", std::move(actions)}};
  if (!c.base_url.empty()) j["base"] = c.base_url;
  return j;
}

}  // namespace wfs::lang
