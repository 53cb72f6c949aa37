#include "mcp/http_endpoint.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

#include "base/random.h"
#include "base/thread.h"
#include "base/strings.h"
#include "mcp/http_fields.h"
#include "mcp/jsonrpc.h"
#include "transport/sse.h"

namespace wfs::mcp {

using transport::HttpHeaders;
using transport::HttpRequest;
using transport::HttpResponder;
using transport::HttpResponse;

namespace {

constexpr char kSessionHeader[] = "Mcp-Session-Id";
constexpr char kVersionHeader[] = "MCP-Protocol-Version";
constexpr char kMetadataPath[] = "/.well-known/oauth-protected-resource";
// The first revision with resumable streams (priming events, Last-Event-ID).
constexpr char kResumableSince[] = "2025-11-25";

void RespondJson(HttpResponder& r, int status, const Json& body,
                 HttpHeaders headers = {}) {
  headers.Set("Content-Type", "application/json");
  r.Respond({status, std::move(headers), CanonicalJson(body)}).IgnoreError();
}

// A stateless request's answer: 400 for an error the transport names
// (MissingRequiredClientCapability), else 200.
int StatelessStatus(const Json& reply) {
  auto e = reply.find("error");
  if (e != reply.end() && e->is_object() &&
      e->value("code", 0) == kMissingClientCapability) {
    return 400;
  }
  return 200;
}

void RespondRpcError(HttpResponder& r, int status, int code,
                     std::string_view message, const Json& id = nullptr) {
  RespondJson(r, status, MakeError(id, code, message));
}

// Whether the request's Accept field admits `type`.
bool Accepts(const HttpRequest& req, std::string_view type) {
  return AcceptsType(req.headers.Get("Accept"), type);
}

// The first revision without sessions: a POST without Mcp-Session-Id whose
// body names its revision in params._meta, or whose MCP-Protocol-Version is
// this one or later, is a stateless request.
constexpr char kStatelessSince[] = "2026-07-28";

bool IsStatelessPost(const HttpRequest& req, const Message& m) {
  if (req.headers.Has(kSessionHeader)) return false;
  if (MetaRevision(m) != nullptr) return true;  // a request or notification
  const std::string* v = req.headers.Find(kVersionHeader);
  return m.method != "initialize" && v != nullptr &&
         *v >= std::string_view(kStatelessSince);
}

// What a stateless request's headers must mirror (2026-07-28 Streamable
// HTTP, "Request Metadata"): MCP-Protocol-Version the revision in _meta,
// Mcp-Method the method, Mcp-Name the tool's or prompt's name, the
// resource's URI or the task's id (plain, or in the Base64 sentinel form).
// Empty when they do; else what is wrong, for a HeaderMismatch error.
std::string HeaderMismatch(const HttpRequest& req, const Message& m) {
  // One field each: with two, an intermediary may read another than the
  // server does.
  for (const char* name : {kVersionHeader, "Mcp-Method", "Mcp-Name"}) {
    if (req.headers.Count(name) > 1) {
      return StrCat(name, " header appears more than once");
    }
  }
  const std::string* version = req.headers.Find(kVersionHeader);
  const Json* revision = MetaRevision(m);
  std::string in_body = revision != nullptr && revision->is_string()
                            ? revision->get<std::string>()
                            : std::string();
  if (version == nullptr) return StrCat(kVersionHeader, " header is missing");
  if (*version != in_body) {
    return StrCat(kVersionHeader, " header ", Quote(*version),
                  " does not match the body's ", Quote(in_body));
  }
  const std::string* method = req.headers.Find("Mcp-Method");
  if (method == nullptr) return "Mcp-Method header is missing";
  if (*method != m.method) {
    return StrCat("Mcp-Method header ", Quote(*method),
                  " does not match the body's ", Quote(m.method));
  }
  const char* field = m.method == "resources/read" ? "uri"
                      : m.method == "tools/call" || m.method == "prompts/get"
                          ? "name"
                      : m.method == "tasks/get" || m.method == "tasks/update" ||
                              m.method == "tasks/cancel"
                          ? "taskId"
                          : nullptr;
  if (field == nullptr) return "";
  const std::string* name = req.headers.Find("Mcp-Name");
  if (name == nullptr) return "Mcp-Name header is missing";
  std::optional<std::string> decoded = DecodeMirroredValue(*name);
  if (!decoded) {
    return "Mcp-Name header is neither plain ASCII nor =?base64?...?=";
  }
  const Json& body = m.params.value(field, Json());
  if (!body.is_string() || body.get<std::string>() != *decoded) {
    return StrCat("Mcp-Name header ", Quote(*decoded),
                  " does not match the body's params.", field);
  }
  return "";
}

}  // namespace

// Sends JSON-RPC messages as SSE events on one response stream. A
// resumable stream (a client of 2025-11-25 or later) numbers its events
// "<stream>.<seq>", opens with a priming event (an id, a retry field, no
// data) and keeps what it sent, so that a client whose connection closed
// (the network, or the server ending the connection to be polled) resumes
// with GET and Last-Event-ID, gets what it missed and then the rest.
class HttpEndpoint::StreamChannel
    : public ClientChannel,
      public std::enable_shared_from_this<StreamChannel> {
 public:
  // `number` 0: not resumable (no ids kept, the connection is the stream).
  // `kept`: the bytes kept by every stream of the endpoint.
  StreamChannel(HttpResponder responder, int64_t number,
                const HttpEndpointOptions& options,
                KeptBytes* kept, const Clock* clock)
      : number_(number),
        retry_ms_(options.sse_retry.count()),
        grace_us_(static_cast<int64_t>(options.resume_grace.count()) * 1000),
        clock_(clock),
        max_kept_bytes_(options.max_resume_bytes),
        max_kept_total_(static_cast<int64_t>(options.max_resume_bytes_total)),
        budget_(kept) {
    responder_.emplace(std::move(responder));
  }
  ~StreamChannel() override {
    std::lock_guard<std::mutex> lock(mu_);
    DropKeptLocked();
  }

  int64_t number() const { return number_; }
  bool resumable() const { return number_ > 0; }

  // Starts the stream. `defer_head` (a stream that is not resumable and
  // whose client need not see it open, i.e. a call's): the head waits for
  // the first event, and a stream whose only event is its last goes out as
  // one whole response (Finish), so a call that sends nothing before its
  // answer costs the connection one write, as a JSON answer does.
  Status Start(bool defer_head = false) {
    std::lock_guard<std::mutex> lock(mu_);
    if (defer_head && !resumable()) {
      // Even for a client gone (or only half-closed, which may still read):
      // the call's cancellation, not a missing answer, takes care of it.
      head_deferred_ = true;
      started_ = true;
      return Status::Ok();
    }
    std::string priming;
    if (resumable()) {
      transport::SseEvent e;
      e.id = IdOf(0);
      e.retry_ms = retry_ms_;
      priming = transport::FormatSseEvent(e);
    }
    WFS_RETURN_IF_ERROR(responder_->StartStream(
        200, transport::SseResponseHeaders(), priming));
    started_ = true;
    return Status::Ok();
  }

  Status Send(const Json& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    return SendLocked(message);
  }

  // Sends `message`, the stream's last event, and ends the stream. With
  // nothing sent yet, a `status` other than 200 answers with `message` as
  // JSON under that status instead (an error the transport names).
  void Finish(const Json& message, int status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    if (head_deferred_ && responder_) {
      // Nothing sent yet: the whole stream in one response.
      head_deferred_ = false;
      EndedLocked();
      if (status != 200) {
        RespondJson(*responder_, status, message);
      } else {
        responder_
            ->Respond(
                {200, transport::SseResponseHeaders(), FormatEvent(message)})
            .IgnoreError();
      }
      responder_.reset();
      return;
    }
    // The last event and the end in one piece.
    std::string text = FormatEvent(message);
    if (resumable()) Keep(text);
    EndedLocked();
    if (responder_) {
      if (SendHeadLocked().ok()) responder_->End(text).IgnoreError();
      responder_.reset();
    }
  }

  // The last event: the stream is over (a kept stream stays resumable
  // until its events are dropped).
  void End() {
    std::lock_guard<std::mutex> lock(mu_);
    EndLocked();
  }

  // Ends the connection but not the stream: the client reconnects after the
  // retry interval its priming event gave, and resumes. False when the
  // stream is not resumable.
  bool CloseConnection() override {
    std::function<void()> detached;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!resumable()) return false;
      if (responder_) {
        responder_->End().IgnoreError();
        responder_.reset();
      }
      detached = on_detach_;
    }
    if (detached) detached();
    return true;
  }

  // Continues the stream on a new connection after event `after` (the
  // client's Last-Event-ID): what was sent since is sent again, then the
  // rest as it comes. A connection still attached is ended (the client's
  // reconnection says it is dead). Answers the new connection itself when
  // the events are no longer kept.
  void Resume(HttpResponder responder, int64_t after) {
    std::lock_guard<std::mutex> lock(mu_);
    bool expired = ExpiredLocked(clock_->NowMicros());
    if (expired) DropKeptLocked();
    if (expired || !started_ || after + 1 < first_kept_ || after > seq_) {
      RespondRpcError(responder, 400, kInvalidRequest,
                      StrCat("the events after ", IdOf(after),
                             " are no longer kept; start the request again"));
      return;
    }
    if (responder_) responder_->End().IgnoreError();
    responder_.emplace(std::move(responder));
    if (!responder_->StartStream(200, transport::SseResponseHeaders()).ok()) {
      responder_.reset();
      return;
    }
    for (const auto& [seq, text] : kept_) {
      if (seq > after) responder_->Write(text).IgnoreError();
    }
    if (ended_) {
      responder_->End().IgnoreError();
      responder_.reset();
    } else if (on_detach_) {
      responder_->OnClientGone(on_detach_);
    }
  }

  // Runs `f` whenever the client's connection goes away while the stream
  // goes on (a lost connection, CloseConnection); for a stream that is not
  // resumable, once, when its only connection goes.
  void OnDetach(std::function<void()> f) {
    std::lock_guard<std::mutex> lock(mu_);
    on_detach_ = f;
    if (responder_) responder_->OnClientGone(std::move(f));
  }

  // Whether the stream has ended, and whether it ended a resume grace or
  // more before `now_us` (its events are no longer kept for a client that
  // missed its end).
  struct EndState {
    bool ended = false;
    bool expired = false;
  };
  EndState State(int64_t now_us) const {
    std::lock_guard<std::mutex> lock(mu_);
    return {ended_, ExpiredLocked(now_us)};
  }

  // Whether the client's connection is gone (or none is attached).
  bool gone() const {
    std::lock_guard<std::mutex> lock(mu_);
    return !responder_ || responder_->client_gone();
  }
  bool ended() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_;
  }

 private:
  // The stream has ended: its kept events move to the ended streams'
  // budget, or go when that is full.
  void EndedLocked() {
    ended_ = true;
    ended_at_us_ = clock_->NowMicros();
    if (!resumable() || kept_as_ended_ || kept_bytes_ == 0) return;
    int64_t bytes = static_cast<int64_t>(kept_bytes_);
    if (budget_->ended.load() + bytes > max_kept_total_) {
      DropKeptLocked();
      return;
    }
    budget_->live.fetch_sub(bytes);
    budget_->ended.fetch_add(bytes);
    kept_as_ended_ = true;
  }

  bool ExpiredLocked(int64_t now_us) const {
    return ended_ && now_us - ended_at_us_ >= grace_us_;
  }

  std::string IdOf(int64_t seq) const {
    return FormatEventId({number_, seq});
  }

  std::string FormatEvent(const Json& message) {
    transport::SseEvent e;
    e.id = resumable() ? IdOf(++seq_) : std::to_string(++seq_);
    e.event = "message";
    e.data = CanonicalJson(message);
    return transport::FormatSseEvent(e);
  }

  // Sends the head now when it was deferred.
  Status SendHeadLocked() {
    if (!head_deferred_) return Status::Ok();
    head_deferred_ = false;
    return responder_->StartStream(200, transport::SseResponseHeaders());
  }

  Status SendLocked(const Json& message) {
    if (ended_) return Unavailable("the stream has ended");
    std::string text = FormatEvent(message);
    if (resumable()) Keep(text);
    if (!responder_) {
      // Detached: kept for the client's return (a stream that cannot be
      // resumed is never detached before its end).
      return resumable() ? Status::Ok()
                         : Unavailable("the client's connection is closed");
    }
    // A client gone but only half-closed still reads what is written; one
    // whose connection is closed makes the write fail (kCancelled).
    Status s = SendHeadLocked();
    if (s.ok()) s = responder_->Write(text);
    return resumable() ? Status::Ok() : s;
  }

  void EndLocked() {
    if (ended_) return;
    EndedLocked();
    if (responder_) {
      if (SendHeadLocked().ok()) responder_->End().IgnoreError();
      responder_.reset();
    }
  }

  // Keeps an event for resumption, within this stream's and the endpoint's
  // budgets; when it does not fit, the events kept so far go too (a
  // resumption from before this one is refused; later ones still work).
  void Keep(const std::string& text) {
    int64_t size = static_cast<int64_t>(text.size());
    while (!kept_.empty() && kept_bytes_ + text.size() > max_kept_bytes_) {
      kept_bytes_ -= kept_.front().second.size();
      budget_->live.fetch_sub(
          static_cast<int64_t>(kept_.front().second.size()));
      kept_.pop_front();
      first_kept_ = kept_.empty() ? seq_ : kept_.front().first;
    }
    if (text.size() > max_kept_bytes_ ||
        budget_->live.load() + size > max_kept_total_) {
      DropKeptLocked();
      return;
    }
    kept_.emplace_back(seq_, text);
    kept_bytes_ += text.size();
    budget_->live.fetch_add(size);
  }

  void DropKeptLocked() {
    (kept_as_ended_ ? budget_->ended : budget_->live)
        .fetch_sub(static_cast<int64_t>(kept_bytes_));
    kept_.clear();
    kept_bytes_ = 0;
    first_kept_ = seq_ + 1;
  }

  const int64_t number_;
  const int64_t retry_ms_;
  const int64_t grace_us_;
  const Clock* const clock_;
  const size_t max_kept_bytes_;
  const int64_t max_kept_total_;
  KeptBytes* const budget_;      // the endpoint's kept bytes
  bool kept_as_ended_ = false;  // kept_bytes_ count in budget_->ended
  mutable std::mutex mu_;
  std::optional<HttpResponder> responder_;  // the connection, when attached
  std::function<void()> on_detach_;
  int64_t seq_ = 0;
  bool started_ = false;
  bool head_deferred_ = false;  // Start(defer_head): no head sent yet
  bool ended_ = false;
  int64_t ended_at_us_ = 0;
  // Events sent, for resumption: (seq, formatted event), oldest first.
  std::deque<std::pair<int64_t, std::string>> kept_;
  size_t kept_bytes_ = 0;
  int64_t first_kept_ = 1;  // the oldest seq a resumption can start from
};

