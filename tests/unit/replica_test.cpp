// Directed tests of the PBFT replica through a tiny synchronous driver: messages are
// delivered in FIFO order with no latency, timers fire when the test advances time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "chain/certificate.h"
#include "pbft/messages.h"
#include "pbft/replica.h"
#include "pbft/view_change.h"
#include "pbft/vote_log.h"
#include "tests/support/instant_cluster.h"

using namespace synod;

using testing::InstantCluster;
using Cluster = InstantCluster;

TEST_CASE("four replicas commit a block with a valid certificate", "[pbft]") {
  Cluster cluster(4, 0);
  cluster.submit(0, 0);
  cluster.advance(100);
  for (const auto& node : cluster.nodes) {
    REQUIRE(node.blocks.size() == 2);
    REQUIRE(node.blocks[1].transactions.size() == 1);
    REQUIRE(chain::verify_block_certificate(node.blocks[1], cluster.genesis->validators,
                                            chain::SigningDomain::of(*cluster.genesis)));
  }
  REQUIRE(cluster.agree());
}

TEST_CASE("the snapshot keeps the head's instance as it committed", "[pbft]") {
  Cluster cluster(4, 0);
  REQUIRE_FALSE(cluster.nodes[1].replica->snapshot(cluster.now).last_committed);
  cluster.submit(0, 0);
  cluster.advance(100);
  const auto snapshot = cluster.nodes[1].replica->snapshot(cluster.now);
  REQUIRE(snapshot.head_height == 1);
  REQUIRE(snapshot.last_committed);
  const auto& last = *snapshot.last_committed;
  CHECK(last.sequence == 1);
  CHECK(last.digest == cluster.nodes[1].blocks[1].hash());
  CHECK(last.transactions == 1);
  CHECK(last.prepared);
  CHECK(last.commits >= cluster.genesis->validators.quorum());
  CHECK(snapshot.instances.empty());  // the slot itself is gone
}

TEST_CASE("an idle primary proposes heartbeat blocks", "[pbft]") {
  Cluster cluster(4, 300);
  cluster.advance(1000);
  for (const auto& node : cluster.nodes)
    REQUIRE(node.blocks.size() >= 3);
  REQUIRE(cluster.nodes[0].replica->view() == 0);
  REQUIRE(cluster.agree());
}

TEST_CASE("transactions gossiped from a backup commit in the same view", "[pbft]") {
  Cluster cluster(4);
  for (int i = 0; i < 5; ++i)
    cluster.submit(1, 2);
  cluster.advance(200);
  for (std::size_t i = 0; i < 4; ++i)
    REQUIRE(cluster.nonce_at(i, 1) == 5);
  REQUIRE(cluster.nodes[0].replica->view() == 0);
  REQUIRE(cluster.agree());
}

TEST_CASE("a primary that ignores transactions is replaced when the request timer fires",
          "[pbft]") {
  Cluster cluster(4, 0);
  // The primary never hears of the transactions (it censors them); the backups do.
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce) {
    auto tx =
        chain::make_transfer(cluster.account_keys[1], chain::SigningDomain::of(*cluster.genesis),
                             chain::address_of(cluster.account_keys[2].public_key()), 5, 1, nonce);
    for (std::size_t i = 1; i < 4; ++i) {
      REQUIRE(!cluster.nodes[i].mempool->add(tx, tx.hash(), cluster.nodes[i].state));
      cluster.run(i, cluster.nodes[i].replica->on_transactions(cluster.now));
    }
  }
  cluster.advance(3000);
  REQUIRE(cluster.nodes[2].replica->view() >= 1);
  for (std::size_t i = 1; i < 4; ++i)
    REQUIRE(cluster.nonce_at(i, 1) == 3);
  REQUIRE(cluster.agree());
}

TEST_CASE("a crashed primary is replaced by a view change and commits continue", "[pbft]") {
  Cluster cluster(4);
  cluster.submit(0, 0);
  cluster.advance(100);
  cluster.crash(0);
  cluster.submit(1, 1);
  cluster.advance(3000);
  for (std::size_t i = 1; i < 4; ++i) {
    REQUIRE(cluster.nodes[i].replica->view() >= 1);
    REQUIRE(cluster.nonce_at(i, 1) == 1);
  }
  REQUIRE(cluster.agree());
}

