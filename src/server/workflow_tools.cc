#include "server/workflow_tools.h"

#include <algorithm>
#include <set>
#include <utility>

#include "base/random.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "runtime/json_schema.h"

namespace wfs::server {
namespace {

constexpr char kFind[] = "find_workflows";
constexpr char kDescribe[] = "describe_workflow";
constexpr char kRun[] = "run_workflow";
constexpr char kGetRun[] = "get_run";
constexpr char kAnswerRun[] = "answer_run";
constexpr char kResourcePrefix[] = "wfstore://workflow/";
// Tools that run a workflow may also run as MCP tasks (a run can wait long
// for the person).
constexpr char kTaskOptional[] = "optional";

const std::vector<std::string> kStages = {"draft",    "tested", "hardened",
                                          "reviewed", "canary", "stable"};

// A tool result whose text for the model is the structured content itself.
Json ToolResult(Json structured, bool is_error = false) {
  Json r = {
      {"content", Json::array({Json{{"type", "text"},
                                    {"text", CanonicalJson(structured)}}})}};
  r["structuredContent"] = std::move(structured);
  if (is_error) r["isError"] = true;
  return r;
}

// A call that could not run: the model reads the message and can correct
// itself. No structuredContent (it would not match the tool's output
// schema); the text is a JSON object {"error", ...}.
Json ToolError(const std::string& message, const Json& extra = nullptr) {
  Json s = {{"error", message}};
  if (extra.is_object()) {
    for (const auto& [k, v] : extra.items()) s[k] = v;
  }
  return Json{
      {"content",
       Json::array({Json{{"type", "text"}, {"text", CanonicalJson(s)}}})},
      {"isError", true}};
}

Result<std::string> StringArg(const Json& args, const char* key,
                              bool required) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) {
    if (required) {
      return InvalidArgument(StrCat("missing argument `", key, "`"));
    }
    return std::string();
  }
  if (!it->is_string()) {
    return InvalidArgument(StrCat("argument `", key, "` must be a string"));
  }
  return it->get<std::string>();
}

Status OnlyKnown(const Json& args, std::initializer_list<const char*> keys) {
  for (const auto& [k, v] : args.items()) {
    (void)v;
    bool known = false;
    for (const char* key : keys) known |= k == key;
    if (!known) {
      return InvalidArgument(StrCat("unknown argument ", Quote(k)));
    }
  }
  return Status::Ok();
}

Json StringSchema(const std::string& description) {
  return Json{{"type", "string"}, {"description", description}};
}

Json RunOutputSchema() {
  return Json{{"type", "object"},
              {"properties",
               {{"run_id", {{"type", "string"}}},
                {"workflow", {{"type", "string"}}},
                {"outcome",
                 {{"type", "string"},
                  {"enum",
                   {"completed", "failed", "denied", "unanswered", "violation",
                    "limit", "waiting"}}}},
                {"outputs", {{"type", "object"}}},
                {"error", {{"type", "string"}}},
                {"rule", {{"type", "string"}}},
                {"waiting", {{"type", "object"}}},
                {"effects", {{"type", "array"}}},
                {"undo", {{"type", "array"}}}}},
              {"required", {"run_id", "workflow", "outcome"}}};
}

// Every capability a program and its sub-workflows use.
void CollectUses(const runtime::Program& p,
                 const runtime::ProgramResolver& resolver,
                 std::set<std::string>* uses, std::set<std::string>* seen) {
  std::vector<const runtime::Program*> stack = {&p};
  std::vector<runtime::ProgramPtr> keep;
  while (!stack.empty()) {
    const runtime::Program* cur = stack.back();
    stack.pop_back();
    if (!seen->insert(cur->content_id).second) continue;
    for (const runtime::ActionSpec& a : cur->actions)
      uses->insert(a.effect_key);
    for (const runtime::WorkflowCall& w : cur->workflow_calls) {
      runtime::ProgramPtr sub = resolver.Find(w.name, w.version);
      if (sub != nullptr) {
        keep.push_back(sub);
        stack.push_back(sub.get());
      }
    }
  }
}

Json Annotations(const runtime::Program& p) {
  bool read_only = true, destructive = false, open_world = false;
  for (const runtime::ActionSpec& a : p.actions) {
    if (a.effect != lang::Effect::kRead) read_only = false;
    if (a.effect == lang::Effect::kDelete ||
        a.effect == lang::Effect::kUpdate || a.effect == lang::Effect::kSpend ||
        a.effect == lang::Effect::kExec) {
      destructive = true;
    }
    if (a.connector != "fs" && a.connector != "git") open_world = true;
  }
  if (!p.workflow_calls.empty()) read_only = false;
  Json j = {{"readOnlyHint", read_only}, {"openWorldHint", open_world}};
  if (!read_only) {
    j["destructiveHint"] = destructive;
    j["idempotentHint"] = false;
  }
  return j;
}

// The key under which a stateless call puts a run's question to the person
// (inputRequests, inputResponses): "question-<n>", the n-th question of the
// run, so that an answer to one never stands for another.
std::string QuestionKey(int seq) { return StrCat("question-", seq); }

// What the person is shown of a question: an answer given to these words
// and choices is an answer to this question only.
std::string QuestionDigest(const runtime::Prompt& p) {
  Json shown = {{"workflow", p.workflow},
                {"kind", p.kind == runtime::Prompt::Kind::kConfirm ? "confirm"
                                                                   : "choose"},
                {"text", p.text},
                {"options", p.options}};
  return Sha256Hex(CanonicalJson(shown));
}

// Asks the person through the client (elicitation). Without elicitation,
// or when nobody answers in time, the run waits for `wfstore approve`.
//
// A stateless call (2026-07-28) cannot wait for the client: the question is
// kept (pending) and the run waits; the call ends asking the client for
// input (its state names the question), and the client's retry resumes the
// run with the person's answer (set_answer), which answers the question the
// run waits on only when it is the question asked: the same position in
// the run and the same words and choices. Otherwise the run's question is
// asked anew.
class ElicitingApprover : public runtime::Approver {
 public:
  ElicitingApprover(mcp::CallContext& ctx, std::chrono::milliseconds timeout)
      : ctx_(ctx), timeout_(timeout) {}

