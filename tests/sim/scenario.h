// Fault schedules generated from a seed.
//
// For n = 3f+1 validators a scenario picks up to f Byzantine validators (each an adversary
// kind or a twin), random network faults (drop 0-10%, duplication 0-5%, latency jitter),
// up to two partitions and some crash/restart cycles of honest nodes. Every partition heals
// and every crashed node restarts by `stable_ms`; from then on the network is reliable
// (GST in the partial-synchrony model) and the only faults left are the <= f Byzantine
// validators, which is what makes liveness assertable. Before stable_ms, partitions may
// isolate any number of nodes and crashes may take down more than f at once: safety must
// hold regardless.
//
// Same seed and options, same scenario.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/sim/cluster.h"
#include "tests/sim/faults.h"
#include "tests/sim/network.h"

namespace synod::sim {

struct Scenario {
  std::uint64_t seed = 0;
  std::size_t validators = 4;
  std::vector<ReplicaIndex> twins;            // validators that run twice (extra slots)
  std::map<SlotId, std::string> adversaries;  // slot -> adversary kind name
  NetworkOptions faulty_network;              // before stable_ms
  NetworkOptions stable_network;              // from stable_ms
  std::vector<PartitionFault> partitions;     // in time order, never overlapping
  std::vector<CrashFault> crashes;
  TimeMs stable_ms = 0;
  double transactions_per_s = 40;
  TimeMs workload_stop_ms = 0;
  TimeMs liveness_bound_ms = 30'000;
  TimeMs end_ms = 0;  // the run's last moment (it may stop earlier once all is committed)
  chain::PbftParams pbft = sim_pbft_params();

  std::size_t slots() const { return validators + twins.size(); }
  std::string describe() const;
};

struct ScenarioOptions {
  std::size_t validators = 4;
  TimeMs duration_ms = 8'000;  // client workload; faults fall in its first half
  TimeMs liveness_bound_ms = 30'000;
  std::vector<std::string> adversary_kinds;  // names the engine factory understands
  bool twins = true;
};

Scenario generate_scenario(std::uint64_t seed, const ScenarioOptions& options);

// A fault-free scenario (no Byzantine nodes, reliable network): the base of directed tests.
Scenario quiet_scenario(std::uint64_t seed, std::size_t validators, TimeMs duration_ms);

// Cluster options for the scenario's slots, adversaries and network.
ClusterOptions cluster_options(const Scenario& scenario);
// Schedules the scenario's partitions, crashes and network changes on `cluster`.
void schedule_faults(const Scenario& scenario, Cluster& cluster);

}  // namespace synod::sim
