// Feeds untrusted lines to the MCP engine as a stdio client would: each line
// is one message on one session (initialize, calls, notifications,
// responses to server requests, stateless 2026-07-28 requests with their
// _meta, input responses and request states, prompts that ask, a missing
// client capability, garbage). Checks that every
// request gets exactly one well-formed reply (a stateless result with its
// resultType) and nothing else crashes or leaks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mcp/engine.h"
#include "mcp/jsonrpc.h"
#include "mcp/session.h"

namespace {

using wfs::Json;
using wfs::Result;
using wfs::mcp::CallContext;

class NullChannel : public wfs::mcp::ClientChannel {
 public:
  wfs::Status Send(const Json&) override { return wfs::Status::Ok(); }
};

class Tools : public wfs::mcp::ToolProvider {
 public:
  // Every optional method is reachable, tasks included.
  wfs::mcp::ProviderFeatures Features() const override {
    wfs::mcp::ProviderFeatures f{true, true, true};
    f.tasks = true;
    return f;
  }
  wfs::Status CheckSubscribable(const wfs::mcp::Principal&,
                                const std::string& uri) override {
    return uri == "x://a" ? wfs::Status::Ok() : wfs::NotFound("no " + uri);
  }
  Result<std::vector<wfs::mcp::Prompt>> ListPrompts(
      const wfs::mcp::Principal&) override {
    return std::vector<wfs::mcp::Prompt>{{"p", "", "", {{"a", "", true}}}};
  }
  Result<Json> GetPrompt(CallContext& ctx, const std::string& name,
                         const Json& args) override {
    if (name == "ask" && ctx.stateless() && ctx.kept_state().is_null()) {
      // A prompt asks as a tool does (input requests, a sealed state).
      ctx.RequireInput(Json{{"c", {{"method", "roots/list"}}}},
                       Json{{"prompt", args}});
      return Json::object();
    }
    if (name != "p" || !args.contains("a")) return wfs::InvalidArgument("no");
    return Json{{"messages", Json::array()}};
  }
  Result<std::vector<wfs::mcp::Tool>> ListTools(
      const wfs::mcp::Principal&) override {
    std::vector<wfs::mcp::Tool> out;
    for (int i = 0; i < 3; ++i) {
      out.push_back({"t" + std::to_string(i), "", "", Json::object(), nullptr,
                     nullptr, i == 0 ? "optional" : ""});
    }
    return out;
  }
  Result<Json> CallTool(CallContext& ctx, const std::string& name,
                        const Json& args) override {
    ctx.Progress(1, 2, name);
    ctx.Log(0, "fuzz", args);
    if (name == "ask") {
      // Never waits: a zero timeout.
      auto r = ctx.Elicit("q", Json::object(), std::chrono::milliseconds(0));
      if (!r.ok()) return r.status();
    }
    if (name == "sample") {
      auto r = ctx.Sample(Json{{"messages", Json::array()}},
                          std::chrono::milliseconds(0));
      if (!r.ok()) return r.status();
    }
    if (name == "needs" && !ctx.CanSample()) {
      return ctx.RequireCapability("sampling");
    }
    if (name == "kept" && ctx.CanContinueAsTask()) {
      // A task the provider keeps itself (GetTask below).
      ctx.ReturnTask(Kept());
    }
    if (name == "task" || name == "required") {
      // The tasks extension: goes on as a task whose input never waits (a
      // zero timeout), or refuses a client that cannot follow one.
      if (!ctx.CanContinueAsTask()) {
        if (name == "required") {
          return ctx.RequireExtension(wfs::mcp::kTasksExtension);
        }
      } else {
        ctx.ContinueAsTask([args](CallContext& task) -> Result<Json> {
          task.Progress(0, 1, "working");
          auto r = task.Ask(
              Json{{"q", {{"method", "elicitation/create"}, {"params", args}}}},
              std::chrono::milliseconds(0));
          if (!r.ok()) return r.status();
          return Json{{"content", Json::array()}, {"structuredContent", *r}};
        });
      }
    }
    if (name == "confirm" && ctx.stateless() && ctx.kept_state().is_null()) {
      // Asks for input; the retry's state comes back through OpenState.
      ctx.RequireInput(
          Json{{"q", {{"method", "elicitation/create"}, {"params", args}}}},
          Json{{"run", "r-1"}});
    }
    return Json{{"content", Json::array()}, {"structuredContent", args}};
  }
  Result<Json> GetTask(const wfs::mcp::Principal&,
                       const std::string& id) override {
    if (id != "k") return wfs::NotFound("no task " + id);
    return Kept();
  }
  static Json Kept() {
    return Json{{"taskId", "k"},
                {"status", "completed"},
                {"createdAt", "2026-11-25T10:00:00Z"},
                {"lastUpdatedAt", "2026-11-25T10:00:00Z"},
                {"ttlMs", nullptr},
                {"result", {{"content", Json::array()}}}};
  }
  Result<std::vector<wfs::mcp::Resource>> ListResources(
      const wfs::mcp::Principal&) override {
    return std::vector<wfs::mcp::Resource>{
        {"x://a", "a", "", "", "text/plain"}};
  }
  Result<Json> ReadResource(const wfs::mcp::Principal&,
                            const std::string& uri) override {
    if (uri == "x://a") return Json{{"contents", Json::array()}};
    return wfs::NotFound("no " + uri);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Tools tools;
  static wfs::mcp::Engine engine({}, &tools);
  wfs::mcp::Session session("fuzz", {"fuzzer", {}});
  NullChannel channel;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    wfs::mcp::Parsed p = wfs::mcp::ParseMessageText(line);
    if (!p.ok) {
      Json e = wfs::mcp::MakeError(p.failure);
      if (!e.contains("error")) std::abort();
      continue;
    }
    if (p.message.method == "subscriptions/listen") {
      // A subscription holds its request until cancelled: cancel it before
      // it begins, so that it acknowledges and ends at once.
      session.CancelRequest(p.message.id);
    }
    bool stateless = !session.initialize_answered() &&
                     wfs::mcp::IsStatelessRequest(p.message);
    Json reply = engine.HandleParsed(session, p.message, &channel);
    if (p.message.is_request()) {
      // Exactly one reply, with the request's id and a result or an error.
      if (!reply.is_object() || reply["id"] != p.message.id ||
          (reply.contains("result") == reply.contains("error"))) {
        std::abort();
      }
      if (stateless && reply.contains("result") &&
          !reply["result"].contains("resultType")) {
        std::abort();
      }
      reply.dump(-1, ' ', false, Json::error_handler_t::replace);
    } else if (!reply.is_null()) {
      std::abort();
    }
  }
  // Its tasks end with it.
  engine.EndSession(&session);
  return 0;
}
