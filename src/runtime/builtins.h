// Operators and built-in functions over Values. Internal to src/runtime.
// Results carry the join of their arguments' labels; `take`, `where` and list
// `+` keep each element's own label. Errors (division by zero, overflow,
// arguments of the wrong kind) are InvalidArgument with a message; the
// interpreter turns them into a failed run at the operation's position.
#ifndef WFSTORE_RUNTIME_BUILTINS_H_
#define WFSTORE_RUNTIME_BUILTINS_H_

#include <vector>

#include "base/result.h"
#include "runtime/program.h"
#include "runtime/value.h"

namespace wfs::runtime {

Result<Value> ApplyUnary(Fn fn, const Value& a);
Result<Value> ApplyBinary(Fn fn, const Value& a, const Value& b);
Result<Value> ApplyBuiltin(Fn fn, const std::vector<const Value*>& args);

// Relabels a value and everything inside it with provenance `prov`
// (confidentiality kept).
Value Relabel(const Value& v, uint8_t prov, int depth = 0);
// Relabels the value at `path` (record fields) below `v`; records on the way
// push their own label down to their fields first, so only the named value
// changes.
Value RelabelPath(const Value& v, const std::vector<std::string>& path,
                  size_t i, uint8_t prov);

}  // namespace wfs::runtime

#endif  // WFSTORE_RUNTIME_BUILTINS_H_
