#include "mcp/engine.h"

#include <algorithm>
#include <utility>

#include "base/random.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace wfs::mcp {
namespace {

const char kCursorPrefix[] = "wfs1:";
// The _meta keys of a stateless request (2026-07-28) and of its result.
constexpr char kVersionKey[] = "io.modelcontextprotocol/protocolVersion";
constexpr char kCapabilitiesKey[] =
    "io.modelcontextprotocol/clientCapabilities";
constexpr char kClientInfoKey[] = "io.modelcontextprotocol/clientInfo";
constexpr char kLogLevelKey[] = "io.modelcontextprotocol/logLevel";
constexpr char kServerInfoKey[] = "io.modelcontextprotocol/serverInfo";
constexpr char kSubscriptionKey[] = "io.modelcontextprotocol/subscriptionId";
// Sealed states: "wfs1." hex(payload) "." hex(HMAC-SHA-256 of what precedes).
constexpr char kStatePrefix[] = "wfs1.";

// The results clients may cache (2026-07-28 CacheableResult).
bool IsCacheable(const std::string& method) {
  return method == "tools/list" || method == "resources/list" ||
         method == "resources/templates/list" || method == "prompts/list" ||
         method == "resources/read";
}

Json ToolJson(const Tool& t) {
  Json j = {{"name", t.name},
            {"description", t.description},
            {"inputSchema", t.input_schema}};
  if (!t.title.empty()) j["title"] = t.title;
  if (!t.output_schema.is_null()) j["outputSchema"] = t.output_schema;
  if (!t.annotations.is_null()) j["annotations"] = t.annotations;
  if (!t.task_support.empty()) {
    j["execution"] = {{"taskSupport", t.task_support}};
  }
  return j;
}

Json ResourceJson(const Resource& r) {
  Json j = {{"uri", r.uri}, {"name", r.name}, {"mimeType", r.mime_type}};
  if (!r.title.empty()) j["title"] = r.title;
  if (!r.description.empty()) j["description"] = r.description;
  return j;
}

// One page of `items` from the request's cursor.
template <typename T, typename F>
Result<Json> Page(const std::vector<T>& items, const Json& params,
                  size_t page_size, const char* key, F to_json) {
  WFS_ASSIGN_OR_RETURN(size_t offset, DecodeCursor(params));
  if (offset > items.size()) {
    return InvalidArgument("cursor is past the end of the list");
  }
  Json list = Json::array();
  size_t end = std::min(items.size(), offset + page_size);
  for (size_t i = offset; i < end; ++i) list.push_back(to_json(items[i]));
  Json out = {{key, std::move(list)}};
  if (end < items.size()) out["nextCursor"] = EncodeCursor(end);
  return out;
}

}  // namespace

const std::vector<std::string>& SupportedProtocolVersions() {
  static const std::vector<std::string> kVersions = {"2025-11-25", "2025-06-18",
                                                     "2025-03-26"};
  return kVersions;
}

bool IsSupportedProtocolVersion(const std::string& v) {
  const auto& all = SupportedProtocolVersions();
  return std::find(all.begin(), all.end(), v) != all.end();
}

const std::vector<std::string>& StatelessProtocolVersions() {
  static const std::vector<std::string> kVersions = {"2026-07-28"};
  return kVersions;
}

std::vector<std::string> AllProtocolVersions() {
  std::vector<std::string> all = StatelessProtocolVersions();
  for (const std::string& v : SupportedProtocolVersions()) all.push_back(v);
  return all;
}

bool RequestMeta::CanElicit() const {
  return DeclaresElicitation(client_capabilities);
}

bool RequestMeta::CanSample() const {
  return DeclaresSampling(client_capabilities);
}

bool RequestMeta::CanListRoots() const {
  return DeclaresRoots(client_capabilities);
}

bool RequestMeta::DeclaresExtension(const char* extension) const {
  auto e = client_capabilities.find("extensions");
  if (e == client_capabilities.end() || !e->is_object()) return false;
  auto it = e->find(extension);
  return it != e->end() && it->is_object();
}

Status RequestMeta::RequireExtension(const char* extension) {
  missing_capabilities["extensions"][extension] = Json::object();
  return FailedPrecondition(StrCat("this request needs the extension ",
                                   Quote(extension),
                                   ", which the client did not declare"));
}

const Json* MetaRevision(const Message& m) {
  if (!m.params.is_object()) return nullptr;
  auto meta = m.params.find("_meta");
  if (meta == m.params.end() || !meta->is_object()) return nullptr;
  auto v = meta->find(kVersionKey);
  return v != meta->end() ? &*v : nullptr;
}

bool IsStatelessRequest(const Message& m) {
  return m.is_request() && MetaRevision(m) != nullptr;
}

std::string EncodeCursor(size_t offset) {
  return StrCat(kCursorPrefix, offset);
}

Result<size_t> DecodeCursor(const Json& params) {
  if (!params.is_object() || !params.contains("cursor") ||
      params["cursor"].is_null()) {
    return size_t{0};
  }
  const Json& c = params["cursor"];
  if (!c.is_string()) return InvalidArgument("cursor must be a string");
  std::string s = c.get<std::string>();
  if (!StartsWith(s, kCursorPrefix) || s.size() == sizeof(kCursorPrefix) - 1 ||
      s.size() > sizeof(kCursorPrefix) + 12) {
    return InvalidArgument("invalid cursor");
  }
  size_t n = 0;
  for (size_t i = sizeof(kCursorPrefix) - 1; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return InvalidArgument("invalid cursor");
    n = n * 10 + static_cast<size_t>(s[i] - '0');
  }
  return n;
}

void CallContext::Progress(double progress, double total,
                           const std::string& message) {
  // A task sends nothing: its progress message is its statusMessage.
  if (task_input_ != nullptr) {
    if (!message.empty()) task_input_->Report(message);
    return;
  }
  if (progress_token_.is_null() || channel_ == nullptr) return;
  Json p = {{"progressToken", progress_token_}, {"progress", progress}};
  if (total > 0) p["total"] = total;
  if (!message.empty()) p["message"] = message;
  channel_->Send(MakeNotification("notifications/progress", std::move(p)))
      .IgnoreError();
}

const Json& CallContext::EmptyObject() {
  static const Json kEmpty = Json::object();
  return kEmpty;
}

bool CallContext::CanElicit() const {
  return meta_ != nullptr ? meta_->CanElicit() : session_->CanElicit();
}

