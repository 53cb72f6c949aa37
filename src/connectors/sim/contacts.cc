// The contacts simulator: a read-only address book.
#include <memory>

#include "base/strings.h"
#include "connectors/sim/simulator.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::sim {

namespace {

class ContactsSimulator final : public Simulator {
 public:
  explicit ContactsSimulator(World* world)
      : Simulator("contacts", world,
                  {{"find", true, {{"name", ArgKind::kString}}, {}},
                   {"get", true, {{"id", ArgKind::kString}}, {}}}) {}

 protected:
  Result<ActionResponse> Do(const ActionSpec& spec,
                            const ActionRequest& r) override {
    ActionResponse out;
    if (std::string(spec.name) == "find") {
      const std::string name = r.args["name"].get<std::string>();
      out.result = Json::array();
      for (const Json& c : Collection("contacts")) {
        if (ContainsFold(StringField(c, "name"), name)) {
          out.result.push_back(PublicRecord(c));
        }
      }
      return out;
    }
    const std::string id = r.args["id"].get<std::string>();
    for (const Json& c : Collection("contacts")) {
      if (c.is_object() && StringField(c, "id") == id) {
        out.result = PublicRecord(c);
        return out;
      }
    }
    return NotFound(StrCat("contacts: no contact with id ", Quote(id)));
  }
};

}  // namespace

std::unique_ptr<Connector> MakeContactsSimulator(World* world) {
  return std::make_unique<ContactsSimulator>(world);
}

}  // namespace wfs::connectors::sim
