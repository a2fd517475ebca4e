// The network faults both scenario generators draw (scenario.h for PBFT, pow_scenario.h
// for proof of work and proof of stake): partitions, crash/restart cycles and a network
// that turns reliable at stable_ms; how a scenario describes them and how they are
// scheduled on a cluster.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "tests/sim/network.h"

namespace synod::sim {

struct CrashFault {
  SlotId slot = 0;
  TimeMs crash_ms = 0;
  TimeMs restart_ms = 0;
};

struct PartitionFault {
  std::vector<std::vector<SlotId>> groups;
  TimeMs start_ms = 0;
  TimeMs heal_ms = 0;
};

// A random split of `slots` into 2 non-empty groups, or sometimes 3 when there are at
// least `slots_for_three` slots.
std::vector<std::vector<SlotId>> random_groups(Rng& rng, std::size_t slots,
                                               std::size_t slots_for_three);

// " latency=B+Jms drop=D dup=P partition{0,2|1,3}@S-H crash[N]@C-R ...": the faults part
// of a scenario's one-line description.
void describe_faults(std::ostream& out, const NetworkOptions& faulty_network,
                     const std::vector<PartitionFault>& partitions,
                     const std::vector<CrashFault>& crashes);

// Schedules a scenario's faults on `cluster` (a Cluster or a PowCluster): it runs on
// `first_network` until scenario.stable_ms and on scenario.stable_network from then on;
// the partitions start and heal, and the crashed slots go down and restart, as listed.
template <typename ScenarioT, typename ClusterT>
void schedule_scenario_faults(const ScenarioT& scenario, const NetworkOptions& first_network,
                              ClusterT& cluster) {
  EventQueue& queue = cluster.queue();
  cluster.network().set_options(first_network);
  queue.schedule(scenario.stable_ms, [&cluster, network = scenario.stable_network] {
    cluster.trace("NETWORK stable");
    cluster.network().set_options(network);
  });
  for (const auto& partition : scenario.partitions) {
    queue.schedule(partition.start_ms, [&cluster, groups = partition.groups] {
      cluster.trace("NETWORK partition");
      cluster.network().partition(groups);
    });
    queue.schedule(partition.heal_ms, [&cluster] {
      cluster.trace("NETWORK heal");
      cluster.network().heal();
    });
  }
  for (const auto& crash : scenario.crashes) {
    queue.schedule(crash.crash_ms, [&cluster, slot = crash.slot] { cluster.crash(slot); });
    queue.schedule(crash.restart_ms, [&cluster, slot = crash.slot] { cluster.restart(slot); });
  }
}

}  // namespace synod::sim