bool CallContext::CanSample() const {
  return meta_ != nullptr ? meta_->CanSample() : session_->CanSample();
}

bool CallContext::CanListRoots() const {
  return meta_ != nullptr ? meta_->CanListRoots()
                          : DeclaresRoots(session_->client_capabilities());
}

Status CallContext::RequireCapability(const std::string& capability) {
  if (meta_ != nullptr) {
    meta_->missing_capabilities[capability] = Json::object();
  }
  return FailedPrecondition(StrCat("this request needs the client capability ",
                                   Quote(capability),
                                   ", which the client did not declare"));
}

Status CallContext::RequireExtension(const char* extension) {
  if (meta_ != nullptr) return meta_->RequireExtension(extension);
  return FailedPrecondition(StrCat("this call needs the extension ",
                                   Quote(extension), " of MCP 2026-07-28"));
}

Status CallContext::CheckAnswerable(const Json& requests) {
  Status missing = Status::Ok();
  for (const auto& [key, request] : requests.items()) {
    std::string method =
        request.is_object() ? request.value("method", std::string()) : "";
    const char* needs = nullptr;
    bool declared = false;
    if (method == "elicitation/create") {
      needs = "elicitation";
      declared = CanElicit();
    } else if (method == "sampling/createMessage") {
      needs = "sampling";
      declared = CanSample();
    } else if (method == "roots/list") {
      needs = "roots";
      declared = CanListRoots();
    } else {
      return Internal(StrCat("input request ", Quote(key),
                             " has no method a client answers"));
    }
    if (!declared) missing = RequireCapability(needs);
  }
  return missing;
}

Result<Json> CallContext::Ask(const Json& requests,
                              std::chrono::milliseconds timeout) {
  if (task_input_ == nullptr) {
    return FailedPrecondition("only a task asks for several inputs at once");
  }
  if (!requests.is_object()) return InvalidArgument("requests: an object");
  WFS_RETURN_IF_ERROR(CheckAnswerable(requests));
  return task_input_->Ask(requests, timeout);
}

Result<Json> CallContext::AskOne(const char* method, Json params,
                                 std::chrono::milliseconds timeout) {
  WFS_ASSIGN_OR_RETURN(
      Json all,
      Ask(Json{{"input", {{"method", method}, {"params", std::move(params)}}}},
          timeout));
  return std::move(all["input"]);
}

void CallContext::Log(int level, const std::string& logger, const Json& data) {
  int lowest = meta_ != nullptr ? meta_->log_level : session_->log_level();
  if (channel_ == nullptr || lowest < 0 || level < lowest) return;
  channel_
      ->Send(MakeNotification(
          "notifications/message",
          {{"level", LogLevelName(level)}, {"logger", logger}, {"data", data}}))
      .IgnoreError();
}

Result<Json> CallContext::Request(const std::string& method, Json params,
                                  std::chrono::milliseconds timeout) {
  if (channel_ == nullptr) return Unavailable("no channel to the client");
  Outbound& out = session_->outbound();
  int64_t id = out.Begin();
  Status sent = channel_->Send(MakeRequest(id, method, std::move(params)));
  if (!sent.ok()) {
    out.Forget(id);
    return sent;
  }
  Result<Json> waited = out.Wait(id, timeout, cancelled_.get());
  channel_->Answered(id);
  WFS_ASSIGN_OR_RETURN(Json reply, std::move(waited));
  if (reply.contains("error")) {
    const Json& e = reply["error"];
    std::string why = e.is_object() ? e.value("message", std::string("error"))
                                    : std::string("error");
    return Unavailable(StrCat("the client refused ", method, ": ", why));
  }
  return reply.contains("result") ? reply["result"] : reply;
}

Result<Json> CallContext::Elicit(const std::string& message, const Json& schema,
                                 std::chrono::milliseconds timeout) {
  return Elicit(Json{{"message", message}, {"requestedSchema", schema}},
                timeout);
}

Result<Json> CallContext::Elicit(Json params,
                                 std::chrono::milliseconds timeout) {
  if (task_input_ != nullptr) {
    if (!params.contains("mode")) params["mode"] = "form";
    WFS_ASSIGN_OR_RETURN(
        Json r, AskOne("elicitation/create", std::move(params), timeout));
    if (!r.is_object() || !r.contains("action") || !r["action"].is_string()) {
      return InvalidArgument("elicitation result without an action");
    }
    return r;
  }
  if (meta_ != nullptr) {
    return FailedPrecondition(
        "a stateless call asks the client through input requests");
  }
  if (!session_->CanElicit()) {
    return FailedPrecondition("the client did not declare elicitation");
  }
  if (session_->protocol_version() >= "2025-11-25" &&
      !params.contains("mode")) {
    params["mode"] = "form";
  }
  WFS_ASSIGN_OR_RETURN(
      Json r, Request("elicitation/create", std::move(params), timeout));
  if (!r.is_object() || !r.contains("action") || !r["action"].is_string()) {
    return InvalidArgument("elicitation result without an action");
  }
  return r;
}

Result<Json> CallContext::Sample(Json params,
                                 std::chrono::milliseconds timeout) {
  if (task_input_ != nullptr) {
    WFS_ASSIGN_OR_RETURN(
        Json r, AskOne("sampling/createMessage", std::move(params), timeout));
    if (!r.is_object() || !r.contains("content")) {
      return InvalidArgument("sampling result without content");
    }
    return r;
  }
  if (meta_ != nullptr) {
    return FailedPrecondition(
        "a stateless call asks the client through input requests");
  }
  if (!session_->CanSample()) {
    return FailedPrecondition("the client did not declare sampling");
  }
  WFS_ASSIGN_OR_RETURN(
      Json r, Request("sampling/createMessage", std::move(params), timeout));
  if (!r.is_object() || !r.contains("content")) {
    return InvalidArgument("sampling result without content");
  }
  return r;
}

