// PowEngine fork choice and reorgs: most work wins (not most blocks), ties to the first
// seen, the exact ReorgAction, the mempool after a reorg, invalid branches, deep reorgs.
#include <catch2/catch.hpp>

#include "crypto/hex.h"
#include "pow_engine_util.h"

using namespace pow_test;
using namespace synod::pow_pos;

namespace {

// Applies a ReorgAction's branch diffs to the state at the fork and checks that each
// block's state root is reached.
void check_branch_diffs(const ReorgAction& reorg, State state) {
  for (const auto& append : reorg.branch) {
    state.apply(append.diff);
    CHECK(state.root() == append.block.header.state_root);
    REQUIRE(append.tx_hashes.size() == append.block.transactions.size());
    for (std::size_t i = 0; i < append.tx_hashes.size(); ++i)
      CHECK(append.tx_hashes[i] == append.block.transactions[i].hash());
  }
}

BlockOptions at_time(std::uint64_t timestamp_ms, std::size_t miner = 2) {
  BlockOptions options;
  options.timestamp_ms = timestamp_ms;
  options.miner = miner;
  return options;
}

}  // namespace

TEST_CASE("pow a shorter chain with more work wins over a longer one with less", "[pow][reorg]") {
  // Retargeting on (factor 4, window 1): blocks 1 ms apart make the next target 4x harder.
  HarnessOptions options;
  options.retarget_factor = 4;
  Harness harness(options);
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  auto longer = harness.builder.chain(genesis_hash, 4);  // 4 blocks at 2^252: work 60
  const Block b1 = harness.builder.extend(genesis_hash, at_time(kGenesisTime + 1));
  const Block b2 = harness.builder.extend(b1.hash(), at_time(kGenesisTime + 2));
  REQUIRE(harness.builder.expected_target(b1.hash()) == easy_target() >> 2);  // work 63

  CHECK(count<AppendBlockAction>(harness.deliver_all(longer)) == 4);
  CHECK(count<StoreSideBlockAction>(harness.deliver(b1)) == 1);  // 15 < 60
  Actions actions = harness.deliver(b2);                         // 78 > 60
  auto reorgs = only<ReorgAction>(actions);
  REQUIRE(reorgs.size() == 1);
  CHECK(reorgs[0].fork_height == 0);
  CHECK(reorgs[0].fork_hash == genesis_hash);
  REQUIRE(reorgs[0].branch.size() == 2);
  CHECK(reorgs[0].branch[0].block == b1);
  CHECK(reorgs[0].branch[1].block == b2);
  CHECK(count<AppendBlockAction>(actions) == 0);
  CHECK(harness.engine->head() == ChainHead{2, b2.hash()});
  CHECK(harness.engine->tip_work() == Uint256(78));
  CHECK(harness.engine->counters().reorgs == 1);
  CHECK(harness.engine->counters().deepest_reorg == 4);
  CHECK(harness.engine->next_target() == easy_target() >> 4);
}

TEST_CASE("pow a longer chain with less work does not displace a heavier one", "[pow][reorg]") {
  HarnessOptions options;
  options.retarget_factor = 4;
  Harness harness(options);
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  const Block b1 = harness.builder.extend(genesis_hash, at_time(kGenesisTime + 1));
  const Block b2 = harness.builder.extend(b1.hash(), at_time(kGenesisTime + 2));
  harness.deliver_all({b1, b2});
  auto longer = harness.builder.chain(genesis_hash, 5);  // 75 < 78
  Actions actions = harness.deliver_all(longer);
  CHECK(count<ReorgAction>(actions) == 0);
  CHECK(count<AppendBlockAction>(actions) == 0);
  CHECK(count<StoreSideBlockAction>(actions) == 5);
  CHECK(harness.engine->head().hash == b2.hash());
  // One more block tips it: 90 > 78.
  actions = harness.deliver(harness.builder.extend(longer.back().hash()));
  REQUIRE(count<ReorgAction>(actions) == 1);
  CHECK(only<ReorgAction>(actions)[0].branch.size() == 6);
}

