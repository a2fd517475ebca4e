// Proof-of-stake on the simulator's Nakamoto cluster (pow_cluster.h): its genesis and
// parameters, and the scenario's validator roles (double-signers, the slasher switch).
#pragma once

#include <cstdint>
#include <vector>

#include "tests/sim/pow_cluster.h"
#include "tests/sim/pow_scenario.h"

namespace synod::sim {

// A 2 s block interval, a fixed difficulty (max_retarget_factor 1), evidence valid for 20
// blocks, half the stake slashed and a tenth of that paid to the reporter.
chain::PosParams sim_pos_params();
// Validator i stakes stakes[i]. An initial_difficulty of 0 becomes total stake x the
// interval in seconds: a block about once per interval at the start.
PowSimGenesis make_pos_sim_genesis(const std::vector<std::uint64_t>& stakes, std::size_t accounts,
                                   chain::PosParams params);
// Cluster options for a PosEngine per slot on that genesis.
PowClusterOptions pos_cluster_options(const std::vector<std::uint64_t>& stakes,
                                      const chain::PosParams& params, std::uint64_t seed);
// The experiments' network (pos_experiments.h): no faults, 5 ms + exp(20 ms) latency, two
// transactions a second until the last 30 s, the fixed difficulty of sim_pos_params().
PowScenario pos_experiment_scenario(std::uint64_t seed, const std::vector<std::uint64_t>& stakes,
                                    TimeMs duration_ms);
// Before start(): the scenario's double-signers run `--byzantine double-sign` and are not
// honest (the invariants judge the others); with slashing off no slasher reports.
void apply_pos_roles(const PowScenario& scenario, PowCluster& cluster);

}  // namespace synod::sim