  // The client's result (an ElicitResult; anything else answers nothing)
  // for the question `seq` of the run, shown as `digest` (QuestionDigest).
  void set_answer(Json answer, int seq, std::string digest) {
    answer_ = std::move(answer);
    answer_seq_ = seq;
    answer_digest_ = std::move(digest);
  }
  // The elicitation (params) a stateless call is to hand the client, and
  // the question it asks; null when none was asked.
  const Json& pending() const { return pending_; }
  int pending_seq() const { return pending_seq_; }
  const std::string& pending_digest() const { return pending_digest_; }

  runtime::Answer Ask(const runtime::Prompt& p) override {
    if (!ctx_.CanElicit()) return runtime::Answer::Defer();
    Json schema;
    std::string message;
    if (p.kind == runtime::Prompt::Kind::kConfirm) {
      message = StrCat(p.workflow, " asks you to confirm:\n", p.text);
      schema = {{"type", "object"},
                {"properties",
                 {{"approve",
                   {{"type", "boolean"},
                    {"title", "Approve"},
                    {"description", p.text}}}}},
                {"required", {"approve"}}};
    } else {
      message = StrCat(p.workflow, " asks you to choose:\n", p.text);
      schema = {{"type", "object"},
                {"properties",
                 {{"choice",
                   {{"type", "string"},
                    {"title", "Choose"},
                    {"description", p.text},
                    {"enum", p.options}}}}},
                {"required", {"choice"}}};
    }
    if (ctx_.stateless()) {
      std::string digest = QuestionDigest(p);
      // An answer to another question, or without an action (missing,
      // malformed), answers nothing: the question is asked (again).
      Json answer = std::move(answer_);
      answer_ = nullptr;
      if (answer.is_object() && answer.contains("action") &&
          answer_seq_ == p.seq && answer_digest_ == digest) {
        return Interpret(p, answer);
      }
      pending_ = {
          {"mode", "form"}, {"message", message}, {"requestedSchema", schema}};
      pending_seq_ = p.seq;
      pending_digest_ = std::move(digest);
      return runtime::Answer::Defer();
    }
    Result<Json> r = ctx_.Elicit(message, schema, timeout_);
    if (!r.ok()) return runtime::Answer::Defer();
    return Interpret(p, *r);
  }

 private:
  // The person's answer in the client's ElicitResult.
  static runtime::Answer Interpret(const runtime::Prompt& p, const Json& r) {
    auto a = r.find("action");
    if (a == r.end() || !a->is_string()) return runtime::Answer::Defer();
    std::string action = a->get<std::string>();
    if (action == "decline") return runtime::Answer::Deny();
    if (action != "accept") return runtime::Answer::Defer();  // cancel
    const Json& content = JsonObjectMember(r, "content");
    if (p.kind == runtime::Prompt::Kind::kConfirm) {
      auto it = content.find("approve");
      return it != content.end() && it->is_boolean() && it->get<bool>()
                 ? runtime::Answer::Approve()
                 : runtime::Answer::Deny();
    }
    auto it = content.find("choice");
    if (it != content.end() && it->is_string()) {
      for (size_t i = 0; i < p.options.size(); ++i) {
        if (p.options[i] == it->get<std::string>()) {
          return runtime::Answer::Choose(static_cast<int>(i));
        }
      }
    }
    return runtime::Answer::Deny();
  }

  mcp::CallContext& ctx_;
  std::chrono::milliseconds timeout_;
  Json answer_;
  int answer_seq_ = -1;
  std::string answer_digest_;
  Json pending_;
  int pending_seq_ = -1;
  std::string pending_digest_;
};

// A stateless call whose run waits on a question it asked: the call ends
// asking the client to put the question to the person, keeping for the
// retry the run's id and which question was asked.
void AskThroughClient(mcp::CallContext& ctx, const ElicitingApprover& approver,
                      const std::string& run_id, const runtime::RunResult& r) {
  if (!ctx.stateless() || r.outcome != runtime::Outcome::kWaiting ||
      approver.pending().is_null()) {
    return;
  }
  ctx.RequireInput(Json{{QuestionKey(approver.pending_seq()),
                         {{"method", "elicitation/create"},
                          {"params", approver.pending()}}}},
                   Json{{"run", run_id},
                        {"question", approver.pending_seq()},
                        {"shown", approver.pending_digest()}});
}

// Adds to `changed` the keys whose entries differ between `before` and
// `after` (added, removed or with another value).
void AddDifferences(const std::map<std::string, std::string>& before,
                    const std::map<std::string, std::string>& after,
                    std::set<std::string>* changed) {
  for (const auto& [k, v] : before) {
    auto it = after.find(k);
    if (it == after.end() || it->second != v) changed->insert(k);
  }
  for (const auto& [k, v] : after) {
    if (!before.count(k)) changed->insert(k);
  }
}

// One resource per workflow not yanked (the first version `all` lists),
// among those `caller`'s grants cover (null: all).
std::vector<mcp::Resource> WorkflowResources(
    const std::vector<store::PackageInfo>& all, const mcp::Principal* caller) {
  std::vector<mcp::Resource> out;
  std::set<std::string> names;
  for (const store::PackageInfo& p : all) {
    if (p.yanked) continue;
    if (caller != nullptr && !caller->grants.AllowsNamespace(p.name)) continue;
    if (!names.insert(p.name).second) continue;
    out.push_back({kResourcePrefix + p.name, p.name,
                   p.name + " (contract and rigor report)", p.summary,
                   "application/json"});
  }
  return out;
}

}  // namespace

WorkflowTools::WorkflowTools(ToolsOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_) {
  journal::RunnerOptions ro;
  ro.exec = options_.exec;
  ro.clock = clock_;
  runner_ = std::make_unique<journal::Runner>(
      options_.journal, options_.connectors, &options_.store->programs(), ro);
}

Result<std::unique_ptr<WorkflowTools>> WorkflowTools::Create(
    ToolsOptions options) {
  if (options.store == nullptr || options.journal == nullptr ||
      options.connectors == nullptr) {
    return InvalidArgument(
        "WorkflowTools needs a store, a journal and "
        "connectors");
  }
  std::unique_ptr<WorkflowTools> t(new WorkflowTools(std::move(options)));
  WFS_RETURN_IF_ERROR(t->RefreshIfChanged());
  return t;
}

