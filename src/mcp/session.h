// An MCP session: who the client is, what it may do, what it declared at
// initialize, and the requests in flight in both directions.
#ifndef WFSTORE_MCP_SESSION_H_
#define WFSTORE_MCP_SESSION_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "base/status.h"

namespace wfs::mcp {

// What a caller may do. Namespaces are workflow name prefixes ("mail" allows
// "mail.delete_message"; "*" allows all); the stage is the lowest stage of a
// workflow the caller may run; capabilities are connector actions or
// families ("mail.delete", "mail", "*") the workflows it runs may use.
struct Grants {
  std::vector<std::string> namespaces = {"*"};
  std::string min_stage = "draft";
  std::vector<std::string> capabilities = {"*"};
  bool find = true;  // find_workflows, describe_workflow, resources
  bool run = true;   // run_workflow, get_run, answer_run

  bool AllowsNamespace(const std::string& workflow) const;
  bool AllowsCapability(const std::string& action) const;
  Json ToJson() const;
  static Result<Grants> FromJson(const Json& j);
};

// What a client's capabilities (its initialize, or a stateless request's
// _meta) declare: elicitation in form mode (2025-11-25 and later: {"form":
// {}, "url": {}}; an empty object means form), sampling, roots.
bool DeclaresElicitation(const Json& capabilities);
bool DeclaresSampling(const Json& capabilities);
bool DeclaresRoots(const Json& capabilities);

// The authenticated caller: an agent identity and its grants.
struct Principal {
  std::string agent;  // e.g. "local" for stdio, the token's agent over HTTP
  Grants grants;
};

// Server-to-client requests waiting for the client's reply.
class Outbound {
 public:
  // Registers a request and returns its id.
  int64_t Begin();
  // Delivers the client's reply (a result or error message). False when no
  // request with that id is waiting.
  bool Deliver(const Json& id, const Json& reply);
  // Waits for the reply to `id` until `timeout` or Cancel(); DeadlineExceeded
  // or Cancelled otherwise.
  Result<Json> Wait(int64_t id, std::chrono::milliseconds timeout,
                    const std::atomic<bool>* cancelled);
  // Drops a request that will not be waited for (it could not be sent).
  void Forget(int64_t id);
  // Wakes every waiter with Cancelled (session closed).
  void CancelAll();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t next_ = 1;
  bool closed_ = false;
  std::map<int64_t, std::unique_ptr<Json>> replies_;  // null: still waiting
};

class Session {
 public:
  Session(std::string id, Principal principal)
      : id_(std::move(id)), principal_(std::move(principal)) {}

  const std::string& id() const { return id_; }
  const Principal& principal() const { return principal_; }

  // Set by initialize.
  void Initialize(std::string protocol_version, Json client_capabilities,
                  Json client_info);
  bool initialize_answered() const;
  // notifications/initialized received (after initialize was answered;
  // before, it changes nothing).
  void MarkReady();
  bool ready() const;
  std::string protocol_version() const;
  Json client_capabilities() const;
  Json client_info() const;
  // The client declared elicitation (form mode).
  bool CanElicit() const;
  // The client declared sampling.
  bool CanSample() const;

  // resources/subscribe and /unsubscribe.
  void Subscribe(const std::string& uri, bool on);
  bool Subscribed(const std::string& uri) const;

  // logging/setLevel: the lowest level sent as notifications/message.
  void SetLogLevel(int level) { log_level_.store(level); }
  int log_level() const { return log_level_.load(); }

  // Requests from the client being handled, for notifications/cancelled.
  // BeginRequest's flag is already set when the request was cancelled
  // before it began.
  std::shared_ptr<std::atomic<bool>> BeginRequest(const Json& id);
  void EndRequest(const Json& id);
  // Marks a request cancelled; false when it is not in flight (it is then
  // remembered, in case it has yet to begin).
  bool CancelRequest(const Json& id);
  size_t requests_in_flight() const;

  Outbound& outbound() { return outbound_; }

  // Closing cancels requests in flight and waiting server requests.
  void Close();
  bool closed() const { return closed_.load(); }

  // Last use, for idle expiry.
  void Touch(int64_t now_us) { last_used_us_.store(now_us); }
  int64_t last_used_us() const { return last_used_us_.load(); }

 private:
  const std::string id_;
  const Principal principal_;
  mutable std::mutex mu_;
  bool answered_ = false;
  bool ready_ = false;
  std::string protocol_version_;
  Json client_capabilities_ = Json::object();
  Json client_info_ = Json::object();
  std::atomic<int> log_level_{3};  // warning
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> in_flight_;
  // Requests cancelled before they began (the client's cancellation, or its
  // connection's loss, overtook the request): BeginRequest starts them
  // cancelled. Ids are not reused within a session, so the most recent
  // kMaxCancelledEarly suffice.
  static constexpr size_t kMaxCancelledEarly = 256;
  std::set<std::string> cancelled_early_;
  std::deque<std::string> cancelled_early_order_;
  std::set<std::string> subscriptions_;
  Outbound outbound_;
  std::atomic<bool> closed_{false};
  std::atomic<int64_t> last_used_us_{0};
};

// Syslog levels as MCP names them, 0 (debug) to 7 (emergency); -1 unknown.
int LogLevelFromName(const std::string& name);
const char* LogLevelName(int level);

}  // namespace wfs::mcp

#endif  // WFSTORE_MCP_SESSION_H_
