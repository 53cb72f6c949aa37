#include "connectors/sim/simulator.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "base/sha256.h"
#include "base/strings.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::sim {

namespace {

const char* KindText(ArgKind k) {
  switch (k) {
    case ArgKind::kString: return "a string";
    case ArgKind::kInt: return "an integer";
    case ArgKind::kDecimal: return "a decimal string such as \"42.50\"";
    case ArgKind::kTime: return "an RFC 3339 time string";
    case ArgKind::kStringList: return "a list of strings";
    case ArgKind::kObject: return "an object";
    case ArgKind::kOptionalString: return "a string or null";
  }
  return "?";
}

// Why `v` is not of kind `k` (" must be a string", ": not a decimal ..."),
// or "" when it is.
std::string KindProblem(const Json& v, ArgKind k) {
  switch (k) {
    case ArgKind::kString:
      return v.is_string() ? "" : " must be a string";
    case ArgKind::kInt:
      return IsInt64(v) ? "" : " must be an integer";
    case ArgKind::kDecimal: {
      if (!v.is_string()) return " must be a decimal string such as \"42.50\"";
      Result<int64_t> d = ParseDecimalMicros(v.get<std::string>());
      return d.ok() ? "" : ": " + d.status().message();
    }
    case ArgKind::kTime: {
      if (!v.is_string()) return " must be an RFC 3339 time string";
      Result<int64_t> t = ParseTimeMicros(v.get<std::string>());
      return t.ok() ? "" : ": " + t.status().message();
    }
    case ArgKind::kStringList: {
      if (!v.is_array()) return " must be a list of strings";
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) return StrCat(": item ", i, " is not a string");
      }
      return "";
    }
    case ArgKind::kObject:
      return v.is_object() ? "" : " must be an object";
    case ArgKind::kOptionalString:
      return v.is_string() || v.is_null() ? "" : " must be a string or null";
  }
  return StrCat(" must be ", KindText(k));
}

std::string Digest(const Json& args) {
  return Sha256Hex(CanonicalJson(args));
}

}  // namespace

Simulator::Simulator(std::string name, World* world,
                     std::vector<ActionSpec> actions)
    : name_(std::move(name)), world_(world), actions_(std::move(actions)) {}

const ActionSpec* Simulator::Find(const std::string& action) const {
  for (const ActionSpec& a : actions_) {
    if (action == a.name) return &a;
  }
  return nullptr;
}

Status Simulator::Bad(const ActionRequest& r,
                      const std::string& message) const {
  return InvalidArgument(StrCat(name_, ".", r.action, ": ", message));
}

Status Simulator::CheckArgs(const ActionSpec& spec,
                            const ActionRequest& r) const {
  return CheckActionArgs(name_, spec, r);
}

Result<ActionResponse> Simulator::Invoke(const ActionRequest& request) {
  std::lock_guard<std::mutex> lock(world_->mu());
  const ActionSpec* spec = Find(request.action);
  if (spec == nullptr) {
    return InvalidArgument(
        StrCat(name_, " has no action ", Quote(request.action)));
  }
  WFS_RETURN_IF_ERROR(CheckArgs(*spec, request));
  std::string digest;
  if (!spec->read && !request.idempotency_key.empty()) {
    digest = Digest(request.args);
  }
  if (!digest.empty() && world_->honor_idempotency_keys()) {
    // A retried effect (same key, action and arguments) is not done twice:
    // the recorded response comes back, as from a server that honours
    // idempotency keys.
    const Json* rec = FieldOf(Private(), "effects");
    rec = rec != nullptr ? FieldOf(*rec, request.idempotency_key) : nullptr;
    const Json* was_compensation =
        rec != nullptr ? FieldOf(*rec, "compensation") : nullptr;
    if (rec != nullptr && !request.compensation &&
        !(was_compensation != nullptr && *was_compensation == true) &&
        StringField(*rec, "action") == request.action &&
        StringField(*rec, "args_digest") == digest) {
      ActionResponse replay;
      if (const Json* res = FieldOf(*rec, "result")) replay.result = *res;
      if (const Json* undo = FieldOf(*rec, "undo")) replay.undo = *undo;
      return replay;
    }
  }
  WFS_ASSIGN_OR_RETURN(ActionResponse response, Do(*spec, request));
  if (!spec->read && !request.idempotency_key.empty()) {
    Record(*spec, request, digest, response);
  }
  return response;
}

