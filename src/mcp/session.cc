#include "mcp/session.h"

#include <algorithm>

#include "base/strings.h"
#include "mcp/jsonrpc.h"

namespace wfs::mcp {
namespace {

constexpr const char* kLevels[] = {"debug", "info",     "notice", "warning",
                                   "error", "critical", "alert",  "emergency"};

const std::vector<std::string> kStages = {"draft",    "tested", "hardened",
                                          "reviewed", "canary", "stable"};

Result<std::vector<std::string>> StringList(const Json& j, const char* key,
                                            std::vector<std::string> fallback) {
  if (!j.contains(key)) return fallback;
  const Json& v = j[key];
  if (!v.is_array()) return InvalidArgument(StrCat(key, " must be a list"));
  std::vector<std::string> out;
  for (const Json& x : v) {
    if (!x.is_string() || x.get<std::string>().empty()) {
      return InvalidArgument(StrCat(key, " must hold non-empty strings"));
    }
    out.push_back(x.get<std::string>());
  }
  return out;
}

bool PrefixMatch(const std::string& pattern, const std::string& name) {
  if (pattern == "*") return true;
  if (name == pattern) return true;
  return name.size() > pattern.size() &&
         name.compare(0, pattern.size(), pattern) == 0 &&
         name[pattern.size()] == '.';
}

}  // namespace

bool Grants::AllowsNamespace(const std::string& workflow) const {
  return std::any_of(
      namespaces.begin(), namespaces.end(),
      [&](const std::string& p) { return PrefixMatch(p, workflow); });
}

bool Grants::AllowsCapability(const std::string& action) const {
  return std::any_of(
      capabilities.begin(), capabilities.end(),
      [&](const std::string& p) { return PrefixMatch(p, action); });
}

Json Grants::ToJson() const {
  return Json{{"namespaces", namespaces},
              {"min_stage", min_stage},
              {"capabilities", capabilities},
              {"find", find},
              {"run", run}};
}

Result<Grants> Grants::FromJson(const Json& j) {
  if (!j.is_object()) return InvalidArgument("grants must be an object");
  for (const auto& [k, v] : j.items()) {
    (void)v;
    if (k != "namespaces" && k != "min_stage" && k != "capabilities" &&
        k != "find" && k != "run") {
      return InvalidArgument(StrCat("grants: unknown field ", Quote(k)));
    }
  }
  Grants g;
  WFS_ASSIGN_OR_RETURN(g.namespaces, StringList(j, "namespaces", {"*"}));
  WFS_ASSIGN_OR_RETURN(g.capabilities, StringList(j, "capabilities", {"*"}));
  if (j.contains("min_stage")) {
    if (!j["min_stage"].is_string() ||
        std::find(kStages.begin(), kStages.end(),
                  j["min_stage"].get<std::string>()) == kStages.end()) {
      return InvalidArgument(
          StrCat("grants: min_stage must be one of ", StrJoin(kStages, ", ")));
    }
    g.min_stage = j["min_stage"].get<std::string>();
  }
  for (const char* k : {"find", "run"}) {
    if (j.contains(k)) {
      if (!j[k].is_boolean()) {
        return InvalidArgument(StrCat("grants: ", k, " must be true or false"));
      }
      (std::string(k) == "find" ? g.find : g.run) = j[k].get<bool>();
    }
  }
  return g;
}

int64_t Outbound::Begin() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t id = next_++;
  replies_[id] = nullptr;
  return id;
}

bool Outbound::Deliver(const Json& id, const Json& reply) {
  if (!id.is_number_integer()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replies_.find(id.get<int64_t>());
  if (it == replies_.end() || it->second != nullptr) return false;
  it->second = std::make_unique<Json>(reply);
  cv_.notify_all();
  return true;
}

Result<Json> Outbound::Wait(int64_t id, std::chrono::milliseconds timeout,
                            const std::atomic<bool>* cancelled) {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto it = replies_.find(id);
    if (it == replies_.end()) return Internal("unknown outbound request");
    if (it->second != nullptr) {
      Json reply = std::move(*it->second);
      replies_.erase(it);
      return reply;
    }
    if (closed_ || (cancelled != nullptr && cancelled->load())) {
      replies_.erase(it);
      return Cancelled("the request was cancelled or the session closed");
    }
    // Wake periodically to notice cancellation flags set without a notify.
    auto step = std::min(deadline, std::chrono::steady_clock::now() +
                                       std::chrono::milliseconds(100));
    if (cv_.wait_until(lock, step) == std::cv_status::timeout &&
        std::chrono::steady_clock::now() >= deadline) {
      replies_.erase(id);
      return DeadlineExceeded("the client did not answer in time");
    }
  }
}

