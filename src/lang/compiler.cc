#include "lang/compiler.h"

#include <map>
#include <set>

#include "base/sha256.h"
#include "base/strings.h"

namespace wfs::lang {

Json CompiledFile::ir() const {
  if (canonical_ir.empty()) return Json();
  auto parsed = ParseJson(canonical_ir, JsonLimits{1u << 30, 256});
  return parsed.ok() ? *parsed : Json();
}

int CompiledFile::error_count() const {
  int n = 0;
  for (const Diagnostic& d : diagnostics) n += d.severity == Severity::kError;
  return n;
}

int CompiledFile::warning_count() const {
  int n = 0;
  for (const Diagnostic& d : diagnostics) n += d.severity == Severity::kWarning;
  return n;
}

std::unique_ptr<Compiler> Compiler::Create(const CompilerOptions& options) {
  return std::unique_ptr<Compiler>(new Compiler(options));
}

Compiler::Compiler(const CompilerOptions& options)
    : options_(options),
      types_(std::make_unique<TypeTable>()),
      interfaces_(std::make_unique<InterfaceSet>(types_.get())) {
  struct Parsed {
    InterfaceSource src;
    std::unique_ptr<DiagnosticSink> sink;
    std::string name;
  };
  std::vector<Parsed> parsed;
  auto parse = [&](const SourceText& st) {
    Parsed p;
    p.src.file = std::make_shared<SourceFile>(st.path, st.text);
    p.sink = std::make_unique<DiagnosticSink>(p.src.file.get());
    std::vector<Token> toks = Lex(*p.src.file, *p.sink, options_.lex);
    p.src.module = std::make_shared<Module>(
        Parse(*p.src.file, toks, *p.sink, options_.parse));
    if (p.src.module->connector) p.name = p.src.module->connector->name;
    return p;
  };
  std::vector<Parsed> user;
  std::set<std::string> overridden;
  for (const SourceText& st : options_.interfaces) {
    user.push_back(parse(st));
    overridden.insert(user.back().name);
  }
  if (options_.builtin_interfaces) {
    for (const SourceText& st : BuiltinInterfaces()) {
      Parsed p = parse(st);
      if (overridden.count(p.name)) continue;
      parsed.push_back(std::move(p));
    }
  }
  for (Parsed& p : user) parsed.push_back(std::move(p));
  std::vector<InterfaceSource> sources;
  std::vector<DiagnosticSink*> sinks;
  for (Parsed& p : parsed) {
    sources.push_back(p.src);
    sinks.push_back(p.sink.get());
  }
  interfaces_->Load(sources, sinks);
  for (Parsed& p : parsed) {
    CompiledFile f;
    f.path = p.src.file->path();
    f.is_interface = true;
    f.source = p.src.file;
    f.diagnostics = p.sink->Take();
    SortDiagnostics(f.diagnostics);
    f.ok = f.error_count() == 0;
    f.name = p.name;
    if (f.ok && p.src.module->connector) {
      f.version = p.src.module->connector->version;
      if (const ConnectorInfo* c = interfaces_->Find(p.name)) {
        f.content_id = c->digest;
      }
    }
    interface_files_.push_back(std::move(f));
  }
}

namespace {

// Resolves within the batch, then through the external resolver.
class BatchResolver : public WorkflowResolver {
 public:
  explicit BatchResolver(const WorkflowResolver* next) : next_(next) {}
  void Add(std::shared_ptr<WorkflowSignature> sig) {
    sigs_[sig->name + "@" + sig->version] = std::move(sig);
  }
  void Block(const std::string& ref) { blocked_.insert(ref); }
  const WorkflowSignature* Find(const std::string& name,
                                const std::string& version) const override {
    std::string ref = name + "@" + version;
    if (blocked_.count(ref)) return nullptr;
    auto it = sigs_.find(ref);
    if (it != sigs_.end()) return it->second.get();
    return next_ ? next_->Find(name, version) : nullptr;
  }

