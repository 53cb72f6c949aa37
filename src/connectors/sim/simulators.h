// In-memory simulators of the starter connectors (catalog/interfaces/*.wfi),
// for workflow tests and dry runs. Each simulator implements exactly the
// actions of its interface over a shared World (git's working trees are the
// fs world's files), locking world->mu() for each call. Behaviour, undo
// records, scope keys and errors: docs/simulators.md.
//
//   World world = World::FromJson(doc, SchemaFromInterfaces(ifaces)).value();
//   std::vector<std::unique_ptr<Connector>> sims = MakeSimulators(&world);
//   ConnectorSet set;
//   for (auto& s : sims) set.Add(s.get());
//
// The world must outlive the simulators. Simulators are thread-safe: calls
// from several threads serialise on the world's lock.
#ifndef WFSTORE_CONNECTORS_SIM_SIMULATORS_H_
#define WFSTORE_CONNECTORS_SIM_SIMULATORS_H_

#include <memory>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/sim/simulator.h"
#include "connectors/sim/world.h"

namespace wfs::connectors::sim {

// Each connector's actions and their arguments, shared with the real
// connectors (src/connectors/<name>/) so both check calls alike.
std::vector<ActionSpec> MailActionSpecs();
std::vector<ActionSpec> CalendarActionSpecs();
std::vector<ActionSpec> FsActionSpecs();
std::vector<ActionSpec> GitActionSpecs();

std::unique_ptr<Connector> MakeMailSimulator(World* world);
std::unique_ptr<Connector> MakeContactsSimulator(World* world);
std::unique_ptr<Connector> MakeCalendarSimulator(World* world);
std::unique_ptr<Connector> MakeFsSimulator(World* world);
std::unique_ptr<Connector> MakeGitSimulator(World* world);
std::unique_ptr<Connector> MakeHttpSimulator(World* world);
std::unique_ptr<Connector> MakePaymentsSimulator(World* world);
std::unique_ptr<Connector> MakeTrackerSimulator(World* world);

// Names of the simulated connectors, sorted: calendar, contacts, fs, git,
// http, mail, payments, tracker.
const std::vector<std::string>& SimulatedConnectors();

// One simulator per name in SimulatedConnectors(), in that order.
std::vector<std::unique_ptr<Connector>> MakeSimulators(World* world);

// The simulator of one connector, or nullptr when it has none.
std::unique_ptr<Connector> MakeSimulator(const std::string& connector,
                                         World* world);

}  // namespace wfs::connectors::sim

#endif  // WFSTORE_CONNECTORS_SIM_SIMULATORS_H_
