// The MCP protocol engine: one declared method table, one gate, one place
// where statuses become protocol errors. Transports (stdio, Streamable HTTP)
// hand it decoded messages with the session they arrived on and a channel
// back to the client; the tools themselves come from a ToolProvider.
//
//   Engine engine(options, &tools);
//   Json reply = engine.Handle(session, message, &channel);  // null: none
//
// Thread-safe: transports call Handle from many threads at once; a request
// may block (a tool waiting for an elicitation answer) while other messages
// of the same session, including the answer, are handled on other threads.
#ifndef WFSTORE_MCP_ENGINE_H_
#define WFSTORE_MCP_ENGINE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "base/status.h"
#include "base/strings.h"
#include "mcp/channel.h"
#include "mcp/jsonrpc.h"
#include "mcp/session.h"
#include "mcp/task_table.h"
#include "mcp/tasks.h"

namespace wfs::mcp {

// Protocol revisions served, newest first: those a session opens with
// initialize (SupportedProtocolVersions), and the stateless ones (2026-07-28:
// no session; every request names its revision and the client's
// capabilities in params._meta).
const std::vector<std::string>& SupportedProtocolVersions();
bool IsSupportedProtocolVersion(const std::string& v);
const std::vector<std::string>& StatelessProtocolVersions();
// Both, newest first (server/discover, UnsupportedProtocolVersion).
std::vector<std::string> AllProtocolVersions();

// What a stateless request carries in params._meta instead of a session.
struct RequestMeta {
  std::string protocol_version;
  Json client_capabilities = Json::object();
  Json client_info = Json::object();
  // io.modelcontextprotocol/logLevel: the lowest level sent as
  // notifications/message while the request runs; -1: none is sent.
  int log_level = -1;
  // Filled while the request runs: the client capabilities it needed and
  // the client did not declare (CallContext::RequireCapability), as a
  // ClientCapabilities object ({"sampling": {}}). The request then ends
  // with MissingRequiredClientCapability (-32021) naming them.
  Json missing_capabilities = Json::object();

  bool CanElicit() const;  // elicitation (form mode) declared
  bool CanSample() const;
  bool CanListRoots() const;
  // capabilities.extensions[extension] declared (an object).
  bool DeclaresExtension(const char* extension) const;
  // Records that the request needs `extension`, which the client did not
  // declare, and returns the status its handler returns (the request then
  // ends with -32021 naming it).
  Status RequireExtension(const char* extension);
};

// The revision `m`'s params._meta names
// (io.modelcontextprotocol/protocolVersion), as sent; null when none.
const Json* MetaRevision(const Message& m);
// Whether `m` is a stateless request: a request whose params._meta names a
// revision.
bool IsStatelessRequest(const Message& m);

// Handed to a tool call: the session, the caller, and the ways back to the
// client while the call runs.
class CallContext {
 public:
  // `meta`: a stateless call's request metadata (null: a session's call).
  CallContext(Session* session, ClientChannel* channel, Json request_id,
              Json progress_token, std::shared_ptr<std::atomic<bool>> cancelled,
              RequestMeta* meta = nullptr)
      : session_(session),
        channel_(channel),
        request_id_(std::move(request_id)),
        progress_token_(std::move(progress_token)),
        cancelled_(std::move(cancelled)),
        meta_(meta) {}

  Session& session() const { return *session_; }
  const Principal& principal() const { return session_->principal(); }
  bool cancelled() const { return cancelled_ && cancelled_->load(); }
  const std::atomic<bool>* cancel_flag() const { return cancelled_.get(); }

  // A stateless call (2026-07-28): the server sends the client no requests;
  // it asks for input by ending the call with RequireInput, and the client
  // retries the call with the answers (multi round-trip requests).
  bool stateless() const { return meta_ != nullptr; }
  // The client declared elicitation (form mode), sampling, roots: in its
  // session, or in a stateless request's metadata.
  bool CanElicit() const;
  bool CanSample() const;
  bool CanListRoots() const;
  // Whether the client declared it answers every one of `requests` ({key:
  // {method, params}}: elicitation/create, sampling/createMessage,
  // roots/list). Ok when it does; Internal for a request of no method a
  // client answers; otherwise RequireCapability for each capability
  // missing (a stateless request then ends with -32021 naming them).
  Status CheckAnswerable(const Json& requests);
  // The call cannot go on without `capability` (a client capability:
  // "sampling", "elicitation", "roots"), which the client did not declare.
  // Returns the status the handler returns: a stateless request then ends
  // with MissingRequiredClientCapability (-32021, data.requiredCapabilities
  // naming it), a session's call with the status. Call it before sending
  // anything (Progress, Log): over HTTP the error is answered with status
  // 400 only while nothing went out on the call's stream.
  Status RequireCapability(const std::string& capability);

