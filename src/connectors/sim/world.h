// The world simulators act on: for each connector, named collections of JSON
// records, shaped by the `world` declarations of the connector interfaces
// (world messages: list<Message> in mail.wfi).
//
// World JSON (fixtures, test `given` data, `wfstore run --world FILE`):
//   {"mail": {"messages": [{"id": "a", "mailbox": "INBOX", ...}], "sent": []},
//    "fs": {"files": [{"path": "/repo/a.txt", "content": "x"}]}}
// Records may leave fields out; loading fills each with its type's default
// (""; 0; "0" for decimals; false; []; null for optionals; an enum's first
// value; "1970-01-01T00:00:00Z" for times). Fields whose names start with "_"
// are a simulator's private state and are kept as they are; any other unknown
// field, or a value of the wrong JSON kind, is an error naming its path.
#ifndef WFSTORE_CONNECTORS_SIM_WORLD_H_
#define WFSTORE_CONNECTORS_SIM_WORLD_H_

#include <map>
#include <mutex>
#include <string>

#include "base/json.h"
#include "base/result.h"

namespace wfs::lang {
class InterfaceSet;
}

namespace wfs::connectors::sim {

// connector -> collection -> type (in the IR's JSON type form, docs/ir.md).
using WorldSchema = std::map<std::string, std::map<std::string, Json>>;

// The schema of every loaded interface's world collections.
WorldSchema SchemaFromInterfaces(const lang::InterfaceSet& interfaces);

// Checks `value` against `type` (IR JSON type form) and fills omitted record
// fields with defaults. `path` names the value in error messages
// ("mail.messages[2].subject").
Result<Json> NormalizeValue(const Json& value, const Json& type,
                            const std::string& path);
Json DefaultValue(const Json& type);

class World {
 public:
  World() = default;
  // Loads and normalizes a world document. Collections the schema does not
  // know are an error; connectors or collections left out are empty.
  static Result<World> FromJson(const Json& doc, const WorldSchema& schema);

  // Replaces one collection (test `given`), normalizing it.
  Status Set(const std::string& connector, const std::string& collection,
             const Json& value);

  // The whole world as JSON (what FromJson accepts), for assertions, dry runs
  // and persistence.
  Json ToJson() const;

  // Simulators read and change the world under this lock.
  std::mutex& mu() { return mu_; }
  // The collection (an array; created empty if absent). Call with mu() held.
  Json& Collection(const std::string& connector,
                   const std::string& collection);
  // A simulator's private state for one connector (an object; created empty
  // if absent), stored in the world document under "_<connector>". Call with
  // mu() held.
  Json& Private(const std::string& connector);

  const WorldSchema& schema() const { return schema_; }

  // Whether simulators answer a retried effect (same idempotency key, action
  // and arguments) with the recorded response instead of doing it again, as
  // a server honouring idempotency keys would. On by default; the crash tests
  // turn it off so that only the journal stands between a crash and a
  // duplicate. Responses are recorded for Lookup either way.
  void set_honor_idempotency_keys(bool on) { honor_keys_ = on; }
  bool honor_idempotency_keys() const { return honor_keys_; }

  World(const World& other);
  World& operator=(const World& other);
  World(World&& other) noexcept;
  World& operator=(World&& other) noexcept;

 private:
  WorldSchema schema_;
  Json doc_ = Json::object();
  bool honor_keys_ = true;
  mutable std::mutex mu_;
};

}  // namespace wfs::connectors::sim

#endif  // WFSTORE_CONNECTORS_SIM_WORLD_H_
