#include "rollout/policy.h"

#include <cstdio>
#include <filesystem>
#include <set>

#include "base/file.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace wfs::rollout {
namespace {

Status OnlyMembers(const Json& j, const std::string& where,
                   const std::set<std::string>& known) {
  if (!j.is_object()) {
    return InvalidArgument(StrCat(where, " must be a JSON object"));
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!known.count(it.key())) {
      return InvalidArgument(
          StrCat("unknown member ", Quote(it.key()), " in ", where));
    }
  }
  return Status::Ok();
}

Status Fraction(const Json& j, const char* key, const std::string& where,
                double lo, double hi, double* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_number() || it->get<double>() < lo || it->get<double>() > hi) {
    return InvalidArgument(StrCat(where, ".", key, " must be a number from ",
                                  FormatShort(lo), " to ", FormatShort(hi)));
  }
  *out = it->get<double>();
  return Status::Ok();
}

Status Integer(const Json& j, const char* key, const std::string& where,
               int64_t lo, int64_t hi, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_number_integer() || it->get<int64_t>() < lo ||
      it->get<int64_t>() > hi) {
    return InvalidArgument(
        StrCat(where, ".", key, " must be an integer from ", lo, " to ", hi));
  }
  *out = it->get<int64_t>();
  return Status::Ok();
}

}  // namespace

Result<int64_t> ParseDuration(const std::string& text) {
  if (text == "0") return 0;
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  std::string unit = text.substr(digits);
  static const std::pair<const char*, int64_t> kUnits[] = {
      {"ms", 1000},
      {"s", 1000000},
      {"m", 60000000},
      {"h", 3600000000LL},
      {"d", 86400000000LL}};
  if (digits == 0 || digits > 6) {
    return InvalidArgument(StrCat("invalid duration ", Quote(text),
                                  " (examples: 90s, 15m, 2h, 7d)"));
  }
  int64_t n = std::stoll(text.substr(0, digits));
  for (const auto& [u, scale] : kUnits) {
    if (unit == u) return n * scale;
  }
  return InvalidArgument(
      StrCat("invalid duration ", Quote(text), " (units: ms, s, m, h, d)"));
}

std::string FormatDurationUs(int64_t us) {
  if (us == 0) return "0";
  if (us % 86400000000LL == 0) return StrCat(us / 86400000000LL, "d");
  if (us % 3600000000LL == 0) return StrCat(us / 3600000000LL, "h");
  if (us % 60000000 == 0) return StrCat(us / 60000000, "m");
  if (us % 1000000 == 0) return StrCat(us / 1000000, "s");
  return StrCat(us / 1000, "ms");
}

Json RolloutPolicy::ToJson() const {
  return {{"share", share},
          {"agents", agents},
          {"min_runs", min_runs},
          {"soak", FormatDurationUs(soak_us)},
          {"margins",
           {{"failure", margins.failure},
            {"violation", margins.violation},
            {"compensation", margins.compensation},
            {"denial", margins.denial},
            {"latency_ratio", margins.latency_ratio},
            {"latency_floor_ms", margins.latency_floor_ms}}}};
}

Json Policy::ToJson() const {
  return {{"harden",
           {{"min_coverage", harden.min_coverage},
            {"min_mutation", harden.min_mutation},
            {"cases", harden.cases},
            {"seed", harden.seed}}},
          {"rollout", rollout.ToJson()}};
}

std::string Policy::HardenDigest() const {
  return "sha256:" + Sha256Hex(CanonicalJson(ToJson()["harden"]));
}