TEST_CASE("pow equal work keeps the first seen chain", "[pow][reorg]") {
  Harness harness;
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  const Block first = harness.builder.extend(genesis_hash, at_time(kGenesisTime + 1000, 1));
  const Block second = harness.builder.extend(genesis_hash, at_time(kGenesisTime + 900, 2));
  CHECK(count<AppendBlockAction>(harness.deliver(first)) == 1);
  Actions actions = harness.deliver(second);
  CHECK(count<AppendBlockAction>(actions) == 0);
  CHECK(count<ReorgAction>(actions) == 0);
  REQUIRE(count<StoreSideBlockAction>(actions) == 1);
  CHECK(only<StoreSideBlockAction>(actions)[0].block == second);
  CHECK(count<BroadcastAction>(actions) == 0);  // not relayed: not our best
  CHECK(harness.engine->head().hash == first.hash());
  CHECK(harness.engine->status(harness.now)["tips"] == 2);
  // The second branch grows first: it wins.
  actions = harness.deliver(harness.builder.extend(second.hash()));
  auto reorgs = only<ReorgAction>(actions);
  REQUIRE(reorgs.size() == 1);
  CHECK(reorgs[0].fork_height == 0);
  CHECK(reorgs[0].branch.front().block == second);
}

TEST_CASE("pow reorg action: fork point, branch order, diffs to each state root", "[pow][reorg]") {
  Harness harness;
  const Genesis& genesis = *harness.genesis;
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  auto trunk = harness.builder.chain(genesis_hash, 1);
  BlockOptions a_options;
  a_options.transactions = {transfer(genesis, alice_key(), bob(), 10, 0)};
  const Block a2 = harness.builder.extend(trunk[0].hash(), a_options);
  const Block a3 = harness.builder.extend(a2.hash());
  harness.deliver_all({trunk[0], a2, a3});
  REQUIRE(harness.engine->head().hash == a3.hash());

  BlockOptions b_options = at_time(a2.header.timestamp_ms + 1);
  b_options.transactions = {transfer(genesis, bob_key(), alice(), 7, 0),
                            transfer(genesis, alice_key(), bob(), 3, 0)};
  const Block b2 = harness.builder.extend(trunk[0].hash(), b_options);
  auto b_rest = harness.builder.chain(b2.hash(), 2, 2);
  CHECK(count<StoreSideBlockAction>(harness.deliver_all({b2, b_rest[0]})) == 2);
  Actions actions = harness.deliver(b_rest[1]);
  auto reorgs = only<ReorgAction>(actions);
  REQUIRE(reorgs.size() == 1);
  const ReorgAction& reorg = reorgs[0];
  CHECK(reorg.fork_height == 1);
  CHECK(reorg.fork_hash == trunk[0].hash());
  REQUIRE(reorg.branch.size() == 3);
  CHECK(reorg.branch[0].block == b2);
  CHECK(reorg.branch[1].block == b_rest[0]);
  CHECK(reorg.branch[2].block == b_rest[1]);
  CHECK(reorg.branch[0].diff == harness.builder.diff(b2.hash()));
  check_branch_diffs(reorg, harness.builder.state(trunk[0].hash()));
  CHECK(harness.engine->state().root() == b_rest[1].header.state_root);
  CHECK(harness.engine->state().accounts() == harness.builder.state(b_rest[1].hash()).accounts());
  CHECK(count<StoreSideBlockAction>(actions) == 0);  // the undone blocks stay stored anyway
  CHECK(count<BroadcastAction>(actions) == 1);       // the new tip is relayed

  // And back again: the old branch grows heavier; its diffs were kept.
  auto a_more = harness.builder.chain(a3.hash(), 2);
  actions = harness.deliver_all(a_more);
  reorgs = only<ReorgAction>(actions);
  REQUIRE(reorgs.size() == 1);
  CHECK(reorgs[0].fork_height == 1);
  REQUIRE(reorgs[0].branch.size() == 4);
  CHECK(reorgs[0].branch[0].block == a2);
  check_branch_diffs(reorgs[0], harness.builder.state(trunk[0].hash()));
  CHECK(harness.engine->state().root() == a_more[1].header.state_root);
  CHECK(harness.engine->counters().reorgs == 2);
}

