// JSON Schema (2020-12) for workflow inputs and outputs: the published
// contract agents validate against. The run-time check (CheckInputs) accepts
// exactly what these schemas describe: the same types, required inputs and
// no unknown properties.
#ifndef WFSTORE_RUNTIME_JSON_SCHEMA_H_
#define WFSTORE_RUNTIME_JSON_SCHEMA_H_

#include "base/json.h"
#include "runtime/program.h"
#include "runtime/types.h"

namespace wfs::runtime {

// The schema of one value of type `t`.
Json JsonSchemaFor(const RType& t);

// {"type": "object", "properties": {...}, "required": [...],
//  "additionalProperties": false} over the workflow's inputs, with each
// input's doc as its description.
Json InputSchema(const Program& program);

// The outputs as the agent receives them: each output's own schema, or a
// handle object where the value is untrusted or private and the output is
// not marked `reveal`.
Json OutputSchema(const Program& program);

}  // namespace wfs::runtime

#endif  // WFSTORE_RUNTIME_JSON_SCHEMA_H_
