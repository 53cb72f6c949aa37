#include "cli/cli.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/check.h"
#include "cli/harden_cmd.h"
#include "cli/rollout_cmd.h"
#include "cli/run_cmd.h"
#include "cli/runs_cmd.h"
#include "cli/search_cmd.h"
#include "cli/serve_cmd.h"
#include "cli/store_cmd.h"
#include "cli/test_cmd.h"

namespace wfs::cli {

int Main(int argc, char** argv) {
  CLI::App app{
      "wfstore: a store of hardened workflows that AI agents discover and "
      "invoke over MCP.",
      "wfstore"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "wfstore 0.1.0");
  CheckFlags check;
  AddCheckCommand(app, check);
  RunFlags run;
  AddRunCommand(app, run);
  TestFlags test;
  AddTestCommand(app, test);
  RunsFlags runs;
  AddRunsCommands(app, runs);
  StoreFlags store;
  AddStoreCommands(app, store);
  SearchFlags search;
  AddSearchCommands(app, search);
  ServeFlags serve;
  AddServeCommands(app, serve);
  HardenFlags harden;
  AddHardenCommand(app, harden);
  RolloutFlags rollout;
  AddRolloutCommands(app, rollout);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (app.got_subcommand("check")) return RunCheck(check);
  if (app.got_subcommand("run")) return RunRunCommand(run);
  if (app.got_subcommand("test")) return RunTestCommand(test);
  if (app.got_subcommand("runs") || app.got_subcommand("approve") ||
      app.got_subcommand("deny")) {
    return RunRunsCommand(app, runs);
  }
  if (int rc = RunStoreCommand(store); rc >= 0) return rc;
  if (int rc = RunSearchCommand(search); rc >= 0) return rc;
  if (int rc = RunServeCommand(serve); rc >= 0) return rc;
  if (int rc = RunHardenCommand(harden); rc >= 0) return rc;
  if (int rc = RunRolloutCommand(rollout); rc >= 0) return rc;
  return kExitUsage;
}

}  // namespace wfs::cli
