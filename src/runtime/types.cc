#include "runtime/types.h"

#include <algorithm>
#include <cmath>

#include "base/strings.h"

namespace wfs::runtime {

namespace {

Result<RTypePtr> Parse(const Json& j, int depth) {
  if (depth > 64) return InvalidArgument("type nests too deeply");
  auto t = std::make_shared<RType>();
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s == "bool") t->k = RType::kBool;
    else if (s == "int") t->k = RType::kInt;
    else if (s == "decimal") t->k = RType::kDecimal;
    else if (s == "string") t->k = RType::kString;
    else if (s == "time") t->k = RType::kTime;
    else if (s == "duration") t->k = RType::kDuration;
    else if (s == "bytes") t->k = RType::kBytes;
    else if (s == "json" || s == "none") t->k = RType::kAny;
    else return InvalidArgument("unknown type " + s);
    return RTypePtr(t);
  }
  if (!j.is_object()) return InvalidArgument("bad type form");
  if (j.contains("list")) {
    t->k = RType::kList;
    WFS_ASSIGN_OR_RETURN(t->elem, Parse(j["list"], depth + 1));
  } else if (j.contains("optional")) {
    t->k = RType::kOptional;
    WFS_ASSIGN_OR_RETURN(t->elem, Parse(j["optional"], depth + 1));
  } else if (j.contains("enum") && j["enum"].is_array()) {
    t->k = RType::kEnum;
    for (const Json& v : j["enum"]) {
      if (!v.is_string()) return InvalidArgument("bad enum");
      t->values.push_back(v.get<std::string>());
    }
  } else if (j.contains("nominal") && j["nominal"].is_string()) {
    t->k = RType::kNominal;
    t->name = j["nominal"].get<std::string>();
    WFS_ASSIGN_OR_RETURN(t->elem, Parse(j.value("base", Json("string")),
                                        depth + 1));
  } else if (j.contains("record") && j["record"].is_array()) {
    t->k = RType::kRecord;
    for (const Json& f : j["record"]) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) {
        return InvalidArgument("bad record field");
      }
      RField rf;
      rf.name = f["name"].get<std::string>();
      WFS_ASSIGN_OR_RETURN(rf.type, Parse(f.value("type", Json()), depth + 1));
      if (f.contains("label") && f["label"].is_object()) {
        const Json& l = f["label"];
        rf.untrusted = l.value("untrusted", false);
        rf.trusted = l.value("trusted", false);
        std::string c = l.value("conf", "");
        rf.conf = c == "public" ? 0 : c == "private" ? 1 : c == "secret" ? 2
                                                                         : -1;
      }
      t->fields.push_back(std::move(rf));
    }
    std::sort(t->fields.begin(), t->fields.end(),
              [](const RField& a, const RField& b) { return a.name < b.name; });
    auto shape = std::make_shared<RecordShape>();
    for (const RField& f : t->fields) shape->names.push_back(f.name);
    t->shape = std::move(shape);
  } else {
    return InvalidArgument("unknown type form");
  }
  return RTypePtr(t);
}

std::string JsonKind(const Json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "bool";
  if (j.is_number_integer() || j.is_number_unsigned()) return "integer";
  if (j.is_number()) return "number";
  if (j.is_string()) return "string";
  if (j.is_array()) return "array";
  return "object";
}

Status Mismatch(const std::string& path, const RType& t, const Json& j) {
  return InvalidArgument(StrCat(path, ": expected ", TypeName(t), ", got ",
                                JsonKind(j),
                                j.is_string()
                                    ? " " + Quote(j.get_ref<const std::string&>(), 40)
                                    : std::string()));
}

}  // namespace

Result<RTypePtr> ParseType(const Json& j) { return Parse(j, 0); }

const RType& Base(const RType& t) {
  const RType* p = &t;
  for (int i = 0; i < 64 && p->k == RType::kNominal && p->elem; ++i) {
    p = p->elem.get();
  }
  return *p;
}

std::string TypeName(const RType& t) {
  switch (t.k) {
    case RType::kAny: return "any";
    case RType::kBool: return "bool";
    case RType::kInt: return "int";
    case RType::kDecimal: return "decimal";
    case RType::kString: return "string";
    case RType::kTime: return "time";
    case RType::kDuration: return "duration";
    case RType::kBytes: return "bytes";
    case RType::kList: return "list<" + TypeName(*t.elem) + ">";
    case RType::kOptional: return TypeName(*t.elem) + "?";
    case RType::kEnum: return "enum{" + StrJoin(t.values, ", ") + "}";
    case RType::kNominal: return t.name;
    case RType::kRecord: {
      std::vector<std::string> names;
      for (const RField& f : t.fields) names.push_back(f.name);
      return "{" + StrJoin(names, ", ") + "}";
    }
  }
  return "?";
}

