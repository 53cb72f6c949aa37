// The catalog commands: keygen, key add, publish, promote, review, evidence,
// yank, deprecate, report, show, list, export, verify, namespace allow,
// recheck, config. Internal to src/cli.
#ifndef WFSTORE_CLI_STORE_CMD_H_
#define WFSTORE_CLI_STORE_CMD_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "crypto/keys.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace wfs::cli {

struct StoreFlags {
  std::string store;
  bool json = false;
  std::string key;              // secret key file
  std::string passphrase_file;  // for encrypted keys
  bool ask_passphrase = false;
  // keygen
  std::string out;
  bool force = false;
  // arguments
  std::vector<std::string> files;
  std::string ref;  // NAME[@VERSION]
  std::string stage;
  std::string evidence;  // a file
  std::string comment;
  std::string reason;
  std::string message;
  std::string successor;
  std::string label;
  std::string ns;
  std::string setting;
  std::string value;

  // The subcommands, to tell which one ran.
  std::vector<std::pair<std::string, CLI::App*>> commands;
};

void AddStoreCommands(CLI::App& app, StoreFlags& flags);
// Runs the store command that was parsed; -1 when none of them was.
int RunStoreCommand(const StoreFlags& flags);

// Opens the store in `dir_flag` (see StoreDir) with its configured settings.
// `recheck_every`: StoreOptions::recheck_every (a server passes a
// millisecond).
Result<std::unique_ptr<store::Store>> OpenStore(
    const std::string& dir_flag,
    std::chrono::microseconds recheck_every = std::chrono::microseconds(0));

// Reads a secret key file; an encrypted one is decrypted with the
// passphrase from `passphrase_file`, $WFSTORE_PASSPHRASE or, on a terminal,
// a prompt.
Result<crypto::SecretKey> LoadKey(const std::string& path,
                                  const std::string& passphrase_file);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_STORE_CMD_H_
