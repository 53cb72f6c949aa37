// A Program is a workflow's IR compiled for the interpreter: flat
// instructions with jumps, constant and argument tables, and the contracts
// (actions, limits, scopes, inputs, outputs) the runtime enforces. Programs
// are immutable and shared between runs.
#ifndef WFSTORE_RUNTIME_PROGRAM_H_
#define WFSTORE_RUNTIME_PROGRAM_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "lang/ast.h"
#include "lang/interfaces.h"
#include "runtime/types.h"
#include "runtime/value.h"

namespace wfs::runtime {

struct ParamSpec {
  std::string name;
  RTypePtr type;
  bool target = false;
  std::string scope;  // empty when none
  bool optional = false;
};

struct ActionSpec {
  std::string connector;
  std::string name;
  std::string qualified;  // "mail.delete"
  lang::Effect effect = lang::Effect::kRead;
  std::vector<ParamSpec> params;
  RTypePtr returns;  // null for actions without a result
  bool returns_untrusted = false;
  bool returns_trusted = false;
  int returns_conf = -1;
  std::string undo;
  bool irreversible = false;
  bool directory = false;
  bool has_targets = false;
  std::string effect_key;  // "mail.delete"
};

struct ScopeSpec {
  std::string connector;
  std::string scope;
  lang::ScopeKind kind = lang::ScopeKind::kExact;
  std::vector<std::string> values;
  std::vector<int> input_slots;
};

struct InputSpec {
  std::string name;
  RTypePtr type;
  int slot = 0;
  int conf = 0;
  std::string doc;
};

struct OutputSpec {
  std::string name;
  RTypePtr type;
  bool reveal = false;
  std::string doc;
};

enum class Op : uint8_t {
  kConst, kCopy, kAssign, kField, kIndex, kList, kRecord, kUnary, kBinary,
  kCall, kFormat, kConvert, kAction, kWorkflow,
  kIf,       // a: cond; jump: else; aux: branch
  kJump,     // jump
  kEndIf,    // aux: join info
  kForInit,  // a: list; b: limit; aux: branch
  kForNext,  // dst: var; jump: end
  kForEnd,   // aux: join info
  kConfirm,  // a: text; aux: endorse list; b: branch
  kChoose,   // dst; a: from; b: question; aux: branch
  kEndorse,  // a: slot; aux: endorsement
  kReturn,   // aux: field list
  kFail,     // a: message
};

enum class Fn : uint8_t {
  kNone,
  // unary
  kNot, kNeg,
  // binary
  kAdd, kSub, kMul, kDiv, kMod, kEq, kNe, kLt, kLe, kGt, kGe, kAnd, kOr,
  kCoalesce,
  // built-ins
  kLen, kContains, kStartsWith, kEndsWith, kLower, kUpper, kTrim, kReplace,
  kSplit, kJoin, kTake, kCount, kWhere, kStr, kMin, kMax,
};
Fn BuiltinFn(const std::string& name);  // kNone when unknown
const char* FnName(Fn fn);

struct Instr {
  Op op;
  Fn fn = Fn::kNone;
  int32_t dst = -1;
  int32_t a = -1;
  int32_t b = -1;
  int32_t jump = -1;
  uint32_t aux = 0;
  uint32_t line = 0;
  uint32_t col = 0;
};

struct ActionCall {
  int action;  // index into Program::actions
  std::vector<std::pair<int, int>> args;  // (param index, slot)
  int step;
};

struct WorkflowCall {
  std::string name;
  std::string version;
  std::string content_id;
  std::vector<std::pair<std::string, int>> args;  // (input name, slot)
  int step;
};

struct EndorseTarget {
  int slot;
  std::vector<std::string> path;
};

struct JoinInfo {
  bool may_exit = false;      // a branch can return or fail
  std::vector<int> assigned;  // outer variables assigned inside
};

class Program {
 public:
  // Compiles an IR document. `content_id` is recorded as given (callers pass
  // sha256 of the canonical text).
  static Result<std::shared_ptr<const Program>> FromIr(const Json& ir,
                                                       std::string content_id);

  std::string name;
  std::string version;
  std::string content_id;
  std::string summary;
  std::vector<std::string> intents;
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  std::set<std::string> uses;
  std::map<std::string, int64_t> limits;  // "mail.delete" or "delete"
  std::map<std::string, int64_t> bounds;
  std::vector<ScopeSpec> scopes;
  // Every scope the used connectors declare: "conn.scope" -> (kind, optional).
  std::map<std::string, std::pair<lang::ScopeKind, bool>> scope_kinds;
  std::vector<ActionSpec> actions;
  std::map<std::string, int> action_index;  // qualified -> index
  std::vector<std::string> slot_names;      // "" for temporaries
  int slots = 0;
  int steps = 0;
  int branches = 0;
  Json tests;  // the IR's tests, for the test runner
  Json ir;     // the IR itself

  // Code and tables.
  std::vector<Instr> code;
  std::vector<Value> consts;
  std::vector<std::string> names;          // field names, messages
  std::vector<std::vector<int>> slot_lists;
  std::vector<std::pair<ShapePtr, std::vector<int>>> records;
  std::vector<std::pair<std::vector<std::string>, std::vector<int>>> formats;
  std::vector<RTypePtr> types;
  std::vector<ActionCall> action_calls;
  std::vector<WorkflowCall> workflow_calls;
  std::vector<std::vector<EndorseTarget>> endorse_lists;
  std::vector<std::pair<EndorseTarget, std::string>> endorsements;
  std::vector<std::vector<std::pair<std::string, int>>> returns;
  std::vector<JoinInfo> joins;
  // Source position of each branch id (for coverage reports).
  std::vector<std::pair<uint32_t, uint32_t>> branch_at;
  std::vector<std::string> branch_kind;  // "if", "for", "confirm", "choose"
};

using ProgramPtr = std::shared_ptr<const Program>;

// Finds sub-workflows for `workflow` ops, by name and exact version.
class ProgramResolver {
 public:
  virtual ~ProgramResolver() = default;
  virtual ProgramPtr Find(const std::string& name,
                          const std::string& version) const = 0;
};

// A resolver over a fixed set of programs.
class ProgramSet : public ProgramResolver {
 public:
  void Add(ProgramPtr p) { by_ref_[p->name + "@" + p->version] = std::move(p); }
  ProgramPtr Find(const std::string& name,
                  const std::string& version) const override;

 private:
  std::map<std::string, ProgramPtr> by_ref_;
};

}  // namespace wfs::runtime

#endif  // WFSTORE_RUNTIME_PROGRAM_H_