// A session, its standalone (GET) stream, and its resumable streams. As a
// channel, it is where messages the server sends on its own go (a list
// changed): the standalone stream the client opened; the transport allows
// them nowhere else, so without one they are dropped. A resumable stream
// whose connection dropped keeps them for the client's return
// (Last-Event-ID); one that is not resumable refuses them.
struct HttpEndpoint::Entry : public ClientChannel {
  explicit Entry(std::shared_ptr<Session> s) : session(std::move(s)) {}
  std::shared_ptr<Session> session;
  std::mutex mu;
  std::shared_ptr<StreamChannel> standalone;  // the GET stream, when open

  Status Send(const Json& message) override {
    std::shared_ptr<StreamChannel> s;
    {
      std::lock_guard<std::mutex> lock(mu);
      s = standalone;
    }
    if (s == nullptr) return Unavailable("the session has no stream (GET)");
    return s->Send(message);
  }
  int64_t next_stream = 1;
  // Resumable streams by number: live ones, and the most recent ended ones
  // (a client may come back for a response it missed).
  std::map<int64_t, std::shared_ptr<StreamChannel>> streams;

  // A new stream for `responder`: resumable when the session's revision
  // knows resumption. Call with mu held.
  std::shared_ptr<StreamChannel> NewStreamLocked(
      HttpResponder responder, const HttpEndpointOptions& options,
      KeptBytes* kept, const Clock* clock) {
    if (session->protocol_version() < std::string_view(kResumableSince)) {
      return std::make_shared<StreamChannel>(std::move(responder), 0, options,
                                             kept, clock);
    }
    auto s = std::make_shared<StreamChannel>(
        std::move(responder), next_stream++, options, kept, clock);
    streams[s->number()] = s;
    // Once the session holds twice the ended streams it keeps: one walk per
    // kept_streams new streams, not per stream.
    if (streams.size() >= 2 * options.kept_streams + 1) {
      PruneLocked(clock->NowMicros(), options.kept_streams);
    }
    return s;
  }

