// Abstract syntax of workflow and connector interface files.
//
// Internal to src/lang. Nodes live in arenas owned by a Module and refer to
// each other by index, so a deep tree never recurses in destructors and the
// checker can keep side tables keyed by node id.
#ifndef WFSTORE_LANG_AST_H_
#define WFSTORE_LANG_AST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lang/source.h"

namespace wfs::lang {

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = UINT32_MAX;

enum class ExprKind : uint8_t {
  kInt, kDecimal, kString, kBool, kNone, kDuration,
  kName,      // text = identifier
  kField,     // a = base, text = field name
  kIndex,     // a = base, b = index
  kCall,      // a = callee (kName or kField), items = args, names = arg names
  kList,      // items
  kRecord,    // items = values, names = field names, spans = name spans
  kUnary,     // text = "-" | "not", a = operand
  kBinary,    // text = operator, a, b
  kInterp,    // names = literal pieces (items.size() + 1), items = holes
  kWorkflow,  // text = workflow name, aux = version, items/names = args
};

struct Expr {
  ExprKind kind;
  Span span;
  std::string text;
  std::string aux;
  int64_t int_value = 0;  // kInt, kBool (0/1), kDuration (seconds or ms)
  bool duration_ms = false;
  NodeId a = kNoNode;
  NodeId b = kNoNode;
  std::vector<NodeId> items;
  std::vector<std::string> names;
  std::vector<Span> name_spans;
};

// Label annotations written after a type in interface files and on inputs.
struct LabelAnn {
  bool untrusted = false;
  bool trusted = false;
  int conf = -1;  // -1: unspecified; 0 public, 1 private, 2 secret
  bool empty() const { return !untrusted && !trusted && conf < 0; }
};

enum class TypeExprKind : uint8_t { kName, kList, kRecord, kEnum, kOptional };

struct FieldDecl {
  std::string name;
  Span span;
  NodeId type = kNoNode;
  LabelAnn ann;
  std::string doc;
};

struct TypeExpr {
  TypeExprKind kind;
  Span span;
  std::string name;  // kName: "string", "MessageId", "mail.MessageId"
  NodeId elem = kNoNode;  // kList, kOptional
  std::vector<FieldDecl> fields;  // kRecord
  std::vector<std::string> values;  // kEnum
};

enum class StmtKind : uint8_t {
  kLet, kVar, kAssign, kIf, kFor, kConfirm, kChoose, kEndorse, kReturn,
  kFail, kExpr,
};

struct Stmt {
  StmtKind kind;
  Span span;
  std::string name;    // variable (let/var/assign/for/choose)
  Span name_span;
  NodeId type = kNoNode;   // declared type of let/var
  NodeId expr = kNoNode;   // value, condition, list, message, callee
  NodeId expr2 = kNoNode;  // choose: question
  std::vector<NodeId> body;
  std::vector<NodeId> else_body;
  bool has_else = false;
  int64_t limit = -1;      // for: declared bound
  Span limit_span;
  std::vector<std::string> path;  // endorse
  std::vector<Span> path_spans;
  std::string text;        // endorse: reason
};

struct InputDecl {
  std::string name;
  Span span;
  NodeId type = kNoNode;
  LabelAnn ann;
  std::string doc;
};

struct OutputDecl {
  std::string name;
  Span span;
  NodeId type = kNoNode;
  bool reveal = false;
  std::string doc;
};

struct UsesDecl {
  std::string connector;
  std::string effect;
  Span span;
};

struct ScopeDecl {
  std::string connector;
  std::string scope;
  Span span;
  NodeId value = kNoNode;
};

struct LimitDecl {
  std::string connector;  // empty: every connector
  std::string effect;
  int64_t max = 0;
  Span span;
};

enum class TestStmtKind : uint8_t {
  kGiven, kCall, kApprove, kDeny, kChoose, kTimeout, kExpect, kForall,
  kFault, kAnswerAny,
};

struct TestStmt {
  TestStmtKind kind;
  Span span;
  std::string connector;  // given / fault
  std::string key;        // given: world collection; fault: action
  Span key_span;
  NodeId expr = kNoNode;  // given value, call record, expect condition
  bool any = false;       // given ... = any
  int64_t n = 0;          // choose index; fault: successful calls before it
  std::string name;       // forall variable
  NodeId type = kNoNode;  // forall type
};

struct TestDecl {
  std::string name;
  Span span;
  bool property = false;
  std::vector<TestStmt> stmts;
};

struct WorkflowDecl {
  std::string name;
  Span name_span;
  std::string version;
  Span version_span;
  Span span;
  std::string summary;
  bool has_summary = false;
  std::vector<std::string> intents;
  std::vector<InputDecl> inputs;
  std::vector<OutputDecl> outputs;
  std::vector<UsesDecl> uses;
  std::vector<ScopeDecl> scopes;
  std::vector<LimitDecl> limits;
  bool has_run = false;
  Span run_span;
  std::vector<NodeId> body;
  std::vector<TestDecl> tests;
};

enum class ScopeKind : uint8_t { kPath, kExact, kDomain };

struct ScopeDef {
  std::string name;
  Span span;
  ScopeKind kind = ScopeKind::kExact;
  bool optional = false;
  std::string doc;
};

struct TypeDef {
  std::string name;
  Span span;
  NodeId type = kNoNode;
  std::string doc;
};

struct WorldDef {
  std::string name;
  Span span;
  NodeId type = kNoNode;
  std::string doc;
};

struct ParamDecl {
  std::string name;
  Span span;
  NodeId type = kNoNode;
  bool target = false;
  std::string scope;  // `target in SCOPE`
  Span scope_span;
  bool optional = false;  // `= none` default
};

struct HttpBinding {
  std::string method;  // GET, POST, ...
  std::string path;    // URL template relative to the connector's base
  std::string idempotency_header;
  Span span;
};

struct ActionDecl {
  std::string name;
  Span span;
  std::vector<ParamDecl> params;
  NodeId returns = kNoNode;
  LabelAnn returns_ann;
  std::string effect;
  Span effect_span;
  std::string undo;
  Span undo_span;
  bool irreversible = false;
  bool directory = false;
  std::optional<HttpBinding> http;
  std::string doc;
};

struct ConnectorDecl {
  std::string name;
  Span name_span;
  std::string version;
  Span span;
  std::string summary;
  std::string base_url;  // `base "https://..."` for HTTP-declared connectors
  std::vector<ScopeDef> scopes;
  std::vector<TypeDef> types;
  std::vector<WorldDef> worlds;
  std::vector<ActionDecl> actions;
};

struct Module {
  std::vector<Expr> exprs;
  std::vector<Stmt> stmts;
  std::vector<TypeExpr> types;
  std::optional<WorkflowDecl> workflow;
  std::optional<ConnectorDecl> connector;

  const Expr& expr(NodeId id) const { return exprs[id]; }
  const Stmt& stmt(NodeId id) const { return stmts[id]; }
  const TypeExpr& type(NodeId id) const { return types[id]; }
};

}  // namespace wfs::lang

#endif  // WFSTORE_LANG_AST_H_