  // A stateless call's (or prompt's) retry: the client's answers to the input
  // the previous round required (params.inputResponses, an object; empty in a
  // first round), and the state that round kept, verified (issued by this
  // server for this caller, tool and arguments, not expired); null in a
  // first round.
  const Json& input_responses() const {
    return input_responses_.is_null() ? EmptyObject() : input_responses_;
  }
  const Json& kept_state() const { return kept_state_; }
  void SetRound(Json input_responses, Json kept_state) {
    input_responses_ = std::move(input_responses);
    kept_state_ = std::move(kept_state);
  }
  // Ends a stateless call with an InputRequiredResult: the client fulfils
  // `requests` ({key: {"method": "elicitation/create", "params": ...}}) and
  // retries, bringing back `state` (sealed: the client cannot alter it or
  // use it for another call or caller). The tool's own result is dropped.
  void RequireInput(Json requests, Json state) {
    required_inputs_ = std::move(requests);
    state_to_keep_ = std::move(state);
    input_required_ = true;
  }
  bool input_required() const { return input_required_; }
  const Json& required_inputs() const {
    return required_inputs_.is_null() ? EmptyObject() : required_inputs_;
  }
  const Json& state_to_keep() const { return state_to_keep_; }

  // notifications/progress when the request carried a progressToken; in a
  // task, `message` becomes the task's statusMessage.
  void Progress(double progress, double total, const std::string& message);
  // notifications/message at `level` (0 debug .. 7 emergency) when at or
  // above the session's level.
  void Log(int level, const std::string& logger, const Json& data);
  // elicitation/create: asks the person through the client. Returns the
  // client's result ({"action": "accept"|"decline"|"cancel", "content"}).
  // FailedPrecondition when the client did not declare elicitation, and in
  // a stateless call (RequireInput asks there).
  Result<Json> Elicit(const std::string& message, const Json& schema,
                      std::chrono::milliseconds timeout);
  // Same with the whole params object (for schemas with defaults, enums
  // and titles the two-argument form does not build).
  Result<Json> Elicit(Json params, std::chrono::milliseconds timeout);
  // Tasks (the tasks extension, 2026-07-28): a stateless tools/call whose
  // client declared the extension may go on as a task. ContinueAsTask ends
  // the round: the client is answered with the task's handle
  // (CreateTaskResult) and `job` runs on a thread of its own with a context
  // of its own (in_task()), in which Elicit, Sample and Ask wait in the
  // task for tasks/update. The tool's own result is dropped. Call it before
  // the call has effects: when the task cannot start (the caller runs as
  // many as it may), the call ends with that error. `job` outlives this
  // context and the request: capture by value, and check again in it what
  // must still hold when it runs (it runs with the caller's grants as they
  // were). A tool that only runs as a task refuses other clients with
  // RequireExtension(kTasksExtension).
  bool CanContinueAsTask() const { return tasks_allowed_; }
  void ContinueAsTask(std::function<Result<Json>(CallContext&)> job) {
    task_job_ = std::move(job);
  }
  const std::function<Result<Json>(CallContext&)>& task_job() const {
    return task_job_;
  }
  // Ends the round answering with a task the provider keeps itself
  // (ToolProvider::GetTask; a run in the journal, say): `task` holds its
  // fields (taskId, status, createdAt, lastUpdatedAt, ttlMs, ...). Only when
  // CanContinueAsTask(). The tool's own result is dropped.
  void ReturnTask(Json task) { returned_task_ = std::move(task); }
  const Json& returned_task() const { return returned_task_; }
  Status RequireExtension(const char* extension);
  bool in_task() const { return task_input_ != nullptr; }
  // Set by the engine.
  void AllowTasks() { tasks_allowed_ = true; }
  void SetTaskInput(TaskInput* input) { task_input_ = input; }
  // In a task: asks the client for several inputs at once ({key: {method,
  // params}}) and returns its results by key once all are answered
  // (TaskInput::Ask). Each must be of a kind the client declared it
  // answers (CheckAnswerable). FailedPrecondition outside a task.
  Result<Json> Ask(const Json& requests, std::chrono::milliseconds timeout);