Engine::Engine(EngineOptions options, ToolProvider* tools)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_),
      tools_(tools),
      features_(tools->Features()) {
  if (options_.state_key.empty()) options_.state_key = SecureRandomHex(32);
  TaskOptions to = options_.tasks;
  if (to.clock == nullptr) to.clock = options_.clock;
  tasks_registry_ = std::make_unique<TaskRegistry>(to);
  task_table_ = std::make_unique<TaskTable>(to);
  // Handlers that need neither the channel nor a stateless request's
  // metadata.
  auto plain = [this](auto fn) {
    return [this, fn](Session& s, const Message& m, ClientChannel*,
                      RequestMeta*) { return fn(this, s, m); };
  };
  methods_["initialize"] = {plain([](Engine* e, Session& s, const Message& m) {
                              return e->Initialize(s, m);
                            }),
                            true, false, Feature::kNone, Era::kSession};
  methods_["server/discover"] = {
      plain([](Engine* e, Session&, const Message&) { return e->Discover(); }),
      true, false, Feature::kNone, Era::kStateless};
  methods_["ping"] = {
      plain([](Engine*, Session&, const Message&) -> Result<Json> {
        return Json::object();
      }),
      true, false, Feature::kNone, Era::kSession};
  methods_["tools/list"] = {
      [this](Session& s, const Message& m, ClientChannel*, RequestMeta* meta) {
        return ListTools(s, m, meta);
      },
      false, false};
  methods_["tools/call"] = {
      [this](Session& s, const Message& m, ClientChannel* c,
             RequestMeta* meta) { return CallTool(s, m, c, meta); },
      false, false};
  methods_["resources/list"] = {
      plain([](Engine* e, Session& s, const Message& m) {
        return e->ListResources(s, m);
      }),
      false, true};
  methods_["resources/templates/list"] = {
      plain([](Engine* e, Session& s, const Message& m) {
        return e->ListResourceTemplates(s, m);
      }),
      false, true};
  methods_["resources/subscribe"] = {
      plain([](Engine* e, Session& s, const Message& m) {
        return e->Subscribe(s, m, true);
      }),
      false, true, Feature::kSubscribe, Era::kSession};
  methods_["resources/unsubscribe"] = {
      plain([](Engine* e, Session& s, const Message& m) {
        return e->Subscribe(s, m, false);
      }),
      false, true, Feature::kSubscribe, Era::kSession};
  methods_["prompts/list"] = {
      plain([](Engine* e, Session& s, const Message& m) {
        return e->ListPrompts(s, m);
      }),
      false, true, Feature::kPrompts};
  methods_["prompts/get"] = {
      [this](Session& s, const Message& m, ClientChannel* c,
             RequestMeta* meta) { return GetPrompt(s, m, c, meta); },
      false, true, Feature::kPrompts};
  methods_["completion/complete"] = {
      plain([](Engine* e, Session& s, const Message& m) {
        return e->Complete(s, m);
      }),
      false, true, Feature::kCompletions};
  methods_["resources/read"] = {
      plain([](Engine* e, Session& s, const Message& m) {
        return e->ReadResource(s, m);
      }),
      false, true};
  // tasks/get and tasks/cancel: a 2025-11-25 session's tasks, or in a
  // stateless request the caller's tasks of the tasks extension.
  methods_["tasks/get"] = {[this](Session& s, const Message& m, ClientChannel*,
                                  RequestMeta* meta) -> Result<Json> {
                             if (meta == nullptr)
                               return tasks_registry_->Get(s, m.params);
                             return StatelessTaskMethod(s, m, meta);
                           },
                           false, false, Feature::kTasks, Era::kBoth};
  methods_["tasks/update"] = {
      [this](Session& s, const Message& m, ClientChannel*, RequestMeta* meta) {
        return StatelessTaskMethod(s, m, meta);
      },
      false, false, Feature::kTasks, Era::kStateless};
  methods_["tasks/list"] = {plain([](Engine* e, Session& s, const Message& m) {
                              return Page(e->tasks_registry_->List(s), m.params,
                                          e->options_.page_size, "tasks",
                                          [](const Json& t) { return t; });
                            }),
                            false, false, Feature::kTasks, Era::kSession};
  methods_["tasks/cancel"] = {
      [this](Session& s, const Message& m, ClientChannel*,
             RequestMeta* meta) -> Result<Json> {
        if (meta == nullptr) return tasks_registry_->Cancel(s, m.params);
        return StatelessTaskMethod(s, m, meta);
      },
      false, false, Feature::kTasks, Era::kBoth};
  methods_["tasks/result"] = {
      [this](Session& s, const Message& m, ClientChannel* c,
             RequestMeta*) -> Result<Json> {
        auto flag = s.BeginRequest(m.id);
        Result<Json> r = tasks_registry_->Await(s, m.params, c, flag.get());
        s.EndRequest(m.id);
        return r;
      },
      false, false, Feature::kTasks, Era::kSession};
  methods_["subscriptions/listen"] = {
      [this](Session& s, const Message& m, ClientChannel* c, RequestMeta*) {
        return ListenStateless(s, m, c);
      },
      false, false, Feature::kNone, Era::kStateless};
  methods_["logging/setLevel"] = {
      plain([](Engine* e, Session& s, const Message& m) {
        return e->SetLevel(s, m);
      }),
      false, false, Feature::kNone, Era::kSession};
}

bool Engine::Offers(Feature f) const {
  switch (f) {
    case Feature::kNone:
      return true;
    case Feature::kPrompts:
      return features_.prompts;
    case Feature::kCompletions:
      return features_.completions;
    case Feature::kSubscribe:
      return features_.resource_subscribe;
    case Feature::kTasks:
      return features_.tasks;
  }
  return false;
}

Engine::~Engine() {
  tasks_registry_.reset();
  task_table_.reset();
}

Status Engine::CheckTasksDeclared(RequestMeta* meta) {
  if (meta == nullptr || meta->DeclaresExtension(kTasksExtension)) {
    return Status::Ok();
  }
  return meta->RequireExtension(kTasksExtension);
}

Result<Json> Engine::StatelessTaskMethod(Session& s, const Message& m,
                                         RequestMeta* meta) {
  WFS_RETURN_IF_ERROR(CheckTasksDeclared(meta));
  if (m.method == "tasks/update") {
    WFS_RETURN_IF_ERROR(CheckInputResponses(
        m.params.is_object() ? m.params.value("inputResponses", Json())
                             : Json()));
  }
  const Principal& caller = s.principal();
  const std::string& owner = caller.agent;
  // The inlined result is the call's result of this revision.
  auto detailed = [](Result<Json> task) {
    if (task.ok() && task->contains("result") &&
        (*task)["result"].is_object() &&
        !(*task)["result"].contains("resultType")) {
      (*task)["result"]["resultType"] = "complete";
    }
    return task;
  };
  Result<Json> r = m.method == "tasks/get" ? task_table_->Get(owner, m.params)
                   : m.method == "tasks/update"
                       ? task_table_->Update(owner, m.params)
                       : task_table_->Cancel(owner, m.params);
  if (r.ok() || !m.params.is_object() || !m.params.contains("taskId") ||
      !m.params["taskId"].is_string()) {
    return m.method == "tasks/get" ? detailed(std::move(r)) : r;
  }
  // Not the table's: perhaps one the provider keeps.
  std::string id = m.params["taskId"].get<std::string>();
  Result<Json> kept = tools_->GetTask(caller, id);
  if (!kept.ok()) {
    return kept.status().code() == Code::kNotFound ? r : kept.status();
  }
  if (m.method == "tasks/get") return detailed(std::move(kept));
  if (m.method == "tasks/cancel") {
    Status c = tools_->CancelTask(caller, id);
    if (!c.ok()) return c.code() == Code::kNotFound ? r : Result<Json>(c);
  }
  // tasks/update: such a task asks for no input; answers are ignored.
  return Json::object();
}