  // Forgets (with their kept events) the streams that ended a resume grace
  // ago, and the ended ones older than the `keep` most recent. Call with mu
  // held.
  void PruneLocked(int64_t now_us, size_t keep) {
    size_t ended = 0;
    for (auto it = streams.rbegin(); it != streams.rend();) {
      StreamChannel::EndState st = it->second->State(now_us);
      if (st.ended) ++ended;
      if (st.expired || (st.ended && ended > keep)) {
        it = std::make_reverse_iterator(streams.erase(std::next(it).base()));
      } else {
        ++it;
      }
    }
  }
};

HttpEndpoint::HttpEndpoint(Engine* engine, HttpEndpointOptions options)
    : engine_(engine),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_) {}

HttpEndpoint::~HttpEndpoint() {
  CloseAll();
  {
    std::unique_lock<std::mutex> lock(mu_);
    calls_cv_.wait(lock, [&] { return calls_ == 0; });
  }
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    timer_stop_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
}

void HttpEndpoint::After(std::chrono::milliseconds delay,
                         std::function<void()> f) {
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    if (timer_stop_) return;
    if (!timer_.joinable()) timer_ = std::thread([this] { RunTimers(); });
    auto it = timers_.emplace(std::chrono::steady_clock::now() + delay,
                              std::move(f));
    // The timer thread sleeps until the first deadline: only a new first
    // one changes that.
    if (it != timers_.begin()) return;
  }
  timer_cv_.notify_one();
}