  // Closes the client's connection, leaving the call's stream to be resumed
  // (ClientChannel::CloseConnection). False when it cannot be.
  bool CloseConnection() {
    return channel_ != nullptr && channel_->CloseConnection();
  }
  // sampling/createMessage: asks the client's model. `params` is the
  // CreateMessageRequest's params ({messages, maxTokens, ...}); returns the
  // client's result. FailedPrecondition when the client did not declare
  // sampling.
  Result<Json> Sample(Json params, std::chrono::milliseconds timeout);

 private:
  Session* session_;
  ClientChannel* channel_;
  Json request_id_;
  Json progress_token_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  RequestMeta* meta_;
  // Null until set (a session's call allocates none of them).
  Json input_responses_;
  Json kept_state_;
  bool input_required_ = false;
  Json required_inputs_;
  Json state_to_keep_;
  // In a task: asks for one input of `method` and returns the client's
  // result.
  Result<Json> AskOne(const char* method, Json params,
                      std::chrono::milliseconds timeout);
  bool tasks_allowed_ = false;
  std::function<Result<Json>(CallContext&)> task_job_;
  Json returned_task_;  // null unless ReturnTask
  TaskInput* task_input_ = nullptr;
  static const Json& EmptyObject();

  // Sends a request to the client and waits for its result.
  Result<Json> Request(const std::string& method, Json params,
                       std::chrono::milliseconds timeout);
};

struct Tool {
  std::string name;
  std::string title;
  std::string description;
  Json input_schema = Json::object();
  Json output_schema;  // null: none
  Json annotations;    // null: none
  // "optional": the tool may also be called as a task (execution.taskSupport,
  // MCP 2025-11-25) when the provider offers tasks; "": never.
  std::string task_support;
};

struct Resource {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type = "application/json";
};

struct ResourceTemplate {
  // RFC 6570 level 1, e.g. "wfstore://workflow/{name}".
  std::string uri_template;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type = "application/json";
};

struct PromptArgument {
  std::string name;
  std::string description;
  bool required = false;
};

struct Prompt {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
};

// What a provider offers beyond tools and resources. The engine declares
// the matching capabilities at initialize and answers the methods of a
// feature not offered with -32601.
struct ProviderFeatures {
  bool prompts = false;             // prompts/list, prompts/get
  bool completions = false;         // completion/complete
  bool resource_subscribe = false;  // resources/subscribe, /unsubscribe
  // The tools and resources lists announce changes: whoever owns the
  // provider calls Engine::NotifyListChanged when they change.
  bool list_changed = false;
  // Task-augmented tools/call (tasks/get, /list, /cancel, /result) for the
  // tools whose task_support allows it, declared to 2025-11-25 clients.
  bool tasks = false;
  // Some tool marks parameters with x-mcp-header (2026-07-28): an HTTP
  // call of such a tool must mirror them into Mcp-Param-* fields, so the
  // transport looks the tool up (Engine::ToolInputSchema) on every
  // stateless call.
  bool mirrored_params = false;
};

// The server's tools and resources. Implementations check the caller's
// grants themselves for each tool and resource (the engine's gate checks
// the session and the method).
class ToolProvider {
 public:
  virtual ~ToolProvider() = default;
  virtual ProviderFeatures Features() const { return {}; }
  virtual Result<std::vector<Tool>> ListTools(const Principal& caller) = 0;
  // The CallToolResult object ({content, structuredContent?, isError?}).
  // A failed tool execution is a result with isError, not an error status;
  // statuses are for unknown tools and bad arguments.
  virtual Result<Json> CallTool(CallContext& ctx, const std::string& name,
                                const Json& arguments) = 0;
  virtual Result<std::vector<Resource>> ListResources(
      const Principal& caller) = 0;
  // The ReadResourceResult object ({contents: [...]}); NotFound for an
  // unknown URI.
  virtual Result<Json> ReadResource(const Principal& caller,
                                    const std::string& uri) = 0;
  virtual Result<std::vector<ResourceTemplate>> ListResourceTemplates(
      const Principal& caller) {
    (void)caller;
    return std::vector<ResourceTemplate>{};
  }
  // Only called when Features().resource_subscribe: NotFound for an unknown
  // URI, else Ok (the engine keeps the subscription in the session).
  virtual Status CheckSubscribable(const Principal& caller,
                                   const std::string& uri) {
    (void)caller;
    return NotFound(StrCat("no resource ", uri));
  }
  // Only called when Features().prompts.
  virtual Result<std::vector<Prompt>> ListPrompts(const Principal& caller) {
    (void)caller;
    return std::vector<Prompt>{};
  }
  // The GetPromptResult object ({description?, messages}); NotFound for an
  // unknown prompt, InvalidArgument for missing arguments. `ctx` is a
  // tool call's: in a stateless request the prompt may ask for input
  // (RequireInput) as a tool does.
  virtual Result<Json> GetPrompt(CallContext& ctx, const std::string& name,
                                 const Json& arguments) {
    (void)ctx;
    (void)arguments;
    return NotFound(StrCat("no prompt ", name));
  }
  // Only called when Features().completions: the candidate values for
  // `argument` ({name, value}) of `ref` ({type: "ref/prompt", name} or
  // {type: "ref/resource", uri}); at most 100.
  virtual Result<std::vector<std::string>> Complete(const Principal& caller,
                                                    const Json& ref,
                                                    const Json& argument) {
    (void)caller;
    (void)ref;
    (void)argument;
    return std::vector<std::string>{};
  }
  // Tasks of the tasks extension the provider keeps itself (durable ones,
  // which outlive the server process: CallContext::ReturnTask). Called for
  // a task id the engine's own table does not know. GetTask: the task as
  // tasks/get shows it (its fields and what its status carries: result,
  // error, inputRequests), NotFound when `caller` has no such task.
  // CancelTask: the provider's answer to tasks/cancel (Ok: acknowledged,
  // whether or not the task ends), NotFound likewise.
  virtual Result<Json> GetTask(const Principal& caller,
                               const std::string& task_id) {
    (void)caller;
    return NotFound(StrCat("no task ", task_id));
  }
  virtual Status CancelTask(const Principal& caller,
                            const std::string& task_id) {
    (void)caller;
    return NotFound(StrCat("no task ", task_id));
  }
  // The session ended: drop what was kept for it (handles).
  virtual void SessionClosed(const std::string& session_id) {
    (void)session_id;
  }
};

struct EngineOptions {
  std::string server_name = "wfstore";
  std::string server_title = "wfstore — hardened workflows for agents";
  std::string server_version = "0.1.0";
  std::string instructions;
  // tools/list and resources/list page size.
  size_t page_size = 50;
  // Tasks (when the provider offers them); tasks.clock defaults to `clock`.
  TaskOptions tasks;
  const Clock* clock = nullptr;  // null: the system clock
  // Stateless requests (2026-07-28): the key that seals the state a call
  // that requires input hands the client (HMAC-SHA-256; empty: 32 random
  // bytes, so states die with the process), how long such a state stays
  // good (the person's time to answer), and how long clients may cache
  // the lists (ttlMs; cacheScope is "private": lists follow the caller's
  // grants).
  std::string state_key;
  std::chrono::milliseconds input_state_ttl{std::chrono::minutes(10)};
  std::chrono::milliseconds list_ttl{std::chrono::seconds(60)};
};

class Engine {
 public:
  Engine(EngineOptions options, ToolProvider* tools);
  // Cancels the tasks still running and waits for them.
  ~Engine();