Result<Value> FromJson(const Json& j, const RType& t, const Label& base,
                       const FieldOriginFn& origin, const std::string& path) {
  switch (t.k) {
    case RType::kAny: {
      if (j.is_null()) return Value::None(base);
      if (j.is_boolean()) return Value::Bool(j.get<bool>(), base);
      if (j.is_number_integer()) return Value::Int(j.get<int64_t>(), base);
      if (j.is_number()) {
        auto d = ParseDecimal(j.dump());
        if (!d.ok()) return d.status();
        return Value::Decimal(*d, base);
      }
      if (j.is_string()) return Value::String(j.get<std::string>(), base);
      if (j.is_array()) {
        Items items;
        RType any;
        for (size_t i = 0; i < j.size(); ++i) {
          WFS_ASSIGN_OR_RETURN(Value v, FromJson(j[i], any, Label{}, origin,
                                                 StrCat(path, "[", i, "]")));
          items.push_back(std::move(v));
        }
        return Value::List(std::move(items), base);
      }
      std::vector<std::string> names;
      Items vals;
      RType any;
      for (const auto& [k, v] : j.items()) {
        WFS_ASSIGN_OR_RETURN(Value fv,
                             FromJson(v, any, Label{}, origin, path + "." + k));
        names.push_back(k);
        vals.push_back(std::move(fv));
      }
      return Value::Record(std::move(names), std::move(vals), base);
    }
    case RType::kBool:
      if (!j.is_boolean()) return Mismatch(path, t, j);
      return Value::Bool(j.get<bool>(), base);
    case RType::kInt:
      if (!j.is_number_integer()) return Mismatch(path, t, j);
      return Value::Int(j.get<int64_t>(), base);
    case RType::kDecimal: {
      std::string text;
      if (j.is_string()) {
        text = j.get<std::string>();
      } else if (j.is_number_integer()) {
        text = std::to_string(j.get<int64_t>());
      } else if (j.is_number_float()) {
        double d = j.get<double>();
        if (!std::isfinite(d)) return Mismatch(path, t, j);
        text = j.dump();
        if (text.find_first_of("eE") != std::string::npos) {
          return InvalidArgument(StrCat(path, ": decimal ", text,
                                        " out of range"));
        }
      } else {
        return Mismatch(path, t, j);
      }
      auto d = ParseDecimal(text);
      if (!d.ok()) return d.status().WithContext(path);
      return Value::Decimal(*d, base);
    }
    case RType::kString:
      if (!j.is_string()) return Mismatch(path, t, j);
      return Value::String(j.get<std::string>(), base);
    case RType::kBytes:
      if (!j.is_string()) return Mismatch(path, t, j);
      return Value::Bytes(j.get<std::string>(), base);
    case RType::kTime: {
      if (!j.is_string()) return Mismatch(path, t, j);
      auto s = ParseTime(j.get_ref<const std::string&>());
      if (!s.ok()) return s.status().WithContext(path);
      return Value::Time(*s, j.get<std::string>(), base);
    }
    case RType::kDuration:
      if (!j.is_number_integer()) return Mismatch(path, t, j);
      return Value::Duration(j.get<int64_t>(), base);
    case RType::kEnum: {
      if (!j.is_string()) return Mismatch(path, t, j);
      const std::string& s = j.get_ref<const std::string&>();
      if (std::find(t.values.begin(), t.values.end(), s) == t.values.end()) {
        return InvalidArgument(StrCat(path, ": ", Quote(s, 40),
                                      " is not one of ",
                                      StrJoin(t.values, ", ")));
      }
      return Value::String(s, base);
    }
    case RType::kNominal:
      return FromJson(j, *t.elem, base, origin, path);
    case RType::kOptional:
      if (j.is_null()) return Value::None(base);
      return FromJson(j, *t.elem, base, origin, path);
    case RType::kList: {
      if (!j.is_array()) return Mismatch(path, t, j);
      Items items;
      items.reserve(j.size());
      for (size_t i = 0; i < j.size(); ++i) {
        WFS_ASSIGN_OR_RETURN(Value v, FromJson(j[i], *t.elem, Label{}, origin,
                                               StrCat(path, "[", i, "]")));
        items.push_back(std::move(v));
      }
      return Value::List(std::move(items), base);
    }
    case RType::kRecord: {
      if (!j.is_object()) return Mismatch(path, t, j);
      Items vals;
      vals.reserve(t.fields.size());
      for (const RField& f : t.fields) {
        Label fl;
        if (f.untrusted) {
          fl.prov |= kProvUntrusted;
          if (origin) fl.untrusted_origin = origin(f.name, true);
        }
        if (f.trusted) fl.prov |= kProvTrusted;
        if (f.conf > 0) {
          fl.conf = static_cast<uint8_t>(f.conf);
          if (origin) fl.private_origin = origin(f.name, false);
        }
        auto it = j.find(f.name);
        if (it == j.end()) {
          if (f.type->k == RType::kOptional) {
            vals.push_back(Value::None(fl));
            continue;
          }
          return InvalidArgument(StrCat(path, ": missing field `", f.name,
                                        "`"));
        }
        WFS_ASSIGN_OR_RETURN(Value v, FromJson(*it, *f.type, fl, origin,
                                               path + "." + f.name));
        vals.push_back(std::move(v));
      }
      for (const auto& [k, v] : j.items()) {
        (void)v;
        if (t.shape->Find(k) < 0 && !StartsWith(k, "_")) {
          return InvalidArgument(StrCat(path, ": unknown field `", k, "`"));
        }
      }
      return Value::Record(t.shape, std::move(vals), base);
    }
  }
  return Mismatch(path, t, j);
}

Json ToJson(const Value& v) {
  switch (v.kind()) {
    case Kind::kNone: return nullptr;
    case Kind::kBool: return v.b();
    case Kind::kInt: return v.i();
    case Kind::kDecimal: return FormatDecimal(v.i());
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kTime: return v.s();
    case Kind::kDuration: return v.i();
    case Kind::kList: {
      Json a = Json::array();
      for (const Value& x : v.items()) a.push_back(ToJson(x));
      return a;
    }
    case Kind::kRecord: {
      Json o = Json::object();
      const Items& items = v.items();
      for (size_t i = 0; i < items.size(); ++i) {
        o[v.shape()->names[i]] = ToJson(items[i]);
      }
      return o;
    }
  }
  return nullptr;
}

}  // namespace wfs::runtime
