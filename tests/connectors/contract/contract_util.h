// Shared by the contract suites (tests/connectors/contract/): each suite is
// written once as a value-parameterised GoogleTest suite whose parameter
// names a backend ("sim" or the real one); the backend fixture sets up the
// same starting state in a simulator world or on a real system, and every
// test must pass on both. ctest runs each backend as its own test,
// contract_<connector>_<backend>, with a --gtest_filter on the
// instantiation name.
#ifndef WFSTORE_TESTS_CONNECTORS_CONTRACT_CONTRACT_UTIL_H_
#define WFSTORE_TESTS_CONNECTORS_CONTRACT_CONTRACT_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "connectors/connector.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/world.h"
#include "lang/compiler.h"

namespace wfs::connectors::contract {

// The built-in interfaces, compiled once per process.
inline lang::Compiler& SharedCompiler() {
  static lang::Compiler* c =
      lang::Compiler::Create(lang::CompilerOptions{}).release();
  return *c;
}

inline const sim::WorldSchema& Schema() {
  static const sim::WorldSchema kSchema =
      sim::SchemaFromInterfaces(SharedCompiler().interfaces());
  return kSchema;
}

inline Json J(const char* text) { return ParseJson(text).value(); }

// Calls `action` with the run's scopes, as the runtime does.
inline Result<ActionResponse> Call(Connector& c, const std::string& action,
                                   const Json& args, const ScopeMap* scopes,
                                   const std::string& key = "") {
  ActionRequest r;
  r.action = action;
  r.args = args;
  r.idempotency_key = key;
  r.run_id = "contract-run";
  r.scopes = scopes;
  return c.Invoke(r);
}

// Runs an undo record as the runtime compensates: the record's arguments
// only, marked as compensation, without the run's scopes.
inline Result<ActionResponse> Undo(Connector& c, const Json& undo) {
  ActionRequest r;
  if (!undo.is_object() || !undo.contains("action")) {
    return InvalidArgument("not an undo record: " + CanonicalJson(undo));
  }
  r.action = undo["action"].get<std::string>();
  r.args = undo.value("args", Json::object());
  r.run_id = "contract-run";
  r.compensation = true;
  return c.Invoke(r);
}

// A simulator world and one simulator of it.
class SimWorld {
 public:
  explicit SimWorld(const Json& doc)
      : world_(std::make_unique<sim::World>(
            sim::World::FromJson(doc, Schema()).value())) {}
  Connector& Make(const std::string& connector) {
    sims_.push_back(sim::MakeSimulator(connector, world_.get()));
    return *sims_.back();
  }
  sim::World& world() { return *world_; }
  Json Coll(const std::string& connector, const std::string& collection) {
    return world_->ToJson()[connector][collection];
  }
  Status Set(const std::string& connector, const std::string& collection,
             const Json& value) {
    return world_->Set(connector, collection, value);
  }

 private:
  std::unique_ptr<sim::World> world_;
  std::vector<std::unique_ptr<Connector>> sims_;
};

// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tpl =
        std::string(base && *base ? base : "/tmp") + "/wfs-contract.XXXXXX";
    char* p = mkdtemp(tpl.data());
    if (p != nullptr) path_ = p;
  }
  ~TempDir() {
    if (!path_.empty()) {
      std::string cmd = "rm -rf '" + path_ + "'";
      if (std::system(cmd.c_str()) != 0) {
        // Best effort.
      }
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A name unique to this process and call, for accounts, calendars, repos.
inline std::string UniqueName(const std::string& prefix) {
  static int n = 0;
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

template <typename R>
::testing::AssertionResult HasCode(const R& r, Code code) {
  if (r.ok()) {
    return ::testing::AssertionFailure()
           << "succeeded, expected " << CodeName(code);
  }
  if (r.status().code() != code) {
    return ::testing::AssertionFailure()
           << r.status().ToString() << ", expected " << CodeName(code);
  }
  return ::testing::AssertionSuccess();
}

#define EXPECT_CODE(expr, code_) \
  EXPECT_TRUE(::wfs::connectors::contract::HasCode((expr), (code_)))

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                     \
  auto WFS_CONCAT_(wfs_a_, __LINE__) = (expr);              \
  ASSERT_TRUE(WFS_CONCAT_(wfs_a_, __LINE__).ok())           \
      << WFS_CONCAT_(wfs_a_, __LINE__).status().ToString(); \
  lhs = std::move(WFS_CONCAT_(wfs_a_, __LINE__)).value()

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    auto wfs_r_ = (expr);                                   \
    ASSERT_TRUE(wfs_r_.ok()) << wfs_r_.status().ToString(); \
  } while (0)

#define EXPECT_OK(expr)                                     \
  do {                                                      \
    auto wfs_r_ = (expr);                                   \
    EXPECT_TRUE(wfs_r_.ok()) << wfs_r_.status().ToString(); \
  } while (0)

}  // namespace wfs::connectors::contract

#endif  // WFSTORE_TESTS_CONNECTORS_CONTRACT_CONTRACT_UTIL_H_