void HttpEndpoint::RunTimers() {
  NameThisThread("wfs-mcp-timer");
  // Started by whichever thread first needed a timer, maybe a worker (a
  // throughput thread): a timer fires on time.
  ClearThisThreadThroughput();
  std::unique_lock<std::mutex> lock(timer_mu_);
  while (!timer_stop_) {
    if (timers_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    auto first = timers_.begin();
    if (std::chrono::steady_clock::now() < first->first) {
      timer_cv_.wait_until(lock, first->first);
      continue;
    }
    std::function<void()> f = std::move(first->second);
    timers_.erase(first);
    lock.unlock();
    f();
    lock.lock();
  }
}

size_t HttpEndpoint::session_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

void HttpEndpoint::SetResourceUrl(std::string url) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.resource_url = std::move(url);
}

void HttpEndpoint::CloseAll() {
  std::map<std::string, std::shared_ptr<Entry>> all;
  std::vector<std::shared_ptr<Session>> stateless;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all.swap(sessions_);
    closing_ = true;
    for (auto& [raw, s] : stateless_) stateless.push_back(s);
  }
  for (auto& [id, e] : all) EndEntry(*e);
  // Stateless calls in flight end too, and subscriptions with their result.
  for (auto& s : stateless) s->Close();
  std::vector<std::pair<int64_t, Listening>> listening;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [n, l] : listens_) listening.emplace_back(n, l);
  }
  for (auto& [n, l] : listening) {
    Json end = engine_->SubscriptionEnd(l.id);
    EndListen(n, &end);
  }
}

void HttpEndpoint::EndEntry(Entry& e) {
  engine_->EndSession(e.session.get());
  std::shared_ptr<StreamChannel> s;
  {
    std::lock_guard<std::mutex> lock(e.mu);
    s = std::move(e.standalone);
  }
  if (s) s->End();
}

