#include "server/conformance_fixture.h"

#include <chrono>
#include <thread>
#include <utility>

#include "base/strings.h"

namespace wfs::server {
namespace {

// A 1x1 red PNG and a 16-sample silent 8 kHz mono WAV.
constexpr char kPng[] =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIA"
    "X8jx0gAAAABJRU5ErkJggg==";
constexpr char kWav[] =
    "UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAA"
    "AAAAAAAA";
constexpr char kTemplatePrefix[] = "test://template/";
constexpr char kTemplateSuffix[] = "/data";
constexpr int kInfo = 1;  // log level
constexpr int kMaxComputeSeconds = 600;  // slow_compute

Json Text(const std::string& text) {
  return Json{{"type", "text"}, {"text", text}};
}

Json Image() {
  return Json{{"type", "image"}, {"data", kPng}, {"mimeType", "image/png"}};
}

Json Result1(Json content) {
  return Json{{"content", Json::array({std::move(content)})}};
}

Json ErrorResult(const std::string& message) {
  return Json{{"content", Json::array({Text(message)})}, {"isError", true}};
}

Json NoArgs() {
  return Json{{"type", "object"}, {"properties", Json::object()}};
}

Json StringArgs(std::initializer_list<std::pair<const char*, const char*>> a) {
  Json props = Json::object();
  Json required = Json::array();
  for (const auto& [name, description] : a) {
    props[name] = {{"type", "string"}, {"description", description}};
    required.push_back(name);
  }
  return Json{{"type", "object"},
              {"properties", std::move(props)},
              {"required", std::move(required)}};
}

Result<std::string> RequiredString(const Json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end() || !it->is_string()) {
    return InvalidArgument(
        StrCat("argument `", key, "` (a string) is required"));
  }
  return it->get<std::string>();
}

Json Sep1034Schema() {
  return Json{
      {"type", "object"},
      {"properties",
       {{"name",
         {{"type", "string"},
          {"description", "User name"},
          {"default", "John Doe"}}},
        {"age",
         {{"type", "integer"}, {"description", "User age"}, {"default", 30}}},
        {"score",
         {{"type", "number"},
          {"description", "User score"},
          {"default", 95.5}}},
        {"status",
         {{"type", "string"},
          {"description", "User status"},
          {"enum", {"active", "inactive", "pending"}},
          {"default", "active"}}},
        {"verified",
         {{"type", "boolean"},
          {"description", "Verification status"},
          {"default", true}}}}},
      {"required", Json::array()}};
}

Json Sep1330Schema() {
  auto titled =
      [](std::initializer_list<std::pair<const char*, const char*>> options) {
        Json list = Json::array();
        for (const auto& [value, title] : options) {
          list.push_back({{"const", value}, {"title", title}});
        }
        return list;
      };
  return Json{
      {"type", "object"},
      {"properties",
       {{"untitledSingle",
         {{"type", "string"},
          {"description", "Untitled single-select"},
          {"enum", {"option1", "option2", "option3"}}}},
        {"titledSingle",
         {{"type", "string"},
          {"description", "Titled single-select"},
          {"oneOf", titled({{"value1", "First Option"},
                            {"value2", "Second Option"},
                            {"value3", "Third Option"}})}}},
        {"legacyEnum",
         {{"type", "string"},
          {"description", "Legacy titled enum"},
          {"enum", {"opt1", "opt2", "opt3"}},
          {"enumNames", {"Option One", "Option Two", "Option Three"}}}},
        {"untitledMulti",
         {{"type", "array"},
          {"description", "Untitled multi-select"},
          {"items",
           {{"type", "string"}, {"enum", {"option1", "option2", "option3"}}}}}},
        {"titledMulti",
         {{"type", "array"},
          {"description", "Titled multi-select"},
          {"items",
           {{"anyOf", titled({{"value1", "First Choice"},
                              {"value2", "Second Choice"},
                              {"value3", "Third Choice"}})}}}}}}},
      {"required", Json::array()}};
}

// With the vocabulary 2026-07-28 allows in input schemas: an anchor,
// composition and conditional keywords.
Json JsonSchema2020Input() {
  auto required = [](const char* name) {
    return Json{{"required", Json::array({name})}};
  };
  return Json{
      {"$schema", "https://json-schema.org/draft/2020-12/schema"},
      {"type", "object"},
      {"$defs",
       {{"address",
         {{"$anchor", "addressDef"},
          {"type", "object"},
          {"properties",
           {{"street", {{"type", "string"}}},
            {"city", {{"type", "string"}}}}}}}}},
      {"properties",
       {{"name", {{"type", "string"}}},
        {"address", {{"$ref", "#/$defs/address"}}},
        {"contactMethod", {{"type", "string"}, {"enum", {"phone", "email"}}}},
        {"phone", {{"type", "string"}}},
        {"email", {{"type", "string"}}}}},
      {"allOf",
       Json::array(
           {{{"anyOf", Json::array({required("phone"), required("email")})}}})},
      {"if",
       {{"properties", {{"contactMethod", {{"const", "phone"}}}}},
        {"required", Json::array({"contactMethod"})}}},
      {"then", required("phone")},
      {"else", required("email")},
      {"additionalProperties", false}};
}

// Input requests (2026-07-28): what a tool asks the client for.
Json ElicitRequest(const std::string& message, const char* field,
                   const char* type) {
  return Json{{"method", "elicitation/create"},
              {"params",
               {{"message", message},
                {"requestedSchema",
                 {{"type", "object"},
                  {"properties", {{field, {{"type", type}}}}},
                  {"required", Json::array({field})}}}}}};
}

Json SampleRequest(const std::string& text, int max_tokens) {
  return Json{
      {"method", "sampling/createMessage"},
      {"params",
       {{"messages",
         Json::array({Json{{"role", "user"}, {"content", Text(text)}}})},
        {"maxTokens", max_tokens}}}};
}

Json RootsRequest() {
  return Json{{"method", "roots/list"}, {"params", Json::object()}};
}

// The client's answer to the input request `key`, or null.
const Json* Answer(const mcp::CallContext& ctx, const char* key) {
  const Json& all = ctx.input_responses();
  auto it = all.find(key);
  return it == all.end() ? nullptr : &*it;
}

// An elicitation answer's `field` when the person accepted, else "".
std::string Accepted(const Json& answer, const char* field) {
  if (answer.value("action", "") != "accept") return "";
  auto c = answer.find("content");
  if (c == answer.end() || !c->is_object()) return "";
  auto f = c->find(field);
  if (f == c->end()) return "";
  return f->is_string() ? f->get<std::string>() : CanonicalJson(*f);
}

// A sampling answer's text.
std::string SampledText(const Json& answer) {
  auto c = answer.find("content");
  if (c == answer.end()) return "";
  if (c->is_object()) return c->value("text", CanonicalJson(*c));
  return CanonicalJson(*c);
}

// A roots/list answer's URIs, comma-separated.
std::string RootUris(const Json& answer) {
  std::vector<std::string> uris;
  auto r = answer.find("roots");
  if (r != answer.end() && r->is_array()) {
    for (const Json& root : *r) {
      if (root.is_object()) uris.push_back(root.value("uri", ""));
    }
  }
  return StrJoin(uris, ", ");
}

// The keys of `requests` the client has not answered yet.
Json Unanswered(const mcp::CallContext& ctx, const Json& requests) {
  Json out = Json::object();
  for (const auto& [key, request] : requests.items()) {
    if (Answer(ctx, key.c_str()) == nullptr) out[key] = request;
  }
  return out;
}

std::string ElicitationText(const Json& r) {
  return StrCat(
      "Elicitation completed: action=", r.value("action", ""), ", content=",
      CanonicalJson(r.contains("content") ? r["content"] : Json::object()));
}

}  // namespace

