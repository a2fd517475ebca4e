// The PoW invariant checker must be able to fail: forks that outlive a partition, a block
// applied twice on one branch, state changes other than the block's, a supply that is not
// genesis + rewards, a reorg deeper than max_reorg_depth.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/sim/pow_invariants.h"

using namespace synod;
using namespace synod::sim;

namespace {

PowClusterOptions two_miners(std::uint64_t seed) {
  PowClusterOptions options;
  options.miners = 2;
  options.seed = seed;
  options.hash_rates = {64, 64};
  return options;
}

bool mentions(const PowInvariantChecker& checker, const std::string& what) {
  return std::any_of(checker.violations().begin(), checker.violations().end(),
                     [&](const Violation& v) { return v.what.find(what) != std::string::npos; });
}

// Node 0's best chain after `ms` of mining with one transfer submitted.
std::vector<AppliedBlock> mined_chain(PowCluster& cluster, TimeMs ms) {
  std::vector<AppliedBlock> blocks;
  cluster.set_hooks(PowClusterHooks{
      [&](const PowNode& node, const StoreChange& change, TimeMs) {
        if (node.slot != 0)
          return;
        blocks.erase(blocks.begin() + static_cast<std::ptrdiff_t>(change.fork_height),
                     blocks.end());
        for (const auto& applied : change.applied)
          blocks.push_back(applied);
      },
      {},
      {},
      {}});
  cluster.start();
  const auto& keys = cluster.genesis().account_keys;
  (void)cluster.submit(
      0, chain::make_transfer(keys[0], chain::SigningDomain::of(*cluster.genesis().genesis),
                              chain::address_of(keys[1].public_key()), 5, 1, 0));
  cluster.run_until(ms);
  return blocks;
}

chain::AppendBlockAction append_of(const chain::Block& block, const chain::StateDiff& diff) {
  std::vector<crypto::Hash256> hashes;
  for (const auto& tx : block.transactions)
    hashes.push_back(tx.hash());
  return chain::AppendBlockAction{block, diff, hashes};
}

}  // namespace

TEST_CASE("the PoW checker flags a fork that outlives a partition", "[pow-sim]") {
  PowCluster cluster(two_miners(4));
  cluster.network().partition({{0}, {1}});
  cluster.start();
  cluster.run_until(40'000);
  PowInvariantChecker checker(cluster.genesis().genesis);
  checker.check_agreement(cluster, 0, cluster.now());
  CHECK(mentions(checker, "agreement"));
  checker.check_converged(cluster, cluster.now());
  CHECK(mentions(checker, "convergence"));
}

TEST_CASE("the PoW checker holds on a healthy chain", "[pow-sim]") {
  PowCluster cluster(two_miners(6));
  PowInvariantChecker checker(cluster.genesis().genesis);
  std::vector<AppliedBlock> chain = mined_chain(cluster, 30'000);
  REQUIRE(chain.size() > 3);
  PowNode replica(0, *cluster.genesis().genesis);
  for (const auto& applied : chain) {
    auto change = replica.store.append(append_of(applied.block, applied.diff));
    REQUIRE(change.ok());
    checker.on_change(replica, *change, 0);
  }
  for (const auto& v : checker.violations())
    INFO(v.what);
  CHECK(checker.ok());
  CHECK(checker.blocks_checked() == chain.size());
}

TEST_CASE("the PoW checker flags a transaction applied twice on one branch", "[pow-sim]") {
  PowCluster cluster(two_miners(6));
  PowInvariantChecker checker(cluster.genesis().genesis);
  std::vector<AppliedBlock> chain = mined_chain(cluster, 30'000);
  auto with_tx = std::find_if(chain.begin(), chain.end(),
                              [](const AppliedBlock& a) { return !a.block.transactions.empty(); });
  REQUIRE(with_tx != chain.end());
  PowNode replica(0, *cluster.genesis().genesis);
  StoreChange change;
  change.applied.push_back(*with_tx);
  checker.on_change(replica, change, 0);
  checker.on_change(replica, change, 0);
  CHECK(mentions(checker, "double apply"));
}

TEST_CASE("the PoW checker flags minted coins and a reorg past the bound", "[pow-sim]") {
  PowCluster cluster(two_miners(6));
  PowInvariantChecker checker(cluster.genesis().genesis);
  std::vector<AppliedBlock> chain = mined_chain(cluster, 30'000);
  REQUIRE(!chain.empty());
  PowNode replica(0, *cluster.genesis().genesis);
  chain::StateDiff inflated = chain[0].diff;
  for (auto& account : inflated.changes)
    account.after.balance += 1000;  // coins from nowhere
  auto change = replica.store.append(append_of(chain[0].block, inflated));
  REQUIRE(change.ok());
  checker.on_change(replica, *change, 0);
  CHECK(mentions(checker, "supply"));
  CHECK(mentions(checker, "state changes other"));
  StoreChange deep;
  deep.undone.assign(cluster.genesis().genesis->pow.max_reorg_depth + 1, chain[0].block);
  checker.on_change(replica, deep, 0);
  CHECK(mentions(checker, "reorg bound"));
}