void HttpEndpoint::CallDone() {
  std::lock_guard<std::mutex> lock(mu_);
  --calls_;
  calls_cv_.notify_all();
}

bool HttpEndpoint::HostAllowed(const HttpRequest& req) const {
  if (!options_.check_host) return true;
  std::string_view host = Trim(req.headers.Get("Host"));
  if (IsLoopbackHost(host)) return true;
  for (const std::string& h : options_.allowed_hosts) {
    if (transport::EqualsIgnoreCase(h, host)) return true;
  }
  return false;
}

bool HttpEndpoint::OriginAllowed(const HttpRequest& req) const {
  const std::string* origin = req.headers.Find("Origin");
  if (origin == nullptr) return true;  // not a browser
  if (IsLoopbackOrigin(*origin)) return true;
  for (const std::string& o : options_.allowed_origins) {
    if (o == *origin) return true;
  }
  return false;
}

void HttpEndpoint::RespondMetadata(HttpResponder& responder) {
  std::string url;
  {
    std::lock_guard<std::mutex> lock(mu_);
    url = options_.resource_url;
  }
  Json j = {{"resource", url},
            {"resource_name", "wfstore"},
            {"bearer_methods_supported", Json::array({"header"})},
            {"scopes_supported", Json::array({"find", "run"})},
            {"authorization_servers", Json::array()}};
  RespondJson(responder, 200, j);
}

void HttpEndpoint::Handle(HttpRequest req, HttpResponder responder) {
  if (StartsWith(req.path, kMetadataPath)) {
    if (req.method != "GET" && req.method != "HEAD") {
      responder.Respond({405, {{"Allow", "GET"}}, ""}).IgnoreError();
      return;
    }
    RespondMetadata(responder);
    return;
  }
  if (req.path != options_.path) {
    responder
        .Respond(
            {404,
             {{"Content-Type", "text/plain"}},
             StrCat("not found; the MCP endpoint is ", options_.path, "\n")})
        .IgnoreError();
    return;
  }
  if (!HostAllowed(req)) {
    RespondRpcError(responder, 403, kInvalidRequest,
                    "Host not allowed: this server answers only to a "
                    "loopback name (localhost, 127.0.0.1, [::1])");
    return;
  }
  if (!OriginAllowed(req)) {
    RespondRpcError(responder, 403, kInvalidRequest,
                    "origin not allowed (start the server with "
                    "--allow-origin to admit it)");
    return;
  }
  Principal caller = options_.anonymous;
  if (options_.auth != nullptr) {
    std::string_view token = BearerToken(req.headers.Get("Authorization"));
    Result<Principal> p =
        token.empty()
            ? Result<Principal>(Unauthenticated("a bearer token is required"))
            : options_.auth->Authenticate(token);
    if (!p.ok()) {
      std::string base;
      {
        std::lock_guard<std::mutex> lock(mu_);
        base = options_.resource_url;
      }
      size_t scheme = base.find("://");
      size_t slash =
          base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
      if (slash != std::string::npos) base.resize(slash);
      HttpHeaders h;
      h.Set("WWW-Authenticate",
            StrCat("Bearer realm=\"wfstore\", resource_metadata=\"", base,
                   kMetadataPath, "\"",
                   token.empty() ? "" : ", error=\"invalid_token\""));
      RespondJson(responder, 401,
                  MakeError(nullptr, kForbidden,
                            StrCat(p.status().message(),
                                   " (create one with `wfstore token "
                                   "create`)")),
                  std::move(h));
      return;
    }
    caller = std::move(*p);
  }
  ExpireIdle();
  if (req.method == "POST") {
    HandlePost(req, responder, caller);
  } else if (req.method == "GET") {
    HandleGet(req, responder, caller);
  } else if (req.method == "DELETE") {
    HandleDelete(req, responder, caller);
  } else {
    responder.Respond({405, {{"Allow", "GET, POST, DELETE"}}, ""})
        .IgnoreError();
  }
}

std::shared_ptr<HttpEndpoint::Entry> HttpEndpoint::FindSession(
    const HttpRequest& req, HttpResponder& responder, const Principal& caller) {
  const std::string* id = req.headers.Find(kSessionHeader);
  if (id == nullptr) {
    RespondRpcError(
        responder, 400, kInvalidRequest,
        StrCat("missing ", kSessionHeader, " header: send initialize first"));
    return nullptr;
  }
  std::shared_ptr<Entry> e;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(*id);
    if (it != sessions_.end()) e = it->second;
  }
  // A session belongs to the caller that made it; to anyone else it does
  // not exist.
  if (e == nullptr || e->session->principal().agent != caller.agent) {
    RespondRpcError(responder, 404, kInvalidRequest,
                    "session not found or expired: initialize a new one");
    return nullptr;
  }
  // The header names the revision the client speaks: one this server does
  // not serve is refused (the client should send the negotiated one; the
  // transport rule is only that an invalid or unsupported value is a 400).
  const std::string* v = req.headers.Find(kVersionHeader);
  if (v != nullptr && !IsSupportedProtocolVersion(*v)) {
    RespondRpcError(
        responder, 400, kInvalidRequest,
        StrCat("unsupported ", kVersionHeader, " ", Quote(*v),
               "; this session uses ", e->session->protocol_version()));
    return nullptr;
  }
  e->session->Touch(clock_->NowMicros());
  return e;
}