void Engine::Listen(Session* session, ClientChannel* channel) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  listeners_[session] = channel;
}

void Engine::StopListening(Session* session) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  listeners_.erase(session);
}

void Engine::EndSession(Session* session) {
  StopListening(session);
  tasks_registry_->EndSession(session);  // closes it
  tools_->SessionClosed(session->id());
  subscriptions_cv_.notify_all();  // its subscriptions end
}

bool Engine::TasksRunning(Session* session) {
  return tasks_registry_->Running(session);
}

size_t Engine::NotifyListChanged(const Concerns& tools,
                                 const Concerns& resources) {
  if (!tools && !resources) return 0;
  static const Json kTools =
      MakeNotification("notifications/tools/list_changed", nullptr);
  static const Json kResources =
      MakeNotification("notifications/resources/list_changed", nullptr);
  size_t reached = 0;
  std::lock_guard<std::mutex> lock(listeners_mu_);
  for (auto& [session, channel] : listeners_) {
    if (session->closed() || !session->ready()) continue;
    const Principal& caller = session->principal();
    bool told = false;
    if (tools && tools(caller)) told = channel->Send(kTools).ok() || told;
    if (resources && resources(caller)) {
      told = channel->Send(kResources).ok() || told;
    }
    if (told) ++reached;
  }
  for (auto& [number, sub] : subscriptions_) {
    if (sub.session->closed()) continue;
    const Principal& caller = sub.session->principal();
    Json tagged = {{"_meta", {{kSubscriptionKey, sub.id}}}};
    bool told = false;
    if (sub.tools && tools && tools(caller)) {
      told = sub.channel
                 ->Send(MakeNotification("notifications/tools/list_changed",
                                         tagged))
                 .ok() ||
             told;
    }
    if (sub.resources && resources && resources(caller)) {
      told = sub.channel
                 ->Send(MakeNotification("notifications/resources/list_changed",
                                         tagged))
                 .ok() ||
             told;
    }
    if (told) ++reached;
  }
  return reached;
}

bool Engine::IsStreamingMethod(const std::string& method) {
  return method == "tools/call" || method == "tasks/result" ||
         method == "subscriptions/listen";
}

Json Engine::Handle(Session& session, const Json& message,
                    ClientChannel* channel) {
  Parsed p = ParseMessage(message);
  if (!p.ok) return MakeError(p.failure);
  return HandleParsed(session, p.message, channel);
}

Json Engine::HandleParsed(Session& session, const Message& m,
                          ClientChannel* channel) {
  if (m.is_response()) {
    // A reply to one of our requests (an elicitation answer).
    session.outbound().Deliver(m.id, m.kind == Message::Kind::kResult
                                         ? Json{{"result", m.result}}
                                         : Json{{"error", m.error}});
    return nullptr;
  }
  if (m.kind == Message::Kind::kNotification) {
    HandleNotification(session, m);
    return nullptr;
  }
  if (!session.initialize_answered() && IsStatelessRequest(m)) {
    return HandleStateless(session, m, channel);
  }
  // The gate: every request passes here before any handler runs.
  auto it = methods_.find(m.method);
  if (it == methods_.end() || !Offers(it->second.feature) ||
      it->second.era == Era::kStateless) {
    return MakeError(m.id, kMethodNotFound,
                     StrCat("method not found: ", Quote(m.method)));
  }
  const Method& method = it->second;
  if (session.closed()) {
    return MakeError(m.id, kInvalidRequest, "the session is closed");
  }
  if (!method.before_initialize && !session.initialize_answered()) {
    return MakeError(m.id, kInvalidRequest,
                     "the session is not initialized: send initialize first");
  }
  return Dispatch(method, session, m, channel, nullptr);
}

Json Engine::Dispatch(const Method& method, Session& session, const Message& m,
                      ClientChannel* channel, RequestMeta* meta) {
  if (method.needs_find && !session.principal().grants.find) {
    return MakeError(m.id, kForbidden,
                     StrCat("agent ", Quote(session.principal().agent),
                            " may not read the catalog"));
  }
  Result<Json> r = Internal("unreachable");
  try {
    r = method.handler(session, m, channel, meta);
  } catch (const std::exception& e) {
    r = Internal(StrCat("internal error in ", m.method, ": ", e.what()));
  }
  if (!r.ok()) {
    if (meta != nullptr && !meta->missing_capabilities.empty()) {
      return MakeError(
          m.id, kMissingClientCapability, r.status().message(),
          Json{{"requiredCapabilities", meta->missing_capabilities}});
    }
    if (m.method == "resources/read" && r.status().code() == Code::kNotFound) {
      // Its own code in a session; invalid params in 2026-07-28.
      return MakeError(m.id,
                       meta != nullptr ? kInvalidParams : kResourceNotFound,
                       r.status().message(),
                       Json{{"uri", m.params.value("uri", std::string())}});
    }
    return StatusError(m.id, r.status());
  }
  if (meta == nullptr) return MakeResult(m.id, std::move(*r));
  if (IsCacheable(m.method)) {
    (*r)["ttlMs"] = options_.list_ttl.count();
    (*r)["cacheScope"] = "private";  // lists follow the caller's grants
  }
  return MakeResult(m.id, StatelessResult(std::move(*r)));
}

Json Engine::StatelessResult(Json result) const {
  if (!result.contains("resultType")) result["resultType"] = "complete";
  if (!result.contains("_meta") || !result["_meta"].is_object()) {
    result["_meta"] = Json::object();
  }
  result["_meta"][kServerInfoKey] = {{"name", options_.server_name},
                                     {"version", options_.server_version}};
  return result;
}