void Simulator::Record(const ActionSpec& spec, const ActionRequest& r,
                       const std::string& digest,
                       const ActionResponse& response) {
  Json& p = Private();
  int64_t seq = IntField(p, "effect_seq", 0) + 1;
  p["effect_seq"] = seq;
  Json& effects = p["effects"];
  if (!effects.is_object()) effects = Json::object();
  Json rec = Json::object();
  rec["seq"] = seq;
  rec["action"] = spec.name;
  rec["args_digest"] = digest;
  rec["run"] = r.run_id;
  rec["compensation"] = r.compensation;
  rec["result"] = response.result;
  rec["undo"] = response.undo;
  effects[r.idempotency_key] = std::move(rec);
  // Evict in batches (amortized): once 10% over the cap, drop the oldest
  // records down to the cap in one pass.
  if (effects.size() > kMaxRecordedEffects + kMaxRecordedEffects / 10) {
    std::vector<int64_t> seqs;
    seqs.reserve(effects.size());
    for (auto it = effects.begin(); it != effects.end(); ++it) {
      seqs.push_back(IntField(it.value(), "seq"));
    }
    size_t drop = effects.size() - kMaxRecordedEffects;
    std::nth_element(seqs.begin(), seqs.begin() + (drop - 1), seqs.end());
    int64_t cutoff = seqs[drop - 1];
    for (auto it = effects.begin(); it != effects.end();) {
      if (IntField(it.value(), "seq") <= cutoff) {
        it = effects.erase(it);
      } else {
        ++it;
      }
    }
  }
}

Result<std::string> Simulator::ScopeKey(const std::string& action,
                                        const std::string& param,
                                        const Json& value,
                                        const ScopeMap& scopes) {
  std::lock_guard<std::mutex> lock(world_->mu());
  if (Find(action) == nullptr) {
    return InvalidArgument(StrCat(name_, " has no action ", Quote(action)));
  }
  return DoScopeKey(action, param, value, scopes);
}

Result<std::string> Simulator::DoScopeKey(const std::string& action,
                                          const std::string& param,
                                          const Json& value,
                                          const ScopeMap& scopes) {
  return Connector::ScopeKey(action, param, value, scopes);
}

Result<std::optional<ActionResponse>> Simulator::Lookup(
    const std::string& idempotency_key) {
  std::lock_guard<std::mutex> lock(world_->mu());
  const Json* effects = FieldOf(Private(), "effects");
  const Json* rec =
      effects != nullptr ? FieldOf(*effects, idempotency_key) : nullptr;
  if (rec == nullptr || idempotency_key.empty()) {
    return std::optional<ActionResponse>();
  }
  ActionResponse response;
  if (const Json* res = FieldOf(*rec, "result")) response.result = *res;
  if (const Json* undo = FieldOf(*rec, "undo")) response.undo = *undo;
  return std::optional<ActionResponse>(std::move(response));
}

Status CheckActionArgs(const std::string& connector, const ActionSpec& spec,
                       const ActionRequest& r) {
  auto bad = [&](const std::string& message) {
    return InvalidArgument(StrCat(connector, ".", r.action, ": ", message));
  };
  if (!r.args.is_object() && !r.args.is_null()) {
    return bad("arguments must be an object");
  }
  for (const ParamSpec& p : spec.params) {
    const Json* v = r.args.is_object() ? FieldOf(r.args, p.name) : nullptr;
    if (v == nullptr) return bad(StrCat("missing argument `", p.name, "`"));
    std::string problem = KindProblem(*v, p.kind);
    if (!problem.empty()) {
      return bad(StrCat("argument `", p.name, "`", problem));
    }
  }
  if (!r.args.is_object()) return Status::Ok();
  for (auto it = r.args.begin(); it != r.args.end(); ++it) {
    const std::string& key = it.key();
    bool known = false;
    for (const ParamSpec& p : spec.params) known |= key == p.name;
    if (known) continue;
    const ParamSpec* priv = nullptr;
    for (const ParamSpec& p : spec.private_params) {
      if (key == p.name) priv = &p;
    }
    if (priv == nullptr) {
      return bad(StrCat("unknown argument `", key, "`"));
    }
    if (!r.compensation) {
      return bad(StrCat("private argument `", key,
                           "` is only accepted from an undo record"));
    }
    std::string problem = KindProblem(it.value(), priv->kind);
    if (!problem.empty()) {
      return bad(StrCat("argument `", key, "`", problem));
    }
  }
  return Status::Ok();
}

const std::vector<std::string>* ScopeValues(const ActionRequest& r,
                                            const std::string& scope) {
  if (r.scopes == nullptr) return nullptr;
  auto it = r.scopes->find(scope);
  return it == r.scopes->end() ? nullptr : &it->second;
}

Status CheckExactScope(const ActionRequest& r, const std::string& connector,
                       const std::string& scope, const std::string& value) {
  const std::vector<std::string>* values = ScopeValues(r, scope);
  if (values == nullptr) return Status::Ok();
  if (std::find(values->begin(), values->end(), value) != values->end()) {
    return Status::Ok();
  }
  return PermissionDenied(StrCat(connector, ".", r.action, ": ", Quote(value),
                                 " is outside the run's ", connector, ".",
                                 scope, " scope (", StrJoin(*values, ", "),
                                 ")"));
}

}  // namespace wfs::connectors::sim
