#include "tests/sim/pos_experiments.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "tests/sim/parallel.h"
#include "tests/sim/pos_sim.h"
#include "tests/sim/pow_runner.h"

namespace synod::sim {
namespace {

std::uint64_t difficulty_of(const std::vector<std::uint64_t>& stakes,
                            const chain::PosParams& params) {
  const std::uint64_t total = std::accumulate(stakes.begin(), stakes.end(), std::uint64_t{0});
  return std::max<std::uint64_t>(1, total * params.block_interval_ms / 1000);
}

std::string first_violation(const PowRunResult& result) {
  return result.ok() ? "" : result.violations.front().what;
}

std::optional<SlotId> slot_of(const PowCluster& cluster, const crypto::PublicKey& key) {
  const auto& keys = cluster.genesis().miner_keys;
  for (SlotId slot = 0; slot < keys.size(); ++slot) {
    if (keys[slot].public_key() == key)
      return slot;
  }
  return std::nullopt;
}

// Node 0's store at the end: forks, double-signs, the double-signers' stake.
void measure(const PowCluster& cluster, const NothingAtStakeOptions& options, TimeMs late_ms,
             NothingAtStakeTrial& out) {
  const PowStore& store = cluster.node(0).store;
  out.final_height = store.height();
  std::map<std::pair<crypto::PublicKey, std::uint64_t>, std::uint64_t> signed_at;
  for (std::uint64_t h = 1; h <= store.height(); ++h) {
    const chain::BlockHeader& header = store.at(h).header;
    out.blocks_late += header.timestamp_ms >= late_ms ? 1 : 0;
    ++signed_at[{header.proposer, h}];
  }
  auto side = store.side_blocks(0);
  std::vector<chain::Block> blocks =
      side.ok() ? std::move(side).value() : std::vector<chain::Block>{};
  std::sort(blocks.begin(), blocks.end(), [](const chain::Block& a, const chain::Block& b) {
    return a.header.height < b.header.height;
  });
  std::map<crypto::Hash256, std::uint64_t> branch_length;  // side block -> blocks down to the fork
  for (const chain::Block& block : blocks) {
    auto parent = branch_length.find(block.header.prev_hash);
    const std::uint64_t length = parent == branch_length.end() ? 1 : parent->second + 1;
    branch_length[block.hash()] = length;
    ++signed_at[{block.header.proposer, block.header.height}];
    if (block.header.timestamp_ms < late_ms)
      continue;
    ++out.side_blocks_late;
    out.longest_side_branch_late = std::max(out.longest_side_branch_late, length);
  }
  for (const auto& [key, count] : signed_at)
    out.double_signs += count > 1 ? 1 : 0;
  std::uint64_t last_slash = 0;
  for (SlotId slot : options.double_signers) {
    const chain::Account account = store.state().account(
        chain::address_of(cluster.genesis().miner_keys.at(slot).public_key()));
    out.double_signer_stake_start += options.stakes.at(slot);
    out.double_signer_stake_end += account.stake;
    out.double_signers_slashed += account.slashed() ? 1 : 0;
    last_slash = std::max(last_slash, account.slashed_height);
  }
  if (out.double_signers_slashed == options.double_signers.size())
    out.last_slash_height = last_slash;
}

void add_trial(const NothingAtStakeTrial& trial, NothingAtStakeTrial& total) {
  total.blocks_late += trial.blocks_late;
  total.side_blocks_late += trial.side_blocks_late;
  total.reorgs_late += trial.reorgs_late;
  total.blocks_undone_late += trial.blocks_undone_late;
  total.deepest_reorg_late = std::max(total.deepest_reorg_late, trial.deepest_reorg_late);
  total.longest_side_branch_late =
      std::max(total.longest_side_branch_late, trial.longest_side_branch_late);
  total.double_signs += trial.double_signs;
  total.double_signer_stake_start += trial.double_signer_stake_start;
  total.double_signer_stake_end += trial.double_signer_stake_end;
  total.double_signers_slashed += trial.double_signers_slashed;
  total.last_slash_height = std::max(total.last_slash_height, trial.last_slash_height);
  total.final_height += trial.final_height;
}

}  // namespace

std::vector<double> lottery_block_shares(const std::vector<std::uint64_t>& stakes,
                                         std::uint64_t difficulty) {
  const std::size_t n = stakes.size();
  std::vector<double> p(n);
  double none = 1;
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = std::min(1.0, static_cast<double>(stakes[i]) / static_cast<double>(difficulty));
    none *= 1 - p[i];
  }
  std::vector<double> shares(n);
  for (std::size_t j = 0; j < n; ++j) {
    // The distribution of how many of the others win the same second, then j's expected
    // part of a tie: 1 / (1 + others).
    std::vector<double> others(1, 1.0);
    for (std::size_t i = 0; i < n; ++i) {
      if (i == j)
        continue;
      std::vector<double> next(others.size() + 1, 0.0);
      for (std::size_t k = 0; k < others.size(); ++k) {
        next[k] += others[k] * (1 - p[i]);
        next[k + 1] += others[k] * p[i];
      }
      others = std::move(next);
    }
    double part = 0;
    for (std::size_t k = 0; k < others.size(); ++k)
      part += others[k] / static_cast<double>(k + 1);
    shares[j] = p[j] * part / (1 - none);
  }
  return shares;
}