Json Engine::CheckStateless(const Message& m, RequestMeta* meta) const {
  const Json* version = MetaRevision(m);
  if (version == nullptr || !version->is_string()) {
    return MakeError(m.id, kInvalidParams,
                     StrCat("params._meta[\"", kVersionKey,
                            "\"] must be a string naming a revision"));
  }
  std::string v = version->get<std::string>();
  const Json& md = m.params.at("_meta");
  const auto& served = StatelessProtocolVersions();
  if (std::find(served.begin(), served.end(), v) == served.end()) {
    return MakeError(
        m.id, kUnsupportedProtocolVersion,
        StrCat("unsupported protocol version ", Quote(v),
               IsSupportedProtocolVersion(v)
                   ? " without a session (send initialize to use it)"
                   : ""),
        Json{{"supported", AllProtocolVersions()}, {"requested", v}});
  }
  auto caps = md.find(kCapabilitiesKey);
  if (caps == md.end() || !caps->is_object()) {
    return MakeError(m.id, kInvalidParams,
                     StrCat("params._meta[\"", kCapabilitiesKey,
                            "\"] is required (an object, maybe empty)"));
  }
  int level = -1;
  auto lv = md.find(kLogLevelKey);
  if (lv != md.end()) {
    level = lv->is_string() ? LogLevelFromName(lv->get<std::string>()) : -1;
    if (level < 0) {
      return MakeError(m.id, kInvalidParams,
                       StrCat("params._meta[\"", kLogLevelKey,
                              "\"] must be a log level (debug .. emergency)"));
    }
  }
  auto it = methods_.find(m.method);
  if (it == methods_.end() || !Offers(it->second.feature) ||
      it->second.era == Era::kSession) {
    return MakeError(
        m.id, kMethodNotFound,
        StrCat("method not found: ", Quote(m.method), " (revision ", v, ")"));
  }
  if (meta != nullptr) {
    meta->protocol_version = std::move(v);
    meta->client_capabilities = *caps;
    auto info = md.find(kClientInfoKey);
    if (info != md.end() && info->is_object()) meta->client_info = *info;
    meta->log_level = level;
  }
  return nullptr;
}

Json Engine::HandleStateless(Session& session, const Message& m,
                             ClientChannel* channel) {
  RequestMeta meta;
  Json refused = CheckStateless(m, &meta);
  if (!refused.is_null()) return refused;
  if (session.closed()) {
    return MakeError(m.id, kInvalidRequest, "the server is closing");
  }
  return Dispatch(methods_.at(m.method), session, m, channel, &meta);
}

Result<int64_t> Engine::OpenSubscription(Session& s, const Message& m,
                                         ClientChannel* channel) {
  const Principal& caller = s.principal();
  if (!caller.grants.find && !caller.grants.run) {
    return PermissionDenied(StrCat("agent ", Quote(caller.agent),
                                   " may neither find nor run workflows: it "
                                   "has no lists to listen to"));
  }
  const Json& p = m.params;
  if (!p.contains("notifications") || !p["notifications"].is_object()) {
    return InvalidArgument(
        "subscriptions/listen needs params.notifications (an object of "
        "toolsListChanged, resourcesListChanged, ...)");
  }
  const Json& asked = p["notifications"];
  for (const char* key :
       {"toolsListChanged", "promptsListChanged", "resourcesListChanged"}) {
    if (asked.contains(key) && !asked[key].is_boolean()) {
      return InvalidArgument(
          StrCat("params.notifications.", key, " must be a boolean"));
    }
  }
  if (asked.contains("resourceSubscriptions") &&
      !asked["resourceSubscriptions"].is_array()) {
    return InvalidArgument(
        "params.notifications.resourceSubscriptions must be an array");
  }
  if (channel == nullptr) {
    return FailedPrecondition(
        "subscriptions/listen answers on a stream: this server answers with "
        "JSON only (--json-responses)");
  }
  // What is honored: the list changes this server announces. Prompts do
  // not change, and resources/updated is not sent: neither is
  // acknowledged.
  Subscription sub{&s, channel, m.id};
  sub.tools = features_.list_changed && asked.value("toolsListChanged", false);
  sub.resources =
      features_.list_changed && asked.value("resourcesListChanged", false);
  Json honored = Json::object();
  if (sub.tools) honored["toolsListChanged"] = true;
  if (sub.resources) honored["resourcesListChanged"] = true;
  // Registered before the acknowledgement goes out, under the lock that
  // also orders it before any change notification.
  std::lock_guard<std::mutex> lock(listeners_mu_);
  int64_t number = next_subscription_++;
  subscriptions_.emplace(number, sub);
  channel
      ->Send(MakeNotification(
          "notifications/subscriptions/acknowledged",
          {{"_meta", {{kSubscriptionKey, m.id}}}, {"notifications", honored}}))
      .IgnoreError();
  return number;
}

void Engine::CloseSubscription(int64_t number) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  subscriptions_.erase(number);
}

Json Engine::SubscriptionEnd(const Json& id) const {
  return MakeResult(id, StatelessResult({{"_meta", {{kSubscriptionKey, id}}}}));
}

Result<Json> Engine::ListenStateless(Session& s, const Message& m,
                                     ClientChannel* channel) {
  auto flag = s.BeginRequest(m.id);
  Result<int64_t> number = OpenSubscription(s, m, channel);
  if (!number.ok()) {
    s.EndRequest(m.id);
    return number.status();
  }
  // The stream lasts until the client cancels it (notifications/cancelled)
  // or the session ends; a look every 200 ms notices either, and both wake
  // it at once.
  bool by_client = false;
  {
    std::unique_lock<std::mutex> lock(listeners_mu_);
    while (true) {
      by_client = subscriptions_.at(*number).cancelled;
      if (by_client || flag->load() || s.closed()) break;
      subscriptions_cv_.wait_for(lock, std::chrono::milliseconds(200));
    }
    subscriptions_.erase(*number);
  }
  s.EndRequest(m.id);
  // The server ends it (closing a session also cancels its requests): the
  // result says so; the client closed it: nobody reads the answer.
  if (!by_client && s.closed()) {
    return Json{{"_meta", {{kSubscriptionKey, m.id}}}};
  }
  return Cancelled("the subscription was closed");
}

