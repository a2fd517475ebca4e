// What a replica holds back: a Byzantine validator's messages for later stay within its
// share (pbft/buffer_budget.h), and execution waits for a stalled store.
#include <catch2/catch.hpp>

#include "pbft/buffer_budget.h"
#include "pbft/messages.h"
#include "pbft/replica.h"
#include "tests/support/instant_cluster.h"

using namespace synod;

using testing::InstantCluster;

namespace {

std::uint64_t dropped(const pbft::Replica& replica, pbft::DropReason reason) {
  return replica.counters().dropped[static_cast<int>(reason)];
}

// A block of `count` transfers: well formed, but the signatures are not checked (buffered
// messages are not validated until their view comes).
chain::Block junk_block(const InstantCluster& cluster, std::uint64_t height, std::size_t count) {
  auto tx =
      chain::make_transfer(cluster.account_keys[0], chain::SigningDomain::of(*cluster.genesis),
                           chain::address_of(cluster.account_keys[1].public_key()), 1, 1, 0);
  chain::Block block;
  block.header.height = height;
  block.header.proposer = cluster.validator_keys[1].public_key();
  block.header.seal = chain::PbftSeal{1, height};
  for (std::size_t i = 0; i < count; ++i) {
    tx.nonce = i;
    block.transactions.push_back(tx);
  }
  return block;
}

Bytes pre_prepare_bytes(const InstantCluster& cluster, chain::ReplicaIndex sender,
                        std::uint64_t view, chain::Block block) {
  std::uint64_t sequence = block.header.height;
  return pbft::encode(pbft::sign(cluster.validator_keys[sender], sender,
                                 chain::SigningDomain::of(*cluster.genesis),
                                 pbft::PrePrepare{view, sequence, std::move(block)}));
}

}  // namespace

TEST_CASE("a validator flooding next-view pre-prepares is held to its share", "[pbft][budget]") {
  InstantCluster cluster(4, 0);
  const auto& params = cluster.genesis->pbft;
  const std::size_t per_block = params.max_block_transactions / 2;
  // Validator 1, the primary of view 1, sends backups 2 and 3 forty pre-prepares for view 1
  // (half-full blocks, one a sequence), five oversized ones, and validator 3 a pre-prepare
  // of a view it is not primary of.
  std::vector<Bytes> flood;
  for (std::uint64_t sequence = 1; sequence <= 40; ++sequence)
    flood.push_back(pre_prepare_bytes(cluster, 1, 1, junk_block(cluster, sequence, per_block)));
  for (std::uint64_t sequence = 41; sequence <= 45; ++sequence) {
    flood.push_back(pre_prepare_bytes(
        cluster, 1, 1, junk_block(cluster, sequence, params.max_block_transactions + 1)));
  }
  for (chain::ReplicaIndex to : {2u, 3u}) {
    auto& replica = *cluster.nodes[to].replica;
    auto in_before = replica.counters().messages_in;
    for (const auto& bytes : flood)
      cluster.run(to, replica.on_message(1, bytes, cluster.now));
    chain::ReplicaIndex not_primary = to == 2 ? 3 : 2;
    auto not_primary_before = dropped(replica, pbft::DropReason::kNotPrimary);
    cluster.run(
        to, replica.on_message(
                not_primary, pre_prepare_bytes(cluster, not_primary, 1, junk_block(cluster, 1, 1)),
                cluster.now));
    REQUIRE(dropped(replica, pbft::DropReason::kNotPrimary) == not_primary_before + 1);
    // The flood arrived ...
    REQUIRE(replica.counters().messages_in == in_before + flood.size() + 1);
    REQUIRE(dropped(replica, pbft::DropReason::kOverBudget) > 0);
    REQUIRE(dropped(replica, pbft::DropReason::kInvalidProposal) == 5);
    // ... and what is held of it stays within the sender's share: two blocks' worth, where
    // holding all of it would be 40 blocks.
    auto limits = pbft::BufferLimits::for_chain(params, 4);
    auto snapshot = replica.snapshot(cluster.now);
    REQUIRE(snapshot.buffered_transactions <= 2 * params.max_block_transactions);
    REQUIRE(snapshot.buffered_transactions >= per_block);
    REQUIRE(snapshot.buffered_bytes <= limits.bytes_per_sender);
    REQUIRE(snapshot.buffered_messages <= 2 * params.max_block_transactions / per_block);
  }
  // View 0's primary fails; the view changes and honest replicas keep committing (what
  // validator 1 left behind is dropped as invalid when its view comes, or by a next view).
  cluster.crash(0);
  for (int i = 0; i < 3; ++i)
    cluster.submit(2, 2);
  cluster.advance(8000);
  for (std::size_t i = 1; i < 4; ++i) {
    REQUIRE(cluster.nodes[i].replica->view() >= 1);
    REQUIRE(cluster.nonce_at(i, 2) == 3);
    REQUIRE(cluster.nodes[i].replica->snapshot(cluster.now).buffered_transactions <=
            2 * params.max_block_transactions);
  }
  REQUIRE(cluster.agree());
}

TEST_CASE("a replica whose store stalls executes at most N blocks past it, then catches up",
          "[pbft][storage]") {
  constexpr std::uint64_t kAhead = 4;
  InstantCluster cluster(4, 0);
  auto& stalled = cluster.nodes[1];
  stalled.max_unstored_blocks = kAhead;
  stalled.defer_storage = true;  // its "store" writes nothing until store_pending
  cluster.crash(1);
  cluster.boot(1);
  constexpr int kBlocks = 12;
  for (int i = 0; i < kBlocks; ++i) {
    cluster.submit(static_cast<std::size_t>(i % 4), 0);
    cluster.advance(50);
  }
  // The others went on; the stalled replica stopped kAhead blocks past its store and did
  // not blame the primary for its own wait.
  REQUIRE(cluster.nodes[0].blocks.size() == kBlocks + 1);
  auto snapshot = stalled.replica->snapshot(cluster.now);
  REQUIRE(snapshot.stored_height == 0);
  REQUIRE(snapshot.head_height == kAhead);
  REQUIRE(stalled.blocks.size() == kAhead + 1);
  REQUIRE(stalled.replica->counters().view_changes == 0);
  REQUIRE(cluster.nodes[0].replica->view() == 0);

  // The store catches up: so does the replica, block for block, nothing lost.
  stalled.defer_storage = false;
  cluster.store_pending(1);
  cluster.advance(2000);
  REQUIRE(stalled.blocks.size() == cluster.nodes[0].blocks.size());
  REQUIRE(stalled.replica->snapshot(cluster.now).stored_height == kBlocks);
  for (std::size_t account = 0; account < 4; ++account)
    REQUIRE(cluster.nonce_at(1, account) == cluster.nonce_at(0, account));
  REQUIRE(cluster.agree());
}