double chi_square(const std::vector<std::uint64_t>& observed, const std::vector<double>& shares) {
  const double total =
      static_cast<double>(std::accumulate(observed.begin(), observed.end(), std::uint64_t{0}));
  double sum = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double expected = shares[i] * total;
    const double gap = static_cast<double>(observed[i]) - expected;
    sum += gap * gap / expected;
  }
  return sum;
}

double chi_square_critical_0_1_percent(std::size_t degrees) {
  static constexpr double kCritical[] = {10.83, 13.82, 16.27, 18.47, 20.52,
                                         22.46, 24.32, 26.12, 27.88};
  return kCritical[std::clamp<std::size_t>(degrees, 1, 9) - 1];
}

double honest_tie_fork_rate(const std::vector<std::uint64_t>& honest_stakes,
                            std::uint64_t difficulty) {
  double expected_winners = 0, none = 1;
  for (std::uint64_t stake : honest_stakes) {
    const double p = std::min(1.0, static_cast<double>(stake) / static_cast<double>(difficulty));
    expected_winners += p;
    none *= 1 - p;
  }
  return (expected_winners - (1 - none)) / (1 - none);
}

FairnessTrial run_fairness_trial(std::uint64_t seed, const FairnessOptions& options,
                                 std::ostream* trace) {
  const PowScenario scenario = pos_experiment_scenario(seed, options.stakes, options.duration_ms);
  FairnessTrial out;
  out.blocks.assign(options.stakes.size(), 0);
  PowRunOptions run;
  run.trace = trace;
  run.inspect = [&](const PowCluster& cluster) {
    const PowStore& store = cluster.node(0).store;
    const std::uint64_t counted =
        store.height() > options.unsettled_blocks ? store.height() - options.unsettled_blocks : 0;
    for (std::uint64_t h = 1; h <= counted; ++h) {
      if (auto slot = slot_of(cluster, store.at(h).header.proposer))
        ++out.blocks[*slot];
    }
  };
  out.anomaly = first_violation(run_pow_scenario(scenario, run));
  return out;
}

