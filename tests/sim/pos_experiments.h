// The proof-of-stake experiments: whole simulated networks of real PosEngines (the runner
// of pow_runner.h with its invariants checked throughout), measured against what the
// lottery predicts.
//
// Fairness: validators with fixed stakes and a fixed difficulty, a network with a few tens
// of milliseconds of latency, no faults. Each second each validator wins with p = stake /
// difficulty; the first second with a winner decides the block and several winners in
// that second are a tie broken by the lowest block hash, so each is equally likely to
// stay. lottery_block_shares() is that model's exact share per validator; the blocks each
// validator signed on the final chain, pooled over the seeds, are judged against it with a
// chi-square test.
//
// Nothing-at-stake: some validators run `--byzantine double-sign` (they also sign a
// sibling of every tip they see, and extend every side branch that ends within 2 blocks of
// their best tip). The same seeds run twice: with every honest slasher on,
// and with all of them off (evidence is never submitted, as on a chain without slashing).
// Measured in the second half of a run, when a slash has long happened: the fork rate
// (blocks of node 0's store off its final chain per block on it), the reorgs at honest
// nodes and their depth (mean and deepest), the longest side branch, and the double-signers' stake
// at the end.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "tests/sim/network.h"

namespace synod::sim {

// The exact share of blocks each validator signs in the model above (stake / difficulty
// per second each; among same-second winners each equally likely).
std::vector<double> lottery_block_shares(const std::vector<std::uint64_t>& stakes,
                                         std::uint64_t difficulty);
// The chi-square statistic of `observed` against `shares` x their total.
double chi_square(const std::vector<std::uint64_t>& observed, const std::vector<double>& shares);
// The 0.1% critical value of the chi-square distribution with `degrees` (1-9) of freedom.
double chi_square_critical_0_1_percent(std::size_t degrees);

struct FairnessOptions {
  std::vector<std::uint64_t> stakes = {100, 200, 300, 400};
  TimeMs duration_ms = 300'000;        // per seed: about 150 blocks at the 2 s interval
  std::uint64_t unsettled_blocks = 6;  // the last blocks of a run are not counted
};

struct FairnessTrial {
  std::vector<std::uint64_t> blocks;  // per validator, on node 0's final chain
  std::string anomaly;                // the first invariant violation, if any
};

struct FairnessResult {
  std::uint64_t trials = 0;
  std::vector<std::uint64_t> blocks;  // pooled
  std::uint64_t total = 0;
  std::vector<double> stake_shares, expected_shares, measured_shares;
  double chi_square_model = 0;  // against expected_shares
  double chi_square_equal = 0;  // against equal shares: what a stake-blind lottery gives
  double critical = 0;          // 0.1% level for validators - 1 degrees of freedom
  bool agrees = false;          // chi_square_model < critical, no anomalies
  std::uint64_t anomalies = 0;
  std::string first_anomaly;  // "seed S: ..."
};

FairnessTrial run_fairness_trial(std::uint64_t seed, const FairnessOptions& options,
                                 std::ostream* trace = nullptr);
FairnessResult run_fairness(std::uint64_t trials, std::uint64_t first_seed,
                            const FairnessOptions& options, unsigned jobs);

struct NothingAtStakeOptions {
  std::vector<std::uint64_t> stakes = {200, 200, 200, 200, 200};
  std::vector<SlotId> double_signers = {3, 4};
  TimeMs duration_ms = 240'000;
};

struct NothingAtStakeTrial {
  std::uint64_t blocks_late = 0;         // final-chain blocks in the second half
  std::uint64_t side_blocks_late = 0;    // node 0's blocks off its final chain there
  std::uint64_t reorgs_late = 0;         // at honest nodes
  std::uint64_t blocks_undone_late = 0;  // by those reorgs
  std::uint64_t deepest_reorg_late = 0;
  std::uint64_t longest_side_branch_late = 0;
  std::uint64_t double_signs = 0;  // heights with two blocks by one proposer (node 0's store)
  std::uint64_t double_signer_stake_start = 0;
  std::uint64_t double_signer_stake_end = 0;  // node 0's final state
  std::uint64_t double_signers_slashed = 0;
  std::uint64_t last_slash_height = 0;  // 0: not all of them slashed
  std::uint64_t final_height = 0;
  std::string anomaly;
};

struct NothingAtStakeSide {
  bool slashing = false;
  std::uint64_t trials = 0;
  NothingAtStakeTrial total;  // sums (deepest / longest: maxima)
  double fork_rate_late() const;
  double reorgs_per_100_blocks_late() const;
  double mean_reorg_depth_late() const;  // blocks undone per reorg
  std::uint64_t anomalies = 0;
  std::string first_anomaly;
};

NothingAtStakeTrial run_nothing_at_stake_trial(std::uint64_t seed, bool slashing,
                                               const NothingAtStakeOptions& options,
                                               std::ostream* trace = nullptr);
NothingAtStakeSide run_nothing_at_stake(bool slashing, std::uint64_t trials,
                                        std::uint64_t first_seed,
                                        const NothingAtStakeOptions& options, unsigned jobs);
// What the honest validators' same-second ties alone give: E[winners - 1 | winners >= 1]
// per second, with `stakes` of the honest validators and the fixed difficulty.
double honest_tie_fork_rate(const std::vector<std::uint64_t>& honest_stakes,
                            std::uint64_t difficulty);

}  // namespace synod::sim