void HttpEndpoint::HandlePost(HttpRequest& req, HttpResponder& responder,
                              const Principal& caller) {
  std::string_view ctype = req.headers.Get("Content-Type");
  if (!StartsWith(ToLower(ctype), "application/json")) {
    RespondRpcError(responder, 415, kInvalidRequest,
                    "Content-Type must be application/json");
    return;
  }
  if (!Accepts(req, "application/json") ||
      (!options_.json_only && !Accepts(req, "text/event-stream"))) {
    RespondRpcError(responder, 406, kInvalidRequest,
                    "Accept must list application/json and "
                    "text/event-stream");
    return;
  }
  Parsed p = ParseMessageText(req.body);
  if (!p.ok) {
    RespondJson(responder, 400, MakeError(p.failure));
    return;
  }
  Message& m = p.message;
  if (IsStatelessPost(req, m)) {
    HandleStatelessPost(req, responder, caller, m);
    return;
  }
  if (m.is_request() && m.method == "initialize") {
    if (req.headers.Has(kSessionHeader)) {
      RespondRpcError(responder, 400, kInvalidRequest,
                      "initialize starts a new session: send it without "
                      "Mcp-Session-Id",
                      m.id);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (sessions_.size() >= options_.max_sessions) {
        RespondRpcError(responder, 503, kUnavailable,
                        "too many sessions; try again later", m.id);
        return;
      }
    }
    auto session = std::make_shared<Session>(SecureRandomHex(16), caller);
    session->Touch(clock_->NowMicros());
    Json reply = engine_->HandleParsed(*session, m, nullptr);
    HttpHeaders h;
    if (reply.contains("result")) {
      auto entry = std::make_shared<Entry>(session);
      engine_->Listen(session.get(), entry.get());
      std::lock_guard<std::mutex> lock(mu_);
      sessions_[session->id()] = std::move(entry);
      h.Set(kSessionHeader, session->id());
    }
    RespondJson(responder, 200, reply, std::move(h));
    return;
  }
  std::shared_ptr<Entry> e = FindSession(req, responder, caller);
  if (e == nullptr) return;
  Session& session = *e->session;
  if (!m.is_request()) {
    engine_->HandleParsed(session, m, nullptr);
    responder.Respond({202, {}, ""}).IgnoreError();
    return;
  }
  if (!ScopeAllows(m, caller, responder)) return;
  if (!Engine::IsStreamingMethod(m.method)) {
    RespondJson(responder, 200, engine_->HandleParsed(session, m, nullptr));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (calls_ >= options_.max_calls) {
      RespondRpcError(responder, 503, kUnavailable,
                      "too many calls in flight; try again later", m.id);
      return;
    }
    ++calls_;
  }
  // A client that goes away cancels its call.
  std::weak_ptr<Session> weak = e->session;
  auto cancel_on_gone = [weak, id = m.id] {
    if (auto s = weak.lock()) s->CancelRequest(id);
  };
  // The call runs here, on the HTTP server's worker: when it blocks (a
  // person to answer), the server adds workers for other requests.
  if (options_.json_only) {
    responder.OnClientGone(cancel_on_gone);
    RespondJson(responder, 200, engine_->HandleParsed(*e->session, m, nullptr));
    CallDone();
    return;
  }
  // Answer on an SSE stream, where progress, log messages and elicitation
  // requests travel before the response.
  std::shared_ptr<StreamChannel> channel;
  {
    std::lock_guard<std::mutex> lock(e->mu);
    channel = e->NewStreamLocked(std::move(responder), options_, &kept_, clock_);
  }
  if (!channel->Start(/*defer_head=*/true).ok()) {
    channel->End();
    CallDone();
    return;
  }
  // A lost connection cancels the call at once when the stream cannot be
  // resumed; otherwise when the client has not come back for it within
  // resume_grace (a client cancels with notifications/cancelled).
  if (!channel->resumable()) {
    channel->OnDetach(cancel_on_gone);
  } else {
    std::weak_ptr<StreamChannel> weak_channel = channel;
    channel->OnDetach([this, weak_channel, cancel_on_gone] {
      After(options_.resume_grace, [weak_channel, cancel_on_gone] {
        auto c = weak_channel.lock();
        if (c != nullptr && c->gone() && !c->ended()) cancel_on_gone();
      });
    });
  }
  Json reply = engine_->HandleParsed(*e->session, m, channel.get());
  // A resumable stream's events stay a resume grace for a client that
  // missed the end; ExpireIdle and the session's next stream free them.
  channel->Finish(reply);
  CallDone();
}

bool HttpEndpoint::ScopeAllows(const Message& m, const Principal& caller,
                               HttpResponder& responder) {
  if (!options_.scope) return true;
  std::string need = options_.scope(m);
  bool ok = need.empty() || (need == "find" && caller.grants.find) ||
            (need == "run" && caller.grants.run);
  if (ok) return true;
  HttpHeaders h;
  h.Set("WWW-Authenticate",
        StrCat("Bearer error=\"insufficient_scope\", scope=\"", need, "\""));
  RespondJson(responder, 403,
              MakeError(m.id, kForbidden,
                        StrCat("this token lacks the ", Quote(need), " scope")),
              std::move(h));
  return false;
}