mcp::ProviderFeatures ConformanceFixture::Features() const {
  mcp::ProviderFeatures f;
  f.prompts = true;
  f.completions = true;
  f.resource_subscribe = true;
  f.mirrored_params = true;  // test_mirrored_param
  f.tasks = true;            // slow_compute, confirm_delete, ...
  return f;
}

Result<std::vector<mcp::Tool>> ConformanceFixture::ListTools(
    const mcp::Principal& caller) {
  (void)caller;
  auto tool = [](const char* name, const char* description,
                 Json input = NoArgs(), const char* task_support = "") {
    mcp::Tool t;
    t.name = name;
    t.description = description;
    t.input_schema = std::move(input);
    t.task_support = task_support;
    return t;
  };
  Json compute = {
      {"type", "object"},
      {"properties",
       {{"seconds",
         {{"type", "number"}, {"minimum", 0}, {"maximum", kMaxComputeSeconds}}},
        {"label", {{"type", "string"}}}}}};
  return std::vector<mcp::Tool>{
      tool("test_simple_text", "Returns a simple text response"),
      tool("test_image_content", "Returns a PNG image"),
      tool("test_audio_content", "Returns a WAV audio clip"),
      tool("test_embedded_resource", "Returns an embedded text resource"),
      tool("test_multiple_content_types",
           "Returns text, an image and an embedded resource"),
      tool("test_tool_with_logging",
           "Sends three info log messages while it runs"),
      tool("test_error_handling", "Always fails (isError)"),
      tool("test_tool_with_progress",
           "Reports progress 0, 50 and 100 of 100 while it runs"),
      tool("test_sampling", "Asks the client's model (sampling)",
           StringArgs({{"prompt", "The prompt to send to the model"}})),
      tool("test_elicitation", "Asks the person for a username and email",
           StringArgs({{"message", "The message to show the person"}})),
      tool("test_elicitation_sep1034_defaults",
           "Elicits a form whose fields carry default values"),
      tool("test_elicitation_sep1330_enums",
           "Elicits a form with every enum variant"),
      tool("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features",
           JsonSchema2020Input()),
      tool("test_reconnection", "Returns once its work is done"),
      // Revision 2026-07-28 (stateless requests).
      tool("test_input_required_result_elicitation",
           "Asks the person's name (input request), then greets them"),
      tool("test_input_required_result_sampling",
           "Asks the client's model a question (input request)"),
      tool("test_input_required_result_list_roots",
           "Asks for the client's roots (input request)"),
      tool("test_input_required_result_request_state",
           "Asks for a confirmation and checks the state it kept"),
      tool("test_input_required_result_multiple_inputs",
           "Asks for a name, a greeting and the roots at once"),
      tool("test_input_required_result_multi_round",
           "Asks two questions, one per round"),
      tool("test_input_required_result_tampered_state",
           "Asks for a confirmation; its state is sealed"),
      tool("test_input_required_result_capabilities",
           "Asks only for what the client declared it can answer"),
      tool("test_missing_capability",
           "Needs sampling: refused when the client did not declare it"),
      tool("test_streaming_elicitation",
           "Reports progress on its stream, then asks the person"),
      tool("test_logging_tool",
           "Sends log messages when the request asks for a level"),
      tool("test_mirrored_param",
           "Its region travels in an Mcp-Param-Region header too",
           Json{{"type", "object"},
                {"properties",
                 {{"region",
                   {{"type", "string"},
                    {"description", "Where to run"},
                    {"x-mcp-header", "Region"}}},
                  {"query", {{"type", "string"}}}}},
                {"required", Json::array({"region"})}}),
      // The tasks extension (2026-07-28).
      tool("greet", "Greets someone at once (never a task)",
           StringArgs({{"name", "Whom to greet"}})),
      tool("slow_compute",
           "Works `seconds` seconds, as a task when the client can follow "
           "one",
           compute, "optional"),
      tool("failing_job", "Runs only as a task; reports a tool error", NoArgs(),
           "required"),
      tool("protocol_error_job", "Fails with a protocol error", NoArgs(),
           "optional"),
      tool("confirm_delete", "Asks the person to confirm, then answers",
           StringArgs({{"filename", "What to delete"}}), "optional"),
      tool("multi_input", "Asks two questions at once", NoArgs(), "optional"),
      tool("test_tool_with_task",
           "Asks a name (input request), then greets as a task", NoArgs(),
           "required"),
  };
}

