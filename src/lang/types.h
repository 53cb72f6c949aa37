// Types of the workflow language. Internal to src/lang.
//
// Types are interned in a TypeTable and referred to by TypeId. Records carry
// their fields' label annotations (connectors declare which fields are
// untrusted or private); assignability ignores annotations.
#ifndef WFSTORE_LANG_TYPES_H_
#define WFSTORE_LANG_TYPES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/json.h"
#include "lang/ast.h"

namespace wfs::lang {

using TypeId = uint32_t;

enum class TypeKind : uint8_t {
  kError,     // after a reported error; compatible with everything
  kVoid,      // actions without a result
  kNone,      // the type of `none`
  kBool, kInt, kDecimal, kString, kTime, kDuration, kBytes,
  kList, kRecord, kOptional, kEnum,
  kNominal,   // a connector-declared named type, e.g. mail.MessageId
  kJson,      // dynamic values in test expectations
};

struct Field {
  std::string name;
  TypeId type;
  LabelAnn ann;
  std::string doc;
};

struct Type {
  TypeKind kind;
  TypeId elem = 0;             // list, optional
  std::vector<Field> fields;   // record
  std::vector<std::string> values;  // enum
  std::string name;            // nominal: qualified name
  TypeId base = 0;             // nominal: underlying type
};

class TypeTable {
 public:
  TypeTable();

  TypeId error() const { return 0; }
  TypeId void_type() const { return 1; }
  TypeId none() const { return 2; }
  TypeId bool_type() const { return 3; }
  TypeId int_type() const { return 4; }
  TypeId decimal() const { return 5; }
  TypeId string_type() const { return 6; }
  TypeId time() const { return 7; }
  TypeId duration() const { return 8; }
  TypeId bytes() const { return 9; }
  TypeId json() const { return 10; }

  TypeId List(TypeId elem);
  TypeId Optional(TypeId elem);
  TypeId Record(std::vector<Field> fields);
  TypeId Enum(std::vector<std::string> values);
  // Declares a nominal type; its base is set later with SetNominalBase so
  // interface types can refer to each other in any order.
  TypeId Nominal(const std::string& qualified_name);
  void SetNominalBase(TypeId nominal, TypeId base);

  const Type& Get(TypeId id) const { return types_[id]; }
  TypeKind Kind(TypeId id) const { return types_[id].kind; }

  // Strips nominal wrappers: mail.MessageId -> string.
  TypeId Underlying(TypeId id) const;
  // Strips optional wrappers.
  TypeId NonOptional(TypeId id) const;

  bool IsError(TypeId id) const { return types_[id].kind == TypeKind::kError; }
  bool IsStringLike(TypeId id) const;   // string, enum, nominal over string
  bool IsNumeric(TypeId id) const;      // int, decimal
  const Field* FindField(TypeId record, const std::string& name) const;

  // `from` may be used where `to` is expected. `literal` says the value is a
  // literal in the workflow text, which may take a nominal or enum type.
  bool Assignable(TypeId from, TypeId to, bool literal = false) const;
  // Equality comparisons are allowed between these types.
  bool Comparable(TypeId a, TypeId b) const;

  // Readable form, e.g. "list<mail.Message>".
  std::string Name(TypeId id) const;

  // Canonical JSON form used in the IR. Records list fields in declaration
  // order with their annotations. Nominals carry their base.
  Json ToJson(TypeId id) const;

  // Nesting depth of the type (1 for scalars); recursive nominal chains are
  // cut by the caller's check that bases do not refer back.
  size_t size() const { return types_.size(); }

 private:
  TypeId Add(Type t);
  std::vector<Type> types_;
  std::map<TypeId, TypeId> lists_;
  std::map<TypeId, TypeId> optionals_;
  std::map<std::string, TypeId> nominals_;
};

// JSON form of a label annotation ({} when empty).
Json LabelAnnToJson(const LabelAnn& ann);

}  // namespace wfs::lang

#endif  // WFSTORE_LANG_TYPES_H_
