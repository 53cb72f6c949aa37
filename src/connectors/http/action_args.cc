#include "connectors/http/action_args.h"

#include <algorithm>

#include "base/strings.h"
#include "connectors/sim/values.h"

namespace wfs::connectors {

namespace {

std::string Problem(const Json& v, ArgType t) {
  switch (t) {
    case ArgType::kString:
      return v.is_string() ? "" : " must be a string";
    case ArgType::kInt:
      return sim::IsInt64(v) ? "" : " must be an integer";
    case ArgType::kTime: {
      if (!v.is_string()) return " must be an RFC 3339 time string";
      Result<int64_t> t2 = sim::ParseTimeMicros(v.get<std::string>());
      return t2.ok() ? "" : ": " + t2.status().message();
    }
    case ArgType::kStringList: {
      if (!v.is_array()) return " must be a list of strings";
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) return StrCat(": item ", i, " is not a string");
      }
      return "";
    }
    case ArgType::kObject:
      return v.is_object() ? "" : " must be an object";
    case ArgType::kOptionalString:
      return v.is_string() || v.is_null() ? "" : " must be a string or null";
  }
  return " has an unknown type";
}

}  // namespace

Result<const ActionArgs*> FindAction(const std::string& connector,
                                     const std::vector<ActionArgs>& actions,
                                     const std::string& action) {
  for (const ActionArgs& a : actions) {
    if (action == a.name) return &a;
  }
  return InvalidArgument(StrCat(connector, " has no action ", Quote(action)));
}

Status CheckArgs(const std::string& connector, const ActionArgs& spec,
                 const ActionRequest& r) {
  auto bad = [&](const std::string& m) {
    return InvalidArgument(StrCat(connector, ".", r.action, ": ", m));
  };
  if (!r.args.is_object() && !r.args.is_null()) {
    return bad("arguments must be an object");
  }
  for (const ArgSpec& p : spec.params) {
    const Json* v = r.args.is_object() ? sim::FieldOf(r.args, p.name) : nullptr;
    if (v == nullptr) return bad(StrCat("missing argument `", p.name, "`"));
    std::string problem = Problem(*v, p.type);
    if (!problem.empty())
      return bad(StrCat("argument `", p.name, "`", problem));
  }
  if (!r.args.is_object()) return Status::Ok();
  for (auto it = r.args.begin(); it != r.args.end(); ++it) {
    const std::string& key = it.key();
    bool known = false;
    for (const ArgSpec& p : spec.params) known |= key == p.name;
    if (known) continue;
    const ArgSpec* priv = nullptr;
    for (const ArgSpec& p : spec.private_params) {
      if (key == p.name) priv = &p;
    }
    if (priv == nullptr) return bad(StrCat("unknown argument `", key, "`"));
    if (!r.compensation) {
      return bad(StrCat("private argument `", key,
                        "` is only accepted from an undo record"));
    }
    std::string problem = Problem(it.value(), priv->type);
    if (!problem.empty()) return bad(StrCat("argument `", key, "`", problem));
  }
  return Status::Ok();
}

const std::vector<std::string>* ScopeValuesOf(const ActionRequest& r,
                                              const std::string& scope) {
  if (r.scopes == nullptr) return nullptr;
  auto it = r.scopes->find(scope);
  return it == r.scopes->end() ? nullptr : &it->second;
}

Status CheckExactScopeValue(const ActionRequest& r,
                            const std::string& connector,
                            const std::string& scope,
                            const std::string& value) {
  const std::vector<std::string>* values = ScopeValuesOf(r, scope);
  if (values == nullptr) return Status::Ok();
  if (std::find(values->begin(), values->end(), value) != values->end()) {
    return Status::Ok();
  }
  return PermissionDenied(StrCat(
      connector, ".", r.action, ": ", Quote(value), " is outside the run's ",
      connector, ".", scope, " scope (", StrJoin(*values, ", "), ")"));
}

std::string StrArg(const Json& args, const char* name) {
  return sim::StringField(args, name);
}

int64_t IntArg(const Json& args, const char* name) {
  return sim::IntField(args, name);
}

}  // namespace wfs::connectors
