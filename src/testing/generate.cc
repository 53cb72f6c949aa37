#include "testing/generate.h"

#include <algorithm>
#include <set>

#include "base/strings.h"

namespace wfs::testing {

namespace {
const char* kWords[] = {"",       "a",       "INBOX",  "Archive", "Trash",
                        "Alex",   "Dana",    "hello",  "report",  "x y",
                        "ümlaut", "ann@example.com",    "bob@example.com",
                        "news",   "bug",     "acme/app", "work",  "0"};
}  // namespace

std::string Generator::String(const std::string& nominal) {
  auto& pool = pools_[nominal];
  if (!nominal.empty() && !pool.empty() && rng_.Uniform(4) != 0) {
    return pool[rng_.Uniform(pool.size())].get<std::string>();
  }
  std::string s;
  if (rng_.Uniform(2) == 0) {
    s = kWords[rng_.Uniform(sizeof(kWords) / sizeof(kWords[0]))];
  } else {
    static const char kAlnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = 1 + rng_.Uniform(10);
    for (size_t i = 0; i < n; ++i) s += kAlnum[rng_.Uniform(36)];
  }
  if (!nominal.empty()) pool.push_back(s);
  return s;
}

Json Generator::Value(const Json& type, int depth) {
  if (depth > 8) return nullptr;
  if (type.is_string()) {
    const std::string& t = type.get_ref<const std::string&>();
    if (t == "bool") return rng_.Uniform(2) == 0;
    if (t == "int") {
      switch (rng_.Uniform(4)) {
        case 0: return 0;
        case 1: return static_cast<int64_t>(rng_.Uniform(10)) - 2;
        case 2: return static_cast<int64_t>(rng_.Uniform(1000));
        default: return static_cast<int64_t>(rng_.Uniform(100000)) - 50000;
      }
    }
    if (t == "decimal") {
      int64_t cents = static_cast<int64_t>(rng_.Uniform(1000000)) - 100000;
      if (rng_.Uniform(5) == 0) cents = static_cast<int64_t>(rng_.Uniform(200));
      std::string sign = cents < 0 ? "-" : "";
      int64_t a = cents < 0 ? -cents : cents;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%lld.%02lld", sign.c_str(),
                    static_cast<long long>(a / 100),
                    static_cast<long long>(a % 100));
      return std::string(buf);
    }
    if (t == "time") {
      static const char* kTimes[] = {
          "2026-12-01T10:00:00Z", "2026-12-01T09:30:00Z",
          "2026-12-02T14:00:00+01:00", "2026-11-30T23:59:59Z"};
      return kTimes[rng_.Uniform(4)];
    }
    if (t == "duration") return static_cast<int64_t>(rng_.Uniform(7200)) * 1000;
    if (t == "bytes" || t == "string") return String("");
    return nullptr;
  }
  if (!type.is_object()) return nullptr;
  if (type.contains("optional")) {
    if (rng_.Uniform(5) == 0) return nullptr;
    return Value(type["optional"], depth + 1);
  }
  if (type.contains("list")) {
    Json out = Json::array();
    size_t n = rng_.Uniform(4);
    for (size_t i = 0; i < n; ++i) out.push_back(Value(type["list"], depth + 1));
    return out;
  }
  if (type.contains("enum") && type["enum"].is_array() && !type["enum"].empty()) {
    return type["enum"][rng_.Uniform(type["enum"].size())];
  }
  if (type.contains("nominal")) {
    const Json& base = type.value("base", Json("string"));
    if (base.is_string() && base.get<std::string>() == "string") {
      return String(type["nominal"].get<std::string>());
    }
    return Value(base, depth + 1);
  }
  if (type.contains("record") && type["record"].is_array()) {
    Json out = Json::object();
    for (const Json& f : type["record"]) {
      out[f.value("name", "")] = Value(f.value("type", Json()), depth + 1);
    }
    return out;
  }
  return nullptr;
}

Json Generator::Collection(const Json& list_type) {
  Json out = Json::array();
  if (!list_type.is_object() || !list_type.contains("list")) return out;
  size_t n = rng_.Uniform(7);
  std::set<std::string> ids;
  for (size_t i = 0; i < n; ++i) {
    Json rec = Value(list_type["list"], 1);
    if (rec.is_object() && rec.contains("id") && rec["id"].is_string()) {
      std::string id = rec["id"].get<std::string>();
      if (id.empty() || ids.count(id)) id = StrCat("id", i);
      ids.insert(id);
      rec["id"] = id;
    }
    out.push_back(std::move(rec));
  }
  return out;
}

std::vector<Json> ShrinkValue(const Json& v) {
  std::vector<Json> out;
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (!s.empty()) {
      out.push_back("");
      if (s.size() > 1) out.push_back(s.substr(0, s.size() / 2));
    }
  } else if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i != 0) {
      out.push_back(0);
      if (i / 2 != 0) out.push_back(i / 2);
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      Json smaller = v;
      smaller.erase(i);
      out.push_back(std::move(smaller));
    }
    for (size_t i = 0; i < v.size(); ++i) {
      for (Json& e : ShrinkValue(v[i])) {
        Json c = v;
        c[i] = std::move(e);
        out.push_back(std::move(c));
      }
    }
  } else if (v.is_object()) {
    for (const auto& [k, x] : v.items()) {
      for (Json& e : ShrinkValue(x)) {
        Json c = v;
        c[k] = std::move(e);
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

}  // namespace wfs::testing
