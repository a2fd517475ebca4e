// Proof-of-stake on the simulator: the seed sweep (generated schedules with partitions,
// crashes, drops, adjusting difficulty and sometimes a double-signer, zero violations
// allowed), the invariant checker catching broken blocks, and the two experiments with few
// seeds (the README's tables come from `synod-sim --consensus pos --experiment NAME` with
// many). A failing sweep seed prints its replay command.
#include <catch2/catch.hpp>

#include <cstdio>
#include <numeric>
#include <string>

#include "pow_pos/factory.h"
#include "tests/sim/pos_experiments.h"
#include "tests/sim/pos_sim.h"
#include "tests/sim/pow_invariants.h"
#include "tests/sim/pow_seeds.h"
#include "tests/sim/seed_sweep.h"

using namespace synod;
using namespace synod::sim;

namespace {

void sweep(std::size_t validators, std::uint64_t first_seed, std::uint64_t seeds) {
  PowSeedOptions options;
  options.pos = true;
  options.miners = validators;
  options.duration_ms = 40'000;
  std::uint64_t blocks = 0, reorgs = 0, slashes = 0;
  const SweepFailures failures = sweep_seeds(first_seed, seeds, options, run_pow_seed,
                                             pow_failure_report, [&](const PowRunResult& result) {
                                               blocks += result.height;
                                               reorgs += result.reorgs;
                                               slashes += result.slashes_checked;
                                             });
  INFO(failures.reports);
  CHECK(failures.count == 0);
  CHECK(blocks > seeds * 15);  // the runs did real work
  CHECK(reorgs > 0);           // the faults forked the chain
  CHECK(slashes > 0);          // and some double-signer was caught and slashed
}

}  // namespace

TEST_CASE("pos seed sweep 4 validators, seeds 1-12", "[pos][sweep]") {
  sweep(4, 1, 12);
}

TEST_CASE("pos seed sweep 5 validators, seeds 13-22", "[pos][sweep]") {
  sweep(5, 13, 10);
}

TEST_CASE(
    "pos invariants: a block by a slashed validator or with state changes its "
    "transactions do not make is a violation",
    "[pos][invariants]") {
  PowCluster cluster(pos_cluster_options({100, 100, 100}, sim_pos_params(), 7),
                     pow_pos::make_pos_engine);
  PowInvariantChecker checker(cluster.genesis().genesis);
  PowClusterHooks hooks;
  hooks.on_change = [&](const PowNode& node, const StoreChange& change, TimeMs now) {
    checker.on_change(node, change, now);
  };
  cluster.set_hooks(hooks);
  cluster.start();
  cluster.run_until(30'000);
  REQUIRE(checker.ok());
  const PowStore& store = cluster.node(0).store;
  REQUIRE(store.height() >= 3);
  REQUIRE(checker.blocks_checked() >= 3 * store.height());

  // Node 0's head as it joined the chain: the block, its state changes, the state before.
  const std::uint64_t height = store.height();
  auto undo = store.undo_at(height);
  REQUIRE(undo.ok());
  REQUIRE(undo->has_value());
  AppliedBlock head{store.at(height), **undo, store.state()};
  head.before.revert(head.diff);
  PosInvariants pos(cluster.genesis().genesis);
  std::vector<std::string> problems;
  pos.check_block(store, head, problems);
  REQUIRE(problems.empty());  // as it is, it passes

  SECTION("its proposer slashed before it") {
    const chain::Address proposer = chain::address_of(head.block.header.proposer);
    chain::Account slashed = head.before.account(proposer);
    slashed.slashed_height = 1;
    head.before.apply(chain::StateDiff{{{proposer, head.before.account(proposer), slashed}}});
    pos.check_block(store, head, problems);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("slashing: signed by") == 0);
  }
  SECTION("a coin more in its state changes") {
    REQUIRE(!head.diff.changes.empty());
    head.diff.changes[0].after.balance += 1;
    pos.check_block(store, head, problems);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("validity:") == 0);
  }
}