TEST_CASE("pow a reorg returns abandoned transactions to the mempool, never twice",
          "[pow][reorg]") {
  Harness harness;
  const Genesis& genesis = *harness.genesis;
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  const Transaction shared = transfer(genesis, alice_key(), bob(), 10, 0);
  const Transaction only_a = transfer(genesis, bob_key(), alice(), 20, 0);
  const Transaction replaced = transfer(genesis, alice_key(), bob(), 30, 1);
  const Transaction instead = transfer(genesis, alice_key(), bob(), 31, 1);
  BlockOptions a1_options = at_time(kGenesisTime + 1000, 1);
  a1_options.transactions = {shared, only_a};
  const Block a1 = harness.builder.extend(genesis_hash, a1_options);
  BlockOptions a2_options = at_time(kGenesisTime + 2000, 1);
  a2_options.transactions = {replaced};
  const Block a2 = harness.builder.extend(a1.hash(), a2_options);
  harness.deliver_all({a1, a2});
  const Transaction pending = transfer(genesis, alice_key(), bob(), 5, 2);
  harness.submit(pending);

  BlockOptions b1_options = at_time(kGenesisTime + 900);
  b1_options.transactions = {shared};
  const Block b1 = harness.builder.extend(genesis_hash, b1_options);
  BlockOptions b2_options = at_time(kGenesisTime + 1900);
  b2_options.transactions = {instead};
  const Block b2 = harness.builder.extend(b1.hash(), b2_options);
  const Block b3 = harness.builder.extend(b2.hash());
  Actions actions = harness.deliver_all({b1, b2, b3});
  REQUIRE(count<ReorgAction>(actions) == 1);

  CHECK(harness.mempool.contains(only_a.hash()));          // abandoned, still valid: back
  CHECK_FALSE(harness.mempool.contains(shared.hash()));    // the new branch has it
  CHECK_FALSE(harness.mempool.contains(replaced.hash()));  // its nonce was used by `instead`
  CHECK(harness.mempool.contains(pending.hash()));         // still valid on the new branch
  CHECK(harness.engine->counters().transactions_returned == 1);
  // What the mempool offers now executes on the new state exactly once.
  auto batch = harness.mempool.select_batch(harness.engine->state(), 100, 1 << 20);
  CHECK(batch.size() == 2);
  CHECK(harness.engine->state().execute(batch, alice()).ok());
  CHECK(harness.engine->state().account(alice()).nonce == 2);
  CHECK(harness.engine->state().account(bob()).nonce == 0);
}

TEST_CASE("pow an invalid body on the heavier branch is marked invalid and there is no reorg",
          "[pow][reorg]") {
  Harness harness;
  const Genesis& genesis = *harness.genesis;
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  auto a = harness.builder.chain(genesis_hash, 2);
  harness.deliver_all(a);
  const crypto::Hash256 root = harness.engine->state().root();

  const Block b1 = harness.builder.extend(genesis_hash, at_time(kGenesisTime + 500));
  BlockOptions bad_options = at_time(kGenesisTime + 1500);
  bad_options.transactions = {transfer(genesis, alice_key(), bob(), 10, 9)};  // bad nonce
  const Block b2 = harness.builder.extend(b1.hash(), bad_options);
  const Block b3 = harness.builder.extend(b2.hash());
  Actions actions = harness.deliver_all({b1, b2, b3});
  CHECK(count<ReorgAction>(actions) == 0);
  CHECK(count<AppendBlockAction>(actions) == 0);
  CHECK(harness.engine->head().hash == a[1].hash());
  CHECK(harness.engine->state().root() == root);
  CHECK(harness.rejected(Rejection::kInvalidTransactions) == 1);
  nlohmann::json dump = harness.engine->consensus_dump(harness.now);
  bool invalid_tip = false;
  for (const auto& tip : dump["chain_tips"]) {
    if (tip["hash"] == crypto::to_hex(b3.hash().view())) {
      CHECK(tip["status"] == "invalid");
      CHECK(tip["reason"] == "invalid_ancestor");
      invalid_tip = true;
    }
  }
  CHECK(invalid_tip);
  CHECK(dump["recent_rejections"].back()["reason"] == "invalid_transactions");
  // A heavier branch built on the invalid block can never win.
  harness.deliver(harness.builder.extend(b3.hash()));
  CHECK(harness.rejected(Rejection::kInvalidAncestor) == 1);
  CHECK(harness.engine->head().hash == a[1].hash());
}