void HttpEndpoint::HandleStatelessPost(HttpRequest& req,
                                       HttpResponder& responder,
                                       const Principal& caller,
                                       const Message& m) {
  if (!m.is_request()) {
    // Nothing for a notification to act on without a session (a stateless
    // client cancels by closing the call's stream).
    responder.Respond({202, {}, ""}).IgnoreError();
    return;
  }
  // The headers first (a body that names its revision must agree with
  // them, whatever the revision or method), then the body's own checks.
  if (IsStatelessRequest(m)) {
    std::string mismatch = HeaderMismatch(req, m);
    if (mismatch.empty() && m.method == "tools/call") {
      // The tool's own parameters mirrored into Mcp-Param-* fields.
      Json schema = engine_->ToolInputSchema(
          caller, m.params.value("name", std::string()));
      if (!schema.is_null()) {
        mismatch =
            MirroredParamMismatch(MirroredParams(schema), req.headers,
                                  m.params.value("arguments", Json::object()));
      }
    }
    if (!mismatch.empty()) {
      RespondJson(responder, 400,
                  MakeError(m.id, kHeaderMismatch,
                            StrCat("Header mismatch: ", mismatch)));
      return;
    }
  }
  Json refused = engine_->CheckStateless(m);
  if (!refused.is_null()) {
    bool unknown = refused["error"].value("code", 0) == kMethodNotFound;
    RespondJson(responder, unknown ? 404 : 400, refused);
    return;
  }
  if (!ScopeAllows(m, caller, responder)) return;
  // The request's own session: the caller, and the call in flight for
  // cancellation. It ends with the request, dropping what the tools kept
  // for it.
  auto session = std::make_shared<Session>(
      StrCat("stateless-", next_stateless_.fetch_add(1)), caller);
  if (m.method == "subscriptions/listen") {
    OpenListen(responder, session, m);
    return;
  }
  if (!Engine::IsStreamingMethod(m.method)) {
    Json reply = engine_->HandleParsed(*session, m, nullptr);
    RespondJson(responder, StatelessStatus(reply), reply);
    engine_->EndSession(session.get());
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) {
      RespondRpcError(responder, 503, kUnavailable, "the server is stopping",
                      m.id);
      return;
    }
    if (calls_ >= options_.max_calls) {
      RespondRpcError(responder, 503, kUnavailable,
                      "too many calls in flight; try again later", m.id);
      return;
    }
    ++calls_;
    stateless_[session.get()] = session;
  }
  // Closing the call's stream cancels it.
  std::weak_ptr<Session> weak = session;
  auto cancel_on_gone = [weak, id = m.id] {
    if (auto s = weak.lock()) s->CancelRequest(id);
  };
  if (options_.json_only) {
    responder.OnClientGone(cancel_on_gone);
    Json reply = engine_->HandleParsed(*session, m, nullptr);
    RespondJson(responder, StatelessStatus(reply), reply);
  } else {
    // Progress and log messages travel on the stream before the answer;
    // 2026-07-28 streams are not resumable.
    auto channel = std::make_shared<StreamChannel>(std::move(responder), 0,
                                                   options_, &kept_, clock_);
    if (channel->Start(/*defer_head=*/true).ok()) {
      channel->OnDetach(cancel_on_gone);
      Json reply = engine_->HandleParsed(*session, m, channel.get());
      channel->Finish(reply, StatelessStatus(reply));
    } else {
      channel->End();
    }
  }
  engine_->EndSession(session.get());
  {
    std::lock_guard<std::mutex> lock(mu_);
    stateless_.erase(session.get());
  }
  CallDone();
}

void HttpEndpoint::OpenListen(HttpResponder& responder,
                              std::shared_ptr<Session> session,
                              const Message& m) {
  const std::string& agent = session->principal().agent;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) {
      RespondRpcError(responder, 503, kUnavailable, "the server is stopping",
                      m.id);
      return;
    }
    if (listens_.size() >= options_.max_listens ||
        listens_by_agent_[agent] >= options_.max_listens_per_agent) {
      RespondRpcError(
          responder, 503, kUnavailable,
          StrCat("too many subscriptions open (",
                 options_.max_listens_per_agent,
                 " per agent); close one (subscriptions/listen) first"),
          m.id);
      return;
    }
    ++listens_by_agent_[agent];  // held while the subscription opens
  }
  if (options_.json_only) {
    // Refused (the engine says why): a subscription needs a stream.
    RespondJson(
        responder, 200,
        StatusError(m.id,
                    engine_->OpenSubscription(*session, m, nullptr).status()));
    ReleaseListenPlace(agent);
    return;
  }
  // The stream stays open after this returns: no worker waits on it. It
  // ends when the client closes it or the server stops (with the
  // subscription's result).
  auto channel = std::make_shared<StreamChannel>(std::move(responder), 0,
                                                 options_, &kept_, clock_);
  if (!channel->Start(/*defer_head=*/true).ok()) {
    channel->End();
    ReleaseListenPlace(agent);
    return;
  }
  Result<int64_t> number =
      engine_->OpenSubscription(*session, m, channel.get());
  if (!number.ok()) {
    channel->Finish(StatusError(m.id, number.status()));
    ReleaseListenPlace(agent);
    return;
  }
  bool closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing = closing_;
    listens_[*number] = Listening{session, channel, m.id};
  }
  if (closing) {
    // The server began to stop while it opened (CloseAll did not see it).
    Json end = engine_->SubscriptionEnd(m.id);
    EndListen(*number, &end);
    return;
  }
  // The client's leaving is heard on the event loop (or at once, under the
  // stream's lock): the subscription is ended from the timer thread.
  channel->OnDetach([this, n = *number] {
    After(std::chrono::milliseconds(0), [this, n] { EndListen(n); });
  });
  if (channel->gone()) EndListen(*number);
}

