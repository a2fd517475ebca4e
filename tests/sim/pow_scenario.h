// Proof-of-work fault schedules generated from a seed.
//
// A scenario picks the miners' hash rates (some nodes may only follow), the block interval,
// fixed difficulty or retargeting, the network's latency model (base + exponential jitter;
// drops and duplicates before stable_ms), up to two partitions of any shape and some
// crash/restart cycles. Every partition heals and every crashed node restarts by
// stable_ms; partitions last at most 12 block intervals, so the two sides never drift
// further apart than max_reorg_depth (100) and must reconverge. From stable_ms + settle_ms
// the honest nodes must agree on everything deeper than agreement_depth blocks.
//
// The end of a run: the workload stops at workload_stop_ms; at mining_stop_ms every miner
// but the strongest stops (so no tie between equal-work tips can outlast it), and once that
// one has found `tie_break_blocks` more blocks, or at end_ms - quiet_ms, all mining stops
// and the network gets quiet_ms to settle: then one head for all, and every transaction on
// it. Same seed and options, same scenario.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/sim/faults.h"
#include "tests/sim/pow_cluster.h"

namespace synod::sim {

struct PowScenario {
  std::uint64_t seed = 0;
  chain::ConsensusMode mode = chain::ConsensusMode::kPow;
  std::size_t miners = 4;          // PoW miners or PoS validators
  std::vector<double> hash_rates;  // hashes per virtual second; 0: a follower
  chain::PowParams pow;
  // Proof-of-stake: each validator's stake, the parameters, the validators that sign on
  // every branch they see, and whether the honest slashers report them.
  std::vector<std::uint64_t> stakes;
  chain::PosParams pos;
  std::vector<SlotId> double_signers;
  bool slashing = true;
  NetworkOptions faulty_network;  // before stable_ms
  NetworkOptions stable_network;  // from stable_ms
  std::vector<PartitionFault> partitions;
  std::vector<CrashFault> crashes;
  TimeMs stable_ms = 0;
  TimeMs settle_ms = 0;  // after stable_ms, before agreement is checked
  std::uint64_t agreement_depth = 6;
  double transactions_per_s = 10;
  TimeMs workload_stop_ms = 0;
  TimeMs mining_stop_ms = 0;
  std::uint64_t tie_break_blocks = 2;
  TimeMs quiet_ms = 0;
  TimeMs end_ms = 0;

  bool pos_mode() const { return mode == chain::ConsensusMode::kPos; }
  TimeMs interval_ms() const { return pos_mode() ? pos.block_interval_ms : pow.block_interval_ms; }
  SlotId strongest_miner() const;
  std::string describe() const;
};

struct PowScenarioOptions {
  std::size_t miners = 4;
  TimeMs duration_ms = 60'000;  // client workload; faults fall in its first half
};

PowScenario generate_pow_scenario(std::uint64_t seed, const PowScenarioOptions& options);
// The proof-of-stake counterpart: stakes of 100-1,000 per validator, fixed or adjusting
// difficulty, sometimes one double-signer (slashing on), the same network faults.
// Validators cannot be told to stop, so the run has no quiet end: from stable_ms +
// settle_ms to end_ms the honest nodes must agree below agreement_depth.
PowScenario generate_pos_scenario(std::uint64_t seed, const PowScenarioOptions& options);

PowClusterOptions pow_cluster_options(const PowScenario& scenario);
// The scenario's engines: PowEngine or PosEngine, as node/ builds them.
chain::EngineFactory scenario_engine_factory(const PowScenario& scenario);
// Schedules the scenario's partitions, crashes and network changes on `cluster`.
void schedule_pow_faults(const PowScenario& scenario, PowCluster& cluster);

}  // namespace synod::sim