TEST_CASE("pow when a branch's last block is invalid the engine takes its valid prefix if heavier",
          "[pow][reorg]") {
  Harness harness;
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  auto a = harness.builder.chain(genesis_hash, 1);
  harness.deliver_all(a);
  const Block b1 = harness.builder.extend(genesis_hash, at_time(kGenesisTime + 500));
  const Block b2 = harness.builder.extend(b1.hash());
  BlockOptions bad = at_time(b2.header.timestamp_ms + 1000);
  bad.tamper = [](Block& block) { block.header.state_root.data[5] ^= 0x40; };
  const Block b3 = harness.builder.extend(b2.hash(), bad);
  Actions actions = harness.engine->on_blocks_fetched(2, {b1, b2, b3}, harness.now);
  auto reorgs = only<ReorgAction>(actions);
  REQUIRE(reorgs.size() == 1);  // to b2 (30 > 15), not b3
  REQUIRE(reorgs[0].branch.size() == 2);
  CHECK(reorgs[0].branch[1].block == b2);
  CHECK(harness.engine->head().hash == b2.hash());
  CHECK(harness.rejected(Rejection::kBadStateRoot) == 1);
}

TEST_CASE("pow a reorg up to max_reorg_depth happens, a deeper one is refused and counted",
          "[pow][reorg]") {
  Harness harness;  // max_reorg_depth 6
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  auto a = harness.builder.chain(genesis_hash, 8, 1);
  harness.deliver_all(a);
  REQUIRE(harness.engine->head().height == 8);

  // Forking at height 1 would undo 7 blocks: refused, whatever its work.
  const Block deep = harness.builder.extend(a[0].hash(), at_time(a[0].header.timestamp_ms + 1));
  Actions actions = harness.deliver(deep);
  CHECK(count<StoreSideBlockAction>(actions) == 0);
  CHECK(harness.rejected(Rejection::kReorgTooDeep) == 1);
  CHECK(harness.engine->consensus_dump(harness.now)["recent_rejections"].back()["reason"] ==
        "reorg_too_deep");
  bool counted = false;
  for (const auto& sample : harness.engine->metrics()) {
    if (sample.name == "synod_pow_blocks_rejected_total" &&
        sample.labels[0].second == "reorg_too_deep") {
      CHECK(sample.value == 1);
      counted = true;
    }
  }
  CHECK(counted);

  // Forking at height 2 undoes exactly 6: allowed.
  const Block fork = harness.builder.extend(a[1].hash(), at_time(a[1].header.timestamp_ms + 1));
  auto branch = harness.builder.chain(fork.hash(), 6, 2);
  branch.insert(branch.begin(), fork);
  actions = harness.deliver_all(branch);
  auto reorgs = only<ReorgAction>(actions);
  REQUIRE(reorgs.size() == 1);
  CHECK(reorgs[0].fork_height == 2);
  CHECK(reorgs[0].branch.size() == 7);
  CHECK(harness.engine->counters().deepest_reorg == 6);
  CHECK(harness.engine->head().height == 9);
}
