// Helpers for the simulator tests: the world schema from the built-in
// interfaces, and a harness that calls simulators and applies undo records.
#ifndef WFSTORE_TESTS_CONNECTORS_SIM_TEST_UTIL_H_
#define WFSTORE_TESTS_CONNECTORS_SIM_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "connectors/connector.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/world.h"
#include "lang/compiler.h"

namespace wfs::connectors::sim::testing {

// Built once: the schema of the starter interfaces.
inline const WorldSchema& Schema() {
  static const WorldSchema kSchema = [] {
    auto compiler = lang::Compiler::Create(lang::CompilerOptions{});
    return SchemaFromInterfaces(compiler->interfaces());
  }();
  return kSchema;
}

inline Json J(const char* text) { return ParseJson(text).value(); }

// A world, its simulators and the run's scopes.
class Harness {
 public:
  explicit Harness(const Json& doc)
      : world_(std::make_unique<World>(World::FromJson(doc, Schema()).value())),
        sims_(MakeSimulators(world_.get())) {
    for (auto& s : sims_) set_.Add(s.get());
  }
  explicit Harness(const char* doc) : Harness(J(doc)) {}

  World& world() { return *world_; }
  Connector& sim(const std::string& name) { return *set_.Find(name); }
  ScopeMap& scopes() { return scopes_; }

  Result<ActionResponse> Call(const std::string& connector,
                              const std::string& action, const Json& args,
                              const std::string& key = "") {
    ActionRequest r;
    r.action = action;
    r.args = args;
    r.idempotency_key = key;
    r.run_id = "run1";
    r.scopes = &scopes_;
    return sim(connector).Invoke(r);
  }
  Result<ActionResponse> Call(const std::string& connector,
                              const std::string& action, const char* args,
                              const std::string& key = "") {
    return Call(connector, action, J(args), key);
  }

  // Runs an undo record as the runtime does when compensating: with the
  // record's arguments only, without the run's scopes.
  Result<ActionResponse> Undo(const std::string& connector, const Json& undo) {
    ActionRequest r;
    r.action = undo.at("action").get<std::string>();
    r.args = undo.at("args");
    r.run_id = "run1";
    r.scopes = nullptr;
    r.compensation = true;
    return sim(connector).Invoke(r);
  }

  // The world without private state.
  Json Public() {
    Json doc = world_->ToJson();
    Json out = Json::object();
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (it.key()[0] != '_') out[it.key()] = it.value();
    }
    return out;
  }
  Json Coll(const std::string& connector, const std::string& collection) {
    return world_->ToJson()[connector][collection];
  }

  // Runs an action that must succeed with a non-null undo, applies the undo
  // and checks the world's public state is back as before. Returns the
  // action's response.
  ActionResponse RoundTrip(const std::string& connector,
                           const std::string& action, const Json& args) {
    Json before = Public();
    Result<ActionResponse> r = Call(connector, action, args);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    EXPECT_FALSE(r->undo.is_null()) << connector << "." << action;
    EXPECT_NE(Public(), before) << connector << "." << action
                                << " changed nothing";
    if (r->undo.is_null()) return *r;
    Result<ActionResponse> u = Undo(connector, r->undo);
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    EXPECT_EQ(Public(), before) << "undo of " << connector << "." << action
                                << ": " << CanonicalJson(r->undo);
    return *r;
  }

 private:
  std::unique_ptr<World> world_;
  std::vector<std::unique_ptr<Connector>> sims_;
  ConnectorSet set_;
  ScopeMap scopes_;
};

#define EXPECT_CODE(expr, code_)                                        \
  do {                                                                  \
    auto wfs_r_ = (expr);                                               \
    EXPECT_FALSE(wfs_r_.ok());                                          \
    EXPECT_EQ(wfs_r_.status().code(), (code_)) << wfs_r_.status().ToString(); \
  } while (0)

#define EXPECT_ERROR(expr, code_, substr)                               \
  do {                                                                  \
    auto wfs_r_ = (expr);                                               \
    EXPECT_FALSE(wfs_r_.ok());                                          \
    EXPECT_EQ(wfs_r_.status().code(), (code_)) << wfs_r_.status().ToString(); \
    EXPECT_NE(wfs_r_.status().message().find(substr), std::string::npos) \
        << wfs_r_.status().message();                                   \
  } while (0)

}  // namespace wfs::connectors::sim::testing

#endif  // WFSTORE_TESTS_CONNECTORS_SIM_TEST_UTIL_H_
