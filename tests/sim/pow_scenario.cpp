#include "tests/sim/pow_scenario.h"

#include <algorithm>
#include <sstream>

#include "pow_pos/factory.h"
#include "tests/sim/pos_sim.h"
#include "tests/sim/pow_grind.h"

namespace synod::sim {
namespace {

constexpr std::uint64_t kExpectedHashes = 256;

// Weights 1-10 per miner, some nodes only following (at least two mine); scaled so the
// network finds a block per interval at the initial target (with retargeting, up to twice
// as fast, so the target must get harder).
void add_miners(Rng& rng, bool retargeting, PowScenario& out) {
  std::vector<double> weights(out.miners);
  std::size_t mining = 0;
  for (std::size_t i = 0; i < out.miners; ++i) {
    const bool follower = out.miners > 2 && mining + (out.miners - i) > 2 && rng.chance(0.15);
    weights[i] = follower ? 0.0 : static_cast<double>(rng.between(1, 10));
    mining += follower ? 0 : 1;
  }
  double total = 0;
  for (double w : weights)
    total += w;
  const double speed = retargeting ? 1.0 + rng.unit() : 0.8 + 0.4 * rng.unit();
  const double network_rate = speed * static_cast<double>(kExpectedHashes) * 1000.0 /
                              static_cast<double>(out.pow.block_interval_ms);
  for (double w : weights)
    out.hash_rates.push_back(network_rate * w / total);
}

NetworkOptions random_network(Rng& rng) {
  NetworkOptions network;
  network.latency_base_ms = rng.between(1, 20);
  network.latency_jitter_mean_ms = static_cast<double>(rng.between(0, 40));
  network.latency_max_ms = 500;
  return network;
}

void add_network(Rng& rng, PowScenario& out) {
  out.stable_network = random_network(rng);
  NetworkOptions network = out.stable_network;
  if (rng.chance(0.7))
    network.drop_probability = 0.10 * rng.unit();
  if (rng.chance(0.5))
    network.duplicate_probability = 0.05 * rng.unit();
  if (rng.chance(0.3))  // latency near the block interval: many forks
    network.latency_jitter_mean_ms += static_cast<double>(rng.between(50, 300));
  out.faulty_network = network;
}

void add_partitions(Rng& rng, PowScenario& out) {
  const std::size_t count = rng.below(3);
  const TimeMs interval = out.interval_ms();
  TimeMs cursor = rng.between(0, out.stable_ms / 4);
  for (std::size_t i = 0; i < count && cursor + 2 * interval < out.stable_ms; ++i) {
    const TimeMs start = rng.between(cursor, cursor + (out.stable_ms - cursor) / 2);
    const TimeMs heal = std::min(out.stable_ms, start + rng.between(2, 12) * interval);
    out.partitions.push_back(PartitionFault{random_groups(rng, out.miners, 4), start, heal});
    cursor = heal + 1;
  }
}

void add_crashes(Rng& rng, PowScenario& out) {
  const std::size_t count = rng.below(4);
  for (std::size_t i = 0; i < count; ++i) {
    CrashFault crash;
    crash.slot = rng.below(out.miners);
    crash.crash_ms = rng.between(0, out.stable_ms - 500);
    const TimeMs latest = std::min(out.stable_ms, crash.crash_ms + 10 * out.interval_ms());
    crash.restart_ms = rng.between(crash.crash_ms + 200, std::max(latest, crash.crash_ms + 200));
    bool overlaps = false;
    for (const auto& other : out.crashes) {
      overlaps |= other.slot == crash.slot && other.crash_ms <= crash.restart_ms &&
                  crash.crash_ms <= other.restart_ms;
    }
    if (!overlaps)
      out.crashes.push_back(crash);
  }
}

void add_schedule(const PowScenarioOptions& options, PowScenario& out) {
  const TimeMs interval = out.interval_ms();
  out.stable_ms = options.duration_ms / 2;
  out.settle_ms = std::max<TimeMs>(10 * interval, 15'000);
  out.workload_stop_ms = options.duration_ms;
  out.mining_stop_ms = options.duration_ms + 15 * interval;
  out.quiet_ms = std::max<TimeMs>(20'000, 2 * out.miners * interval);
  out.end_ms = out.mining_stop_ms + 40 * interval + out.quiet_ms;
  if (out.pos_mode())  // no quiet end: resends get 30 intervals to land
    out.end_ms = options.duration_ms + 30 * interval;
}

// Stakes of 100-1,000; sometimes one validator signs on every branch it sees.
void add_validators(Rng& rng, PowScenario& out) {
  for (std::size_t i = 0; i < out.miners; ++i)
    out.stakes.push_back(100 * rng.between(1, 10));
  if (rng.chance(0.3))
    out.double_signers.push_back(rng.below(out.miners));
}

}  // namespace

PowScenario generate_pos_scenario(std::uint64_t seed, const PowScenarioOptions& options) {
  Rng rng(seed * 0x9E3779B97F4A7C15ULL + 0x504f53);
  PowScenario out;
  out.seed = seed;
  out.mode = chain::ConsensusMode::kPos;
  out.miners = options.miners;
  out.pos = sim_pos_params();
  out.pos.block_interval_ms = 1000 * rng.between(2, 4);
  out.pos.max_retarget_factor = rng.chance(0.5) ? 2 : 1;
  out.transactions_per_s = static_cast<double>(rng.between(2, 20));
  add_validators(rng, out);
  add_schedule(options, out);
  add_network(rng, out);
  add_partitions(rng, out);
  add_crashes(rng, out);
  return out;
}

SlotId PowScenario::strongest_miner() const {
  return static_cast<SlotId>(std::max_element(hash_rates.begin(), hash_rates.end()) -
                             hash_rates.begin());
}

std::string PowScenario::describe() const {
  std::ostringstream out;
  if (pos_mode()) {
    out << "seed=" << seed << " validators=" << miners << " stakes=[";
    for (std::size_t i = 0; i < stakes.size(); ++i)
      out << (i ? "," : "") << stakes[i];
    out << "] interval=" << pos.block_interval_ms << "ms retarget=x" << pos.max_retarget_factor;
    for (SlotId slot : double_signers)
      out << " double-sign[" << slot << "]";
    out << (slashing ? "" : " slashing=off");
  } else {
    out << "seed=" << seed << " miners=" << miners << " rates=[";
    for (std::size_t i = 0; i < hash_rates.size(); ++i)
      out << (i ? "," : "") << static_cast<std::uint64_t>(hash_rates[i]);
    out << "]H/s interval=" << pow.block_interval_ms << "ms retarget=x" << pow.max_retarget_factor;
  }
  describe_faults(out, faulty_network, partitions, crashes);
  out << " stable@" << stable_ms << " tps=" << transactions_per_s;
  return out.str();
}

PowScenario generate_pow_scenario(std::uint64_t seed, const PowScenarioOptions& options) {
  Rng rng(seed * 0x9E3779B97F4A7C15ULL + 0x504f5753);
  PowScenario out;
  out.seed = seed;
  out.miners = options.miners;
  out.pow = sim_pow_params();
  out.pow.initial_target = target_for_hashes(kExpectedHashes);
  out.pow.block_interval_ms = rng.between(1000, 4000);
  const bool retargeting = rng.chance(0.5);
  out.pow.max_retarget_factor = retargeting ? 4 : 1;
  out.transactions_per_s = static_cast<double>(rng.between(2, 20));
  add_miners(rng, retargeting, out);
  add_schedule(options, out);
  add_network(rng, out);
  add_partitions(rng, out);
  add_crashes(rng, out);
  return out;
}

PowClusterOptions pow_cluster_options(const PowScenario& scenario) {
  if (scenario.pos_mode()) {
    PowClusterOptions options = pos_cluster_options(scenario.stakes, scenario.pos, scenario.seed);
    options.network = scenario.faulty_network;
    return options;
  }
  PowClusterOptions options;
  options.miners = scenario.miners;
  options.hash_rates = scenario.hash_rates;
  options.pow = scenario.pow;
  options.network = scenario.faulty_network;
  options.seed = scenario.seed;
  return options;
}

chain::EngineFactory scenario_engine_factory(const PowScenario& scenario) {
  return scenario.pos_mode() ? chain::EngineFactory(pow_pos::make_pos_engine)
                             : chain::EngineFactory(pow_pos::make_pow_engine);
}

void schedule_pow_faults(const PowScenario& scenario, PowCluster& cluster) {
  schedule_scenario_faults(scenario, scenario.faulty_network, cluster);
}

}  // namespace synod::sim