void Outbound::Forget(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  replies_.erase(id);
}

void Outbound::CancelAll() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

void Session::Initialize(std::string protocol_version, Json client_capabilities,
                         Json client_info) {
  std::lock_guard<std::mutex> lock(mu_);
  answered_ = true;
  protocol_version_ = std::move(protocol_version);
  client_capabilities_ = client_capabilities.is_object()
                             ? std::move(client_capabilities)
                             : Json::object();
  client_info_ = std::move(client_info);
}

bool Session::initialize_answered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return answered_;
}

void Session::MarkReady() {
  std::lock_guard<std::mutex> lock(mu_);
  // Only a session that initialized becomes ready (a stateless client's
  // stray notifications/initialized opens nothing).
  ready_ = answered_;
}

bool Session::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_;
}

std::string Session::protocol_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return protocol_version_;
}

Json Session::client_capabilities() const {
  std::lock_guard<std::mutex> lock(mu_);
  return client_capabilities_;
}

Json Session::client_info() const {
  std::lock_guard<std::mutex> lock(mu_);
  return client_info_;
}

bool Session::CanElicit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return DeclaresElicitation(client_capabilities_);
}

bool Session::CanSample() const {
  std::lock_guard<std::mutex> lock(mu_);
  return DeclaresSampling(client_capabilities_);
}

bool DeclaresElicitation(const Json& capabilities) {
  auto it = capabilities.find("elicitation");
  if (it == capabilities.end() || !it->is_object()) return false;
  return it->empty() || it->contains("form");
}

bool DeclaresSampling(const Json& capabilities) {
  auto it = capabilities.find("sampling");
  return it != capabilities.end() && it->is_object();
}

bool DeclaresRoots(const Json& capabilities) {
  auto it = capabilities.find("roots");
  return it != capabilities.end() && it->is_object();
}

void Session::Subscribe(const std::string& uri, bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  if (on) {
    subscriptions_.insert(uri);
  } else {
    subscriptions_.erase(uri);
  }
}

bool Session::Subscribed(const std::string& uri) const {
  std::lock_guard<std::mutex> lock(mu_);
  return subscriptions_.count(uri) != 0;
}

std::shared_ptr<std::atomic<bool>> Session::BeginRequest(const Json& id) {
  auto flag = std::make_shared<std::atomic<bool>>(false);
  std::string key = IdKey(id);
  std::lock_guard<std::mutex> lock(mu_);
  if (!cancelled_early_.empty() && cancelled_early_.erase(key) > 0) {
    flag->store(true);
  }
  in_flight_[std::move(key)] = flag;
  return flag;
}

void Session::EndRequest(const Json& id) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.erase(IdKey(id));
}

bool Session::CancelRequest(const Json& id) {
  std::string key = IdKey(id);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) {
    if (cancelled_early_.insert(key).second) {
      cancelled_early_order_.push_back(std::move(key));
      if (cancelled_early_order_.size() > kMaxCancelledEarly) {
        cancelled_early_.erase(cancelled_early_order_.front());
        cancelled_early_order_.pop_front();
      }
    }
    return false;
  }
  it->second->store(true);
  return true;
}

size_t Session::requests_in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_.size();
}

void Session::Close() {
  closed_.store(true);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, flag] : in_flight_) flag->store(true);
  }
  outbound_.CancelAll();
}

int LogLevelFromName(const std::string& name) {
  for (int i = 0; i < 8; ++i) {
    if (name == kLevels[i]) return i;
  }
  return -1;
}

const char* LogLevelName(int level) {
  return level >= 0 && level < 8 ? kLevels[level] : "info";
}

}  // namespace wfs::mcp