 private:
  const WorkflowResolver* next_;
  std::map<std::string, std::shared_ptr<WorkflowSignature>> sigs_;
  std::set<std::string> blocked_;
};

void CollectCalls(const Module& m, std::vector<NodeId>* out) {
  for (NodeId i = 0; i < m.exprs.size(); ++i) {
    if (m.exprs[i].kind == ExprKind::kWorkflow) out->push_back(i);
  }
}

}  // namespace

std::vector<CompiledFile> Compiler::Check(
    const std::vector<SourceText>& workflows) {
  struct Unit {
    std::shared_ptr<SourceFile> file;
    std::unique_ptr<DiagnosticSink> sink;
    Module module;
    std::string ref;
    std::vector<NodeId> calls;
  };
  std::vector<Unit> units(workflows.size());
  std::map<std::string, size_t> by_ref;
  for (size_t i = 0; i < workflows.size(); ++i) {
    Unit& u = units[i];
    u.file = std::make_shared<SourceFile>(workflows[i].path, workflows[i].text);
    u.sink = std::make_unique<DiagnosticSink>(u.file.get());
    std::vector<Token> toks = Lex(*u.file, *u.sink, options_.lex);
    u.module = Parse(*u.file, toks, *u.sink, options_.parse);
    if (u.module.workflow) {
      u.ref = u.module.workflow->name + "@" + u.module.workflow->version;
      auto [it, fresh] = by_ref.emplace(u.ref, i);
      if (!fresh) {
        u.sink->Error("E003", u.module.workflow->name_span,
                      StrCat("workflow ", u.ref, " is also defined in ",
                             workflows[it->second].path),
                      "each name@version is defined once; bump the version");
      }
    }
    CollectCalls(u.module, &u.calls);
  }
  // Order by dependencies (Kahn); what remains is part of a cycle.
  std::vector<std::vector<size_t>> dependents(units.size());
  std::vector<size_t> pending(units.size(), 0);
  for (size_t i = 0; i < units.size(); ++i) {
    std::set<size_t> deps;
    for (NodeId c : units[i].calls) {
      const Expr& e = units[i].module.expr(c);
      auto it = by_ref.find(e.text + "@" + e.aux);
      if (it != by_ref.end() && it->second != i) deps.insert(it->second);
    }
    pending[i] = deps.size();
    for (size_t d : deps) dependents[d].push_back(i);
  }
  std::vector<size_t> order;
  std::vector<size_t> ready;
  for (size_t i = 0; i < units.size(); ++i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  while (!ready.empty()) {
    size_t i = ready.back();
    ready.pop_back();
    order.push_back(i);
    for (size_t d : dependents[i]) {
      if (--pending[d] == 0) ready.push_back(d);
    }
  }
  BatchResolver resolver(options_.resolver);
  std::vector<bool> in_cycle(units.size(), false);
  for (size_t i = 0; i < units.size(); ++i) {
    if (pending[i] == 0) continue;
    in_cycle[i] = true;
    for (NodeId c : units[i].calls) {
      const Expr& e = units[i].module.expr(c);
      auto it = by_ref.find(e.text + "@" + e.aux);
      if (it != by_ref.end() && pending[it->second] != 0) {
        units[i].sink->Error("E202", e.span,
                             StrCat("workflows call each other in a cycle "
                                    "through ",
                                    e.text, "@", e.aux),
                             "workflows are total: recursion is not allowed");
        resolver.Block(e.text + "@" + e.aux);
      }
    }
    order.push_back(i);
  }
  std::vector<CompiledFile> out(units.size());
  for (size_t i : order) {
    Unit& u = units[i];
    CompiledFile& f = out[i];
    f.path = u.file->path();
    f.source = u.file;
    CheckOutput co;
    if (u.module.workflow || u.module.connector) {
      co = CheckWorkflow(*u.file, u.module, *interfaces_, &resolver, *u.sink);
    }
    f.diagnostics = u.sink->Take();
    SortDiagnostics(f.diagnostics);
    f.ok = f.error_count() == 0 && co.ok;
    if (u.module.workflow) {
      f.name = u.module.workflow->name;
      f.version = u.module.workflow->version;
    }
    if (f.ok) {
      f.canonical_ir = std::move(co.canonical_ir);
      f.content_id = "sha256:" + Sha256Hex(f.canonical_ir);
      co.signature->content_id = f.content_id;
      f.signature = co.signature;
      if (!in_cycle[i]) resolver.Add(co.signature);
    }
  }
  return out;
}

}  // namespace wfs::lang