FairnessResult run_fairness(std::uint64_t trials, std::uint64_t first_seed,
                            const FairnessOptions& options, unsigned jobs) {
  std::vector<FairnessTrial> results(trials);
  for_each_index(trials, jobs, [&](std::uint64_t i) {
    results[i] = run_fairness_trial(first_seed + i, options);
  });
  FairnessResult out;
  out.trials = trials;
  const std::size_t n = options.stakes.size();
  out.blocks.assign(n, 0);
  for (std::uint64_t i = 0; i < trials; ++i) {
    for (std::size_t j = 0; j < n; ++j)
      out.blocks[j] += results[i].blocks[j];
    if (!results[i].anomaly.empty() && out.anomalies++ == 0)
      out.first_anomaly = "seed " + std::to_string(first_seed + i) + ": " + results[i].anomaly;
  }
  out.total = std::accumulate(out.blocks.begin(), out.blocks.end(), std::uint64_t{0});
  const double total_stake = static_cast<double>(
      std::accumulate(options.stakes.begin(), options.stakes.end(), std::uint64_t{0}));
  out.expected_shares =
      lottery_block_shares(options.stakes, difficulty_of(options.stakes, sim_pos_params()));
  for (std::size_t j = 0; j < n; ++j) {
    out.stake_shares.push_back(static_cast<double>(options.stakes[j]) / total_stake);
    out.measured_shares.push_back(out.total ? static_cast<double>(out.blocks[j]) / out.total : 0);
  }
  out.chi_square_model = chi_square(out.blocks, out.expected_shares);
  out.chi_square_equal = chi_square(out.blocks, std::vector<double>(n, 1.0 / n));
  out.critical = chi_square_critical_0_1_percent(n - 1);
  out.agrees = out.total > 0 && out.chi_square_model < out.critical && out.anomalies == 0;
  return out;
}

NothingAtStakeTrial run_nothing_at_stake_trial(std::uint64_t seed, bool slashing,
                                               const NothingAtStakeOptions& options,
                                               std::ostream* trace) {
  PowScenario scenario = pos_experiment_scenario(seed, options.stakes, options.duration_ms);
  scenario.double_signers = options.double_signers;
  scenario.slashing = slashing;
  const TimeMs late_ms = options.duration_ms / 2;
  NothingAtStakeTrial out;
  PowRunOptions run;
  run.trace = trace;
  // Reorgs at honest nodes in the second half, on top of the checker's hook.
  run.prepare = [&out, late_ms](PowCluster& cluster) {
    PowClusterHooks hooks = cluster.hooks();
    hooks.on_change = [&out, late_ms, checker = hooks.on_change](
                          const PowNode& node, const StoreChange& change, TimeMs now) {
      if (checker)
        checker(node, change, now);
      if (!node.honest || change.undone.empty() || now < late_ms)
        return;
      ++out.reorgs_late;
      out.blocks_undone_late += change.undone.size();
      out.deepest_reorg_late =
          std::max<std::uint64_t>(out.deepest_reorg_late, change.undone.size());
    };
    cluster.set_hooks(std::move(hooks));
  };
  run.inspect = [&](const PowCluster& cluster) { measure(cluster, options, late_ms, out); };
  out.anomaly = first_violation(run_pow_scenario(scenario, run));
  return out;
}

double NothingAtStakeSide::fork_rate_late() const {
  return total.blocks_late ? static_cast<double>(total.side_blocks_late) / total.blocks_late : 0;
}

double NothingAtStakeSide::reorgs_per_100_blocks_late() const {
  return total.blocks_late ? 100.0 * static_cast<double>(total.reorgs_late) / total.blocks_late : 0;
}

double NothingAtStakeSide::mean_reorg_depth_late() const {
  return total.reorgs_late ? static_cast<double>(total.blocks_undone_late) /
                                 static_cast<double>(total.reorgs_late)
                           : 0;
}

NothingAtStakeSide run_nothing_at_stake(bool slashing, std::uint64_t trials,
                                        std::uint64_t first_seed,
                                        const NothingAtStakeOptions& options, unsigned jobs) {
  std::vector<NothingAtStakeTrial> results(trials);
  for_each_index(trials, jobs, [&](std::uint64_t i) {
    results[i] = run_nothing_at_stake_trial(first_seed + i, slashing, options);
  });
  NothingAtStakeSide out;
  out.slashing = slashing;
  out.trials = trials;
  for (std::uint64_t i = 0; i < trials; ++i) {
    add_trial(results[i], out.total);
    if (!results[i].anomaly.empty() && out.anomalies++ == 0)
      out.first_anomaly = "seed " + std::to_string(first_seed + i) + ": " + results[i].anomaly;
  }
  return out;
}

}  // namespace synod::sim
