#include "tests/sim/scenario.h"

#include <algorithm>
#include <sstream>

namespace synod::sim {
namespace {

void add_byzantine(Rng& rng, const ScenarioOptions& options, std::size_t faulty, Scenario& out) {
  std::vector<ReplicaIndex> validators(options.validators);
  for (ReplicaIndex i = 0; i < options.validators; ++i)
    validators[i] = i;
  for (std::size_t i = validators.size() - 1; i > 0; --i)
    std::swap(validators[i], validators[rng.below(i + 1)]);
  for (std::size_t i = 0; i < faulty; ++i) {
    const bool twin = options.twins && (options.adversary_kinds.empty() || rng.chance(0.2));
    if (twin) {
      out.twins.push_back(validators[i]);
    } else if (!options.adversary_kinds.empty()) {
      out.adversaries[validators[i]] =
          options.adversary_kinds[rng.below(options.adversary_kinds.size())];
    }
  }
}

void add_network(Rng& rng, Scenario& out) {
  NetworkOptions network;
  network.latency_base_ms = rng.between(1, 8);
  network.latency_jitter_mean_ms = static_cast<double>(rng.between(0, 15));
  network.latency_max_ms = 300;
  out.stable_network = network;
  if (rng.chance(0.8))
    network.drop_probability = 0.10 * rng.unit();
  if (rng.chance(0.6))
    network.duplicate_probability = 0.05 * rng.unit();
  if (rng.chance(0.3))
    network.latency_jitter_mean_ms += static_cast<double>(rng.between(10, 60));
  out.faulty_network = network;
}

void add_partitions(Rng& rng, Scenario& out) {
  const std::size_t count = rng.below(3);  // 0, 1 or 2
  TimeMs cursor = rng.between(0, out.stable_ms / 4);
  for (std::size_t i = 0; i < count && cursor + 200 < out.stable_ms; ++i) {
    const TimeMs start = rng.between(cursor, cursor + (out.stable_ms - cursor) / 2);
    const TimeMs heal = rng.between(start + 100, out.stable_ms);
    out.partitions.push_back(PartitionFault{random_groups(rng, out.slots(), 5), start, heal});
    cursor = heal + 1;
  }
}

bool is_honest_slot(const Scenario& scenario, SlotId slot) {
  if (scenario.adversaries.count(slot) != 0 || slot >= scenario.validators)
    return false;
  return std::find(scenario.twins.begin(), scenario.twins.end(), slot) == scenario.twins.end();
}

// Crashes of honest nodes; at most `budget` down at once, except in the occasional "mass
// crash" that takes every honest node down together (safety must survive it).
void add_crashes(Rng& rng, std::size_t budget, Scenario& out) {
  std::vector<SlotId> honest;
  for (SlotId slot = 0; slot < out.validators; ++slot) {
    if (is_honest_slot(out, slot))
      honest.push_back(slot);
  }
  if (rng.chance(0.08)) {
    const TimeMs at = rng.between(out.stable_ms / 5, out.stable_ms / 2);
    for (SlotId slot : honest)
      out.crashes.push_back(CrashFault{slot, at + rng.below(30), at + rng.between(50, 600)});
    return;
  }
  if (budget == 0)
    return;
  const std::size_t count = rng.below(budget * 2 + 1);
  for (std::size_t i = 0; i < count; ++i) {
    CrashFault crash;
    crash.slot = honest[rng.below(honest.size())];
    crash.crash_ms = rng.between(0, out.stable_ms - 100);
    crash.restart_ms = rng.between(crash.crash_ms + 50, out.stable_ms);
    std::size_t concurrent = 1;
    bool same_slot_overlaps = false;
    for (const auto& other : out.crashes) {
      if (other.crash_ms <= crash.restart_ms && crash.crash_ms <= other.restart_ms) {
        ++concurrent;
        same_slot_overlaps |= other.slot == crash.slot;
      }
    }
    if (concurrent <= budget && !same_slot_overlaps)
      out.crashes.push_back(crash);
  }
}

}  // namespace

std::string Scenario::describe() const {
  std::ostringstream out;
  out << "seed=" << seed << " n=" << validators;
  for (const auto& [slot, kind] : adversaries)
    out << " byz[" << slot << "]=" << kind;
  for (ReplicaIndex twin : twins)
    out << " twin[" << twin << "]";
  describe_faults(out, faulty_network, partitions, crashes);
  out << " stable@" << stable_ms << " tps=" << transactions_per_s;
  return out.str();
}

Scenario quiet_scenario(std::uint64_t seed, std::size_t validators, TimeMs duration_ms) {
  Scenario out;
  out.seed = seed;
  out.validators = validators;
  out.stable_ms = 0;
  out.workload_stop_ms = duration_ms;
  out.end_ms = duration_ms + out.liveness_bound_ms;
  return out;
}

Scenario generate_scenario(std::uint64_t seed, const ScenarioOptions& options) {
  Rng rng(seed * 0x9E3779B97F4A7C15ULL + 0x5CE7A710);
  Scenario out = quiet_scenario(seed, options.validators, options.duration_ms);
  out.liveness_bound_ms = options.liveness_bound_ms;
  out.end_ms = options.duration_ms + options.liveness_bound_ms;
  out.stable_ms = options.duration_ms / 2;
  out.transactions_per_s = static_cast<double>(rng.between(15, 60));
  const std::size_t f = (options.validators - 1) / 3;
  std::size_t byzantine = 0;
  if (!options.adversary_kinds.empty() || options.twins)
    byzantine = rng.chance(0.25) ? 0 : rng.between(1, f);
  add_byzantine(rng, options, byzantine, out);
  add_network(rng, out);
  add_partitions(rng, out);
  add_crashes(rng, f - byzantine, out);
  return out;
}

ClusterOptions cluster_options(const Scenario& scenario) {
  ClusterOptions options;
  options.validators = scenario.validators;
  options.twins = scenario.twins;
  options.adversaries = scenario.adversaries;
  options.network = scenario.faulty_network;
  options.seed = scenario.seed;
  options.pbft = scenario.pbft;
  return options;
}

void schedule_faults(const Scenario& scenario, Cluster& cluster) {
  // A quiet scenario (stable_ms 0) is reliable from the start.
  schedule_scenario_faults(
      scenario, scenario.stable_ms > 0 ? scenario.faulty_network : scenario.stable_network,
      cluster);
}

}  // namespace synod::sim