TEST_CASE("pos fairness: block shares track stake shares over whole simulated networks",
          "[pos][fairness]") {
  const FairnessOptions options;  // stakes 100/200/300/400
  FairnessResult result = run_fairness(5, 1, options, 1);
  std::printf("pos fairness, %llu seeds: validator stake-share expected measured\n",
              static_cast<unsigned long long>(result.trials));
  for (std::size_t j = 0; j < options.stakes.size(); ++j) {
    std::printf("  %zu  %.3f  %.3f  %.3f\n", j, result.stake_shares[j], result.expected_shares[j],
                result.measured_shares[j]);
  }
  std::printf("  chi-square %.2f (critical %.2f), against equal shares %.1f\n",
              result.chi_square_model, result.critical, result.chi_square_equal);
  INFO(result.first_anomaly);
  CHECK(result.anomalies == 0);
  REQUIRE(result.total > 400);  // about 120 blocks a seed
  CHECK(result.chi_square_model < result.critical);
  // The test can tell: a lottery blind to stake would be far off.
  CHECK(result.chi_square_equal > 3 * result.critical);
  double sum = 0;
  for (std::size_t j = 0; j < options.stakes.size(); ++j) {
    sum += result.expected_shares[j];
    CHECK(std::abs(result.expected_shares[j] - result.stake_shares[j]) < 0.03);
  }
  CHECK(std::abs(sum - 1.0) < 1e-9);
}

TEST_CASE(
    "pos nothing-at-stake: slashing takes the double-signers' stake and ends their forks, "
    "which without it last longer",
    "[pos][nothing-at-stake]") {
  const NothingAtStakeOptions options;  // 5 x 200, validators 3 and 4 double-sign
  const std::uint64_t trials = 3;
  const NothingAtStakeSide off = run_nothing_at_stake(false, trials, 1, options, 1);
  const NothingAtStakeSide on = run_nothing_at_stake(true, trials, 1, options, 1);
  std::printf(
      "pos nothing-at-stake, %llu seeds: off / on\n  double-signs %llu / %llu\n"
      "  stake at the end %llu / %llu of %llu\n  fork rate (2nd half) %.3f / %.3f\n"
      "  reorgs (2nd half) %llu / %llu, mean depth %.2f / %.2f, deepest %llu / %llu\n"
      "  longest side branch (2nd half) %llu / %llu\n",
      static_cast<unsigned long long>(trials),
      static_cast<unsigned long long>(off.total.double_signs),
      static_cast<unsigned long long>(on.total.double_signs),
      static_cast<unsigned long long>(off.total.double_signer_stake_end),
      static_cast<unsigned long long>(on.total.double_signer_stake_end),
      static_cast<unsigned long long>(off.total.double_signer_stake_start), off.fork_rate_late(),
      on.fork_rate_late(), static_cast<unsigned long long>(off.total.reorgs_late),
      static_cast<unsigned long long>(on.total.reorgs_late), off.mean_reorg_depth_late(),
      on.mean_reorg_depth_late(), static_cast<unsigned long long>(off.total.deepest_reorg_late),
      static_cast<unsigned long long>(on.total.deepest_reorg_late),
      static_cast<unsigned long long>(off.total.longest_side_branch_late),
      static_cast<unsigned long long>(on.total.longest_side_branch_late));
  INFO(off.first_anomaly << " " << on.first_anomaly);
  CHECK(off.anomalies == 0);
  CHECK(on.anomalies == 0);
  // The attack happened in both: blocks signed twice at one height.
  REQUIRE(off.total.double_signs > 0);
  REQUIRE(on.total.double_signs > 0);
  // Without slashing the offenders keep everything and keep forking the chain.
  CHECK(off.total.double_signers_slashed == 0);
  CHECK(off.total.double_signer_stake_end == off.total.double_signer_stake_start);
  CHECK(off.total.side_blocks_late > 0);
  // With it every offender lost half its stake, and the forks they made stop.
  CHECK(on.total.double_signers_slashed == options.double_signers.size() * trials);
  CHECK(on.total.double_signer_stake_end * 2 == on.total.double_signer_stake_start);
  CHECK(on.fork_rate_late() * 2 < off.fork_rate_late());
  CHECK(on.total.reorgs_late < off.total.reorgs_late);
  // Without slashing the double-signers also extend the branches that lost, so forks last
  // longer: deeper reorgs and longer side branches (seeds 1-3 gave a mean depth of 1.9
  // against 1.0, the deepest 7 against 1, the longest branch 10 against 1).
  CHECK(off.mean_reorg_depth_late() > 1.3 * on.mean_reorg_depth_late());
  CHECK(off.total.deepest_reorg_late >= on.total.deepest_reorg_late + 2);
  CHECK(off.total.longest_side_branch_late >= on.total.longest_side_branch_late + 2);
}
