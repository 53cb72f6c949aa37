// `wfstore serve` (the MCP server over stdio or Streamable HTTP) and
// `wfstore token create|revoke|list`. Internal to src/cli.
#ifndef WFSTORE_CLI_SERVE_CMD_H_
#define WFSTORE_CLI_SERVE_CMD_H_

#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace wfs::cli {

struct ServeFlags {
  std::string store;
  bool stdio = false;
  std::string http;  // ADDRESS:PORT
  bool empty = false;
  std::string world;
  std::string grants;  // stdio profile (JSON file)
  std::vector<std::string> allow_origins;
  bool no_auth = false;
  bool allow_remote = false;
  bool json_only = false;
  bool quiet = false;
  bool no_recertify = false;
  std::string recertify_every = "10m";
  std::string resume_grace = "30s";
  std::string fixture;  // "conformance": the conformance suite's test tools
  // token
  std::string agent;
  std::string token_grants;  // JSON text or @file
  std::string token_id;
  bool json = false;
  std::vector<std::pair<std::string, CLI::App*>> commands;
};

void AddServeCommands(CLI::App& app, ServeFlags& flags);
// Runs the serve/token command that was parsed; -1 when none was.
int RunServeCommand(const ServeFlags& flags);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_SERVE_CMD_H_
