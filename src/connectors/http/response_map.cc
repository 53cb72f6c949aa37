#include "connectors/http/response_map.h"

#include <set>
#include <vector>

#include "base/strings.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::http {

namespace {

using sim::FieldOf;

// The type's name when it is a scalar ("string"), else "".
std::string ScalarName(const Json& type) {
  return type.is_string() ? type.get<std::string>() : std::string();
}

const Json& Member(const Json& type, const char* key) {
  static const Json kNull;
  const Json* m = type.is_object() ? FieldOf(type, key) : nullptr;
  return m != nullptr ? *m : kNull;
}

std::string Shown(const Json& v) { return Quote(CanonicalJson(v), 60); }

// The field map of a nominal type, by qualified or local name.
const Json* FieldMapFor(const Json& field_map, const Json& nominal) {
  if (!field_map.is_object() || !nominal.is_string()) return nullptr;
  const std::string name = nominal.get<std::string>();
  if (const Json* m = FieldOf(field_map, name);
      m != nullptr && m->is_object()) {
    return m;
  }
  size_t dot = name.find('.');
  if (dot == std::string::npos) return nullptr;
  const Json* m = FieldOf(field_map, name.substr(dot + 1));
  return m != nullptr && m->is_object() ? m : nullptr;
}

Json Extract(const Json& src, const std::vector<std::string>& path, size_t i) {
  if (i == path.size()) return src;
  std::string seg = path[i];
  const bool each = EndsWith(seg, "[]");
  if (each) seg.resize(seg.size() - 2);
  const Json* v = src.is_object() ? FieldOf(src, seg) : nullptr;
  if (v == nullptr) return Json();
  if (!each) return Extract(*v, path, i + 1);
  if (!v->is_array()) return Json();
  Json out = Json::array();
  for (const Json& e : *v) {
    if (out.size() >= kMaxMappedItems) break;
    out.push_back(Extract(e, path, i + 1));
  }
  return out;
}

Status Check(const Json& v, const Json& type, const std::string& path,
             int depth) {
  auto bad = [&](const std::string& what) {
    return InvalidArgument(StrCat(path, " must be ", what));
  };
  if (depth > kMaxMappedDepth) {
    return InvalidArgument(StrCat(path, " nests too deep"));
  }
  const std::string scalar = ScalarName(type);
  if (!scalar.empty()) {
    if (scalar == "string" || scalar == "bytes") {
      return v.is_string() ? Status::Ok() : bad("a string");
    }
    if (scalar == "int" || scalar == "duration") {
      return sim::IsInt64(v) ? Status::Ok() : bad("an integer");
    }
    if (scalar == "bool")
      return v.is_boolean() ? Status::Ok() : bad("a boolean");
    if (scalar == "decimal") {
      if (!v.is_string()) return bad("a decimal string");
      Status s = sim::ParseDecimalMicros(v.get<std::string>()).status();
      return s.ok() ? s : InvalidArgument(StrCat(path, ": ", s.message()));
    }
    if (scalar == "time") {
      if (!v.is_string()) return bad("an RFC 3339 time");
      Status s = sim::ParseTimeMicros(v.get<std::string>()).status();
      return s.ok() ? s : InvalidArgument(StrCat(path, ": ", s.message()));
    }
    return Status::Ok();  // json: anything
  }
  if (!type.is_object()) return Status::Ok();
  if (type.contains("nominal")) {
    return Check(v, Member(type, "base"), path, depth + 1);
  }
  if (type.contains("optional")) {
    if (v.is_null()) return Status::Ok();
    return Check(v, Member(type, "optional"), path, depth + 1);
  }
  if (type.contains("list")) {
    if (!v.is_array()) return bad("a list");
    for (size_t i = 0; i < v.size(); ++i) {
      WFS_RETURN_IF_ERROR(Check(v[i], Member(type, "list"),
                                StrCat(path, "[", i, "]"), depth + 1));
    }
    return Status::Ok();
  }
  if (type.contains("enum")) {
    const Json& values = Member(type, "enum");
    if (!v.is_string()) return bad("a string");
    if (values.is_array()) {
      for (const Json& e : values) {
        if (e == v) return Status::Ok();
      }
    }
    return bad(StrCat("one of ", CanonicalJson(values)));
  }
  if (type.contains("record")) {
    if (!v.is_object()) return bad("a record");
    std::set<std::string> known;
    const Json& fields = Member(type, "record");
    if (fields.is_array()) {
      for (const Json& f : fields) {
        const Json& n = Member(f, "name");
        if (!n.is_string()) continue;
        const std::string name = n.get<std::string>();
        known.insert(name);
        const Json& ft = Member(f, "type");
        const Json* fv = FieldOf(v, name);
        if (fv == nullptr) {
          if (ft.is_object() && ft.contains("optional")) continue;
          return InvalidArgument(StrCat(path, ".", name, " is missing"));
        }
        WFS_RETURN_IF_ERROR(Check(*fv, ft, path + "." + name, depth + 1));
      }
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (known.count(it.key()) == 0) {
        return InvalidArgument(StrCat(path, ".", it.key(), " is unknown"));
      }
    }
  }
  return Status::Ok();
}

Result<Json> Map(const Json& v, const Json& type, const Json& field_map,
                 const std::string& path, int depth) {
  auto bad = [&](const std::string& what) {
    return InvalidArgument(
        StrCat(path, ": expected ", what, ", got ", Shown(v)));
  };
  if (depth > kMaxMappedDepth) {
    return InvalidArgument(StrCat(path, ": nested too deep"));
  }
  const std::string scalar = ScalarName(type);
  if (!scalar.empty()) {
    if (scalar == "string" || scalar == "bytes") {
      if (v.is_null()) return Json("");
      if (!v.is_string()) return bad("a string");
      return v;
    }
    if (scalar == "int" || scalar == "duration") {
      if (!sim::IsInt64(v)) return bad("an integer");
      return v;
    }
    if (scalar == "bool") {
      if (!v.is_boolean()) return bad("a boolean");
      return v;
    }
    if (scalar == "decimal" || scalar == "time") {
      Status s = Check(v, type, path, depth);
      if (!s.ok()) return s;
      return v;
    }
    return v;  // json
  }
  if (!type.is_object()) return v;
  if (type.contains("nominal")) {
    const Json* fmap = FieldMapFor(field_map, Member(type, "nominal"));
    if (fmap == nullptr || !v.is_object()) {
      return Map(v, Member(type, "base"), field_map, path, depth + 1);
    }
    Json src = v;
    for (auto it = fmap->begin(); it != fmap->end(); ++it) {
      if (it.value().is_string()) {
        src[it.key()] = ExtractPath(v, it.value().get<std::string>());
      }
    }
    return Map(src, Member(type, "base"), field_map, path, depth + 1);
  }
  if (type.contains("optional")) {
    if (v.is_null()) return Json();
    return Map(v, Member(type, "optional"), field_map, path, depth + 1);
  }
  if (type.contains("list")) {
    if (v.is_null()) return Json::array();
    if (!v.is_array()) return bad("a list");
    if (v.size() > kMaxMappedItems) {
      return InvalidArgument(
          StrCat(path, ": more than ", kMaxMappedItems, " items"));
    }
    Json out = Json::array();
    for (size_t i = 0; i < v.size(); ++i) {
      WFS_ASSIGN_OR_RETURN(Json e, Map(v[i], Member(type, "list"), field_map,
                                       StrCat(path, "[", i, "]"), depth + 1));
      out.push_back(std::move(e));
    }
    return out;
  }
  if (type.contains("enum")) {
    const Json& values = Member(type, "enum");
    if (values.is_array()) {
      for (const Json& e : values) {
        if (e == v) return v;
      }
    }
    return bad(StrCat("one of ", CanonicalJson(values)));
  }
  if (type.contains("record")) {
    if (!v.is_object()) return bad("an object");
    Json out = Json::object();
    const Json& fields = Member(type, "record");
    if (!fields.is_array()) return out;
    for (const Json& f : fields) {
      const Json& n = Member(f, "name");
      if (!n.is_string()) continue;
      const std::string name = n.get<std::string>();
      const Json& ft = Member(f, "type");
      const Json* fv = FieldOf(v, name);
      if (fv == nullptr) {
        if (ft.is_object() && ft.contains("optional")) {
          out[name] = nullptr;
          continue;
        }
        return InvalidArgument(StrCat(path, ".", name, " is missing"));
      }
      WFS_ASSIGN_OR_RETURN(
          out[name], Map(*fv, ft, field_map, path + "." + name, depth + 1));
    }
    return out;
  }
  return v;
}

}  // namespace

Status CheckValue(const Json& value, const Json& type,
                  const std::string& path) {
  return Check(value, type, path, 0);
}

Result<Json> MapResponse(const Json& value, const Json& type,
                         const Json& field_map, const std::string& path) {
  return Map(value, type, field_map, path, 0);
}

Json ExtractPath(const Json& src, const std::string& path) {
  std::vector<std::string> parts = StrSplit(path, '.');
  if (parts.size() > static_cast<size_t>(kMaxMappedDepth)) return Json();
  return Extract(src, parts, 0);
}

}  // namespace wfs::connectors::http