  // Handles one decoded message. Returns the response to send for a request
  // (a result or an error), null for notifications and responses.
  Json Handle(Session& session, const Json& message, ClientChannel* channel);
  // Same for a message already parsed. A stateless request
  // (IsStatelessRequest) on a session that did not initialize is served
  // statelessly: `session` then only holds the caller and the requests in
  // flight (for cancellation).
  Json HandleParsed(Session& session, const Message& m, ClientChannel* channel);

  // The checks a stateless request passes before its method is looked up:
  // its _meta names a revision served (else UnsupportedProtocolVersion,
  // with the revisions served) and declares the client's capabilities
  // (else invalid params); the method exists in that revision (else
  // method not found). Null when it passes, else the error to answer
  // (transports answer HTTP 400, or 404 for an unknown method).
  Json CheckStateless(const Message& m, RequestMeta* meta = nullptr) const;

  // True for requests that may run long (and report progress or elicit),
  // which transports answer on a stream.
  static bool IsStreamingMethod(const std::string& method);

  ToolProvider* tools() const { return tools_; }
  const EngineOptions& options() const { return options_; }

  // Sessions hear about changes while they listen: transports register
  // each session with the channel for messages the server sends on its own
  // (stdio: the output stream; HTTP: the session's GET stream, when open).
  // `channel` must stay valid until StopListening(session) returns.
  void Listen(Session* session, ClientChannel* channel);
  void StopListening(Session* session);
  // The session ends (transports call it before they drop it): it stops
  // listening, is closed, its tasks are cancelled and waited for, and the
  // tool provider drops what it kept for it (ToolProvider::SessionClosed).
  void EndSession(Session* session);
  // Whether tasks of `session` still run (an idle session with running
  // tasks is not expired).
  bool TasksRunning(Session* session);
  // subscriptions/listen (stateless) for transports that hold the stream
  // themselves (HTTP, without a thread waiting): checks the request (the
  // caller may find or run workflows; the filter is well-formed; a
  // channel), registers the subscription and acknowledges it on `channel`
  // (notifications/subscriptions/acknowledged with the filter honored).
  // Returns its number for CloseSubscription, which the transport calls
  // when the stream ends; `channel` must stay valid until then. (Over
  // stdio the method's handler does the same and waits for the request's
  // cancellation or the session's end.)
  Result<int64_t> OpenSubscription(Session& s, const Message& m,
                                   ClientChannel* channel);
  void CloseSubscription(int64_t number);
  // The response that ends subscription `id` when the server ends it.
  Json SubscriptionEnd(const Json& id) const;