Status WorkflowTools::RefreshIfChanged() {
  // Read before the catalog: a change while this reads it shows as a move
  // at the next look. Generations only grow.
  WFS_ASSIGN_OR_RETURN(uint64_t generation, options_.store->Generation());
  auto current = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    return index_ != nullptr && indexed_generation_ >= generation;
  };
  if (current()) return Status::Ok();
  std::lock_guard<std::mutex> rebuilding(refresh_mu_);
  if (current()) return Status::Ok();  // another call rebuilt it meanwhile
  WFS_ASSIGN_OR_RETURN(std::vector<store::Store::IndexEntry> entries,
                       options_.store->IndexEntries());
  auto index = discovery::SearchIndex::Create();
  for (store::Store::IndexEntry& e : entries) {
    discovery::Document d;
    d.name = e.name;
    d.version = e.version;
    d.summary = e.summary;
    d.intents = e.intents;
    d.params = e.params;
    d.stage = e.stage;
    d.effects = e.effects;
    d.signer = e.signer;
    WFS_RETURN_IF_ERROR(index->Upsert(std::move(d)));
  }
  std::vector<store::PackageInfo> stable;
  WFS_ASSIGN_OR_RETURN(std::vector<store::PackageInfo> all,
                       options_.store->List());
  std::map<std::string, std::string> resources;
  for (const mcp::Resource& r : WorkflowResources(all, nullptr)) {
    resources[r.name] = r.description;
  }
  if (options_.workflow_tools) {
    // The newest stable version of each workflow (releases before
    // pre-releases), even while a newer one is still on its way (a draft,
    // or a canary the tool's calls are routed to).
    std::map<std::string, std::pair<store::Semver, store::PackageInfo>> newest;
    for (store::PackageInfo& p : all) {
      if (p.stage != "stable" || p.yanked) continue;
      auto v = store::ParseSemver(p.version);
      if (!v.ok()) continue;
      auto it = newest.find(p.name);
      if (it != newest.end()) {
        const store::Semver& held = it->second.first;
        bool newer =
            held.pre.empty() != v->pre.empty() ? v->pre.empty() : held < *v;
        if (!newer) continue;
      }
      newest.insert_or_assign(p.name, std::make_pair(*v, p));
    }
    for (auto& [n, vp] : newest) stable.push_back(std::move(vp.second));
  }
  std::map<std::string, std::string> tools;
  for (const store::PackageInfo& p : stable) tools[p.name] = p.version;
  std::lock_guard<std::mutex> lock(mu_);
  if (index_ != nullptr) {  // not the first build
    AddDifferences(listed_tools_, tools, &changes_.tools);
    AddDifferences(listed_resources_, resources, &changes_.resources);
  }
  index_ = std::move(index);
  stable_ = std::move(stable);
  listed_tools_ = std::move(tools);
  listed_resources_ = std::move(resources);
  indexed_generation_ = generation;
  return Status::Ok();
}

bool ListChanges::ToolsChangedFor(const mcp::Principal& caller) const {
  if (!caller.grants.run) return false;
  for (const std::string& name : tools) {
    if (caller.grants.AllowsNamespace(name)) return true;
  }
  return false;
}

bool ListChanges::ResourcesChangedFor(const mcp::Principal& caller) const {
  if (!caller.grants.find) return false;
  for (const std::string& name : resources) {
    if (caller.grants.AllowsNamespace(name)) return true;
  }
  return false;
}

Result<ListChanges> WorkflowTools::TakeListChanges() {
  WFS_RETURN_IF_ERROR(RefreshIfChanged());
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(changes_, ListChanges{});
}

mcp::ProviderFeatures WorkflowTools::Features() const {
  mcp::ProviderFeatures f;
  f.list_changed = options_.announce_list_changes;
  f.tasks = true;
  return f;
}

std::string WorkflowTools::ScopeFor(const mcp::Message& m) const {
  if (StartsWith(m.method, "resources/") || StartsWith(m.method, "prompts/") ||
      m.method == "completion/complete") {
    return "find";
  }
  if (StartsWith(m.method, "tasks/")) return "run";  // tasks are tool calls
  if (m.method != "tools/call" || !m.params.is_object()) return "";
  std::string name = m.params.value("name", std::string());
  if (name == kFind || name == kDescribe) return "find";
  return "run";
}

size_t WorkflowTools::handle_count(const std::string& session_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(session_id);
  return it == handles_.end() ? 0 : it->second.table.size();
}

void WorkflowTools::SessionClosed(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  handles_.erase(session_id);
}

