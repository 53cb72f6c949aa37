#include "lang/types.h"

#include "base/strings.h"

namespace wfs::lang {

TypeTable::TypeTable() {
  for (TypeKind k :
       {TypeKind::kError, TypeKind::kVoid, TypeKind::kNone, TypeKind::kBool,
        TypeKind::kInt, TypeKind::kDecimal, TypeKind::kString, TypeKind::kTime,
        TypeKind::kDuration, TypeKind::kBytes, TypeKind::kJson}) {
    Type t;
    t.kind = k;
    types_.push_back(std::move(t));
  }
}

TypeId TypeTable::Add(Type t) {
  types_.push_back(std::move(t));
  return static_cast<TypeId>(types_.size() - 1);
}

TypeId TypeTable::List(TypeId elem) {
  auto it = lists_.find(elem);
  if (it != lists_.end()) return it->second;
  Type t;
  t.kind = TypeKind::kList;
  t.elem = elem;
  TypeId id = Add(std::move(t));
  lists_[elem] = id;
  return id;
}

TypeId TypeTable::Optional(TypeId elem) {
  if (Kind(elem) == TypeKind::kOptional || IsError(elem)) return elem;
  auto it = optionals_.find(elem);
  if (it != optionals_.end()) return it->second;
  Type t;
  t.kind = TypeKind::kOptional;
  t.elem = elem;
  TypeId id = Add(std::move(t));
  optionals_[elem] = id;
  return id;
}

TypeId TypeTable::Record(std::vector<Field> fields) {
  Type t;
  t.kind = TypeKind::kRecord;
  t.fields = std::move(fields);
  return Add(std::move(t));
}

TypeId TypeTable::Enum(std::vector<std::string> values) {
  Type t;
  t.kind = TypeKind::kEnum;
  t.values = std::move(values);
  return Add(std::move(t));
}

TypeId TypeTable::Nominal(const std::string& name) {
  auto it = nominals_.find(name);
  if (it != nominals_.end()) return it->second;
  Type t;
  t.kind = TypeKind::kNominal;
  t.name = name;
  t.base = error();
  TypeId id = Add(std::move(t));
  nominals_[name] = id;
  return id;
}

void TypeTable::SetNominalBase(TypeId nominal, TypeId base) {
  types_[nominal].base = base;
}

TypeId TypeTable::Underlying(TypeId id) const {
  for (int guard = 0; guard < 64 && Kind(id) == TypeKind::kNominal; ++guard) {
    id = types_[id].base;
  }
  return Kind(id) == TypeKind::kNominal ? error() : id;
}

TypeId TypeTable::NonOptional(TypeId id) const {
  while (Kind(id) == TypeKind::kOptional) id = types_[id].elem;
  return id;
}

bool TypeTable::IsStringLike(TypeId id) const {
  TypeKind k = Kind(Underlying(id));
  return k == TypeKind::kString || k == TypeKind::kEnum;
}

bool TypeTable::IsNumeric(TypeId id) const {
  TypeKind k = Kind(Underlying(id));
  return k == TypeKind::kInt || k == TypeKind::kDecimal;
}

const Field* TypeTable::FindField(TypeId record, const std::string& name) const {
  const Type& t = types_[Underlying(record)];
  if (t.kind != TypeKind::kRecord) return nullptr;
  for (const Field& f : t.fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool TypeTable::Assignable(TypeId from, TypeId to, bool literal) const {
  if (from == to) return true;
  TypeKind fk = Kind(from);
  TypeKind tk = Kind(to);
  if (fk == TypeKind::kError || tk == TypeKind::kError) return true;
  if (fk == TypeKind::kJson || tk == TypeKind::kJson) return true;
  if (tk == TypeKind::kOptional) {
    if (fk == TypeKind::kNone) return true;
    if (fk == TypeKind::kOptional)
      return Assignable(types_[from].elem, types_[to].elem, literal);
    return Assignable(from, types_[to].elem, literal);
  }
  if (tk == TypeKind::kNominal) {
    // Only literals (reviewed workflow text) take a nominal type implicitly.
    return literal && fk != TypeKind::kNominal &&
           Assignable(from, types_[to].base, literal);
  }
  if (fk == TypeKind::kNominal) {
    // A nominal value may be used as its base type (e.g. in text).
    return Assignable(types_[from].base, to, literal);
  }
  switch (tk) {
    case TypeKind::kDecimal:
      return fk == TypeKind::kInt;
    case TypeKind::kString:
      return fk == TypeKind::kEnum;
    case TypeKind::kEnum:
      return false;  // string literals are checked against the values
    case TypeKind::kList:
      return fk == TypeKind::kList &&
             Assignable(types_[from].elem, types_[to].elem, literal);
    case TypeKind::kRecord: {
      if (fk != TypeKind::kRecord) return false;
      const Type& f = types_[from];
      const Type& t = types_[to];
      for (const Field& tf : t.fields) {
        const Field* ff = nullptr;
        for (const Field& x : f.fields) {
          if (x.name == tf.name) ff = &x;
        }
        if (ff == nullptr) {
          if (Kind(tf.type) == TypeKind::kOptional) continue;
          return false;
        }
        if (!Assignable(ff->type, tf.type, literal)) return false;
      }
      for (const Field& ff : f.fields) {
        bool known = false;
        for (const Field& tf : t.fields) known |= tf.name == ff.name;
        if (!known) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

bool TypeTable::Comparable(TypeId a, TypeId b) const {
  if (Kind(a) == TypeKind::kNone || Kind(b) == TypeKind::kNone) {
    return Kind(a) == TypeKind::kOptional || Kind(b) == TypeKind::kOptional ||
           Kind(a) == TypeKind::kNone || Kind(b) == TypeKind::kNone ||
           Kind(a) == TypeKind::kJson || Kind(b) == TypeKind::kJson;
  }
  TypeId ua = Underlying(NonOptional(a));
  TypeId ub = Underlying(NonOptional(b));
  if (IsNumeric(ua) && IsNumeric(ub)) return true;
  if (IsStringLike(ua) && IsStringLike(ub)) return true;
  return Assignable(ua, ub, true) || Assignable(ub, ua, true);
}

std::string TypeTable::Name(TypeId id) const {
  const Type& t = types_[id];
  switch (t.kind) {
    case TypeKind::kError: return "<error>";
    case TypeKind::kVoid: return "nothing";
    case TypeKind::kNone: return "none";
    case TypeKind::kBool: return "bool";
    case TypeKind::kInt: return "int";
    case TypeKind::kDecimal: return "decimal";
    case TypeKind::kString: return "string";
    case TypeKind::kTime: return "time";
    case TypeKind::kDuration: return "duration";
    case TypeKind::kBytes: return "bytes";
    case TypeKind::kJson: return "json";
    case TypeKind::kList: return StrCat("list<", Name(t.elem), ">");
    case TypeKind::kOptional: return StrCat(Name(t.elem), "?");
    case TypeKind::kNominal: return t.name;
    case TypeKind::kEnum: {
      std::string out = "enum{";
      for (size_t i = 0; i < t.values.size(); ++i) {
        if (i) out += ", ";
        out += t.values[i];
      }
      return out + "}";
    }
    case TypeKind::kRecord: {
      std::string out = "{";
      for (size_t i = 0; i < t.fields.size(); ++i) {
        if (i) out += ", ";
        out += t.fields[i].name;
        out += ": ";
        if (i >= 6) {
          out += "...";
          break;
        }
        out += Name(t.fields[i].type);
      }
      return out + "}";
    }
  }
  return "?";
}

Json LabelAnnToJson(const LabelAnn& ann) {
  Json j = Json::object();
  if (ann.untrusted) j["untrusted"] = true;
  if (ann.trusted) j["trusted"] = true;
  if (ann.conf >= 0) {
    static const char* kConf[] = {"public", "private", "secret"};
    j["conf"] = kConf[ann.conf];
  }
  return j;
}

Json TypeTable::ToJson(TypeId id) const {
  const Type& t = types_[id];
  switch (t.kind) {
    case TypeKind::kList: return Json{{"list", ToJson(t.elem)}};
    case TypeKind::kOptional: return Json{{"optional", ToJson(t.elem)}};
    case TypeKind::kNominal:
      return Json{{"nominal", t.name}, {"base", ToJson(Underlying(id))}};
    case TypeKind::kEnum: return Json{{"enum", t.values}};
    case TypeKind::kRecord: {
      Json fields = Json::array();
      for (const Field& f : t.fields) {
        Json jf = {{"name", f.name}, {"type", ToJson(f.type)}};
        Json ann = LabelAnnToJson(f.ann);
        if (!ann.empty()) jf["label"] = std::move(ann);
        fields.push_back(std::move(jf));
      }
      return Json{{"record", std::move(fields)}};
    }
    default: return Name(id);
  }
}

}  // namespace wfs::lang