Result<Json> ConformanceFixture::CallTool(mcp::CallContext& ctx,
                                          const std::string& name,
                                          const Json& arguments) {
  if (name == "test_simple_text") {
    return Result1(Text("This is a simple text response for testing."));
  }
  if (name == "test_image_content") return Result1(Image());
  if (name == "test_audio_content") {
    return Result1(
        Json{{"type", "audio"}, {"data", kWav}, {"mimeType", "audio/wav"}});
  }
  if (name == "test_embedded_resource") {
    return Result1(Json{{"type", "resource"},
                        {"resource",
                         {{"uri", "test://embedded-resource"},
                          {"mimeType", "text/plain"},
                          {"text", "This is an embedded resource content."}}}});
  }
  if (name == "test_multiple_content_types") {
    return Json{
        {"content",
         Json::array({Text("Multiple content types test:"), Image(),
                      Json{{"type", "resource"},
                           {"resource",
                            {{"uri", "test://mixed-content-resource"},
                             {"mimeType", "application/json"},
                             {"text", R"({"test":"data","value":123})"}}}}})}};
  }
  if (name == "test_tool_with_logging") {
    const char* steps[] = {"Tool execution started", "Tool processing data",
                           "Tool execution completed"};
    for (int i = 0; i < 3; ++i) {
      if (i > 0) std::this_thread::sleep_for(step_);
      ctx.Log(kInfo, "conformance", steps[i]);
    }
    return Result1(Text("Tool with logging executed successfully"));
  }
  if (name == "test_error_handling") {
    return ErrorResult("This tool intentionally returns an error for testing");
  }
  if (name == "test_tool_with_progress") {
    for (int p = 0; p <= 100; p += 50) {
      if (p > 0) std::this_thread::sleep_for(step_);
      ctx.Progress(p, 100, "");
    }
    return Result1(Text("Tool with progress executed successfully"));
  }
  if (name == "test_sampling") {
    WFS_ASSIGN_OR_RETURN(std::string prompt,
                         RequiredString(arguments, "prompt"));
    auto r = ctx.Sample(
        Json{{"messages",
              Json::array({Json{{"role", "user"}, {"content", Text(prompt)}}})},
             {"maxTokens", 100}},
        client_timeout_);
    if (!r.ok()) return ErrorResult(r.status().message());
    const Json& c = (*r)["content"];
    std::string text =
        c.is_object() ? c.value("text", CanonicalJson(c)) : CanonicalJson(c);
    return Result1(Text(StrCat("LLM response: ", text)));
  }
  if (name == "test_elicitation") {
    WFS_ASSIGN_OR_RETURN(std::string message,
                         RequiredString(arguments, "message"));
    Json schema = {
        {"type", "object"},
        {"properties",
         {{"username",
           {{"type", "string"}, {"description", "User's response"}}},
          {"email",
           {{"type", "string"}, {"description", "User's email address"}}}}},
        {"required", {"username", "email"}}};
    auto r = ctx.Elicit(message, schema, client_timeout_);
    if (!r.ok()) return ErrorResult(r.status().message());
    return Result1(Text(StrCat("User response: ", CanonicalJson(*r))));
  }
  if (name == "test_elicitation_sep1034_defaults" ||
      name == "test_elicitation_sep1330_enums") {
    bool defaults = name == "test_elicitation_sep1034_defaults";
    auto r = ctx.Elicit(
        Json{{"message", defaults ? "Test client default value handling - "
                                    "please accept with defaults"
                                  : "Test enum schema variants - please "
                                    "choose"},
             {"requestedSchema", defaults ? Sep1034Schema() : Sep1330Schema()}},
        client_timeout_);
    if (!r.ok()) return ErrorResult(r.status().message());
    return Result1(Text(ElicitationText(*r)));
  }
  if (name == "json_schema_2020_12_tool") {
    return Result1(Text(StrCat("Received: ", CanonicalJson(arguments))));
  }
  if (auto r = CallStatelessTool(ctx, name)) return std::move(*r);
  if (auto r = CallTaskTool(ctx, name, arguments)) return std::move(*r);
  if (name == "test_mirrored_param") {
    WFS_ASSIGN_OR_RETURN(std::string region,
                         RequiredString(arguments, "region"));
    return Result1(Text(StrCat("region=", region)));
  }
  if (name == "test_reconnection") {
    // Ends the connection mid-call (SEP-1699 polling): the result reaches
    // the client when it resumes the stream with Last-Event-ID.
    if (ctx.CloseConnection()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Result1(Text("Reconnection test completed successfully"));
  }
  return NotFound(StrCat("no tool ", Quote(name)));
}

std::optional<Result<Json>> ConformanceFixture::CallTaskTool(
    mcp::CallContext& ctx, const std::string& name, const Json& arguments) {
  // Runs `job` as a task when the client can follow one, else at once.
  auto maybe_task =
      [&](std::function<Result<Json>(mcp::CallContext&)> job) -> Result<Json> {
    if (!ctx.CanContinueAsTask()) return job(ctx);
    ctx.ContinueAsTask(std::move(job));
    return Json::object();
  };
  // Waits `ms`, or less when the call is cancelled (false then).
  auto work = [](mcp::CallContext& c, int64_t ms) {
    for (int64_t waited = 0; waited < ms; waited += 20) {
      if (c.cancelled()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return !c.cancelled();
  };
  if (name == "greet") {
    WFS_ASSIGN_OR_RETURN(std::string who, RequiredString(arguments, "name"));
    return Result1(Text(StrCat("Hello, ", who, "!")));
  }
  if (name == "slow_compute") {
    double seconds = 0;
    if (arguments.contains("seconds")) {
      const Json& v = arguments["seconds"];
      if (!v.is_number() || v.get<double>() < 0 ||
          v.get<double>() > kMaxComputeSeconds) {
        return InvalidArgument(StrCat("argument `seconds`: a number from 0 to ",
                                      kMaxComputeSeconds));
      }
      seconds = v.get<double>();
    }
    if (!arguments.value("label", Json("")).is_string()) {
      return InvalidArgument("argument `label`: a string");
    }
    std::string label = arguments.value("label", std::string("compute"));
    return maybe_task([work, seconds,
                       label](mcp::CallContext& c) -> Result<Json> {
      if (!work(c, static_cast<int64_t>(seconds * 1000))) {
        return Cancelled("slow_compute was cancelled");
      }
      return Result1(Text(StrCat("Computed ", label, " in ", seconds, " s")));
    });
  }
  if (name == "failing_job" || name == "test_tool_with_task") {
    // Task support "required": a stateless client that cannot follow a task
    // is refused.
    if (ctx.stateless() && !ctx.CanContinueAsTask()) {
      return ctx.RequireExtension(mcp::kTasksExtension);
    }
  }
  if (name == "failing_job") {
    return maybe_task([work](mcp::CallContext& c) -> Result<Json> {
      if (!work(c, 1000)) return Cancelled("failing_job was cancelled");
      return ErrorResult("failing_job failed, as it always does");
    });
  }
  if (name == "protocol_error_job") {
    return maybe_task([](mcp::CallContext&) -> Result<Json> {
      return Internal("protocol_error_job broke down (on purpose)");
    });
  }
  if (name == "confirm_delete") {
    WFS_ASSIGN_OR_RETURN(std::string file,
                         RequiredString(arguments, "filename"));
    Json ask =
        ElicitRequest(StrCat("Delete ", file, "?"), "confirm", "boolean");
    auto done = [file](const Json& answer) {
      return Result1(Text(StrCat(
          Accepted(answer, "confirm") == "true" ? "Deleted " : "Kept ", file)));
    };
    if (ctx.stateless() && !ctx.CanContinueAsTask()) {
      if (!ctx.CanElicit()) return ctx.RequireCapability("elicitation");
      if (const Json* a = Answer(ctx, "confirm")) return done(*a);
      ctx.RequireInput({{"confirm", ask}}, nullptr);
      return Json::object();
    }
    return maybe_task([this, params = ask["params"],
                       done](mcp::CallContext& c) -> Result<Json> {
      WFS_ASSIGN_OR_RETURN(Json a, c.Elicit(params, client_timeout_));
      return done(a);
    });
  }
  if (name == "multi_input") {
    Json both = {
        {"name", ElicitRequest("What is your name?", "name", "string")},
        {"confirm", ElicitRequest("Shall I go on?", "confirm", "boolean")}};
    auto text = [](const Json& who, const Json& confirm) {
      return Result1(Text(StrCat("name=", Accepted(who, "name"),
                                 ", confirm=", Accepted(confirm, "confirm"))));
    };
    if (ctx.stateless() && !ctx.CanContinueAsTask()) {
      if (!ctx.CanElicit()) return ctx.RequireCapability("elicitation");
      Json missing = Unanswered(ctx, both);
      if (missing.empty()) {
        return text(*Answer(ctx, "name"), *Answer(ctx, "confirm"));
      }
      ctx.RequireInput(std::move(missing), nullptr);
      return Json::object();
    }
    if (!ctx.CanContinueAsTask()) {
      return ErrorResult("multi_input asks through input requests or a task");
    }
    return maybe_task([this, both, text](mcp::CallContext& c) -> Result<Json> {
      WFS_ASSIGN_OR_RETURN(Json a, c.Ask(both, client_timeout_));
      return text(a["name"], a["confirm"]);
    });
  }
  if (name == "test_tool_with_task") {
    // Round 1 asks the name (input request); round 2 goes on as a task
    // with it.
    if (!ctx.stateless()) {
      return ErrorResult("test_tool_with_task runs with revision 2026-07-28");
    }
    if (!ctx.CanElicit()) return ctx.RequireCapability("elicitation");
    const Json* a = Answer(ctx, "user_name");
    if (a == nullptr) {
      ctx.RequireInput({{"user_name", ElicitRequest("What is your name?",
                                                    "name", "string")}},
                       nullptr);
      return Json::object();
    }
    std::string who = Accepted(*a, "name");
    return maybe_task([who](mcp::CallContext&) -> Result<Json> {
      return Result1(
          Text(StrCat("Hello, ", who.empty() ? "stranger" : who, "!")));
    });
  }
  return std::nullopt;
}

std::optional<Result<Json>> ConformanceFixture::CallStatelessTool(
    mcp::CallContext& ctx, const std::string& name) {
  if (!StartsWith(name, "test_input_required_result_") &&
      name != "test_missing_capability" &&
      name != "test_streaming_elicitation" && name != "test_logging_tool") {
    return std::nullopt;
  }
  if (name == "test_logging_tool") {
    // Sent only when the request's _meta asked for a level (the engine
    // decides).
    for (const char* step : {"Logging tool started", "Logging tool working",
                             "Logging tool done"}) {
      ctx.Log(kInfo, "conformance", step);
    }
    return Result1(Text("Logging tool executed"));
  }
  if (!ctx.stateless()) {
    return ErrorResult(
        "this tool asks through input requests: call it with revision "
        "2026-07-28");
  }
  // The input this round asks for, and the state it keeps.
  auto ask = [&](Json requests, Json state) -> Result<Json> {
    ctx.RequireInput(std::move(requests), std::move(state));
    return Json::object();
  };
  if (name == "test_missing_capability") {
    if (!ctx.CanSample()) return ctx.RequireCapability("sampling");
    if (const Json* a = Answer(ctx, "sample")) {
      return Result1(Text(StrCat("LLM response: ", SampledText(*a))));
    }
    return ask({{"sample", SampleRequest("Say hello", 20)}}, nullptr);
  }
  if (name == "test_input_required_result_elicitation" ||
      name == "test_streaming_elicitation") {
    if (!ctx.CanElicit()) return ctx.RequireCapability("elicitation");
    if (const Json* a = Answer(ctx, "user_name")) {
      std::string who = Accepted(*a, "name");
      return Result1(
          Text(StrCat("Hello, ", who.empty() ? "stranger" : who, "!")));
    }
    ctx.Progress(0, 1, "asking the person");
    return ask(
        {{"user_name", ElicitRequest("What is your name?", "name", "string")}},
        nullptr);
  }
  if (name == "test_input_required_result_sampling") {
    if (!ctx.CanSample()) return ctx.RequireCapability("sampling");
    if (const Json* a = Answer(ctx, "capital_question")) {
      return Result1(Text(StrCat("LLM response: ", SampledText(*a))));
    }
    return ask({{"capital_question",
                 SampleRequest("What is the capital of France?", 100)}},
               nullptr);
  }
  if (name == "test_input_required_result_list_roots") {
    if (!ctx.CanListRoots()) return ctx.RequireCapability("roots");
    if (const Json* a = Answer(ctx, "client_roots")) {
      return Result1(Text(StrCat("Client roots: ", RootUris(*a))));
    }
    return ask({{"client_roots", RootsRequest()}}, nullptr);
  }
  if (name == "test_input_required_result_request_state" ||
      name == "test_input_required_result_tampered_state") {
    if (!ctx.CanElicit()) return ctx.RequireCapability("elicitation");
    // The answer counts only with the state this tool kept (the engine
    // refuses an altered one).
    const Json& kept = ctx.kept_state();
    const Json* a = Answer(ctx, "confirm");
    if (a != nullptr && kept.is_object() &&
        kept.value("asked", "") == "confirm") {
      return Result1(Text(StrCat("state-ok: confirmed=", Accepted(*a, "ok"))));
    }
    return ask({{"confirm", ElicitRequest("Please confirm", "ok", "boolean")}},
               {{"asked", "confirm"}});
  }
  if (name == "test_input_required_result_multiple_inputs") {
    Json all = {
        {"user_name", ElicitRequest("What is your name?", "name", "string")},
        {"greeting", SampleRequest("Generate a greeting", 50)},
        {"client_roots", RootsRequest()}};
    if (!ctx.CanElicit()) return ctx.RequireCapability("elicitation");
    if (!ctx.CanSample()) return ctx.RequireCapability("sampling");
    if (!ctx.CanListRoots()) return ctx.RequireCapability("roots");
    Json missing = Unanswered(ctx, all);
    if (missing.empty() && ctx.kept_state().is_object()) {
      return Result1(Text(
          StrCat(SampledText(*Answer(ctx, "greeting")), " ",
                 Accepted(*Answer(ctx, "user_name"), "name"),
                 " (roots: ", RootUris(*Answer(ctx, "client_roots")), ")")));
    }
    return ask(missing.empty() ? all : missing, {{"asked", "all"}});
  }
  if (name == "test_input_required_result_multi_round") {
    if (!ctx.CanElicit()) return ctx.RequireCapability("elicitation");
    const Json& kept = ctx.kept_state();
    int round = kept.is_object() ? kept.value("round", 0) : 0;
    if (round == 2) {
      if (const Json* a = Answer(ctx, "step2")) {
        return Result1(Text(StrCat("Hello, ", kept.value("name", ""),
                                   "! Your favorite color is ",
                                   Accepted(*a, "color"), ".")));
      }
    }
    if (round == 1) {
      if (const Json* a = Answer(ctx, "step1")) {
        return ask(
            {{"step2", ElicitRequest("Step 2: What is your favorite color?",
                                     "color", "string")}},
            {{"round", 2}, {"name", Accepted(*a, "name")}});
      }
    }
    return ask({{"step1", ElicitRequest("Step 1: What is your name?", "name",
                                        "string")}},
               {{"round", 1}});
  }
  if (name == "test_input_required_result_capabilities") {
    // Only what the client declared it can answer.
    Json asks = Json::object();
    if (ctx.CanElicit()) {
      asks["user_name"] = ElicitRequest("What is your name?", "name", "string");
    }
    if (ctx.CanSample()) {
      asks["greeting"] = SampleRequest("Generate a greeting", 50);
    }
    if (ctx.CanListRoots()) asks["client_roots"] = RootsRequest();
    Json missing = Unanswered(ctx, asks);
    if (missing.empty()) {
      return Result1(Text(StrCat("Answered: ", asks.size(), " input(s)")));
    }
    return ask(std::move(missing), nullptr);
  }
  return NotFound(StrCat("no tool ", Quote(name)));
}

Result<std::vector<mcp::Resource>> ConformanceFixture::ListResources(
    const mcp::Principal& caller) {
  (void)caller;
  return std::vector<mcp::Resource>{
      {"test://static-text", "static-text", "Static text resource",
       "A fixed text resource", "text/plain"},
      {"test://static-binary", "static-binary", "Static binary resource",
       "A fixed PNG image", "image/png"},
      {"test://watched-resource", "watched-resource", "Watched resource",
       "A resource clients may subscribe to", "text/plain"},
  };
}

Result<std::vector<mcp::ResourceTemplate>>
ConformanceFixture::ListResourceTemplates(const mcp::Principal& caller) {
  (void)caller;
  return std::vector<mcp::ResourceTemplate>{
      {"test://template/{id}/data", "template-data", "Data by id",
       "JSON data for the id in the URI", "application/json"}};
}

Result<Json> ConformanceFixture::ReadResource(const mcp::Principal& caller,
                                              const std::string& uri) {
  (void)caller;
  auto one = [&](Json content) {
    content["uri"] = uri;
    return Json{{"contents", Json::array({std::move(content)})}};
  };
  if (uri == "test://static-text") {
    return one({{"mimeType", "text/plain"},
                {"text", "This is the content of the static text resource."}});
  }
  if (uri == "test://static-binary") {
    return one({{"mimeType", "image/png"}, {"blob", kPng}});
  }
  if (uri == "test://watched-resource") {
    return one(
        {{"mimeType", "text/plain"}, {"text", "Watched resource content."}});
  }
  if (StartsWith(uri, kTemplatePrefix) && EndsWith(uri, kTemplateSuffix)) {
    size_t start = sizeof(kTemplatePrefix) - 1;
    size_t len = uri.size() - start - (sizeof(kTemplateSuffix) - 1);
    std::string id = uri.substr(start, len);
    if (!id.empty() && id.find('/') == std::string::npos) {
      Json data = {{"id", id},
                   {"templateTest", true},
                   {"data", StrCat("Data for ID: ", id)}};
      return one(
          {{"mimeType", "application/json"}, {"text", CanonicalJson(data)}});
    }
  }
  return NotFound(StrCat("no resource ", Quote(uri)));
}

Status ConformanceFixture::CheckSubscribable(const mcp::Principal& caller,
                                             const std::string& uri) {
  return ReadResource(caller, uri).status();
}

Result<std::vector<mcp::Prompt>> ConformanceFixture::ListPrompts(
    const mcp::Principal& caller) {
  (void)caller;
  return std::vector<mcp::Prompt>{
      {"test_simple_prompt", "", "A prompt without arguments", {}},
      {"test_prompt_with_arguments",
       "",
       "A prompt with two arguments",
       {{"arg1", "First test argument", true},
        {"arg2", "Second test argument", true}}},
      {"test_prompt_with_embedded_resource",
       "",
       "A prompt embedding a resource",
       {{"resourceUri", "URI of the resource to embed", true}}},
      {"test_prompt_with_image", "", "A prompt with an image", {}},
      {"test_input_required_result_prompt",
       "",
       "Asks the person for context (revision 2026-07-28 input request)",
       {}},
  };
}

Result<Json> ConformanceFixture::GetPrompt(mcp::CallContext& ctx,
                                           const std::string& name,
                                           const Json& arguments) {
  auto user = [](Json content) {
    return Json{{"role", "user"}, {"content", std::move(content)}};
  };
  if (name == "test_simple_prompt") {
    return Json{
        {"messages",
         Json::array({user(Text("This is a simple prompt for testing."))})}};
  }
  if (name == "test_prompt_with_arguments") {
    WFS_ASSIGN_OR_RETURN(std::string a1, RequiredString(arguments, "arg1"));
    WFS_ASSIGN_OR_RETURN(std::string a2, RequiredString(arguments, "arg2"));
    return Json{{"messages",
                 Json::array({user(Text(StrCat("Prompt with arguments: arg1='",
                                               a1, "', arg2='", a2, "'")))})}};
  }
  if (name == "test_prompt_with_embedded_resource") {
    WFS_ASSIGN_OR_RETURN(std::string uri,
                         RequiredString(arguments, "resourceUri"));
    return Json{
        {"messages",
         Json::array(
             {user(
                  Json{{"type", "resource"},
                       {"resource",
                        {{"uri", uri},
                         {"mimeType", "text/plain"},
                         {"text", "Embedded resource content for testing."}}}}),
              user(Text("Please process the embedded resource above."))})}};
  }
  if (name == "test_prompt_with_image") {
    return Json{{"messages",
                 Json::array({user(Image()),
                              user(Text("Please analyze the image above."))})}};
  }
  if (name == "test_input_required_result_prompt") {
    if (!ctx.stateless()) {
      return InvalidArgument(
          "this prompt asks for input: get it with revision 2026-07-28");
    }
    if (!ctx.CanElicit()) return ctx.RequireCapability("elicitation");
    if (const Json* a = Answer(ctx, "user_context")) {
      return Json{
          {"messages", Json::array({user(Text(StrCat(
                           "Use this context: ", Accepted(*a, "context"))))})}};
    }
    ctx.RequireInput(
        {{"user_context", ElicitRequest("What context should the prompt use?",
                                        "context", "string")}},
        nullptr);
    return Json::object();
  }
  return NotFound(StrCat("no prompt ", Quote(name)));
}

Result<std::vector<std::string>> ConformanceFixture::Complete(
    const mcp::Principal& caller, const Json& ref, const Json& argument) {
  (void)caller;
  std::string type = ref.value("type", "");
  std::string arg = argument.value("name", "");
  std::string prefix = argument.value("value", "");
  std::vector<std::string> candidates;
  if (type == "ref/prompt" &&
      ref.value("name", "") == "test_prompt_with_arguments" &&
      (arg == "arg1" || arg == "arg2")) {
    candidates = {"paris", "park", "party", "test", "testValue1", "testValue2"};
  } else if (type == "ref/resource" &&
             ref.value("uri", "") == "test://template/{id}/data" &&
             arg == "id") {
    candidates = {"1", "2", "3", "123"};
  } else {
    return InvalidArgument("nothing to complete for this reference");
  }
  std::vector<std::string> out;
  for (const std::string& c : candidates) {
    if (StartsWith(c, prefix)) out.push_back(c);
  }
  return out;
}

}  // namespace wfs::server