TEST_CASE("checkpoints become stable and a restarted replica catches up", "[pbft]") {
  Cluster cluster(4);
  cluster.crash(3);
  for (int i = 0; i < 10; ++i) {
    cluster.submit(i % 4, 0);
    cluster.advance(50);
  }
  REQUIRE(cluster.nodes[0].blocks.size() >= 11);
  REQUIRE(cluster.nodes[0].replica->snapshot(cluster.now).stable_checkpoint >= 8);
  cluster.boot(3);
  cluster.submit(0, 0);
  cluster.advance(2000);
  REQUIRE(cluster.nodes[3].blocks.size() == cluster.nodes[0].blocks.size());
  REQUIRE(cluster.nonce_at(3, 0) == 4);
  REQUIRE(cluster.nodes[3].replica->counters().blocks_fetched > 0);
  REQUIRE(cluster.agree());
}

TEST_CASE("a restarted primary rejoins the new view and commits again", "[pbft]") {
  Cluster cluster(4);
  cluster.submit(0, 0);
  cluster.advance(100);
  cluster.crash(0);
  cluster.submit(1, 1);
  cluster.advance(3000);
  cluster.boot(0);
  cluster.submit(2, 1);
  cluster.advance(5000);
  REQUIRE(cluster.nonce_at(0, 2) == 1);
  REQUIRE(cluster.nodes[0].replica->view() == cluster.nodes[1].replica->view());
  REQUIRE(cluster.nodes[0].blocks.size() + 1 >= cluster.nodes[1].blocks.size());
  REQUIRE(cluster.agree());
}

TEST_CASE("messages with bad signatures or from impostors are dropped", "[pbft]") {
  Cluster cluster(4);
  auto& replica = *cluster.nodes[1].replica;
  auto prepare =
      pbft::sign(cluster.validator_keys[2], 2, chain::SigningDomain::of(*cluster.genesis),
                 pbft::Prepare{0, 1, crypto::Hash256{}});
  prepare.signature.data[0] ^= 1;
  auto before = replica.counters().dropped[static_cast<int>(pbft::DropReason::kBadSignature)];
  (void)replica.on_message(2, pbft::encode(prepare), cluster.now);
  REQUIRE(replica.counters().dropped[static_cast<int>(pbft::DropReason::kBadSignature)] ==
          before + 1);
  // Signed by validator 3 but claiming to be 2.
  auto impostor =
      pbft::sign(cluster.validator_keys[3], 2, chain::SigningDomain::of(*cluster.genesis),
                 pbft::Prepare{0, 1, crypto::Hash256{}});
  (void)replica.on_message(2, pbft::encode(impostor), cluster.now);
  REQUIRE(replica.counters().dropped[static_cast<int>(pbft::DropReason::kBadSignature)] ==
          before + 2);
  Bytes garbage{9, 9, 9};
  (void)replica.on_message(2, garbage, cluster.now);
  REQUIRE(replica.counters().dropped[static_cast<int>(pbft::DropReason::kMalformed)] == 1);
}