  // The inputSchema of `tool` as `caller` sees it when the provider marks
  // mirrored parameters (ProviderFeatures::mirrored_params); null otherwise
  // and for a tool the caller cannot see.
  Json ToolInputSchema(const Principal& caller, const std::string& tool);

  // Whether a change concerns a session's caller (its grants cover what
  // changed); null: no one.
  using Concerns = std::function<bool(const Principal&)>;
  // Sends notifications/tools/list_changed to every listening session that
  // finished initializing (notifications/initialized) and whose caller
  // `tools` concerns, and to every stateless subscription
  // (subscriptions/listen) that asked for it and whose caller `tools`
  // concerns; notifications/resources/list_changed likewise. Returns how
  // many sessions and subscriptions were told something.
  size_t NotifyListChanged(const Concerns& tools, const Concerns& resources);

 private:
  // `meta`: a stateless request's metadata; null in a session.
  using Handler = std::function<Result<Json>(Session&, const Message&,
                                             ClientChannel*, RequestMeta*)>;
  enum class Feature { kNone, kPrompts, kCompletions, kSubscribe, kTasks };
  // Which requests have the method: a session's (initialize, ping,
  // logging/setLevel, subscriptions, tasks), stateless ones
  // (server/discover), or both.
  enum class Era { kBoth, kSession, kStateless };
  struct Method {
    Handler handler;
    bool before_initialize = false;    // allowed before initialize
    bool needs_find = false;           // grant: find
    Feature feature = Feature::kNone;  // offered only with this feature
    Era era = Era::kBoth;
  };

