#include "tests/sim/pos_sim.h"

#include <numeric>

#include "pow_pos/pos_engine.h"

namespace synod::sim {

chain::PosParams sim_pos_params() {
  chain::PosParams params;
  params.block_interval_ms = 2000;
  params.retarget_window = 10;
  params.max_retarget_factor = 1;
  params.unbonding_delay = 30;
  params.evidence_window = 20;
  params.slash_percent = 50;
  params.reporter_percent = 10;
  params.block_reward = 10;
  params.max_reorg_depth = 100;
  params.max_future_ms = 3000;
  params.max_block_transactions = 256;
  params.max_block_bytes = 256 * 1024;
  return params;
}

PowSimGenesis make_pos_sim_genesis(const std::vector<std::uint64_t>& stakes, std::size_t accounts,
                                   chain::PosParams params) {
  if (params.initial_difficulty == 0) {
    const std::uint64_t total = std::accumulate(stakes.begin(), stakes.end(), std::uint64_t{0});
    params.initial_difficulty = std::max<std::uint64_t>(1, total * params.block_interval_ms / 1000);
  }
  chain::Genesis genesis;
  genesis.chain_id = "synod-sim-pos";
  genesis.mode = chain::ConsensusMode::kPos;
  genesis.genesis_time_ms = 0;
  genesis.pos = params;
  return make_sim_genesis(std::move(genesis), "pos", stakes.size(), accounts, stakes);
}

PowClusterOptions pos_cluster_options(const std::vector<std::uint64_t>& stakes,
                                      const chain::PosParams& params, std::uint64_t seed) {
  PowClusterOptions options;
  options.miners = stakes.size();
  options.seed = seed;
  options.genesis = make_pos_sim_genesis(stakes, options.accounts, params);
  return options;
}

PowScenario pos_experiment_scenario(std::uint64_t seed, const std::vector<std::uint64_t>& stakes,
                                    TimeMs duration_ms) {
  PowScenario scenario;
  scenario.seed = seed;
  scenario.mode = chain::ConsensusMode::kPos;
  scenario.miners = stakes.size();
  scenario.stakes = stakes;
  scenario.pos = sim_pos_params();
  NetworkOptions network;
  network.latency_base_ms = 5;
  network.latency_jitter_mean_ms = 20;
  network.latency_max_ms = 500;
  scenario.faulty_network = network;
  scenario.stable_network = network;
  scenario.settle_ms = 15'000;
  scenario.transactions_per_s = 2;
  scenario.workload_stop_ms = duration_ms - std::min<TimeMs>(duration_ms / 2, 30'000);
  scenario.end_ms = duration_ms;
  return scenario;
}

void apply_pos_roles(const PowScenario& scenario, PowCluster& cluster) {
  for (SlotId slot = 0; slot < cluster.size(); ++slot)
    cluster.node(slot).report_evidence = scenario.slashing;
  for (SlotId slot : scenario.double_signers) {
    PowNode& node = cluster.node(slot);
    node.honest = false;
    node.role = pow_pos::PosEngine::kDoubleSign;
    node.byzantine = {pow_pos::PosEngine::kDoubleSign};
  }
}

}  // namespace synod::sim
