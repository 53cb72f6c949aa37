// The Streamable HTTP transport (MCP 2025-03-26 and later) on the project's
// HTTP server: one endpoint (default /mcp) taking POST (one JSON-RPC message;
// answered with application/json, 202, or an SSE stream for requests that
// may talk back to the client while they run), GET (the session's own SSE
// stream for server messages) and DELETE (ends the session). Requests of the
// stateless revision (2026-07-28) are POSTs without a session, whose
// MCP-Protocol-Version, Mcp-Method and Mcp-Name headers mirror the body.
//
// Before the engine sees a message: the Origin is checked (DNS rebinding),
// the bearer token is authenticated (401 with WWW-Authenticate pointing at
// the Protected Resource Metadata), the session id and protocol version are
// checked (400/404), and the token's scope must cover what the request asks
// (403 insufficient_scope). See docs/mcp.md.
#ifndef WFSTORE_MCP_HTTP_ENDPOINT_H_
#define WFSTORE_MCP_HTTP_ENDPOINT_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "mcp/engine.h"
#include "mcp/session.h"
#include "transport/http_server.h"

namespace wfs::mcp {

// Maps a bearer token to a caller. Unauthenticated for an unknown or revoked
// token. Must be thread-safe.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual Result<Principal> Authenticate(std::string_view token) = 0;
};

// The scope a request needs: "find" or "run" (empty: none beyond a valid
// token). Lets the endpoint answer 403 insufficient_scope before the call.
using ScopeFn = std::function<std::string(const Message&)>;

struct HttpEndpointOptions {
  std::string path = "/mcp";
  // Null: no authentication (every caller is `anonymous`); only for tests
  // and local fixtures, never the default of `wfstore serve --http`.
  Authenticator* auth = nullptr;
  Principal anonymous = {"anonymous", {}};
  ScopeFn scope;
  // Origins allowed besides loopback ones (http://localhost:*,
  // http://127.0.0.1:*, http://[::1]:*), exactly as sent ("https://a.b").
  std::vector<std::string> allowed_origins;
  // DNS rebinding: answer only requests whose Host is a loopback name
  // ("localhost", "127.0.0.1", "[::1]", any port) or one of
  // `allowed_hosts` ("mcp.example.com:443"); others get 403. For a server
  // bound to loopback; off behind a proxy that sets its own Host.
  bool check_host = true;
  std::vector<std::string> allowed_hosts;
  // The public URL of the endpoint, for the Protected Resource Metadata
  // ("http://127.0.0.1:8750/mcp").
  std::string resource_url;
  size_t max_sessions = 1024;
  std::chrono::seconds session_idle{3600};
  // Answer every request with application/json, even tools/call (no
  // progress or elicitation then).
  bool json_only = false;
  // Streams of clients that speak 2025-11-25 or later are resumable: the
  // retry interval their priming event asks for; the bytes of events kept
  // per stream for resumption (below the HTTP server's
  // max_stream_buffer_bytes, so that a replay fits) and by all streams
  // together, once by live streams and once more by ended ones (beyond it,
  // a stream's kept events are dropped, or an ending stream's); how long a
  // call whose client lost its connection goes on waiting for the client to
  // resume before it is cancelled, and how long an ended stream's events
  // are kept for a client that missed its end; how many ended streams a
  // session keeps at least (it forgets the older ones once it holds twice
  // as many).
  std::chrono::milliseconds sse_retry{1000};
  size_t max_resume_bytes = 512 << 10;
  size_t max_resume_bytes_total = 64 << 20;
  std::chrono::milliseconds resume_grace{30'000};
  size_t kept_streams = 16;
  // tools/call requests running at once; more get 503. They run on the
  // HTTP server's workers, whose max_worker_threads should exceed this.
  int max_calls = 256;
  // Open subscriptions (stateless subscriptions/listen streams): in all,
  // and per agent. They hold no worker; beyond either, 503.
  size_t max_listens = 1024;
  int max_listens_per_agent = 8;
  const Clock* clock = nullptr;
};

class HttpEndpoint : public transport::HttpHandler {
 public:
  HttpEndpoint(Engine* engine, HttpEndpointOptions options);
  // Closes every session and waits for calls in flight.
  ~HttpEndpoint() override;