Result<Json> Engine::Discover() {
  Json out = {{"supportedVersions", AllProtocolVersions()},
              {"capabilities", Capabilities(StatelessProtocolVersions()[0],
                                            /*stateless=*/true)},
              {"ttlMs", options_.list_ttl.count()},
              {"cacheScope", "public"}};
  if (!options_.instructions.empty()) {
    out["instructions"] = options_.instructions;
  }
  return out;
}

namespace {

// What a sealed state binds a request to: its method and target (the
// tool, the prompt) and its arguments.
std::string CallDigest(const std::string& target, const Json& args) {
  return Sha256Hex(StrCat(target, "\n", CanonicalJson(args)));
}

// The hex HMAC-SHA-256 of `body` under `key`.
std::string HexMac(const std::string& key, std::string_view body) {
  Sha256Digest mac = HmacSha256(key, body);
  return HexEncode(
      std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

}  // namespace

std::string Engine::SealState(const Json& state, const std::string& agent,
                              const std::string& target,
                              const Json& args) const {
  int64_t expires_ms =
      clock_->NowMicros() / 1000 + options_.input_state_ttl.count();
  Json payload = {{"agent", agent},
                  {"call", CallDigest(target, args)},
                  {"expires_ms", expires_ms},
                  {"state", state}};
  std::string body = StrCat(kStatePrefix, HexEncode(CanonicalJson(payload)));
  return StrCat(body, ".", HexMac(options_.state_key, body));
}

Result<Json> Engine::OpenState(const std::string& sealed,
                               const std::string& agent,
                               const std::string& target,
                               const Json& args) const {
  const Status refused = InvalidArgument(
      "params.requestState is not a state this server issued for this call "
      "(altered, expired, or another caller's or call's): call again "
      "without inputResponses and requestState");
  size_t dot = sealed.rfind('.');
  if (!StartsWith(sealed, kStatePrefix) || dot < sizeof(kStatePrefix) - 1) {
    return refused;
  }
  std::string_view body(sealed.data(), dot);
  if (!EqualInConstantTime(HexMac(options_.state_key, body),
                           std::string_view(sealed).substr(dot + 1))) {
    return refused;
  }
  std::optional<std::string> text =
      HexDecode(body.substr(sizeof(kStatePrefix) - 1));
  if (!text) return refused;
  Result<Json> payload = ParseJson(*text);
  if (!payload.ok() || !payload->is_object()) return refused;
  const Json& p = *payload;
  if (p.value("agent", std::string()) != agent ||
      p.value("call", std::string()) != CallDigest(target, args) ||
      !p.contains("expires_ms") || !p["expires_ms"].is_number_integer() ||
      p["expires_ms"].get<int64_t>() < clock_->NowMicros() / 1000) {
    return refused;
  }
  return p.contains("state") ? p["state"] : Json(nullptr);
}

void Engine::HandleNotification(Session& session, const Message& m) {
  if (m.method == "notifications/initialized") {
    session.MarkReady();
  } else if (m.method == "notifications/cancelled") {
    if (m.params.is_object() && m.params.contains("requestId")) {
      session.CancelRequest(m.params["requestId"]);
      // A subscription of the session with that id ends at once, as one the
      // client closed (even when the session ends before it wakes).
      std::string key = IdKey(m.params["requestId"]);
      std::lock_guard<std::mutex> lock(listeners_mu_);
      for (auto& [number, sub] : subscriptions_) {
        if (sub.session == &session && IdKey(sub.id) == key) {
          sub.cancelled = true;
        }
      }
      subscriptions_cv_.notify_all();
    }
  }
  // Others (progress, roots/list_changed, unknown) need nothing; unknown
  // notifications are ignored as JSON-RPC requires.
}

Result<Json> Engine::Initialize(Session& s, const Message& m) {
  if (s.initialize_answered()) {
    return FailedPrecondition("initialize was already answered");
  }
  const Json& p = m.params;
  if (!p.is_object() || !p.contains("protocolVersion") ||
      !p["protocolVersion"].is_string()) {
    return InvalidArgument("initialize needs params.protocolVersion");
  }
  std::string asked = p["protocolVersion"].get<std::string>();
  // Answer with the client's version when served, else our newest; the
  // client decides whether it can go on.
  std::string version = IsSupportedProtocolVersion(asked)
                            ? asked
                            : SupportedProtocolVersions().front();
  Json caps = p.contains("capabilities") ? p["capabilities"] : Json::object();
  if (!caps.is_object()) {
    return InvalidArgument("params.capabilities must be an object");
  }
  Json info = p.contains("clientInfo") ? p["clientInfo"] : Json::object();
  s.Initialize(version, caps, info);
  Json server_info = {{"name", options_.server_name},
                      {"version", options_.server_version}};
  if (version >= "2025-06-18") server_info["title"] = options_.server_title;
  Json result = {{"protocolVersion", version},
                 {"capabilities", Capabilities(version, /*stateless=*/false)},
                 {"serverInfo", server_info}};
  if (!options_.instructions.empty()) {
    result["instructions"] = options_.instructions;
  }
  return result;
}

Json Engine::Capabilities(const std::string& version, bool stateless) const {
  // Sessions hear of list changes on their stream; stateless clients on a
  // subscriptions/listen stream.
  bool list_changed = features_.list_changed;
  Json capabilities = {
      {"tools", {{"listChanged", list_changed}}},
      {"resources",
       {{"subscribe", features_.resource_subscribe && !stateless},
        {"listChanged", list_changed}}},
      {"logging", Json::object()}};
  if (features_.prompts) capabilities["prompts"] = {{"listChanged", false}};
  if (features_.completions) capabilities["completions"] = Json::object();
  if (features_.tasks && stateless) {
    capabilities["extensions"][kTasksExtension] = Json::object();
  }
  if (features_.tasks && !stateless && version >= "2025-11-25") {
    capabilities["tasks"] = {
        {"list", Json::object()},
        {"cancel", Json::object()},
        {"requests", {{"tools", {{"call", Json::object()}}}}}};
  }
  return capabilities;
}

Result<Json> Engine::ListTools(Session& s, const Message& m,
                               const RequestMeta* meta) {
  WFS_ASSIGN_OR_RETURN(std::vector<Tool> tools,
                       tools_->ListTools(s.principal()));
  WFS_ASSIGN_OR_RETURN(
      Json page, Page(tools, m.params, options_.page_size, "tools", ToolJson));
  // Which tools run as tasks: for 2025-11-25 sessions, and for stateless
  // requests that declared the tasks extension.
  if (!features_.tasks ||
      (meta == nullptr && s.protocol_version() < "2025-11-25") ||
      (meta != nullptr && !meta->DeclaresExtension(kTasksExtension))) {
    for (Json& t : page["tools"]) t.erase("execution");
  }
  return page;
}

Json Engine::ToolInputSchema(const Principal& caller, const std::string& tool) {
  if (!features_.mirrored_params) return nullptr;
  Result<std::vector<Tool>> tools = tools_->ListTools(caller);
  if (!tools.ok()) return nullptr;
  for (const Tool& t : *tools) {
    if (t.name == tool) return t.input_schema;
  }
  return nullptr;
}

Result<Json> Engine::CallTool(Session& s, const Message& m,
                              ClientChannel* channel, RequestMeta* meta) {
  const Json& p = m.params;
  if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) {
    return InvalidArgument("tools/call needs params.name");
  }
  Json args = Json::object();
  if (p.contains("arguments") && !p["arguments"].is_null()) {
    if (!p["arguments"].is_object()) {
      return InvalidArgument("params.arguments must be an object");
    }
    args = p["arguments"];
  }
  Json token = nullptr;
  if (p.contains("_meta") && p["_meta"].is_object() &&
      p["_meta"].contains("progressToken")) {
    token = p["_meta"]["progressToken"];
    if (!token.is_string() && !token.is_number_integer()) token = nullptr;
  }
  std::string name = p["name"].get<std::string>();
  if (meta == nullptr && p.contains("task") && features_.tasks &&
      s.protocol_version() >= "2025-11-25") {
    return StartTask(s, m, name, std::move(args), std::move(token));
  }
  return RunRound(
      s, m, channel, meta, StrCat("tools/call ", name), args, std::move(token),
      [&](CallContext& ctx) { return tools_->CallTool(ctx, name, args); },
      /*may_become_task=*/true);
}

Result<Json> Engine::RunRound(
    Session& s, const Message& m, ClientChannel* channel, RequestMeta* meta,
    const std::string& target, const Json& args, Json progress_token,
    const std::function<Result<Json>(CallContext&)>& body,
    bool may_become_task) {
  const Json& p = m.params;
  // A stateless request's retry (multi round-trip requests): the answers
  // to the input the previous round required, and the state it kept.
  Json responses;
  Json kept;
  if (meta != nullptr) {
    if (p.contains("inputResponses")) {
      const Json& given = p["inputResponses"];
      WFS_RETURN_IF_ERROR(CheckInputResponses(given));
      responses = given;
    }
    if (p.contains("requestState") && !p["requestState"].is_null()) {
      if (!p["requestState"].is_string()) {
        return InvalidArgument("params.requestState must be a string");
      }
      WFS_ASSIGN_OR_RETURN(kept, OpenState(p["requestState"].get<std::string>(),
                                           s.principal().agent, target, args));
    }
  }
  auto flag = s.BeginRequest(m.id);
  // Ended however the body leaves (an exception included: Dispatch turns
  // it into an error), so the session forgets the request.
  struct Ender {
    Session& s;
    const Json& id;
    ~Ender() { s.EndRequest(id); }
  };
  Result<Json> r = Internal("unreachable");
  CallContext ctx(&s, channel, m.id, std::move(progress_token), flag, meta);
  {
    Ender ender{s, m.id};
    ctx.SetRound(std::move(responses), std::move(kept));
    if (may_become_task && meta != nullptr && features_.tasks &&
        meta->DeclaresExtension(kTasksExtension)) {
      ctx.AllowTasks();
    }
    r = body(ctx);
  }
  bool returned = !ctx.returned_task().is_null();
  if (r.ok() && (returned || ctx.task_job())) {
    // One way to end the round: a task the client can follow.
    if (!ctx.CanContinueAsTask() || ctx.input_required() ||
        (returned && ctx.task_job())) {
      return Internal(
          "a call went on as a task its client cannot follow, or ended its "
          "round another way too");
    }
    if (returned) {
      // The provider's own task (durable): its handle, without what only
      // tasks/get carries.
      Json created = ctx.returned_task();
      for (const char* f : {"result", "error", "inputRequests"}) {
        created.erase(f);
      }
      created["resultType"] = "task";
      r = std::move(created);
    } else {
      // A cancelled call starts no task: the client would never learn its
      // id.
      if (flag->load()) return Cancelled("the request was cancelled");
      r = StartStatelessTask(s, m, *meta, ctx.task_job());
      if (r.ok() && flag->load()) {
        (void)task_table_->Cancel(s.principal().agent, *r);
      }
    }
  }
  if (r.ok() && ctx.input_required() && meta != nullptr) {
    // Input only of the kinds the client declared it can give, whatever
    // the provider asked.
    Status answerable = ctx.CheckAnswerable(ctx.required_inputs());
    if (!answerable.ok()) r = answerable;
  }
  if (r.ok() && ctx.input_required()) {
    Json out = {{"resultType", "input_required"}};
    if (!ctx.required_inputs().empty()) {
      out["inputRequests"] = ctx.required_inputs();
    }
    out["requestState"] =
        SealState(ctx.state_to_keep(), s.principal().agent, target, args);
    r = std::move(out);
  }
  if (flag->load() && r.ok()) {
    // Cancelled: the client ignores any response; send an error anyway so
    // transports that must answer have something well-formed.
    return Cancelled("the request was cancelled");
  }
  return r;
}

Result<Json> Engine::StartStatelessTask(
    Session& s, const Message& m, const RequestMeta& meta,
    std::function<Result<Json>(CallContext&)> job) {
  // The request's session ends with it; the task runs as the same caller
  // in a session of its own, with the client capabilities the request
  // declared, and sends nothing (no stream outlives the request).
  auto session = std::make_shared<Session>(StrCat("task-", SecureRandomHex(8)),
                                           s.principal());
  auto task_meta = std::make_shared<RequestMeta>(meta);
  task_meta->log_level = -1;
  task_meta->missing_capabilities = Json::object();
  return task_table_->Start(
      s.principal().agent,
      [this, session, task_meta, job = std::move(job), id = m.id](
          TaskInput& input, std::shared_ptr<std::atomic<bool>> cancelled) {
        CallContext ctx(session.get(), nullptr, id, nullptr,
                        std::move(cancelled), task_meta.get());
        ctx.SetTaskInput(&input);
        Result<Json> r = job(ctx);
        tools_->SessionClosed(session->id());
        return r;
      });
}

Result<Json> Engine::StartTask(Session& s, const Message& m,
                               const std::string& name, Json args,
                               Json progress_token) {
  const Json& task = m.params["task"];
  if (!task.is_object()) {
    return InvalidArgument("params.task must be an object ({ttl?})");
  }
  int64_t ttl = -1;
  if (task.contains("ttl") && !task["ttl"].is_null()) {
    if (!task["ttl"].is_number_integer() || task["ttl"].get<int64_t>() < 0) {
      return InvalidArgument(
          "params.task.ttl must be a whole number of milliseconds");
    }
    ttl = task["ttl"].get<int64_t>();
  }
  WFS_ASSIGN_OR_RETURN(std::vector<Tool> tools,
                       tools_->ListTools(s.principal()));
  auto it = std::find_if(tools.begin(), tools.end(),
                         [&](const Tool& t) { return t.name == name; });
  if (it == tools.end()) {
    return NotFound(StrCat("unknown tool ", Quote(name),
                           " (tools/list shows the tools you may call)"));
  }
  if (it->task_support.empty()) {
    return Unimplemented(StrCat("tool ", Quote(name),
                                " does not run as a task (its "
                                "execution.taskSupport); call it without "
                                "params.task"));
  }
  return tasks_registry_->Start(
      s, ttl,
      [this, &s, name, args = std::move(args),
       token = std::move(progress_token), id = m.id](
          ClientChannel* channel, std::shared_ptr<std::atomic<bool>> cancel) {
        CallContext ctx(&s, channel, id, token, std::move(cancel));
        return tools_->CallTool(ctx, name, args);
      });
}

Result<Json> Engine::ListResources(Session& s, const Message& m) {
  WFS_ASSIGN_OR_RETURN(std::vector<Resource> list,
                       tools_->ListResources(s.principal()));
  return Page(list, m.params, options_.page_size, "resources", ResourceJson);
}

Result<Json> Engine::ReadResource(Session& s, const Message& m) {
  const Json& p = m.params;
  if (!p.is_object() || !p.contains("uri") || !p["uri"].is_string()) {
    return InvalidArgument("resources/read needs params.uri");
  }
  return tools_->ReadResource(s.principal(), p["uri"].get<std::string>());
}

Result<Json> Engine::ListResourceTemplates(Session& s, const Message& m) {
  WFS_ASSIGN_OR_RETURN(std::vector<ResourceTemplate> list,
                       tools_->ListResourceTemplates(s.principal()));
  return Page(list, m.params, options_.page_size, "resourceTemplates",
              [](const ResourceTemplate& t) {
                Json j = {{"uriTemplate", t.uri_template},
                          {"name", t.name},
                          {"mimeType", t.mime_type}};
                if (!t.title.empty()) j["title"] = t.title;
                if (!t.description.empty()) j["description"] = t.description;
                return j;
              });
}

Result<Json> Engine::Subscribe(Session& s, const Message& m, bool on) {
  const Json& p = m.params;
  if (!p.is_object() || !p.contains("uri") || !p["uri"].is_string()) {
    return InvalidArgument(StrCat(m.method, " needs params.uri"));
  }
  std::string uri = p["uri"].get<std::string>();
  if (on) {
    WFS_RETURN_IF_ERROR(tools_->CheckSubscribable(s.principal(), uri));
  }
  s.Subscribe(uri, on);
  return Json::object();
}

Result<Json> Engine::ListPrompts(Session& s, const Message& m) {
  WFS_ASSIGN_OR_RETURN(std::vector<Prompt> list,
                       tools_->ListPrompts(s.principal()));
  return Page(list, m.params, options_.page_size, "prompts",
              [](const Prompt& p) {
                Json args = Json::array();
                for (const PromptArgument& a : p.arguments) {
                  Json j = {{"name", a.name}, {"required", a.required}};
                  if (!a.description.empty()) j["description"] = a.description;
                  args.push_back(std::move(j));
                }
                Json j = {{"name", p.name}, {"arguments", std::move(args)}};
                if (!p.title.empty()) j["title"] = p.title;
                if (!p.description.empty()) j["description"] = p.description;
                return j;
              });
}

Result<Json> Engine::GetPrompt(Session& s, const Message& m,
                               ClientChannel* channel, RequestMeta* meta) {
  const Json& p = m.params;
  if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) {
    return InvalidArgument("prompts/get needs params.name");
  }
  Json args = Json::object();
  if (p.contains("arguments") && !p["arguments"].is_null()) {
    if (!p["arguments"].is_object()) {
      return InvalidArgument("params.arguments must be an object");
    }
    for (const auto& [k, v] : p["arguments"].items()) {
      if (!v.is_string()) {
        return InvalidArgument(
            StrCat("prompt argument ", Quote(k), " must be a string"));
      }
    }
    args = p["arguments"];
  }
  std::string name = p["name"].get<std::string>();
  return RunRound(
      s, m, channel, meta, StrCat("prompts/get ", name), args, nullptr,
      [&](CallContext& ctx) { return tools_->GetPrompt(ctx, name, args); });
}