TEST_CASE(
    "messages and certificates from a network with this chain id and keys but another "
    "genesis are rejected",
    "[pbft]") {
  Cluster cluster(4, 0);
  chain::Genesis twin = *cluster.genesis;
  twin.genesis_time_ms += 1;  // the same chain id, validators and keys
  const auto twin_domain = chain::SigningDomain::of(twin);
  REQUIRE(twin_domain.chain_id == cluster.genesis->chain_id);
  auto& replica = *cluster.nodes[1].replica;
  auto prepare =
      pbft::sign(cluster.validator_keys[2], 2, twin_domain, pbft::Prepare{0, 1, crypto::Hash256{}});
  auto before = replica.counters().dropped[static_cast<int>(pbft::DropReason::kBadSignature)];
  (void)replica.on_message(2, pbft::encode(prepare), cluster.now);
  REQUIRE(replica.counters().dropped[static_cast<int>(pbft::DropReason::kBadSignature)] ==
          before + 1);

  // A block committed here, its certificate re-made by the same validators in the twin's
  // domain: it verifies there, and not against this genesis.
  cluster.submit(0, 0);
  cluster.advance(100);
  chain::Block block = cluster.nodes[0].blocks.at(1);
  const auto& seal = std::get<chain::PbftSeal>(block.header.seal);
  for (auto& entry : block.certificate->signatures) {
    entry.signature = cluster.validator_keys[entry.validator_index].sign(
        chain::commit_signing_bytes(twin_domain, seal.view, seal.sequence, block.hash()));
  }
  REQUIRE(chain::verify_block_certificate(block, twin.validators, twin_domain));
  REQUIRE_FALSE(chain::verify_block_certificate(block, cluster.genesis->validators,
                                                chain::SigningDomain::of(*cluster.genesis)));
}

TEST_CASE("an idle primary proposes at once, but right after a commit it waits batch_delay_ms",
          "[pbft]") {
  Cluster cluster(4, 0);
  const chain::TimeMs delay = cluster.genesis->pbft.batch_delay_ms;
  REQUIRE(delay > 0);
  cluster.advance(50);  // idle for longer than the batch delay
  cluster.submit(0, 0);
  cluster.deliver_all();  // no time passes
  for (const auto& node : cluster.nodes)
    REQUIRE(node.blocks.size() == 2);

  // The block just committed: the next transaction waits for the batch timer.
  cluster.submit(1, 0);
  cluster.deliver_all();
  REQUIRE(cluster.nodes[0].blocks.size() == 2);
  REQUIRE(cluster.nodes[0].timers.count(pbft::Replica::kBatchTimer) == 1);
  REQUIRE(cluster.nodes[0].timers[pbft::Replica::kBatchTimer] == cluster.now + delay);
  cluster.advance(delay + 1, 1);
  for (const auto& node : cluster.nodes)
    REQUIRE(node.blocks.size() == 3);
  REQUIRE(cluster.agree());
}

TEST_CASE("transactions that arrive while a block is in flight are proposed when it commits",
          "[pbft]") {
  Cluster cluster(4, 0);
  cluster.advance(50);
  cluster.submit(0, 0);  // proposed at once; its messages are still on the wire
  cluster.submit(1, 0);  // must wait: one block in flight
  REQUIRE(cluster.nodes[0].blocks.size() == 1);
  cluster.deliver_all();  // block 1 commits, then block 2 goes without waiting for a timer
  for (const auto& node : cluster.nodes) {
    REQUIRE(node.blocks.size() == 3);
    REQUIRE(node.blocks[1].transactions.size() == 1);
    REQUIRE(node.blocks[2].transactions.size() == 1);
  }
  REQUIRE(cluster.agree());
}

TEST_CASE("a replica that missed the NEW-VIEW joins the view f+1 peers work in", "[pbft]") {
  Cluster cluster(4, 0);
  cluster.crash(0);
  cluster.submit(0, 1);
  cluster.advance(3000);  // the others time out, move to view 1 and commit
  REQUIRE(cluster.nodes[1].replica->view() >= 1);
  std::uint64_t others_view = cluster.nodes[1].replica->view();
  REQUIRE(cluster.nonce_at(1, 0) == 1);

  // Restarted in view 0, the old primary is not in a view change and sends nothing. Its
  // own progress timer is far off; the new primary's block is the only traffic it sees.
  cluster.boot(0);
  REQUIRE(cluster.nodes[0].replica->view() == 0);
  REQUIRE(others_view % 4 != 0);
  cluster.submit(1, others_view % 4, /*gossip=*/false);  // to the current primary
  cluster.advance(60, 1);
  const auto& replica = *cluster.nodes[0].replica;
  REQUIRE(replica.view() == others_view);
  REQUIRE_FALSE(replica.in_view_change());
  REQUIRE(cluster.nonce_at(0, 1) == 1);
  REQUIRE(cluster.agree());
}

