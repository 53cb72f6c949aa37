// Run-time types, read from the IR's JSON type form (docs/ir.md), and typed
// conversion between JSON and Values.
#ifndef WFSTORE_RUNTIME_TYPES_H_
#define WFSTORE_RUNTIME_TYPES_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "runtime/value.h"

namespace wfs::runtime {

struct RType;
using RTypePtr = std::shared_ptr<const RType>;

struct RField {
  std::string name;
  RTypePtr type;
  bool untrusted = false;
  bool trusted = false;
  int conf = -1;  // -1 unspecified, else lang::Conf
};

struct RType {
  enum K : uint8_t {
    kAny, kBool, kInt, kDecimal, kString, kTime, kDuration, kBytes, kList,
    kRecord, kOptional, kEnum, kNominal,
  };
  K k = kAny;
  RTypePtr elem;                    // list, optional; nominal: the base
  std::vector<RField> fields;       // record, sorted by name
  ShapePtr shape;                   // record: the field names
  std::vector<std::string> values;  // enum
  std::string name;                 // nominal
};

Result<RTypePtr> ParseType(const Json& j);
std::string TypeName(const RType& t);
// Strips nominal wrappers.
const RType& Base(const RType& t);

// Called for each record field annotated untrusted or private: returns the
// origin note id to put on its label (0 for none).
using FieldOriginFn =
    std::function<uint32_t(const std::string& field, bool untrusted)>;

// Converts `j` to a Value of type `t`, checking every kind; the whole value
// gets `base`, annotated record fields their own taint. Errors name the path
// ("result.messages[2].subject: expected string, got number").
Result<Value> FromJson(const Json& j, const RType& t, const Label& base,
                       const FieldOriginFn& origin, const std::string& path);

// JSON form of a value (decimals as strings, times as text, durations as
// milliseconds). Labels are dropped.
Json ToJson(const Value& v);

}  // namespace wfs::runtime

#endif  // WFSTORE_RUNTIME_TYPES_H_