Result<std::vector<mcp::Tool>> WorkflowTools::ListTools(
    const mcp::Principal& caller) {
  std::vector<mcp::Tool> tools;
  const mcp::Grants& g = caller.grants;
  Json name_arg = StringSchema("Workflow name, e.g. mail.delete_message");
  Json version_arg = StringSchema(
      "Version or range: \"1.2.3\", \"^1.2\", \"~1.2.3\"; omitted: the "
      "newest");
  if (g.find) {
    tools.push_back(
        {kFind, "Find workflows",
         "Search the catalog of hardened workflows for one that does what "
         "you need. Returns ranked candidates with their stage and effects, "
         "or match=false when no workflow fits (say so; do not improvise).",
         Json{{"type", "object"},
              {"properties",
               {{"query", StringSchema("What you want done, in plain words")},
                {"stage", StringSchema("Lowest stage to consider: draft, "
                                       "tested, hardened, reviewed, canary, "
                                       "stable")},
                {"effects",
                 {{"type", "array"},
                  {"items", {{"type", "string"}}},
                  {"description",
                   "Only workflows whose effects are among these "
                   "(\"read-only\", \"mail.delete\", ...)"}}},
                {"limit",
                 {{"type", "integer"}, {"minimum", 1}, {"maximum", 20}}}}},
              {"required", {"query"}},
              {"additionalProperties", false}},
         Json{{"type", "object"},
              {"properties",
               {{"query", {{"type", "string"}}},
                {"match", {{"type", "boolean"}}},
                {"message", {{"type", "string"}}},
                {"results", {{"type", "array"}}}}},
              {"required", {"query", "match", "results"}}},
         Json{{"readOnlyHint", true}, {"openWorldHint", false}}});
    tools.push_back(
        {kDescribe, "Describe a workflow",
         "The contract of a workflow: inputs and outputs with their JSON "
         "Schemas, effects with their budgets and scopes, confirmations, "
         "stage and rigor grade. Read it before running.",
         Json{{"type", "object"},
              {"properties", {{"name", name_arg}, {"version", version_arg}}},
              {"required", {"name"}},
              {"additionalProperties", false}},
         Json{{"type", "object"},
              {"properties",
               {{"name", {{"type", "string"}}},
                {"version", {{"type", "string"}}},
                {"stage", {{"type", "string"}}},
                {"grade", {{"type", "string"}}},
                {"input_schema", {{"type", "object"}}},
                {"output_schema", {{"type", "object"}}},
                {"effects", {{"type", "object"}}}}},
              {"required", {"name", "version", "stage", "input_schema"}}},
         Json{{"readOnlyHint", true}, {"openWorldHint", false}}});
  }
  if (g.run) {
    tools.push_back(
        {kRun, "Run a workflow",
         "Run a published workflow with arguments matching its input schema "
         "(see describe_workflow). Confirmations go to the person, not to "
         "you; a run that waits for the person returns its run_id.",
         Json{{"type", "object"},
              {"properties",
               {{"name", name_arg},
                {"version", version_arg},
                {"arguments",
                 {{"type", "object"},
                  {"description", "The workflow's inputs"}}}}},
              {"required", {"name"}},
              {"additionalProperties", false}},
         RunOutputSchema(),
         Json{{"readOnlyHint", false},
              {"destructiveHint", true},
              {"idempotentHint", false},
              {"openWorldHint", true}},
         kTaskOptional});
    tools.push_back(
        {kGetRun, "Get a run",
         "The state of a run you started: running, waiting (for the person), "
         "completed or stopped, with its effects.",
         Json{{"type", "object"},
              {"properties", {{"run_id", StringSchema("The run's id")}}},
              {"required", {"run_id"}},
              {"additionalProperties", false}},
         RunOutputSchema(),
         Json{{"readOnlyHint", true}, {"openWorldHint", false}}});
    tools.push_back(
        {kAnswerRun, "Ask the person to answer a waiting run",
         "Puts the question a waiting run asks to the person again (through "
         "the client) and resumes the run with their answer. You cannot "
         "answer it yourself.",
         Json{{"type", "object"},
              {"properties", {{"run_id", StringSchema("The run's id")}}},
              {"required", {"run_id"}},
              {"additionalProperties", false}},
         RunOutputSchema(),
         Json{{"readOnlyHint", false},
              {"destructiveHint", true},
              {"idempotentHint", false},
              {"openWorldHint", true}},
         kTaskOptional});
    std::vector<store::PackageInfo> stable;
    if (options_.workflow_tools) WFS_RETURN_IF_ERROR(RefreshIfChanged());
    {
      std::lock_guard<std::mutex> lock(mu_);
      stable = stable_;
    }
    for (const store::PackageInfo& p : stable) {
      if (!g.AllowsNamespace(p.name) ||
          store::StageIndex(p.stage) < store::StageIndex(g.min_stage)) {
        continue;
      }
      auto prog = LoadProgram(p);
      if (!prog.ok()) continue;
      tools.push_back(
          {p.name, p.name + "@" + p.version,
           StrCat((*prog)->summary, " (stable workflow ", p.name, "@",
                  p.version, "; confirmations go to the person)"),
           runtime::InputSchema(**prog), RunOutputSchema(), Annotations(**prog),
           kTaskOptional});
    }
  }
  return tools;
}

Result<Json> WorkflowTools::CallTool(mcp::CallContext& ctx,
                                     const std::string& name,
                                     const Json& args) {
  const mcp::Grants& g = ctx.principal().grants;
  bool find_tool = name == kFind || name == kDescribe;
  bool run_tool = name == kRun || name == kGetRun || name == kAnswerRun;
  if ((find_tool && !g.find) || (run_tool && !g.run)) {
    return PermissionDenied(
        StrCat("agent ", Quote(ctx.principal().agent), " may not use ", name));
  }
  if (ctx.stateless() && ctx.kept_state().is_object()) {
    // The retry of a stateless call that asked the person: its run waits
    // for the answer the client brings (the engine checked that the state
    // is this caller's, for this tool and these arguments).
    if (!g.run) {
      return PermissionDenied(StrCat("agent ", Quote(ctx.principal().agent),
                                     " may not run workflows"));
    }
    WFS_ASSIGN_OR_RETURN(std::string id,
                         StringArg(ctx.kept_state(), "run", true));
    auto rec = options_.journal->GetRun(id);
    if (!rec.ok() || rec->caller != ctx.principal().agent) {
      return ToolError(StrCat("no run ", Quote(id), " started by you"));
    }
    // Answered meanwhile (`wfstore approve`), or a state used twice: the
    // run as it stands.
    if (rec->state != "waiting") return RunRecordResult(*rec);
    return ResumeWaiting(ctx, *rec);
  }
  if (name == kFind) return Find(ctx, args);
  if (name == kDescribe) return Describe(ctx, args);
  if (name == kRun) {
    WFS_RETURN_IF_ERROR(OnlyKnown(args, {"name", "version", "arguments"}));
    WFS_ASSIGN_OR_RETURN(std::string wf, StringArg(args, "name", true));
    WFS_ASSIGN_OR_RETURN(std::string range, StringArg(args, "version", false));
    Json inputs = Json::object();
    if (args.contains("arguments") && !args["arguments"].is_null()) {
      if (!args["arguments"].is_object()) {
        return InvalidArgument("argument `arguments` must be an object");
      }
      inputs = args["arguments"];
    }
    return Run(ctx, wf, range, inputs);
  }
  if (name == kGetRun) return GetRun(ctx, args);
  if (name == kAnswerRun) return AnswerRun(ctx, args);
  // A stable workflow offered as its own tool.
  bool offered = false;
  std::string version;
  if (options_.workflow_tools) WFS_RETURN_IF_ERROR(RefreshIfChanged());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const store::PackageInfo& p : stable_) {
      if (p.name == name) {
        offered = true;
        version = p.version;
      }
    }
  }
  if (!offered || !g.run) {
    return NotFound(StrCat("unknown tool ", Quote(name),
                           " (tools/list shows the tools you may call)"));
  }
  static const std::string kAnyRelease;
  return Run(ctx, name, version, args, &kAnyRelease);
}

