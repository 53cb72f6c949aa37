// What an agent may see of a run's outputs. Untrusted or private values go
// back as opaque handles (which the agent can pass on, labels intact) unless
// the workflow marks the output `reveal`; an injection the model never reads
// cannot steer it. The person sees the values themselves (MCP content with
// audience ["user"], the console, the CLI).
#ifndef WFSTORE_RUNTIME_AGENT_VIEW_H_
#define WFSTORE_RUNTIME_AGENT_VIEW_H_

#include <map>
#include <string>

#include "base/json.h"
#include "runtime/program.h"
#include "runtime/value.h"

namespace wfs::runtime {

// Handle id -> the value it stands for.
using HandleTable = std::map<std::string, Value>;

// True when a value may not be shown to the agent as text.
bool NeedsHandle(const Label& l);

// The outputs as JSON for the agent: every untrusted or private leaf of a
// non-revealed output becomes {"handle": id, "label": {...}, "chars": n},
// with the value stored in `handles` under an id made of `prefix` and a
// counter.
Json AgentView(const Program& program, const Value& outputs,
               HandleTable* handles, const std::string& prefix);

}  // namespace wfs::runtime

#endif  // WFSTORE_RUNTIME_AGENT_VIEW_H_
