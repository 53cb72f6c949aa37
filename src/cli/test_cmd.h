// `wfstore test`: runs workflows' tests and properties against simulators.
#ifndef WFSTORE_CLI_TEST_CMD_H_
#define WFSTORE_CLI_TEST_CMD_H_

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace wfs::cli {

struct TestFlags {
  std::vector<std::string> paths;
  uint64_t seed = 1;
  int cases = 200;
  std::string filter;
  bool json = false;
};

void AddTestCommand(CLI::App& app, TestFlags& flags);
int RunTestCommand(const TestFlags& flags);

}  // namespace wfs::cli

#endif  // WFSTORE_CLI_TEST_CMD_H_