bool WorkflowTools::SameToolContract(const store::PackageInfo& routed,
                                     const std::string& stable_version,
                                     const mcp::Principal& caller) {
  auto stable = Visible(caller, routed.name, stable_version);
  if (!stable.ok()) return false;
  auto a = LoadProgram(routed);
  auto b = LoadProgram(*stable);
  return a.ok() && b.ok() &&
         runtime::InputSchema(**a) == runtime::InputSchema(**b) &&
         Annotations(**a) == Annotations(**b);
}

Result<store::PackageInfo> WorkflowTools::Visible(const mcp::Principal& caller,
                                                  const std::string& name,
                                                  const std::string& range) {
  if (!caller.grants.AllowsNamespace(name)) {
    return NotFound(StrCat("no workflow ", Quote(name), " for agent ",
                           Quote(caller.agent)));
  }
  WFS_ASSIGN_OR_RETURN(store::PackageInfo p,
                       options_.store->Resolve(name, range));
  if (store::StageIndex(p.stage) < store::StageIndex(caller.grants.min_stage)) {
    return PermissionDenied(StrCat(name, "@", p.version, " is at stage ",
                                   p.stage, "; agent ", Quote(caller.agent),
                                   " may run workflows from stage ",
                                   caller.grants.min_stage, " on"));
  }
  return p;
}

Result<Json> WorkflowTools::Find(mcp::CallContext& ctx, const Json& args) {
  WFS_RETURN_IF_ERROR(OnlyKnown(args, {"query", "stage", "effects", "limit"}));
  WFS_ASSIGN_OR_RETURN(std::string query, StringArg(args, "query", true));
  WFS_ASSIGN_OR_RETURN(std::string stage, StringArg(args, "stage", false));
  if (Trim(query).empty()) return InvalidArgument("query is empty");
  if (query.size() > 2000) return InvalidArgument("query is too long");
  const mcp::Grants& g = ctx.principal().grants;
  int from = store::StageIndex(g.min_stage);
  if (!stage.empty()) {
    int s = store::StageIndex(stage);
    if (s < 0) {
      return InvalidArgument(StrCat("unknown stage ", Quote(stage), " (",
                                    StrJoin(kStages, ", "), ")"));
    }
    from = std::max(from, s);
  }
  discovery::SearchQuery q;
  q.text = query;
  for (int i = std::max(from, 0); i < static_cast<int>(kStages.size()); ++i) {
    q.stages.push_back(kStages[i]);
  }
  if (args.contains("effects")) {
    if (!args["effects"].is_array()) {
      return InvalidArgument("effects must be a list of strings");
    }
    for (const Json& e : args["effects"]) {
      if (!e.is_string()) return InvalidArgument("effects must be strings");
      q.effects.push_back(e.get<std::string>());
    }
  }
  q.limit = 5;
  if (args.contains("limit")) {
    if (!args["limit"].is_number_integer() ||
        args["limit"].get<int64_t>() < 1 || args["limit"].get<int64_t>() > 20) {
      return InvalidArgument("limit must be an integer from 1 to 20");
    }
    q.limit = static_cast<size_t>(args["limit"].get<int64_t>());
  }
  q.limit = std::min<size_t>(q.limit * 4, 100);  // room for the grant filter
  discovery::SearchResponse r;
  WFS_RETURN_IF_ERROR(RefreshIfChanged());
  {
    std::lock_guard<std::mutex> lock(mu_);
    r = index_->Search(q);
  }
  size_t want = std::min<size_t>(q.limit / 4, 20);
  std::string top = r.results.empty() ? "" : r.results.front().id;
  std::vector<discovery::SearchResult> kept;
  for (const discovery::SearchResult& x : r.results) {
    if (g.AllowsNamespace(x.name) && kept.size() < want) kept.push_back(x);
  }
  // A fit is the index's confident best result, and the caller may see it.
  bool match = r.match && !kept.empty() && kept.front().id == top;
  if (!match && options_.demand != nullptr) {
    options_.demand->Record(r, ctx.principal().agent).IgnoreError();
  }
  Json results = Json::array();
  for (const discovery::SearchResult& x : kept) {
    Json matched = Json::array();
    Json terms = Json::object();
    for (const auto& [field, ts] : x.matched) {
      matched.push_back(field);
      terms[field] = ts;
    }
    std::string summary;
    auto info = options_.store->Get(x.name, x.version);
    if (info.ok()) summary = info->summary;
    results.push_back({{"name", x.name},
                       {"version", x.version},
                       {"score", x.score},
                       {"confidence", x.confidence},
                       {"matched", matched},
                       {"matched_terms", terms},
                       {"stage", x.stage},
                       {"effects", x.effects},
                       {"signer", x.signer},
                       {"summary", summary}});
  }
  Json out = {{"query", query}, {"match", match}, {"results", results}};
  if (match) {
    out["message"] =
        StrCat("best fit: ", kept.front().name, "@", kept.front().version,
               "; read its contract with describe_workflow");
  } else {
    out["message"] =
        "no workflow fits this request; the candidates below are the nearest "
        "but do not do it. Tell the person rather than improvising. The "
        "request was recorded as unmet demand.";
  }
  return ToolResult(std::move(out));
}

