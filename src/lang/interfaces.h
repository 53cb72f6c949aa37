// Connector interfaces, resolved: what the checker, the IR and the runtime
// know about each connector action.
#ifndef WFSTORE_LANG_INTERFACES_H_
#define WFSTORE_LANG_INTERFACES_H_

#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "lang/ast.h"
#include "lang/diagnostics.h"
#include "lang/types.h"

namespace wfs::lang {

enum class Effect : uint8_t {
  kRead, kCreate, kUpdate, kDelete, kSend, kSpend, kExec,
};
const char* EffectName(Effect e);
std::optional<Effect> ParseEffect(const std::string& name);
// Effects that move data or money outside: private payloads need a confirmed
// target.
inline bool IsOutbound(Effect e) {
  return e == Effect::kSend || e == Effect::kSpend || e == Effect::kExec;
}

struct ParamInfo {
  std::string name;
  TypeId type = 0;
  bool target = false;
  int scope = -1;  // index into ConnectorInfo::scopes, or -1
  bool optional = false;
};

struct HttpInfo {
  std::string method;
  std::string path;
  std::string idempotency_header;
};

struct ActionInfo {
  std::string connector;
  std::string name;
  std::vector<ParamInfo> params;
  TypeId returns = 1;  // TypeTable::void_type()
  LabelAnn returns_ann;
  Effect effect = Effect::kRead;
  std::string undo;
  bool irreversible = false;
  bool directory = false;
  std::optional<HttpInfo> http;
  std::string doc;
  Span span;

  std::string qualified() const { return connector + "." + name; }
  const ParamInfo* FindParam(const std::string& n) const;
};

struct ScopeInfo {
  std::string name;
  ScopeKind kind = ScopeKind::kExact;
  bool optional = false;
  std::string doc;
};
const char* ScopeKindName(ScopeKind k);

struct ConnectorInfo {
  std::string name;
  std::string version;
  std::string summary;
  std::string base_url;
  std::string path;  // the file it came from
  std::vector<ScopeInfo> scopes;
  std::map<std::string, TypeId> types;   // local name -> nominal type
  std::vector<std::pair<std::string, TypeId>> worlds;
  std::map<std::string, ActionInfo> actions;
  std::string digest;  // "sha256:<hex>" of the canonical JSON form

  const ActionInfo* FindAction(const std::string& n) const;
  int FindScope(const std::string& n) const;
  TypeId FindWorld(const std::string& n) const;  // 0 (error) when absent
};

// One parsed interface file waiting to be resolved.
struct InterfaceSource {
  std::shared_ptr<SourceFile> file;
  std::shared_ptr<Module> module;
};

// Every connector interface known to a compilation, sharing one TypeTable.
class InterfaceSet {
 public:
  explicit InterfaceSet(TypeTable* types) : types_(types) {}

  // Resolves a batch of parsed interface files together (they may refer to
  // each other's types and to connectors loaded earlier). Reports problems
  // into `sinks` (one per source, same order); a connector with errors is not
  // added.
  void Load(const std::vector<InterfaceSource>& sources,
            std::vector<DiagnosticSink*>& sinks);

  const ConnectorInfo* Find(const std::string& name) const;
  const std::map<std::string, std::unique_ptr<ConnectorInfo>>& all() const {
    return connectors_;
  }

  // Resolves a type expression of `module` in the context of `connector`
  // (local type names allowed) or of a workflow (connector == nullptr).
  // Reports unknown names as E101.
  TypeId ResolveType(const Module& module, NodeId type,
                     const std::string* connector, DiagnosticSink& diags);

  // The canonical JSON of an action's contract, as embedded in IR.
  Json ActionToJson(const ActionInfo& a) const;
  Json ConnectorToJson(const ConnectorInfo& c) const;

  TypeTable& types() { return *types_; }

 private:
  TypeTable* types_;
  std::map<std::string, std::unique_ptr<ConnectorInfo>> connectors_;
  std::set<std::string> declared_;  // qualified type names declared so far
};

}  // namespace wfs::lang

#endif  // WFSTORE_LANG_INTERFACES_H_
