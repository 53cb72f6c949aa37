#include "connectors/sim/world.h"

#include <algorithm>
#include <set>
#include <utility>

#include "base/strings.h"
#include "connectors/sim/values.h"
#include "lang/interfaces.h"

namespace wfs::connectors::sim {

namespace {

// Nesting of types in the schema (records in lists in records ...). World
// types come from interface files and are shallow; this only stops a
// malformed schema from recursing without end.
constexpr int kMaxTypeDepth = 32;
// Values of the `json` type are kept as they are, up to this nesting.
constexpr int kMaxJsonDepth = 64;

const char* KindOf(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a bool";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a fractional number";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "a list";
    case Json::value_t::object: return "a record";
    default: return "an unsupported value";
  }
}

// Readable form of an IR JSON type, for messages.
std::string TypeText(const Json& type, int depth = 0) {
  if (depth > kMaxTypeDepth) return "...";
  if (type.is_string()) return type.get<std::string>();
  if (!type.is_object()) return "?";
  if (const Json* n = FieldOf(type, "nominal"); n && n->is_string()) {
    return n->get<std::string>();
  }
  if (const Json* e = FieldOf(type, "list")) {
    return StrCat("list<", TypeText(*e, depth + 1), ">");
  }
  if (const Json* e = FieldOf(type, "optional")) {
    return StrCat(TypeText(*e, depth + 1), "?");
  }
  if (const Json* e = FieldOf(type, "enum"); e && e->is_array()) {
    std::vector<std::string> values;
    for (const Json& v : *e) values.push_back(v.is_string() ? v.get<std::string>() : "?");
    return StrCat("enum{", StrJoin(values, ", "), "}");
  }
  if (FieldOf(type, "record") != nullptr) return "record";
  return "?";
}

size_t JsonDepth(const Json& v, size_t limit) {
  if (limit == 0) return 1;
  size_t deepest = 0;
  if (v.is_array() || v.is_object()) {
    for (const Json& item : v) {
      deepest = std::max(deepest, JsonDepth(item, limit - 1));
      if (deepest >= limit) break;
    }
    return deepest + 1;
  }
  return 1;
}

Status Mismatch(const std::string& path, const Json& type, const Json& value) {
  return InvalidArgument(StrCat(path, ": expected ", TypeText(type), ", got ",
                                KindOf(value)));
}

Result<Json> Normalize(const Json& value, const Json& type,
                       const std::string& path, int depth) {
  if (depth > kMaxTypeDepth) {
    return InvalidArgument(StrCat(path, ": type nested too deeply"));
  }
  if (type.is_string()) {
    const std::string t = type.get<std::string>();
    if (t == "string" || t == "bytes") {
      if (!value.is_string()) return Mismatch(path, type, value);
      return value;
    }
    if (t == "int" || t == "duration") {
      if (!IsInt64(value)) {
        if (value.is_number_unsigned()) {
          return InvalidArgument(StrCat(path, ": integer out of range"));
        }
        return Mismatch(path, type, value);
      }
      return Json(value.get<int64_t>());
    }
    if (t == "bool") {
      if (!value.is_boolean()) return Mismatch(path, type, value);
      return value;
    }
    if (t == "decimal") {
      if (!value.is_string()) {
        return InvalidArgument(StrCat(path, ": expected decimal (as a string, ",
                                      "e.g. \"42.50\"), got ", KindOf(value)));
      }
      Result<int64_t> d = ParseDecimalMicros(value.get<std::string>());
      if (!d.ok()) return d.status().WithContext(path);
      return value;
    }
    if (t == "time") {
      if (!value.is_string()) {
        return InvalidArgument(StrCat(path, ": expected time (an RFC 3339 ",
                                      "string), got ", KindOf(value)));
      }
      Result<int64_t> tm = ParseTimeMicros(value.get<std::string>());
      if (!tm.ok()) return tm.status().WithContext(path);
      return value;
    }
    if (t == "json") {
      if (JsonDepth(value, kMaxJsonDepth + 1) > kMaxJsonDepth) {
        return InvalidArgument(StrCat(path, ": value nested too deeply"));
      }
      return value;
    }
    return InvalidArgument(
        StrCat(path, ": the schema has an unsupported type ", Quote(t)));
  }
  if (!type.is_object()) {
    return InvalidArgument(StrCat(path, ": the schema has a malformed type"));
  }
  if (const Json* base = FieldOf(type, "base")) {
    Result<Json> r = Normalize(value, *base, path, depth + 1);
    if (!r.ok() && FieldOf(type, "nominal") != nullptr &&
        StartsWith(r.status().message(), path + ": expected ")) {
      // Name the nominal type rather than its base.
      return Mismatch(path, type, value);
    }
    return r;
  }
  if (const Json* elem = FieldOf(type, "optional")) {
    if (value.is_null()) return value;
    Result<Json> r = Normalize(value, *elem, path, depth + 1);
    if (!r.ok() && StartsWith(r.status().message(), path + ": expected ")) {
      return Mismatch(path, type, value);  // "expected fs.Path?"
    }
    return r;
  }
  if (const Json* elem = FieldOf(type, "list")) {
    if (!value.is_array()) return Mismatch(path, type, value);
    Json out = Json::array();
    for (size_t i = 0; i < value.size(); ++i) {
      WFS_ASSIGN_OR_RETURN(
          Json item,
          Normalize(value[i], *elem, StrCat(path, "[", i, "]"), depth + 1));
      out.push_back(std::move(item));
    }
    return out;
  }
  if (const Json* values = FieldOf(type, "enum")) {
    if (!value.is_string()) return Mismatch(path, type, value);
    if (values->is_array()) {
      for (const Json& v : *values) {
        if (v == value) return value;
      }
    }
    return InvalidArgument(StrCat(path, ": ", Quote(value.get<std::string>()),
                                  " is not one of ", TypeText(type)));
  }
  if (const Json* fields = FieldOf(type, "record")) {
    if (!value.is_object()) return Mismatch(path, type, value);
    if (!fields->is_array()) {
      return InvalidArgument(StrCat(path, ": the schema has a malformed record"));
    }
    Json out = Json::object();
    std::set<std::string> known;
    for (const Json& f : *fields) {
      std::string name = StringField(f, "name");
      const Json* ftype = FieldOf(f, "type");
      if (name.empty() || ftype == nullptr) {
        return InvalidArgument(
            StrCat(path, ": the schema has a malformed record field"));
      }
      known.insert(name);
      std::string fpath = StrCat(path, ".", name);
      auto it = value.find(name);
      if (it == value.end()) {
        out[name] = DefaultValue(*ftype);
        continue;
      }
      WFS_ASSIGN_OR_RETURN(out[name], Normalize(*it, *ftype, fpath, depth + 1));
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (known.count(it.key()) != 0) continue;
      if (StartsWith(it.key(), "_")) {
        out[it.key()] = it.value();
        continue;
      }
      return InvalidArgument(
          StrCat(path, ".", it.key(), ": unknown field (known: ",
                 StrJoin(std::vector<std::string>(known.begin(), known.end()),
                         ", "),
                 ")"));
    }
    return out;
  }
  return InvalidArgument(StrCat(path, ": the schema has a malformed type"));
}

Json Default(const Json& type, int depth) {
  if (depth > kMaxTypeDepth) return nullptr;
  if (type.is_string()) {
    const std::string t = type.get<std::string>();
    if (t == "string" || t == "bytes") return "";
    if (t == "int" || t == "duration") return 0;
    if (t == "decimal") return "0";
    if (t == "bool") return false;
    if (t == "time") return "1970-01-01T00:00:00Z";
    return nullptr;
  }
  if (!type.is_object()) return nullptr;
  if (const Json* base = FieldOf(type, "base")) return Default(*base, depth + 1);
  if (FieldOf(type, "optional") != nullptr) return nullptr;
  if (FieldOf(type, "list") != nullptr) return Json::array();
  if (const Json* values = FieldOf(type, "enum")) {
    if (values->is_array() && !values->empty()) return (*values)[0];
    return "";
  }
  if (const Json* fields = FieldOf(type, "record")) {
    Json out = Json::object();
    if (!fields->is_array()) return out;
    for (const Json& f : *fields) {
      std::string name = StringField(f, "name");
      const Json* ftype = FieldOf(f, "type");
      if (name.empty() || ftype == nullptr) continue;
      out[name] = Default(*ftype, depth + 1);
    }
    return out;
  }
  return nullptr;
}

std::vector<std::string> Keys(const std::map<std::string, Json>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

}  // namespace

WorldSchema SchemaFromInterfaces(const lang::InterfaceSet& interfaces) {
  WorldSchema schema;
  for (const auto& [name, info] : interfaces.all()) {
    if (info == nullptr) continue;
    // The connector's canonical JSON carries each world's type in IR form.
    Json c = interfaces.ConnectorToJson(*info);
    std::map<std::string, Json>& collections = schema[name];
    if (const Json* worlds = FieldOf(c, "worlds"); worlds && worlds->is_array()) {
      for (const Json& w : *worlds) {
        const Json* type = FieldOf(w, "type");
        std::string wname = StringField(w, "name");
        if (wname.empty() || type == nullptr) continue;
        collections[wname] = *type;
      }
    }
  }
  return schema;
}

Result<Json> NormalizeValue(const Json& value, const Json& type,
                            const std::string& path) {
  return Normalize(value, type, path, 0);
}

Json DefaultValue(const Json& type) { return Default(type, 0); }

Result<World> World::FromJson(const Json& doc, const WorldSchema& schema) {
  World w;
  w.schema_ = schema;
  if (!doc.is_null() && !doc.is_object()) {
    return InvalidArgument(
        StrCat("a world is an object of connectors, got ", KindOf(doc)));
  }
  if (doc.is_object()) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const std::string& connector = it.key();
      if (StartsWith(connector, "_")) {
        if (!it.value().is_object()) {
          return InvalidArgument(StrCat(connector, ": private simulator state ",
                                        "must be an object, got ",
                                        KindOf(it.value())));
        }
        w.doc_[connector] = it.value();
        continue;
      }
      auto sc = schema.find(connector);
      if (sc == schema.end()) {
        std::vector<std::string> names;
        for (const auto& [n, c] : schema) names.push_back(n);
        return InvalidArgument(StrCat(connector, ": unknown connector (known: ",
                                      StrJoin(names, ", "), ")"));
      }
      if (!it.value().is_object()) {
        return InvalidArgument(StrCat(connector,
                                      ": expected an object of collections, got ",
                                      KindOf(it.value())));
      }
      Json& out = w.doc_[connector];
      out = Json::object();
      for (auto ct = it.value().begin(); ct != it.value().end(); ++ct) {
        const std::string& collection = ct.key();
        if (StartsWith(collection, "_")) {
          out[collection] = ct.value();
          continue;
        }
        auto type = sc->second.find(collection);
        if (type == sc->second.end()) {
          return InvalidArgument(
              StrCat(connector, ".", collection,
                     ": unknown world collection (known: ",
                     StrJoin(Keys(sc->second), ", "), ")"));
        }
        WFS_ASSIGN_OR_RETURN(
            out[collection],
            NormalizeValue(ct.value(), type->second,
                           StrCat(connector, ".", collection)));
      }
    }
  }
  // Every collection the schema knows exists, empty when left out.
  for (const auto& [connector, collections] : schema) {
    for (const auto& [collection, type] : collections) {
      Json& c = w.doc_[connector];
      if (!c.is_object()) c = Json::object();
      if (!c.contains(collection)) c[collection] = DefaultValue(type);
    }
  }
  return w;
}

