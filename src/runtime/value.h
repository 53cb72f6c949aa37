// Run-time values. Every value carries a label: who could have chosen it and
// how confidential it is (the same lattice the checker uses, lang/labels.h).
// Records and lists keep per-field and per-element labels; the label of a
// field read is the field's own label joined with its record's.
#ifndef WFSTORE_RUNTIME_VALUE_H_
#define WFSTORE_RUNTIME_VALUE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "lang/labels.h"

namespace wfs::runtime {

using lang::kProvAgent;
using lang::kProvDirectory;
using lang::kProvEndorsed;
using lang::kProvLiteral;
using lang::kProvPerson;
using lang::kProvTrusted;
using lang::kProvUntrusted;

// Where a taint came from, as an index into the run's origin notes (0: none).
struct Label {
  uint8_t prov = 0;
  uint8_t conf = 0;
  uint32_t untrusted_origin = 0;
  uint32_t agent_origin = 0;
  uint32_t private_origin = 0;

  bool has(uint8_t bits) const { return (prov & bits) != 0; }
};
Label Join(const Label& a, const Label& b);

enum class Kind : uint8_t {
  kNone, kBool, kInt, kDecimal, kString, kTime, kDuration, kBytes, kList,
  kRecord,
};
const char* KindName(Kind k);

class Value;
// Field names of a record, sorted; shared by records of the same shape.
struct RecordShape {
  std::vector<std::string> names;
  int Find(std::string_view name) const;
};
using ShapePtr = std::shared_ptr<const RecordShape>;
using Items = std::vector<Value>;

class Value {
 public:
  Value() = default;

  static Value None(Label l = {});
  static Value Bool(bool b, Label l = {});
  static Value Int(int64_t i, Label l = {});
  // Decimals are int64 micro-units: 42.5 is 42'500'000.
  static Value Decimal(int64_t micros, Label l = {});
  static Value String(std::string s, Label l = {});
  static Value Bytes(std::string s, Label l = {});
  // Times keep their RFC 3339 text and seconds since the epoch.
  static Value Time(int64_t unix_seconds, std::string text, Label l = {});
  static Value Duration(int64_t millis, Label l = {});
  static Value List(Items items, Label l = {});
  // `names` and `values` in the same order; names need not be sorted.
  static Value Record(std::vector<std::string> names, Items values,
                      Label l = {});
  static Value Record(ShapePtr shape, Items values, Label l = {});

  Kind kind() const { return kind_; }
  const Label& label() const { return label_; }
  Label& mutable_label() { return label_; }
  Value WithLabel(Label l) const;

  bool b() const { return num_ != 0; }
  int64_t i() const { return num_; }  // int, decimal micros, time s, duration ms
  const std::string& s() const { return str_; }
  const Items& items() const;  // list items, record values
  const RecordShape* shape() const { return shape_.get(); }
  const ShapePtr& shape_ptr() const { return shape_; }
  // Record field (with the record's label joined in), or nullptr.
  const Value* RawField(std::string_view name) const;
  // Replaces item `index` (copy on write).
  Value WithItem(size_t index, Value v) const;

  // The join of this value's label and every label inside it.
  Label Flatten() const;
  // Approximate bytes held, for the run's memory budget.
  size_t ApproxBytes() const;

  bool operator==(const Value& o) const;  // labels are not compared
  // Ordering for < <= > >= (numbers, strings, times, durations).
  int Compare(const Value& o) const;

  // Text shown to people (confirmations, interpolation): strings as they
  // are, decimals without trailing zeros, lists "[a, b]", records
  // "{a: 1, b: x}", none as "none".
  std::string Display() const;

 private:
  Kind kind_ = Kind::kNone;
  Label label_;
  int64_t num_ = 0;
  std::string str_;
  std::shared_ptr<const Items> items_;
  ShapePtr shape_;
};

// Decimal text <-> micro-units. Accepts "-12.5", "3", "0.000001"; at most 6
// fractional digits and 12 integer digits.
Result<int64_t> ParseDecimal(std::string_view text);
std::string FormatDecimal(int64_t micros);
// RFC 3339 ("2026-12-01T10:00:00Z", "2026-12-01T11:00:00+01:00") to seconds.
Result<int64_t> ParseTime(std::string_view text);
std::string FormatTime(int64_t unix_seconds);  // UTC, "...Z"
std::string FormatDuration(int64_t millis);     // "1500ms", "90s", "15m", "2h"

}  // namespace wfs::runtime

#endif  // WFSTORE_RUNTIME_VALUE_H_
