// Internal to src/lang: what the checker learns about a workflow and hands to
// lowering (checker.cc -> lower.cc).
#ifndef WFSTORE_LANG_ANALYSIS_H_
#define WFSTORE_LANG_ANALYSIS_H_

#include <string>
#include <unordered_map>
#include <vector>

#include "lang/checker.h"

namespace wfs::lang {

struct CallInfo {
  enum Kind : uint8_t { kAction, kBuiltin, kConvert, kWorkflow, kWorld };
  Kind kind = kBuiltin;
  const ActionInfo* action = nullptr;
  std::string name;  // builtin name; world: "connector.collection"
  TypeId convert = 0;
  const WorkflowSignature* sub = nullptr;
  // For actions and workflows: for each parameter/input, the index of its
  // argument in Expr::items, or -1 when omitted.
  std::vector<int> arg_for_param;
};

struct VarInfo {
  std::string name;
  TypeId type = 0;
  bool mutable_ = false;
  Span span;
  int input = -1;  // index in the workflow's inputs, or -1
};

struct EndorsementInfo {
  Span span;
  std::string path;
  std::string reason;
};

struct Analysis {
  std::vector<TypeId> expr_type;   // per expression
  std::vector<int> expr_var;       // per kName expression: variable id
  std::unordered_map<NodeId, CallInfo> calls;  // kCall/kWorkflow/kField ids
  std::vector<int> stmt_var;       // per statement: declared/assigned var
  std::vector<VarInfo> vars;
  std::vector<TypeId> input_types;
  std::vector<OutputSig> outputs;
  std::map<std::string, uint64_t> bounds;
  std::vector<EndorsementInfo> endorsements;
  std::vector<std::pair<std::string, TypeId>> scope_types;
  // Per test statement of kind forall: its type (indexed by test, stmt).
  std::map<std::pair<size_t, size_t>, TypeId> forall_types;
  uint64_t target_inputs = 0;
  uint64_t irreversible_inputs = 0;
  std::vector<std::string> interfaces_used;  // connector names
  std::vector<std::string> deps;             // "name@version"
};

// Lowers a checked workflow to canonical IR text (lower.cc).
std::string LowerWorkflow(const SourceFile& file, const Module& module,
                          const Analysis& analysis, InterfaceSet& interfaces);

}  // namespace wfs::lang

#endif  // WFSTORE_LANG_ANALYSIS_H_
