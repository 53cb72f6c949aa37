// A fixture for protocol conformance suites, not a catalog: the tools,
// resources and prompts the MCP conformance suite
// (@modelcontextprotocol/conformance, "server" scenarios) calls by name
// (test_simple_text, test://static-text, test_simple_prompt, ...). Served
// only by `wfstore serve --fixture conformance`, never by the default
// server; it reads no store and runs no workflow. See docs/mcp.md,
// "Conformance".
#ifndef WFSTORE_SERVER_CONFORMANCE_FIXTURE_H_
#define WFSTORE_SERVER_CONFORMANCE_FIXTURE_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "mcp/engine.h"

namespace wfs::server {

class ConformanceFixture : public mcp::ToolProvider {
 public:
  // `step`: the pause between the notifications of the logging and progress
  // tools (the suite expects them spread over time).
  explicit ConformanceFixture(
      std::chrono::milliseconds step = std::chrono::milliseconds(50),
      std::chrono::milliseconds client_timeout = std::chrono::seconds(30))
      : step_(step), client_timeout_(client_timeout) {}

  mcp::ProviderFeatures Features() const override;
  Result<std::vector<mcp::Tool>> ListTools(
      const mcp::Principal& caller) override;
  Result<Json> CallTool(mcp::CallContext& ctx, const std::string& name,
                        const Json& arguments) override;
  Result<std::vector<mcp::Resource>> ListResources(
      const mcp::Principal& caller) override;
  Result<std::vector<mcp::ResourceTemplate>> ListResourceTemplates(
      const mcp::Principal& caller) override;
  Result<Json> ReadResource(const mcp::Principal& caller,
                            const std::string& uri) override;
  Status CheckSubscribable(const mcp::Principal& caller,
                           const std::string& uri) override;
  Result<std::vector<mcp::Prompt>> ListPrompts(
      const mcp::Principal& caller) override;
  Result<Json> GetPrompt(mcp::CallContext& ctx, const std::string& name,
                         const Json& arguments) override;
  Result<std::vector<std::string>> Complete(const mcp::Principal& caller,
                                            const Json& ref,
                                            const Json& argument) override;

 private:
  // The tools of revision 2026-07-28's conformance scenarios: input
  // requests (multi round-trip requests), a missing client capability, a
  // stream, log levels. Null when `name` is none of them.
  std::optional<Result<Json>> CallStatelessTool(mcp::CallContext& ctx,
                                                const std::string& name);
  // The tools of the tasks extension's scenarios (greet, slow_compute,
  // failing_job, protocol_error_job, confirm_delete, multi_input,
  // test_tool_with_task): each goes on as a task when the client can
  // follow one. Null when `name` is none of them.
  std::optional<Result<Json>> CallTaskTool(mcp::CallContext& ctx,
                                           const std::string& name,
                                           const Json& arguments);

  std::chrono::milliseconds step_;
  std::chrono::milliseconds client_timeout_;
};

}  // namespace wfs::server

#endif  // WFSTORE_SERVER_CONFORMANCE_FIXTURE_H_
