#include "connectors/sim/simulators.h"

namespace wfs::connectors::sim {

const std::vector<std::string>& SimulatedConnectors() {
  static const std::vector<std::string> kNames = {
      "calendar", "contacts", "fs", "git", "http", "mail", "payments",
      "tracker"};
  return kNames;
}

std::unique_ptr<Connector> MakeSimulator(const std::string& connector,
                                         World* world) {
  if (connector == "calendar") return MakeCalendarSimulator(world);
  if (connector == "contacts") return MakeContactsSimulator(world);
  if (connector == "fs") return MakeFsSimulator(world);
  if (connector == "git") return MakeGitSimulator(world);
  if (connector == "http") return MakeHttpSimulator(world);
  if (connector == "mail") return MakeMailSimulator(world);
  if (connector == "payments") return MakePaymentsSimulator(world);
  if (connector == "tracker") return MakeTrackerSimulator(world);
  return nullptr;
}

std::vector<std::unique_ptr<Connector>> MakeSimulators(World* world) {
  std::vector<std::unique_ptr<Connector>> out;
  for (const std::string& name : SimulatedConnectors()) {
    out.push_back(MakeSimulator(name, world));
  }
  return out;
}

}  // namespace wfs::connectors::sim
