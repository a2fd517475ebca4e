// The PoW simulator's parts: nonce grinding, the in-memory store, and the cluster driving
// real PowEngines (convergence, partitions, crashes, withholding).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>

#include "pow_pos/pow_rules.h"
#include "tests/sim/pow_cluster.h"
#include "tests/sim/pow_grind.h"

using namespace synod;
using namespace synod::sim;

namespace {

std::ostream* trace_stream() {
  return std::getenv("SIM_TRACE") != nullptr ? &std::cout : nullptr;
}

chain::BlockHeader pow_header(std::uint64_t height, std::uint64_t hashes) {
  chain::BlockHeader header;
  header.height = height;
  header.timestamp_ms = 1000 * height;
  header.seal = chain::PowSeal{0, target_for_hashes(hashes)};
  return header;
}

// A block linked to `parent` (contents are not the store's business).
chain::AppendBlockAction child_of(const chain::Block& parent, std::uint64_t salt) {
  chain::Block block;
  block.header = pow_header(parent.header.height + 1, 2);
  block.header.prev_hash = parent.hash();
  block.header.timestamp_ms += salt;
  return chain::AppendBlockAction{block, {}, {}};
}

PowClusterOptions quiet_options(std::size_t miners, std::uint64_t seed) {
  PowClusterOptions options;
  options.miners = miners;
  options.seed = seed;
  // The whole network finds a block every 2 s on average at 256 hashes per block.
  options.hash_rates.assign(miners, 128.0 / static_cast<double>(miners));
  options.trace = trace_stream();
  return options;
}

bool same_head(const PowCluster& cluster) {
  for (SlotId slot = 1; slot < cluster.size(); ++slot) {
    if (cluster.node(slot).store.head().hash() != cluster.node(0).store.head().hash())
      return false;
  }
  return true;
}

// Stops mining and lets the sync polls run until every node has the same head.
void settle(PowCluster& cluster) {
  cluster.set_mining(false);
  cluster.run_until(cluster.now() + 30'000);
}

}  // namespace

TEST_CASE("grinding finds a real hit and takes the expected number of hashes", "[pow-sim]") {
  CHECK(expected_hashes(target_for_hashes(256)) == Approx(256.0));
  CHECK(expected_hashes(target_for_hashes(2)) == Approx(2.0));
  std::uint64_t total = 0;
  const int jobs = 2000;
  for (int i = 0; i < jobs; ++i) {
    chain::BlockHeader header = pow_header(static_cast<std::uint64_t>(i) + 1, 256);
    auto hit = grind(header, static_cast<std::uint64_t>(i) * 7919, 1 << 20);
    REQUIRE(hit.has_value());
    std::get<chain::PowSeal>(header.seal).nonce = hit->nonce;
    REQUIRE(pow_pos::meets_target(
        header.hash(), pow_pos::Uint256::from_hash(std::get<chain::PowSeal>(header.seal).target)));
    total += hit->hashes;
  }
  // Geometric with mean 256 and sd ~256: the mean of 2000 is within 5 sd (~29) of 256.
  const double mean = static_cast<double>(total) / jobs;
  CHECK(mean > 256 - 29);
  CHECK(mean < 256 + 29);
  CHECK(mining_delay_ms(257, 0.0, 128.0) == 2000);
  CHECK(mining_delay_ms(256, 0.5, 128.0) == 1996);
  CHECK(mining_delay_ms(1, 0.0, 128.0) == 1);
}

TEST_CASE("the PoW store appends, reorgs, keeps side blocks and answers locators", "[pow-sim]") {
  PowSimGenesis genesis = make_pow_sim_genesis(2, 2, sim_pow_params());
  PowStore store(*genesis.genesis);
  const chain::Block block0 = store.head();
  auto a1 = child_of(block0, 0);
  auto a2 = child_of(a1.block, 0);
  REQUIRE(store.append(a1).ok());
  REQUIRE(store.append(a2).ok());
  CHECK_FALSE(store.append(a2).ok());                   // does not extend the head
  CHECK_FALSE(store.append(child_of(block0, 1)).ok());  // wrong height
  auto b1 = child_of(block0, 1);
  auto b2 = child_of(b1.block, 1);
  auto b3 = child_of(b2.block, 1);
  CHECK_FALSE(store.reorg({1, b1.block.hash(), {b2}}).ok());  // fork block not on the chain
  auto change = store.reorg({0, block0.hash(), {b1, b2, b3}});
  REQUIRE(change.ok());
  CHECK(change->undone.size() == 2);
  CHECK(change->applied.size() == 3);
  CHECK(store.height() == 3);
  CHECK(store.head().hash() == b3.block.hash());
  CHECK(store.on_best_chain(b1.block.hash()));
  CHECK_FALSE(store.on_best_chain(a1.block.hash()));
  auto side = store.side_blocks(0);
  REQUIRE(side.ok());
  CHECK(side->size() == 2);
  CHECK(store.locate({a2.block.hash(), a1.block.hash(), block0.hash()}) == 0);
  CHECK(store.locate({b2.block.hash()}) == 2);
  CHECK_FALSE(store.locate({a2.block.hash()}).has_value());
  CHECK(store.serve(1, 2, {}).size() == 2);
  auto refuse_b3 = [&](const chain::Block& block) { return block.hash() != b3.block.hash(); };
  CHECK(store.serve(1, 10, refuse_b3).size() == 2);
  store.persist("k", Bytes{1, 2});
  CHECK(store.persisted("k")->value() == Bytes{1, 2});
}

TEST_CASE("PoW miners on a quiet network converge on one chain", "[pow-sim]") {
  PowCluster cluster(quiet_options(4, 11));
  cluster.start();
  cluster.run_until(60'000);
  settle(cluster);
  CHECK(same_head(cluster));
  const std::uint64_t height = cluster.node(0).store.height();
  CHECK(height > 15);  // ~30 expected
  CHECK(height < 60);
  std::uint64_t mined = 0;
  for (SlotId slot = 0; slot < cluster.size(); ++slot)
    mined += cluster.node(slot).blocks_mined;
  CHECK(mined >= height);
  const chain::State& state = cluster.node(0).store.state();
  CHECK(state.root() == cluster.node(0).store.head().header.state_root);
}

TEST_CASE("PoW partitions heal by a reorg onto the heavier side", "[pow-sim]") {
  PowClusterOptions options = quiet_options(4, 5);
  options.hash_rates = {50, 50, 14, 14};
  PowCluster cluster(options);
  cluster.network().partition({{0, 1}, {2, 3}});
  cluster.start();
  cluster.run_until(40'000);
  CHECK(cluster.node(0).store.head().hash() != cluster.node(2).store.head().hash());
  cluster.network().heal();
  cluster.run_until(80'000);
  settle(cluster);
  CHECK(same_head(cluster));
  const chain::Block& head = cluster.node(2).store.head();
  CHECK(cluster.node(2).engine->head().hash == head.hash());
  CHECK(cluster.node(2).store.state().root() == head.header.state_root);
}

TEST_CASE("a crashed PoW miner recovers from its store and catches up", "[pow-sim]") {
  PowCluster cluster(quiet_options(3, 8));
  cluster.start();
  cluster.run_until(20'000);
  const std::uint64_t before = cluster.node(1).store.height();
  cluster.crash(1);
  cluster.run_until(40'000);
  cluster.restart(1);
  REQUIRE(cluster.node(1).up());
  CHECK(cluster.node(1).engine->head().height == before);
  cluster.run_until(60'000);
  settle(cluster);
  CHECK(same_head(cluster));
  CHECK(cluster.node(1).restarts == 1);
}

TEST_CASE("a withholding policy keeps a miner's blocks private until published", "[pow-sim]") {
  PowCluster cluster(quiet_options(3, 3));
  cluster.set_policy(PowLinkPolicy{{},
                                   [](SlotId from, SlotId) { return from != 0; },
                                   [](SlotId server, const chain::Block&) { return server != 0; }});
  std::uint64_t seen_from_0 = 0;
  cluster.set_hooks(PowClusterHooks{
      {},
      {},
      [&](const PowNode& node, SlotId, const std::vector<chain::Block>& blocks, TimeMs) {
        for (const auto& block : blocks) {
          if (node.slot != 0 &&
              block.header.proposer == cluster.genesis().miner_keys[0].public_key())
            ++seen_from_0;
        }
      },
      {}});
  cluster.start();
  cluster.run_until(30'000);
  CHECK(cluster.node(0).blocks_mined > 0);
  CHECK(seen_from_0 == 0);
  const chain::Block& private_head = cluster.node(0).store.head();
  if (private_head.header.proposer == cluster.genesis().miner_keys[0].public_key()) {
    cluster.publish(0, 1, private_head, 1);
    cluster.run_until(cluster.now() + 10);
    CHECK(seen_from_0 == 1);
  }
}

TEST_CASE("PoW nodes refuse a reorg deeper than max_reorg_depth after a long partition",
          "[pow-sim]") {
  PowClusterOptions options = quiet_options(4, 9);
  options.pow.max_reorg_depth = 5;
  options.hash_rates = {40, 40, 24, 24};
  std::uint64_t deepest = 0;
  PowCluster cluster(options);
  cluster.set_hooks(PowClusterHooks{[&](const PowNode&, const StoreChange& change, TimeMs) {
                                      deepest =
                                          std::max<std::uint64_t>(deepest, change.undone.size());
                                    },
                                    {},
                                    {},
                                    {}});
  cluster.network().partition({{0, 1}, {2, 3}});
  cluster.start();
  cluster.run_until(80'000);  // ~25 and ~15 blocks on the two sides
  REQUIRE(cluster.node(2).store.height() > 5);
  cluster.network().heal();
  cluster.run_until(160'000);
  settle(cluster);
  CHECK(deepest <= 5);
  // The lighter side keeps its own chain: the heavier one forks too deep below it.
  CHECK(cluster.node(0).store.head().hash() != cluster.node(2).store.head().hash());
  CHECK(cluster.node(0).store.head().hash() == cluster.node(1).store.head().hash());
  CHECK(cluster.node(2).store.head().hash() == cluster.node(3).store.head().hash());
}
