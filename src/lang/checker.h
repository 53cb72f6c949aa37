// The workflow checker: names, types, totality, effect bounds, capabilities,
// scopes and label flow. Internal to src/lang; the public entry point is
// compiler.h.
#ifndef WFSTORE_LANG_CHECKER_H_
#define WFSTORE_LANG_CHECKER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/json.h"
#include "lang/ast.h"
#include "lang/diagnostics.h"
#include "lang/interfaces.h"
#include "lang/types.h"

namespace wfs::lang {

// A static label: who could have chosen a value, how confidential it is, and
// which of the workflow's inputs it derives from. `*_origin` index notes that
// say where a taint came from (0: unknown).
struct Label {
  uint8_t prov = 0;
  uint8_t conf = 0;
  uint32_t untrusted_origin = 0;
  uint32_t agent_origin = 0;
  uint32_t private_origin = 0;
  uint64_t inputs = 0;  // bit i: derives from input i (first 64 inputs)

  bool operator==(const Label& o) const {
    return prov == o.prov && conf == o.conf && inputs == o.inputs;
  }
};
Label JoinLabels(const Label& a, const Label& b);
Json LabelToJson(const Label& l);

struct OutputSig {
  std::string name;
  TypeId type = 0;
  bool reveal = false;
  Label label;
};

// What a caller needs to know about a checked workflow.
struct WorkflowSignature {
  std::string name;
  std::string version;
  std::string content_id;
  std::vector<std::pair<std::string, TypeId>> inputs;
  std::vector<OutputSig> outputs;
  std::map<std::string, uint64_t> bounds;  // "mail.delete" -> max effects
  std::set<std::string> uses;              // "mail.delete"
  uint64_t target_inputs = 0;        // inputs that can reach a target
  uint64_t irreversible_inputs = 0;  // ... a target of an irreversible effect
  std::vector<std::string> deps;     // "name@version" of sub-workflows
};

// Finds sub-workflows by exact name and version.
class WorkflowResolver {
 public:
  virtual ~WorkflowResolver() = default;
  virtual const WorkflowSignature* Find(const std::string& name,
                                        const std::string& version) const = 0;
};

struct CheckOutput {
  bool ok = false;
  std::string canonical_ir;  // only when ok
  std::shared_ptr<WorkflowSignature> signature;
};

// Checks the workflow in `module` and lowers it to IR when it is clean.
// Diagnostics go to `diags`.
CheckOutput CheckWorkflow(const SourceFile& file, const Module& module,
                          InterfaceSet& interfaces,
                          const WorkflowResolver* resolver,
                          DiagnosticSink& diags);

// Rebuilds a signature from a workflow's IR (for workflows that come from a
// store rather than from source in this compilation).
Result<std::shared_ptr<WorkflowSignature>> SignatureFromIr(const Json& ir,
                                                           TypeTable& types);

}  // namespace wfs::lang

#endif  // WFSTORE_LANG_CHECKER_H_