Result<Json> WorkflowTools::Describe(mcp::CallContext& ctx, const Json& args) {
  WFS_RETURN_IF_ERROR(OnlyKnown(args, {"name", "version"}));
  WFS_ASSIGN_OR_RETURN(std::string name, StringArg(args, "name", true));
  WFS_ASSIGN_OR_RETURN(std::string range, StringArg(args, "version", false));
  // Describing needs only the namespace grant: an agent may read the
  // contract of a workflow it may not run yet.
  if (!ctx.principal().grants.AllowsNamespace(name)) {
    return ToolError(StrCat("no workflow ", Quote(name)));
  }
  auto p = options_.store->Resolve(name, range);
  if (!p.ok()) return ToolError(p.status().message());
  auto prog = LoadProgram(*p);
  if (!prog.ok()) return ToolError(prog.status().message());
  auto report = options_.store->Report(p->name, p->version);
  if (!report.ok()) return ToolError(report.status().message());
  const runtime::Program& pr = **prog;
  Json confirmations = Json::array();
  for (size_t i = 0; i < pr.branch_kind.size(); ++i) {
    if (pr.branch_kind[i] == "confirm" || pr.branch_kind[i] == "choose") {
      confirmations.push_back(
          {{"kind", pr.branch_kind[i]}, {"line", pr.branch_at[i].first}});
    }
  }
  Json out = {{"name", p->name},
              {"version", p->version},
              {"summary", pr.summary},
              {"intents", pr.intents},
              {"stage", p->stage},
              {"grade", (*report)["grade"]},
              {"grade_line", (*report)["grade_line"]},
              {"input_schema", runtime::InputSchema(pr)},
              {"output_schema", runtime::OutputSchema(pr)},
              {"effects", (*report)["effects"]},
              {"agent_chosen_targets", (*report)["agent_chosen_targets"]},
              {"confirmations", confirmations},
              {"annotations", Annotations(pr)},
              {"warnings", (*report)["warnings"]},
              {"flags", (*report)["flags"]},
              {"dependencies", (*report)["dependencies"]},
              {"content_id", pr.content_id},
              {"publisher", (*report)["publisher"]},
              {"yanked", p->yanked}};
  if (!p->deprecated.empty()) {
    out["deprecated"] = p->deprecated;
    out["successor"] = p->successor;
  }
  return ToolResult(std::move(out));
}

Json WorkflowTools::RunToolResult(mcp::CallContext& ctx,
                                  const runtime::Program& program,
                                  const std::string& run_id,
                                  const runtime::RunResult& r) {
  Json out = {{"run_id", run_id},
              {"workflow", program.name + "@" + program.version},
              {"outcome", runtime::OutcomeName(r.outcome)}};
  Json person = nullptr;  // what only the person sees
  if (r.outcome == runtime::Outcome::kCompleted) {
    runtime::HandleTable handles;
    std::string prefix = StrCat(
        "h-", run_id.substr(run_id.size() > 6 ? run_id.size() - 6 : 0), "-");
    out["outputs"] = runtime::AgentView(program, r.outputs, &handles, prefix);
    if (!handles.empty()) {
      person = Json::object();
      for (const auto& [id, v] : handles) person[id] = runtime::ToJson(v);
      // Kept for the session, within its bounds; a stateless call has none
      // beyond itself.
      if (!ctx.stateless()) {
        std::lock_guard<std::mutex> lock(mu_);
        SessionHandles& kept = handles_[ctx.session().id()];
        for (auto& [id, v] : handles) {
          size_t bytes = CanonicalJson(person[id]).size();
          if (kept.table.insert_or_assign(id, v).second) {
            kept.order.emplace_back(id, bytes);
            kept.bytes += bytes;
          }
        }
        while (!kept.order.empty() &&
               (kept.order.size() > options_.max_handles_per_session ||
                kept.bytes > options_.max_handle_bytes_per_session)) {
          kept.table.erase(kept.order.front().first);
          kept.bytes -= kept.order.front().second;
          kept.order.pop_front();
        }
      }
    }
  }
  if (!r.error.empty()) out["error"] = r.error;
  if (!r.rule.empty()) out["rule"] = r.rule;
  Json effects = Json::array();
  for (const runtime::CallRecord& c : r.calls) {
    effects.push_back({{"seq", c.seq},
                       {"action", c.action},
                       {"effect", c.effect},
                       {"decision", c.decision},
                       {"ok", c.ok},
                       {"undone", c.undone}});
  }
  out["effects"] = std::move(effects);
  Json undo = Json::array();
  for (const runtime::UndoRecord& u : r.undo) {
    undo.push_back({{"seq", u.seq}, {"action", u.action}, {"ok", u.ok}});
  }
  out["undo"] = std::move(undo);
  if (r.outcome == runtime::Outcome::kWaiting && !r.asked.empty()) {
    const runtime::Prompt& p = r.asked.back();
    out["waiting"] = {
        {"kind",
         p.kind == runtime::Prompt::Kind::kConfirm ? "confirm" : "choose"},
        {"for", "the person"},
        {"how", StrCat("the person answers with `wfstore approve ", run_id,
                       "` or `wfstore deny ", run_id,
                       "`, or through answer_run when the client supports "
                       "elicitation; poll with get_run")}};
  }
  bool failed = r.outcome != runtime::Outcome::kCompleted &&
                r.outcome != runtime::Outcome::kWaiting;
  Json result = ToolResult(std::move(out), failed);
  if (!person.is_null()) {
    // The values behind the handles go to the person only.
    result["content"].push_back(
        {{"type", "text"},
         {"text", StrCat("Outputs for the person (untrusted or private; not "
                         "for the model):\n",
                         PrettyJson(person))},
         {"annotations", {{"audience", {"user"}}, {"priority", 1.0}}}});
  }
  ctx.Log(1, "wfstore.run",
          {{"run_id", run_id}, {"outcome", runtime::OutcomeName(r.outcome)}});
  return result;
}

Result<runtime::ProgramPtr> WorkflowTools::LoadProgram(
    const store::PackageInfo& p) {
  std::string key = StrCat(p.name, "@", p.version);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = programs_.find(key);
    if (it != programs_.end()) return it->second;
  }
  WFS_ASSIGN_OR_RETURN(runtime::ProgramPtr prog,
                       options_.store->LoadProgram(p.name, p.version));
  std::lock_guard<std::mutex> lock(mu_);
  programs_.emplace(key, prog);
  return prog;
}