Result<Json> Engine::Complete(Session& s, const Message& m) {
  const Json& p = m.params;
  if (!p.is_object() || !p.contains("ref") || !p["ref"].is_object() ||
      !p["ref"].contains("type") || !p["ref"]["type"].is_string()) {
    return InvalidArgument("completion/complete needs params.ref.type");
  }
  if (!p.contains("argument") || !p["argument"].is_object() ||
      !p["argument"].contains("name") || !p["argument"]["name"].is_string() ||
      !p["argument"].contains("value") || !p["argument"]["value"].is_string()) {
    return InvalidArgument(
        "completion/complete needs params.argument.name and .value");
  }
  WFS_ASSIGN_OR_RETURN(
      std::vector<std::string> values,
      tools_->Complete(s.principal(), p["ref"], p["argument"]));
  size_t total = values.size();
  if (values.size() > 100) values.resize(100);
  return Json{{"completion",
               {{"values", values},
                {"total", total},
                {"hasMore", total > values.size()}}}};
}

Result<Json> Engine::SetLevel(Session& s, const Message& m) {
  const Json& p = m.params;
  int level = -1;
  if (p.is_object() && p.contains("level") && p["level"].is_string()) {
    level = LogLevelFromName(p["level"].get<std::string>());
  }
  if (level < 0) {
    return InvalidArgument(
        "level must be one of debug, info, notice, warning, error, critical, "
        "alert, emergency");
  }
  s.SetLogLevel(level);
  return Json::object();
}

}  // namespace wfs::mcp