Result<RolloutPolicy> ParseRolloutPolicy(const Json& r,
                                         const RolloutPolicy& defaults) {
  RolloutPolicy p = defaults;
  WFS_RETURN_IF_ERROR(OnlyMembers(
      r, "rollout", {"share", "agents", "min_runs", "soak", "margins"}));
  WFS_RETURN_IF_ERROR(Fraction(r, "share", "rollout", 0, 1, &p.share));
  int64_t min_runs = p.min_runs;
  WFS_RETURN_IF_ERROR(Integer(r, "min_runs", "rollout", 1, 1000000, &min_runs));
  p.min_runs = static_cast<int>(min_runs);
  if (auto it = r.find("agents"); it != r.end()) {
    if (!it->is_array()) {
      return InvalidArgument("rollout.agents must be an array of agent ids");
    }
    p.agents.clear();
    for (const Json& a : *it) {
      if (!a.is_string() || a.get<std::string>().empty()) {
        return InvalidArgument("rollout.agents must hold agent ids (strings)");
      }
      p.agents.push_back(a.get<std::string>());
    }
  }
  if (auto it = r.find("soak"); it != r.end()) {
    if (!it->is_string()) {
      return InvalidArgument("rollout.soak must be a duration such as \"24h\"");
    }
    WFS_ASSIGN_OR_RETURN(p.soak_us, ParseDuration(it->get<std::string>()));
  }
  if (auto it = r.find("margins"); it != r.end()) {
    const Json& m = *it;
    WFS_RETURN_IF_ERROR(
        OnlyMembers(m, "rollout.margins",
                    {"failure", "violation", "compensation", "denial",
                     "latency_ratio", "latency_floor_ms"}));
    const std::string w = "rollout.margins";
    WFS_RETURN_IF_ERROR(Fraction(m, "failure", w, 0, 1, &p.margins.failure));
    WFS_RETURN_IF_ERROR(
        Fraction(m, "violation", w, 0, 1, &p.margins.violation));
    WFS_RETURN_IF_ERROR(
        Fraction(m, "compensation", w, 0, 1, &p.margins.compensation));
    WFS_RETURN_IF_ERROR(Fraction(m, "denial", w, 0, 1, &p.margins.denial));
    WFS_RETURN_IF_ERROR(
        Fraction(m, "latency_ratio", w, 0, 1000, &p.margins.latency_ratio));
    WFS_RETURN_IF_ERROR(Fraction(m, "latency_floor_ms", w, 0, 3.6e6,
                                 &p.margins.latency_floor_ms));
  }
  return p;
}

Result<Policy> ParsePolicy(const std::string& text) {
  WFS_ASSIGN_OR_RETURN(Json j, ParseJson(text));
  WFS_RETURN_IF_ERROR(OnlyMembers(j, "the policy", {"harden", "rollout"}));
  Policy p;
  if (auto it = j.find("harden"); it != j.end()) {
    const Json& h = *it;
    WFS_RETURN_IF_ERROR(OnlyMembers(
        h, "harden", {"min_coverage", "min_mutation", "cases", "seed"}));
    WFS_RETURN_IF_ERROR(
        Fraction(h, "min_coverage", "harden", 0, 1, &p.harden.min_coverage));
    WFS_RETURN_IF_ERROR(
        Fraction(h, "min_mutation", "harden", 0, 1, &p.harden.min_mutation));
    int64_t cases = p.harden.cases, seed = 1;
    WFS_RETURN_IF_ERROR(Integer(h, "cases", "harden", 1, 100000, &cases));
    WFS_RETURN_IF_ERROR(
        Integer(h, "seed", "harden", 0, int64_t{1} << 53, &seed));
    p.harden.cases = static_cast<int>(cases);
    p.harden.seed = static_cast<uint64_t>(seed);
  }
  if (auto it = j.find("rollout"); it != j.end()) {
    WFS_ASSIGN_OR_RETURN(p.rollout, ParseRolloutPolicy(*it, p.rollout));
  }
  return p;
}

Result<Policy> LoadPolicy(const std::string& store_dir) {
  std::string path = store_dir + "/policy.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Policy{};
  WFS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1 << 20));
  auto p = ParsePolicy(text);
  if (!p.ok()) {
    return Status(p.status().code(),
                  StrCat(path, ": ", p.status().message(),
                         " (docs/rollout.md lists the members)"));
  }
  return p;
}

}  // namespace wfs::rollout