  Json HandleStateless(Session& s, const Message& m, ClientChannel* c);
  // Past the era's gate: the grant, the handler, its status mapped to an
  // error, and a stateless result's resultType, cache hints and serverInfo
  // (`meta` set); a stateless request that needed an undeclared client
  // capability ends with -32021.
  Json Dispatch(const Method& method, Session& s, const Message& m,
                ClientChannel* c, RequestMeta* meta);
  // A stateless result: with its resultType ("complete" unless set) and the
  // server's identity in _meta.
  Json StatelessResult(Json result) const;
  // The capabilities declared at initialize (`version`) or in
  // server/discover (stateless).
  Json Capabilities(const std::string& version, bool stateless) const;
  Result<Json> Initialize(Session& s, const Message& m);
  Result<Json> Discover();
  Result<Json> ListTools(Session& s, const Message& m, const RequestMeta* meta);
  // subscriptions/listen (stateless): acknowledges the filter it honors on
  // the request's stream, then holds the stream for the notifications it
  // asked for until the client closes it (cancellation) or the server ends
  // (its session closed: the result, tagged with the subscription).
  Result<Json> ListenStateless(Session& s, const Message& m, ClientChannel* c);
  Result<Json> CallTool(Session& s, const Message& m, ClientChannel* c,
                        RequestMeta* meta);
  // One round of a request that may require input (tools/call,
  // prompts/get): in a stateless request, the answers and the state the
  // client brought back (params.inputResponses, params.requestState,
  // verified for `target`, e.g. the tool, and `args`) are handed to `body`
  // through its context, and a body that required input ends the round
  // with an InputRequiredResult carrying the state sealed again. With
  // `may_become_task` (tools/call), a client that declared the tasks
  // extension lets the body go on as a task (CallContext::ContinueAsTask).
  Result<Json> RunRound(Session& s, const Message& m, ClientChannel* c,
                        RequestMeta* meta, const std::string& target,
                        const Json& args, Json progress_token,
                        const std::function<Result<Json>(CallContext&)>& body,
                        bool may_become_task = false);
  // A stateless call's state, sealed for the client to bring back
  // (bound to the caller, the request's method and target and its
  // arguments, with an expiry), and opened again: InvalidArgument when it
  // was altered, has expired, or belongs to another caller or request.
  std::string SealState(const Json& state, const std::string& agent,
                        const std::string& target, const Json& args) const;
  Result<Json> OpenState(const std::string& sealed, const std::string& agent,
                         const std::string& target, const Json& args) const;
  Result<Json> ListResources(Session& s, const Message& m);
  Result<Json> ReadResource(Session& s, const Message& m);
  Result<Json> ListResourceTemplates(Session& s, const Message& m);
  Result<Json> Subscribe(Session& s, const Message& m, bool on);
  Result<Json> ListPrompts(Session& s, const Message& m);
  Result<Json> GetPrompt(Session& s, const Message& m, ClientChannel* c,
                         RequestMeta* meta);
  Result<Json> Complete(Session& s, const Message& m);
  Result<Json> SetLevel(Session& s, const Message& m);
  // A stateless call's body went on as a task: starts `job` in the caller's
  // task table and returns the CreateTaskResult.
  Result<Json> StartStatelessTask(
      Session& s, const Message& m, const RequestMeta& meta,
      std::function<Result<Json>(CallContext&)> job);
  // Ok when a stateless request declared the tasks extension, else the
  // status that answers it with -32021.
  static Status CheckTasksDeclared(RequestMeta* meta);
  // tasks/get, /update, /cancel of a stateless request: the engine's task
  // table, then the provider's tasks (ToolProvider::GetTask, CancelTask).
  Result<Json> StatelessTaskMethod(Session& s, const Message& m,
                                   RequestMeta* meta);
  // tools/call with params.task: starts the call as a task.
  Result<Json> StartTask(Session& s, const Message& m, const std::string& name,
                         Json args, Json progress_token);
  bool Offers(Feature f) const;
  void HandleNotification(Session& s, const Message& m);

  EngineOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  ToolProvider* tools_;
  ProviderFeatures features_;
  std::map<std::string, Method> methods_;
  std::mutex listeners_mu_;  // held while sending to listeners
  std::map<Session*, ClientChannel*> listeners_;
  // Stateless subscriptions (subscriptions/listen), by a number of their
  // own; the subscription id is the listen request's id.
  struct Subscription {
    Session* session;
    ClientChannel* channel;
    Json id;
    bool tools = false;
    bool resources = false;
    bool cancelled = false;  // by the client's notifications/cancelled
  };
  std::map<int64_t, Subscription> subscriptions_;  // guarded by listeners_mu_
  std::condition_variable subscriptions_cv_;
  int64_t next_subscription_ = 1;
  std::unique_ptr<TaskRegistry> tasks_registry_;
  std::unique_ptr<TaskTable> task_table_;  // the tasks extension's
};

// Opaque pagination cursors: an offset, encoded.
std::string EncodeCursor(size_t offset);
Result<size_t> DecodeCursor(const Json& params);

}  // namespace wfs::mcp

#endif  // WFSTORE_MCP_ENGINE_H_