  void Handle(transport::HttpRequest request,
              transport::HttpResponder responder) override;

  size_t session_count() const;
  // Sets the public URL (when the port is known only after binding).
  void SetResourceUrl(std::string url);
  // Ends every session (server shutdown).
  void CloseAll();

 private:
  struct Entry;
  class StreamChannel;

  void HandlePost(transport::HttpRequest& req,
                  transport::HttpResponder& responder, const Principal& caller);
  // A request of a stateless revision (2026-07-28): no session; the
  // headers must mirror the body.
  void HandleStatelessPost(transport::HttpRequest& req,
                           transport::HttpResponder& responder,
                           const Principal& caller, const Message& m);
  // subscriptions/listen: within the budgets, opens the subscription on a
  // stream that outlives the request's handler.
  void OpenListen(transport::HttpResponder& responder,
                  std::shared_ptr<Session> session, const Message& m);
  // Ends subscription `number` (once; later calls do nothing): its place in
  // its agent's budget is given back, and its stream ends, with `end` (the
  // subscription's result) when given.
  void EndListen(int64_t number, const Json* end = nullptr);
  // Gives back a place taken for a subscription that did not open.
  void ReleaseListenPlace(const std::string& agent);
  void ReleaseListenPlaceLocked(const std::string& agent);
  // Whether the caller's token has the scope `m` needs; answers 403
  // insufficient_scope itself when not.
  bool ScopeAllows(const Message& m, const Principal& caller,
                   transport::HttpResponder& responder);
  void HandleGet(transport::HttpRequest& req,
                 transport::HttpResponder& responder, const Principal& caller);
  void HandleDelete(transport::HttpRequest& req,
                    transport::HttpResponder& responder,
                    const Principal& caller);
  void RespondMetadata(transport::HttpResponder& responder);
  bool OriginAllowed(const transport::HttpRequest& req) const;
  bool HostAllowed(const transport::HttpRequest& req) const;
  // Finds the request's session, answering 400/404 itself when it cannot.
  std::shared_ptr<Entry> FindSession(const transport::HttpRequest& req,
                                     transport::HttpResponder& responder,
                                     const Principal& caller);
  void ExpireIdle();
  // Ends a session taken out of sessions_: the engine ends it (its tasks,
  // what the tools kept for it), then its GET stream.
  void EndEntry(Entry& e);
  void CallDone();

  Engine* engine_;
  HttpEndpointOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> sessions_;
  // The sessions of stateless calls and subscriptions in flight (closed
  // when the endpoint closes); none start once it does.
  std::map<Session*, std::shared_ptr<Session>> stateless_;
  bool closing_ = false;
  std::atomic<uint64_t> next_stateless_{1};  // their ids: "stateless-N"
  // Open subscriptions (subscriptions/listen) by the engine's number, and
  // how many each agent holds (counting those being opened).
  struct Listening {
    std::shared_ptr<Session> session;
    std::shared_ptr<StreamChannel> channel;
    Json id;  // the listen request's id
  };
  std::map<int64_t, Listening> listens_;
  std::map<std::string, int> listens_by_agent_;
  std::condition_variable calls_cv_;
  int calls_ = 0;
  // When ExpireIdle last looked (it looks at most once a second).
  std::atomic<int64_t> last_expiry_us_{0};
  // Bytes of events kept for resumption: by streams still going, and by
  // ended ones (kept for a client that missed the end). Separate budgets,
  // so that streams ended and delivered never crowd out a live one (a call
  // waiting for a person).
  struct KeptBytes {
    std::atomic<int64_t> live{0};
    std::atomic<int64_t> ended{0};
  };
  KeptBytes kept_;

  // Runs `f` on the endpoint's timer thread after `delay` (dropped if the
  // endpoint closes first). `f` must not block.
  void After(std::chrono::milliseconds delay, std::function<void()> f);
  void RunTimers();
  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>>
      timers_;
  bool timer_stop_ = false;
  std::thread timer_;  // started by the first After()
};

}  // namespace wfs::mcp

#endif  // WFSTORE_MCP_HTTP_ENDPOINT_H_