Result<Json> WorkflowTools::Run(mcp::CallContext& ctx, const std::string& name,
                                const std::string& range, const Json& inputs,
                                const std::string* route_range) {
  const mcp::Principal& caller = ctx.principal();
  // A call cancelled before it began (a task cancelled while queued, a
  // client gone) starts nothing.
  if (ctx.cancelled()) return Cancelled("the call was cancelled");
  std::string run_id = journal::NewRunId(*clock_);
  std::string chosen = range;
  if (options_.rollout != nullptr && caller.grants.AllowsNamespace(name)) {
    double draw = journal::RunIdDraw(run_id);
    bool may_canary = store::StageIndex(caller.grants.min_stage) <=
                      store::StageIndex("canary");
    auto routed = options_.rollout->Choose(
        name, route_range != nullptr ? *route_range : range, caller.agent,
        may_canary, draw);
    if (!routed.ok()) return ToolError(routed.status().message());
    if (routed->has_value()) chosen = **routed;
  }
  auto p = Visible(caller, name, chosen);
  if (!p.ok()) {
    if (p.status().code() == Code::kNotFound) return p.status();
    return ToolError(p.status().message());
  }
  if (route_range != nullptr && p->version != range &&
      !SameToolContract(*p, range, caller)) {
    // A workflow's own tool advertises its stable version's inputs and
    // hints: a canary that differs in them takes no calls through it (the
    // agent built its arguments for the stable contract).
    p = Visible(caller, name, range);
    if (!p.ok()) return ToolError(p.status().message());
  }
  if (p->yanked) {
    return ToolError(
        StrCat(name, "@", p->version, " was yanked: ", p->yank_reason));
  }
  auto prog = LoadProgram(*p);
  if (!prog.ok()) return ToolError(prog.status().message());
  const runtime::Program& program = **prog;
  // Arguments against the published schema, before anything is recorded.
  Status valid = runtime::CheckInputs(program, inputs);
  if (!valid.ok()) {
    return ToolError(valid.message(),
                     Json{{"input_schema", runtime::InputSchema(program)}});
  }
  std::set<std::string> uses, seen;
  CollectUses(program, options_.store->programs(), &uses, &seen);
  for (const std::string& u : uses) {
    if (!caller.grants.AllowsCapability(u)) {
      return ToolError(StrCat(name, " uses ", u, ", which agent ",
                              Quote(caller.agent), "'s grant does not allow"));
    }
  }
  ctx.Progress(0, 1, StrCat("running ", name, "@", p->version));
  ElicitingApprover approver(ctx, options_.elicit_timeout);
  auto r = runner_->Start(program, inputs, options_.connector_config, &approver,
                          caller.agent, run_id, uses, /*fresh_id=*/true);
  if (!r.ok()) return ToolError(r.status().message());
  ctx.Progress(1, 1, runtime::OutcomeName(r->outcome));
  if (r->outcome != runtime::Outcome::kWaiting) AfterRun(name, p->version);
  AskThroughClient(ctx, approver, run_id, *r);
  AnswerWithRunTask(ctx, run_id, *r);
  return RunToolResult(ctx, program, run_id, *r);
}

void WorkflowTools::AnswerWithRunTask(mcp::CallContext& ctx,
                                      const std::string& run_id,
                                      const runtime::RunResult& r) {
  if (r.outcome != runtime::Outcome::kWaiting || ctx.input_required() ||
      !ctx.CanContinueAsTask()) {
    return;
  }
  auto rec = options_.journal->GetRun(run_id);
  if (rec.ok()) ctx.ReturnTask(RunTask(*rec));
}

Json WorkflowTools::RunTask(const journal::RunRecord& rec) {
  bool ended = rec.state != "waiting" && rec.state != "running";
  Json task = {{"taskId", rec.run_id},
               {"status", ended ? "completed" : "working"},
               {"createdAt", FormatRfc3339(rec.created_us)},
               {"lastUpdatedAt", FormatRfc3339(rec.updated_us)},
               {"ttlMs", nullptr},  // as long as the journal keeps the run
               {"pollIntervalMs", options_.task_poll.count()}};
  if (rec.state == "waiting") {
    task["statusMessage"] =
        StrCat("run ", rec.run_id,
               " waits for the person: they answer with `wfstore "
               "approve ",
               rec.run_id, "` or `wfstore deny ", rec.run_id, "`");
  } else if (rec.state == "running") {
    task["statusMessage"] = StrCat("run ", rec.run_id, " is running");
  } else {
    task["statusMessage"] = StrCat("run ", rec.run_id, " ended: ", rec.state);
    task["result"] = RunRecordResult(rec);
  }
  return task;
}

Result<Json> WorkflowTools::GetTask(const mcp::Principal& caller,
                                    const std::string& task_id) {
  // A run is a task of the caller that started it, while it may run
  // workflows; to anyone else it does not exist.
  auto rec = options_.journal->GetRun(task_id);
  if (!caller.grants.run || !rec.ok() || rec->caller != caller.agent) {
    return NotFound(StrCat("no task ", Quote(task_id)));
  }
  return RunTask(*rec);
}

Status WorkflowTools::CancelTask(const mcp::Principal& caller,
                                 const std::string& task_id) {
  // Acknowledged, and nothing more: a run that waits for the person goes on
  // waiting for them (no agent ends it in their place), a run that ended
  // stays as it ended.
  return GetTask(caller, task_id).status();
}

void WorkflowTools::AfterRun(const std::string& name,
                             const std::string& version) {
  if (options_.rollout == nullptr || options_.rollout_key == nullptr) return;
  auto rolled = options_.rollout->AfterRun(name, version, *options_.rollout_key);
  if (!options_.log) return;
  if (!rolled.ok()) {
    options_.log(StrCat("rollout of ", name, "@", version,
                        " could not be evaluated: ", rolled.status().message()));
  } else if (rolled->has_value()) {
    const rollout::Rollout& r = **rolled;
    options_.log(StrCat("rolled back canary ", name, "@", r.canary,
                        r.stable.empty() ? std::string()
                                         : StrCat(" (calls go to ", r.stable,
                                                  ")"),
                        ": ", r.reason));
  }
}