Status World::Set(const std::string& connector, const std::string& collection,
                  const Json& value) {
  std::lock_guard<std::mutex> lock(mu_);
  auto sc = schema_.find(connector);
  if (sc == schema_.end()) {
    return InvalidArgument(StrCat(connector, ": unknown connector"));
  }
  auto type = sc->second.find(collection);
  if (type == sc->second.end()) {
    return InvalidArgument(StrCat(connector, ".", collection,
                                  ": unknown world collection (known: ",
                                  StrJoin(Keys(sc->second), ", "), ")"));
  }
  WFS_ASSIGN_OR_RETURN(
      Json normalized,
      NormalizeValue(value, type->second, StrCat(connector, ".", collection)));
  Json& c = doc_[connector];
  if (!c.is_object()) c = Json::object();
  c[collection] = std::move(normalized);
  return Status::Ok();
}

Json World::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  return doc_;
}

Json& World::Collection(const std::string& connector,
                        const std::string& collection) {
  Json& c = doc_[connector];
  if (!c.is_object()) c = Json::object();
  Json& coll = c[collection];
  if (!coll.is_array()) coll = Json::array();
  return coll;
}

Json& World::Private(const std::string& connector) {
  Json& p = doc_["_" + connector];
  if (!p.is_object()) p = Json::object();
  return p;
}

World::World(const World& other) {
  std::lock_guard<std::mutex> lock(other.mu_);
  schema_ = other.schema_;
  doc_ = other.doc_;
  honor_keys_ = other.honor_keys_;
}

World& World::operator=(const World& other) {
  if (this == &other) return *this;
  std::scoped_lock lock(mu_, other.mu_);
  schema_ = other.schema_;
  doc_ = other.doc_;
  honor_keys_ = other.honor_keys_;
  return *this;
}

World::World(World&& other) noexcept {
  std::lock_guard<std::mutex> lock(other.mu_);
  schema_ = std::move(other.schema_);
  doc_ = std::move(other.doc_);
  honor_keys_ = other.honor_keys_;
  other.doc_ = Json::object();
}

World& World::operator=(World&& other) noexcept {
  if (this == &other) return *this;
  std::scoped_lock lock(mu_, other.mu_);
  schema_ = std::move(other.schema_);
  doc_ = std::move(other.doc_);
  honor_keys_ = other.honor_keys_;
  other.doc_ = Json::object();
  return *this;
}

}  // namespace wfs::connectors::sim