void HttpEndpoint::ReleaseListenPlace(const std::string& agent) {
  std::lock_guard<std::mutex> lock(mu_);
  ReleaseListenPlaceLocked(agent);
}

void HttpEndpoint::ReleaseListenPlaceLocked(const std::string& agent) {
  auto a = listens_by_agent_.find(agent);
  if (a != listens_by_agent_.end() && --a->second <= 0) {
    listens_by_agent_.erase(a);
  }
}

void HttpEndpoint::EndListen(int64_t number, const Json* end) {
  Listening l;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = listens_.find(number);
    if (it == listens_.end()) return;  // already ended
    l = std::move(it->second);
    listens_.erase(it);
    ReleaseListenPlaceLocked(l.session->principal().agent);
  }
  engine_->CloseSubscription(number);
  if (end != nullptr) {
    l.channel->Finish(*end);
  } else {
    l.channel->End();
  }
}

void HttpEndpoint::HandleGet(HttpRequest& req, HttpResponder& responder,
                             const Principal& caller) {
  if (!Accepts(req, "text/event-stream")) {
    responder
        .Respond({406,
                  {{"Content-Type", "text/plain"}},
                  "GET opens an event stream: Accept must list "
                  "text/event-stream\n"})
        .IgnoreError();
    return;
  }
  std::shared_ptr<Entry> e = FindSession(req, responder, caller);
  if (e == nullptr) return;
  if (const std::string* last = req.headers.Find("Last-Event-ID")) {
    // Resumption: "<stream>.<seq>", as this server numbers events.
    std::optional<EventId> id = ParseEventId(*last);
    std::shared_ptr<StreamChannel> s;
    if (id) {
      std::lock_guard<std::mutex> lock(e->mu);
      auto it = e->streams.find(id->stream);
      if (it != e->streams.end()) s = it->second;
    }
    if (s == nullptr) {
      RespondRpcError(responder, 400, kInvalidRequest,
                      StrCat("Last-Event-ID ", Quote(*last),
                             " names no stream this session can resume"));
      return;
    }
    s->Resume(std::move(responder), id->seq);
    return;
  }
  std::lock_guard<std::mutex> lock(e->mu);
  if (e->standalone != nullptr && !e->standalone->gone()) {
    RespondRpcError(responder, 409, kInvalidRequest,
                    "this session already has an open stream");
    return;
  }
  if (e->standalone != nullptr) e->standalone->End();  // its client left
  auto channel = e->NewStreamLocked(std::move(responder), options_, &kept_, clock_);
  if (!channel->Start().ok()) {
    channel->End();
    return;
  }
  e->standalone = channel;
}

void HttpEndpoint::HandleDelete(HttpRequest& req, HttpResponder& responder,
                                const Principal& caller) {
  std::shared_ptr<Entry> e = FindSession(req, responder, caller);
  if (e == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(e->session->id());
  }
  EndEntry(*e);
  responder.Respond({204, {}, ""}).IgnoreError();
}

void HttpEndpoint::ExpireIdle() {
  int64_t now = clock_->NowMicros();
  // Sessions idle for as long as session_idle (an hour) go; looking once a
  // second is enough, rather than walking every session on every request.
  int64_t last = last_expiry_us_.load(std::memory_order_relaxed);
  if (now >= last && now - last < 1'000'000) return;
  if (!last_expiry_us_.compare_exchange_strong(last, now)) return;
  int64_t idle =
      static_cast<int64_t>(options_.session_idle.count()) * 1'000'000;
  std::vector<std::shared_ptr<Entry>> expired;
  std::vector<std::shared_ptr<Entry>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      Session& s = *it->second->session;
      // Not while its requests or tasks run: ending it would wait for them
      // here, on the thread of whatever request came next.
      if (now - s.last_used_us() > idle && s.requests_in_flight() == 0 &&
          !engine_->TasksRunning(&s)) {
        expired.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        live.push_back(it->second);
        ++it;
      }
    }
  }
  // Ended streams kept past the resume grace go too.
  for (auto& e : live) {
    std::lock_guard<std::mutex> lock(e->mu);
    e->PruneLocked(now, options_.kept_streams);
  }
  for (auto& e : expired) EndEntry(*e);
}

}  // namespace wfs::mcp