TEST_CASE("the vote log round-trips, and one written before proposed_in_view still decodes",
          "[pbft]") {
  pbft::VoteLog votes;
  votes.view = 7;
  votes.view_floor = 3;
  votes.record(pbft::VoteKind::kPrepare, 7, 5, crypto::Hash256{});
  Bytes without = votes.encode();
  votes.proposed_in_view = 7;
  auto decoded = pbft::decode_vote_log(votes.encode());
  REQUIRE(decoded);
  REQUIRE(decoded->proposed_in_view == std::optional<std::uint64_t>(7));
  REQUIRE(decoded->view == 7);
  REQUIRE_FALSE(decoded->allows(pbft::VoteKind::kPrepare, 7, 5, crypto::Hash256{{1}}));

  // The older layout ended right after the prepared certificate.
  without.pop_back();
  auto older = pbft::decode_vote_log(without);
  REQUIRE(older);
  REQUIRE_FALSE(older->proposed_in_view);
  Bytes trailing = votes.encode();
  trailing.push_back(0);
  REQUIRE_FALSE(pbft::decode_vote_log(trailing));
}

namespace {

bool is_pre_prepare(const chain::Action& action) {
  const auto* all = std::get_if<chain::BroadcastAction>(&action);
  return all != nullptr && !all->message.empty() &&
         all->message[0] == static_cast<std::uint8_t>(pbft::MessageType::kPrePrepare);
}

// Node 0, the primary of view 0, proposes block 1 and everyone commits it.
void commit_first_block(Cluster& cluster) {
  cluster.advance(50);
  cluster.submit(0, 0);
  cluster.advance(100);
  REQUIRE(cluster.nodes[0].blocks.size() == 2);
}

// Puts a transfer in every mempool without telling any replica.
void add_everywhere(Cluster& cluster, std::size_t account, std::uint64_t nonce) {
  auto tx = chain::make_transfer(
      cluster.account_keys[account], chain::SigningDomain::of(*cluster.genesis),
      chain::address_of(cluster.account_keys[0].public_key()), 5, 1, nonce);
  for (auto& node : cluster.nodes)
    REQUIRE(!node.mempool->add(tx, tx.hash(), node.state));
}

}  // namespace

TEST_CASE("a primary makes one durable record per view, before its first pre-prepare", "[pbft]") {
  Cluster cluster(4, 0);
  cluster.advance(50);
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce) {
    add_everywhere(cluster, 1, nonce);
    auto actions = cluster.nodes[0].replica->on_transactions(cluster.now);
    auto proposal = std::find_if(actions.begin(), actions.end(), is_pre_prepare);
    REQUIRE(proposal != actions.end());
    auto persisted = std::find_if(actions.begin(), proposal, [](const chain::Action& action) {
      return std::holds_alternative<chain::PersistAction>(action);
    });
    // Only the view's first proposal waits for a write.
    REQUIRE((persisted != proposal) == (nonce == 0));
    cluster.run(0, actions);
    cluster.deliver_all();
    REQUIRE(cluster.nodes[0].blocks.size() == nonce + 2);
    cluster.advance(10);
  }
  auto votes = pbft::decode_vote_log(cluster.nodes[0].persisted.at(pbft::Replica::kVotesKey));
  REQUIRE(votes);
  REQUIRE(votes->proposed_in_view == std::optional<std::uint64_t>(0));
}

TEST_CASE("a restarted primary proposes nothing more in its view and hands it on at once",
          "[pbft]") {
  Cluster cluster(4, 0);
  commit_first_block(cluster);
  cluster.crash(0);
  cluster.boot(0);  // back before anyone timed out, in view 0, whose primary it is
  // It hands view 0 on at once; the others follow without waiting for a timeout.
  cluster.submit(1, 0);
  cluster.advance(100);
  for (std::size_t i = 0; i < 4; ++i) {
    REQUIRE(cluster.nonce_at(i, 1) == 1);
    REQUIRE(cluster.nodes[i].replica->view() >= 1);
  }
  const auto& seal = std::get<chain::PbftSeal>(cluster.nodes[1].blocks[2].header.seal);
  REQUIRE(seal.view >= 1);
  REQUIRE(cluster.agree());
}