Json WorkflowTools::RunRecordResult(const journal::RunRecord& record) {
  Json out = {{"run_id", record.run_id},
              {"workflow", record.workflow},
              {"outcome", record.state}};
  const Json& o = record.outcome;
  if (o.contains("error") && o["error"].is_string()) out["error"] = o["error"];
  if (o.contains("rule") && o["rule"].is_string()) out["rule"] = o["rule"];
  if (record.state == "completed") {
    // The journal keeps values without their labels: only outputs the
    // workflow reveals are shown here; the person sees the rest with
    // `wfstore runs show`.
    Json outputs = Json::object();
    auto prog = runner_->LoadProgram(record.content_id);
    const Json& recorded = JsonObjectMember(o, "outputs");
    if (prog.ok()) {
      for (const runtime::OutputSpec& s : (*prog)->outputs) {
        if (s.reveal && recorded.contains(s.name)) {
          outputs[s.name] = recorded[s.name];
        } else {
          outputs[s.name] = {
              {"withheld",
               StrCat("shown to the person only: wfstore runs show ",
                      record.run_id)}};
        }
      }
    }
    out["outputs"] = outputs;
  }
  if (record.state == "waiting") {
    out["waiting"] = {
        {"for", "the person"},
        {"how", StrCat("the person answers with `wfstore approve ",
                       record.run_id, "` or `wfstore deny ", record.run_id,
                       "`, or through answer_run when the client supports "
                       "elicitation")}};
  }
  bool failed = record.state != "completed" && record.state != "waiting" &&
                record.state != "running";
  return ToolResult(std::move(out), failed);
}

Result<Json> WorkflowTools::GetRun(mcp::CallContext& ctx, const Json& args) {
  WFS_RETURN_IF_ERROR(OnlyKnown(args, {"run_id"}));
  WFS_ASSIGN_OR_RETURN(std::string id, StringArg(args, "run_id", true));
  auto rec = options_.journal->GetRun(id);
  // Another caller's run does not exist for this one.
  if (!rec.ok() || rec->caller != ctx.principal().agent) {
    return ToolError(StrCat("no run ", Quote(id), " started by you"));
  }
  return RunRecordResult(*rec);
}

Result<Json> WorkflowTools::AnswerRun(mcp::CallContext& ctx, const Json& args) {
  WFS_RETURN_IF_ERROR(OnlyKnown(args, {"run_id"}));
  WFS_ASSIGN_OR_RETURN(std::string id, StringArg(args, "run_id", true));
  auto rec = options_.journal->GetRun(id);
  if (!rec.ok() || rec->caller != ctx.principal().agent) {
    return ToolError(StrCat("no run ", Quote(id), " started by you"));
  }
  if (rec->state != "waiting") {
    return ToolError(StrCat("run ", id, " is not waiting (", rec->state, ")"));
  }
  if (!ctx.CanElicit()) {
    return ToolError(
        StrCat("this client cannot ask the person (no elicitation); the "
               "person answers with `wfstore approve ",
               id, "` or `wfstore deny ", id, "`"));
  }
  return ResumeWaiting(ctx, *rec);
}

Result<Json> WorkflowTools::ResumeWaiting(mcp::CallContext& ctx,
                                          const journal::RunRecord& rec) {
  ElicitingApprover approver(ctx, options_.elicit_timeout);
  // Only a retry bringing back the state that asked a question carries an
  // answer, and only to that question: inputResponses without it (a first
  // round of answer_run, say) answer nothing.
  const Json& kept = ctx.kept_state();
  if (ctx.stateless() && kept.is_object() && kept.contains("question") &&
      kept["question"].is_number_integer() && kept.contains("shown") &&
      kept["shown"].is_string()) {
    int seq = kept["question"].get<int>();
    approver.set_answer(
        JsonObjectMember(ctx.input_responses(), QuestionKey(seq).c_str()), seq,
        kept["shown"].get<std::string>());
  }
  auto r = runner_->ResumeWaiting(rec.run_id, &approver);
  if (!r.ok()) return ToolError(r.status().message());
  auto prog = runner_->LoadProgram(rec.content_id);
  if (!prog.ok()) return ToolError(prog.status().message());
  if (r->outcome != runtime::Outcome::kWaiting) {
    size_t at = rec.workflow.rfind('@');
    if (at != std::string::npos) {
      AfterRun(rec.workflow.substr(0, at), rec.workflow.substr(at + 1));
    }
  }
  AskThroughClient(ctx, approver, rec.run_id, *r);
  AnswerWithRunTask(ctx, rec.run_id, *r);
  return RunToolResult(ctx, **prog, rec.run_id, *r);
}

Result<std::vector<mcp::Resource>> WorkflowTools::ListResources(
    const mcp::Principal& caller) {
  WFS_ASSIGN_OR_RETURN(std::vector<store::PackageInfo> all,
                       options_.store->List());
  return WorkflowResources(all, &caller);
}

Result<std::vector<mcp::ResourceTemplate>> WorkflowTools::ListResourceTemplates(
    const mcp::Principal& caller) {
  (void)caller;
  return std::vector<mcp::ResourceTemplate>{
      {StrCat(kResourcePrefix, "{name}"), "workflow",
       "A workflow's contract and rigor report",
       "The latest version; append @VERSION to the name for another.",
       "application/json"}};
}

Result<Json> WorkflowTools::ReadResource(const mcp::Principal& caller,
                                         const std::string& uri) {
  if (!StartsWith(uri, kResourcePrefix)) {
    return NotFound(StrCat("no resource ", Quote(uri)));
  }
  std::string ref = uri.substr(sizeof(kResourcePrefix) - 1);
  std::string name = ref, version;
  size_t at = ref.find('@');
  if (at != std::string::npos) {
    name = ref.substr(0, at);
    version = ref.substr(at + 1);
  }
  if (!caller.grants.AllowsNamespace(name)) {
    return NotFound(StrCat("no resource ", Quote(uri)));
  }
  auto p = options_.store->Resolve(name, version);
  if (!p.ok()) return NotFound(StrCat("no resource ", Quote(uri)));
  WFS_ASSIGN_OR_RETURN(Json report,
                       options_.store->Report(p->name, p->version));
  return Json{{"contents", Json::array({Json{{"uri", uri},
                                             {"mimeType", "application/json"},
                                             {"text", PrettyJson(report)}}})}};
}

}  // namespace wfs::server