TEST_CASE("a replica keeps the votes of committed blocks until they are stored", "[pbft]") {
  Cluster cluster(4, 0);
  cluster.nodes[1].defer_storage = true;
  auto heights_voted = [&cluster] {
    auto votes = pbft::decode_vote_log(cluster.nodes[1].persisted.at(pbft::Replica::kVotesKey));
    REQUIRE(votes);
    std::set<std::uint64_t> heights;
    for (const auto& [key, digest] : votes->signed_votes)
      heights.insert(std::get<2>(key));
    return heights;
  };
  cluster.advance(50);
  cluster.submit(0, 0);
  cluster.advance(20);
  cluster.submit(1, 0);
  cluster.advance(20);
  REQUIRE(cluster.nodes[1].blocks.size() == 3);
  // Blocks 1 and 2 are committed but not durable: a crash now would restart node 1 at
  // height 0, and it must still know what it signed at heights 1 and 2.
  CHECK(heights_voted().count(1) == 1);
  CHECK(heights_voted().count(2) == 1);
  cluster.store_pending(1);
  cluster.submit(2, 0);
  cluster.advance(20);
  cluster.store_pending(1);
  CHECK(heights_voted().count(1) == 0);  // stored: pruned with the next write
  CHECK(cluster.agree());
}

TEST_CASE("a primary upgraded from a vote log with a record per pre-prepare proposes no more",
          "[pbft]") {
  Cluster cluster(4, 0);
  commit_first_block(cluster);
  // What the older layout held after the primary sent PP(0, 2) and before it committed.
  auto votes = pbft::decode_vote_log(cluster.nodes[0].persisted.at(pbft::Replica::kVotesKey));
  REQUIRE(votes);
  votes->proposed_in_view.reset();
  votes->record(pbft::VoteKind::kPrePrepare, 0, 2, crypto::Hash256{{7}});
  Bytes older = votes->encode();
  older.pop_back();  // no proposed_in_view field at all
  cluster.crash(0);
  cluster.nodes[0].persisted[pbft::Replica::kVotesKey] = older;
  cluster.boot(0);
  cluster.submit(1, 0);
  cluster.advance(100);
  for (std::size_t i = 0; i < 4; ++i)
    REQUIRE(cluster.nonce_at(i, 1) == 1);
  const auto& seal = std::get<chain::PbftSeal>(cluster.nodes[1].blocks[2].header.seal);
  CHECK(seal.view >= 1);  // block 2 came from a later view's primary
  CHECK(cluster.agree());
}

TEST_CASE("a new primary that restarts during its view change asks for the next view", "[pbft]") {
  Cluster cluster(4, 0);
  pbft::VoteLog votes;
  votes.view = 4;  // node 0 is the primary of view 4
  votes.in_view_change = true;
  votes.proposed_in_view = 4;  // its NEW-VIEW may have left
  cluster.crash(0);
  cluster.nodes[0].persisted[pbft::Replica::kVotesKey] = votes.encode();
  cluster.boot(0);
  CHECK(cluster.nodes[0].replica->view() == 5);
  CHECK(cluster.nodes[0].replica->in_view_change());
}

TEST_CASE("a NEW-VIEW forwarded by a backup lets a replica in when the new primary is gone",
          "[pbft]") {
  Cluster cluster(4, 0);
  commit_first_block(cluster);  // in view 0
  cluster.crash(0);
  cluster.submit(1, 1);
  cluster.advance(3000);  // the others move to view 1, whose primary is node 1
  REQUIRE(cluster.nodes[2].replica->view() == 1);
  REQUIRE_FALSE(cluster.nodes[2].replica->in_view_change());
  cluster.crash(1);
  // Node 0 restarts in view 0, which it proposed in: it asks for view 1 at once. Only
  // nodes 2 and 3 can answer, with the NEW-VIEW node 1 signed.
  cluster.boot(0);
  cluster.advance(50, 1);
  CHECK(cluster.nodes[0].replica->view() == 1);
  CHECK_FALSE(cluster.nodes[0].replica->in_view_change());
}
