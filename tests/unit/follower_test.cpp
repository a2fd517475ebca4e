// Directed tests of pbft::Follower, the engine of a non-validating full node. Real certified
// blocks come from a zero-latency 4-replica cluster; the follower is driven by hand, the test
// playing its upstreams, so every answer (honest, tampered, late, missing) is chosen here.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "chain/certificate.h"
#include "pbft/follower.h"
#include "tests/support/instant_cluster.h"

using namespace synod;

using pbft::Follower;
using testing::InstantCluster;

namespace {

constexpr chain::TimeMs kStart = 10'000;
constexpr std::uint64_t kPollMs = 200;
constexpr std::uint64_t kFetchTimeoutMs = 1000;

// A committed chain: blocks[h] is the block at height h (blocks[0] the genesis block); every
// block after the genesis carries two transfers.
struct Chain {
  InstantCluster cluster{4, 0};
  std::vector<chain::Block> blocks;

  explicit Chain(std::size_t length) {
    std::size_t account = 0;
    while (cluster.nodes[0].blocks.size() <= length) {
      // The first waits in every mempool unannounced, so the idle primary (node 0)
      // proposes both together when told of the second.
      cluster.submit(account % 4, 1, /*gossip=*/false);
      cluster.submit((account + 1) % 4, 0);
      account += 2;
      cluster.advance(50);
    }
    blocks.assign(cluster.nodes[0].blocks.begin(),
                  cluster.nodes[0].blocks.begin() + static_cast<std::ptrdiff_t>(length) + 1);
  }

  // The state after the block at `height`, as a node that stored it would have it.
  chain::State state_at(std::uint64_t height) const {
    chain::State state = chain::State::from_genesis(*cluster.genesis);
    for (std::uint64_t h = 1; h <= height; ++h) {
      auto applied = state.apply_block(blocks[h]);
      REQUIRE(applied);
    }
    return state;
  }
};

const Chain& shared_chain() {
  static const Chain chain(6);
  return chain;
}

pbft::FollowerConfig config_for(const Chain& chain, std::uint32_t upstreams = 3) {
  pbft::FollowerConfig config;
  config.genesis = chain.cluster.genesis;
  config.upstreams = upstreams;
  config.poll_interval_ms = kPollMs;
  config.fetch_timeout_ms = kFetchTimeoutMs;
  return config;
}

std::unique_ptr<Follower> make_follower(const Chain& chain, pbft::FollowerConfig config) {
  auto built = Follower::create(
      std::move(config), {chain::State::from_genesis(*chain.cluster.genesis), chain.blocks[0]});
  REQUIRE(built);
  return std::move(*built);
}

template <typename T>
std::vector<T> all_of(const chain::Actions& actions) {
  std::vector<T> out;
  for (const auto& action : actions) {
    if (const auto* found = std::get_if<T>(&action))
      out.push_back(*found);
  }
  return out;
}

std::vector<chain::AppendBlockAction> commits(const chain::Actions& actions) {
  return all_of<chain::AppendBlockAction>(actions);
}
std::vector<chain::FetchBlocksAction> fetches(const chain::Actions& actions) {
  return all_of<chain::FetchBlocksAction>(actions);
}
std::vector<chain::SetTimerAction> timers(const chain::Actions& actions) {
  return all_of<chain::SetTimerAction>(actions);
}

// Exactly one fetch, to `upstream` for the blocks from `from_height`, with its timeout armed.
void require_fetch(const chain::Actions& actions, chain::ReplicaIndex upstream,
                   std::uint64_t from_height, chain::TimeMs now) {
  auto sent = fetches(actions);
  REQUIRE(sent.size() == 1);
  REQUIRE(sent[0].peer == upstream);
  REQUIRE(sent[0].from_height == from_height);
  REQUIRE(sent[0].max_blocks > 0);
  auto armed = timers(actions);
  REQUIRE(armed.size() == 1);
  REQUIRE(armed[0].id == Follower::kFetchTimer);
  REQUIRE(armed[0].at_ms == now + kFetchTimeoutMs);
}

// No fetch now; the poll timer is armed for one poll interval later.
void require_poll_later(const chain::Actions& actions, chain::TimeMs now) {
  REQUIRE(fetches(actions).empty());
  auto armed = timers(actions);
  REQUIRE(armed.size() == 1);
  REQUIRE(armed[0].id == Follower::kFetchTimer);
  REQUIRE(armed[0].at_ms == now + kPollMs);
}

void require_heights(const std::vector<chain::AppendBlockAction>& committed, std::uint64_t first,
                     std::uint64_t last) {
  REQUIRE(committed.size() == last - first + 1);
  for (std::size_t i = 0; i < committed.size(); ++i)
    REQUIRE(committed[i].block.header.height == first + i);
}

// A commit certificate for the block as it is now, signed by the first `signers` validators
// (a quorum by default): lets a test change a header and still pass the certificate check,
// so the check that is meant to catch the change is the one exercised.
void certify(chain::Block& block, const InstantCluster& cluster, std::size_t signers = 3,
             std::optional<chain::SigningDomain> domain = std::nullopt) {
  const auto& seal = std::get<chain::PbftSeal>(block.header.seal);
  chain::CommitCertificate certificate{seal.view, seal.sequence, block.hash(), {}};
  Bytes message =
      chain::commit_signing_bytes(domain.value_or(chain::SigningDomain::of(*cluster.genesis)),
                                  seal.view, seal.sequence, block.hash());
  for (std::uint32_t i = 0; i < signers; ++i)
    certificate.signatures.push_back({i, cluster.validator_keys[i].sign(message)});
  block.certificate = certificate;
}

void flip(crypto::Hash256& hash) {
  hash.data[0] ^= 0x01;
}

// Follows block 1 from upstream 0, answers the fetch of block 2 with `bad`, and checks the
// rejection: no commit, head and state unchanged, the reason recorded, the next fetch (after
// a poll interval) going to the next upstream, which can still deliver the honest block 2.
void require_rejected(const Chain& chain, const chain::Block& bad, const std::string& reason,
                      pbft::FollowerConfig config) {
  INFO("expected rejection: " << reason);
  auto follower = make_follower(chain, std::move(config));
  chain::TimeMs now = kStart;
  require_fetch(follower->start(now), 0, 1, now);
  auto first = follower->on_blocks_fetched(0, {chain.blocks[1]}, now);
  require_heights(commits(first), 1, 1);
  require_fetch(first, 0, 2, now);

  now += 5;
  auto answered = follower->on_blocks_fetched(0, {bad}, now);
  REQUIRE(commits(answered).empty());
  require_poll_later(answered, now);
  REQUIRE(follower->head_height() == 1);
  REQUIRE(follower->head_hash() == chain.blocks[1].hash());
  REQUIRE(follower->state().root() == chain.blocks[1].header.state_root);
  REQUIRE(follower->counters().blocks_rejected == 1);
  REQUIRE(follower->counters().blocks_fetched == 1);
  auto snapshot = follower->snapshot();
  INFO("last_rejection: " << snapshot.last_rejection);
  REQUIRE(snapshot.last_rejection.find("from upstream 0") != std::string::npos);
  REQUIRE(snapshot.last_rejection.find(reason) != std::string::npos);
  REQUIRE(snapshot.upstream == 1);
  REQUIRE_FALSE(snapshot.fetching);
  REQUIRE_FALSE(snapshot.syncing);

  now += kPollMs;
  require_fetch(follower->on_timer(Follower::kFetchTimer, now), 1, 2, now);
  auto honest = follower->on_blocks_fetched(1, {chain.blocks[2]}, now);
  require_heights(commits(honest), 2, 2);
  REQUIRE(follower->head_hash() == chain.blocks[2].hash());
  REQUIRE(follower->state().root() == chain.blocks[2].header.state_root);
}

void require_rejected(const Chain& chain, const chain::Block& bad, const std::string& reason) {
  require_rejected(chain, bad, reason, config_for(chain));
}

}  // namespace

TEST_CASE("the test chain has certified blocks with transactions", "[follower]") {
  const Chain& chain = shared_chain();
  REQUIRE(chain.blocks.size() == 7);
  for (std::size_t h = 1; h < chain.blocks.size(); ++h) {
    REQUIRE(chain.blocks[h].transactions.size() >= 2);
    REQUIRE(chain::verify_block_certificate(chain.blocks[h], chain.cluster.genesis->validators,
                                            chain::SigningDomain::of(*chain.cluster.genesis)));
  }
}

TEST_CASE("a follower commits an upstream's blocks in order and asks for the next", "[follower]") {
  const Chain& chain = shared_chain();
  auto follower = make_follower(chain, config_for(chain));
  chain::TimeMs now = kStart;
  require_fetch(follower->start(now), 0, 1, now);
  REQUIRE(follower->snapshot().fetching);

  std::vector<chain::Block> answer(chain.blocks.begin() + 1, chain.blocks.end());
  auto actions = follower->on_blocks_fetched(0, answer, now);
  REQUIRE(all_of<chain::CancelTimerAction>(actions).size() == 1);
  auto committed = commits(actions);
  require_heights(committed, 1, 6);
  // A driver that applies the diffs it is handed ends at the chain's state.
  chain::State driver_state = chain::State::from_genesis(*chain.cluster.genesis);
  for (std::size_t i = 0; i < committed.size(); ++i) {
    REQUIRE(committed[i].block == chain.blocks[i + 1]);
    driver_state.apply(committed[i].diff);
    REQUIRE(driver_state.root() == chain.blocks[i + 1].header.state_root);
  }
  // Progress: more may be waiting, so the same upstream is asked again at once.
  require_fetch(actions, 0, 7, now);
  REQUIRE(follower->head_height() == 6);
  REQUIRE(follower->head_hash() == chain.blocks[6].hash());
  REQUIRE(follower->head_view() == chain.blocks[6].certificate->view);
  REQUIRE(follower->state().root() == chain.blocks[6].header.state_root);
  REQUIRE(follower->counters().blocks_fetched == 6);
  REQUIRE(follower->counters().blocks_rejected == 0);
  REQUIRE(follower->counters().fetches == 2);
  auto snapshot = follower->snapshot();
  REQUIRE(snapshot.upstream == 0);
  REQUIRE_FALSE(snapshot.syncing);  // 6 blocks of a batch of 64: not known to be behind
  REQUIRE(snapshot.fetching);
  REQUIRE(snapshot.last_rejection.empty());

  // Caught up: an empty answer stops the immediate refetching.
  auto idle = follower->on_blocks_fetched(0, {}, now + 1);
  require_poll_later(idle, now + 1);
  REQUIRE_FALSE(follower->snapshot().syncing);
}

TEST_CASE("a full batch marks the follower as syncing, and a short one refetches all the same",
          "[follower]") {
  const Chain& chain = shared_chain();
  auto config = config_for(chain);
  config.fetch_batch_blocks = 2;
  auto follower = make_follower(chain, config);
  chain::TimeMs now = kStart;
  (void)follower->start(now);
  auto full = follower->on_blocks_fetched(0, {chain.blocks[1], chain.blocks[2]}, now);
  require_heights(commits(full), 1, 2);
  require_fetch(full, 0, 3, now);
  REQUIRE(fetches(full)[0].max_blocks == 2);
  REQUIRE(follower->snapshot().syncing);
  auto short_batch = follower->on_blocks_fetched(0, {chain.blocks[3]}, now);
  require_heights(commits(short_batch), 3, 3);
  require_fetch(short_batch, 0, 4, now);
  REQUIRE_FALSE(follower->snapshot().syncing);
  auto idle = follower->on_blocks_fetched(0, {}, now);
  require_poll_later(idle, now);
  REQUIRE_FALSE(follower->snapshot().syncing);
  REQUIRE(follower->snapshot().upstream == 1);
}

TEST_CASE("a follower fed one block per answer follows the whole chain", "[follower]") {
  const Chain& chain = shared_chain();
  auto follower = make_follower(chain, config_for(chain));
  chain::TimeMs now = kStart;
  (void)follower->start(now);
  for (std::uint64_t h = 1; h < chain.blocks.size(); ++h) {
    auto actions = follower->on_blocks_fetched(0, {chain.blocks[h]}, ++now);
    require_heights(commits(actions), h, h);
    require_fetch(actions, 0, h + 1, now);
    REQUIRE(follower->head_hash() == chain.blocks[h].hash());
    REQUIRE(follower->state().root() == chain.blocks[h].header.state_root);
  }
}

TEST_CASE("a follower restarted from a stored head continues after it", "[follower]") {
  const Chain& chain = shared_chain();
  auto built = Follower::create(config_for(chain), {chain.state_at(3), chain.blocks[3]});
  REQUIRE(built);
  auto& follower = *built;
  REQUIRE(follower->head_height() == 3);
  REQUIRE(follower->head_hash() == chain.blocks[3].hash());
  REQUIRE(follower->head_view() == chain.blocks[3].certificate->view);
  REQUIRE(follower->snapshot().stored_height == 3);
  require_fetch(follower->start(kStart), 0, 4, kStart);
  auto actions = follower->on_blocks_fetched(0, {chain.blocks[4], chain.blocks[5]}, kStart);
  require_heights(commits(actions), 4, 5);
  REQUIRE(follower->state().root() == chain.blocks[5].header.state_root);
}

TEST_CASE("blocks at or below the head in an answer are skipped, not rejected", "[follower]") {
  const Chain& chain = shared_chain();
  auto follower = make_follower(chain, config_for(chain));
  (void)follower->start(kStart);
  (void)follower->on_blocks_fetched(0, {chain.blocks[1], chain.blocks[2]}, kStart);
  auto actions =
      follower->on_blocks_fetched(0, {chain.blocks[1], chain.blocks[2], chain.blocks[3]}, kStart);
  require_heights(commits(actions), 3, 3);
  REQUIRE(follower->counters().blocks_rejected == 0);
  // Only old blocks: nothing new from this upstream, so the next is asked after a pause.
  auto stale = follower->on_blocks_fetched(0, {chain.blocks[2]}, kStart + 1);
  REQUIRE(commits(stale).empty());
  require_poll_later(stale, kStart + 1);
  REQUIRE(follower->counters().blocks_rejected == 0);
  REQUIRE(follower->snapshot().upstream == 1);
  REQUIRE(follower->head_height() == 3);
}

TEST_CASE("a follower rejects blocks without a valid commit certificate", "[follower]") {
  const Chain& chain = shared_chain();
  const auto& cluster = chain.cluster;
  const chain::Block& honest = chain.blocks[2];

  SECTION("the test's own certificate is accepted (so the cases below test what they say)") {
    chain::Block block = honest;
    certify(block, cluster);
    REQUIRE(block.certificate != honest.certificate);
    auto follower = make_follower(chain, config_for(chain));
    (void)follower->start(kStart);
    auto actions = follower->on_blocks_fetched(0, {chain.blocks[1], block}, kStart);
    require_heights(commits(actions), 1, 2);
  }
  SECTION("no certificate") {
    chain::Block block = honest;
    block.certificate.reset();
    require_rejected(chain, block, "no commit certificate");
  }
  SECTION("fewer than 2f+1 signatures") {
    chain::Block block = honest;
    block.certificate->signatures.resize(2);
    require_rejected(chain, block, "signatures, quorum is 3");
  }
  SECTION("a quorum reached by repeating one validator's signature") {
    chain::Block block = honest;
    auto first = block.certificate->signatures[0];
    block.certificate->signatures = {first, first, first};
    require_rejected(chain, block, "strictly increasing");
  }
  SECTION("a signature by a key that is not a validator's") {
    chain::Block block = honest;
    const auto& seal = std::get<chain::PbftSeal>(block.header.seal);
    auto outsider = testing::key_for(9, 0);
    block.certificate->signatures[0].signature = outsider.sign(chain::commit_signing_bytes(
        chain::SigningDomain::of(*cluster.genesis), seal.view, seal.sequence, block.hash()));
    require_rejected(chain, block, "is invalid");
  }
  SECTION("a signature naming a validator index outside the set") {
    chain::Block block = honest;
    certify(block, cluster, 2);
    const auto& seal = std::get<chain::PbftSeal>(block.header.seal);
    block.certificate->signatures.push_back(
        {4,
         testing::key_for(1, 4).sign(chain::commit_signing_bytes(
             chain::SigningDomain::of(*cluster.genesis), seal.view, seal.sequence, block.hash()))});
    require_rejected(chain, block, "unknown validator 4");
  }
  SECTION("a quorum of signatures for another chain id") {
    chain::Block block = honest;
    certify(block, cluster, 3,
            chain::SigningDomain{"another-chain",
                                 chain::SigningDomain::of(*cluster.genesis).genesis_hash});
    require_rejected(chain, block, "is invalid");
  }
  SECTION("a quorum certificate from a network with this chain id and keys, another genesis") {
    chain::Block block = honest;
    chain::Genesis other = *cluster.genesis;
    other.accounts.pop_back();  // the same validators and chain id, other accounts
    auto other_domain = chain::SigningDomain::of(other);
    REQUIRE(other_domain.chain_id == cluster.genesis->chain_id);
    REQUIRE(other_domain.genesis_hash != chain::SigningDomain::of(*cluster.genesis).genesis_hash);
    certify(block, cluster, 3, other_domain);
    require_rejected(chain, block, "is invalid");
  }
  SECTION("a quorum certificate for another block hash") {
    chain::Block block = honest;
    chain::Block other = chain.blocks[3];
    other.header.seal = block.header.seal;  // same view and sequence, different block
    certify(other, cluster);
    block.certificate = other.certificate;
    require_rejected(chain, block, "different block");
  }
  SECTION("another block's genuine certificate") {
    chain::Block block = honest;
    block.certificate = chain.blocks[3].certificate;
    require_rejected(chain, block, "certificate");
  }
  SECTION("a corrupted signature in an otherwise genuine certificate") {
    chain::Block block = honest;
    block.certificate->signatures[1].signature.data[5] ^= 0x40;
    require_rejected(chain, block, "is invalid");
  }
}

TEST_CASE("a follower rejects blocks that do not extend its head", "[follower]") {
  const Chain& chain = shared_chain();
  SECTION("a later block (a gap)") {
    require_rejected(chain, chain.blocks[3], "wrong height 3");
  }
  SECTION("a certified block at the right height on another branch") {
    chain::Block block = chain.blocks[2];
    flip(block.header.prev_hash);
    certify(block, chain.cluster);
    require_rejected(chain, block, "does not extend the head");
  }
  SECTION("a certified block whose header claims the wrong height") {
    chain::Block block = chain.blocks[2];
    block.header.height = 5;
    certify(block, chain.cluster);
    require_rejected(chain, block, "wrong height 5");
  }
}

TEST_CASE("a follower rejects blocks whose contents do not check out", "[follower]") {
  const Chain& chain = shared_chain();
  const auto& cluster = chain.cluster;
  const chain::Block& honest = chain.blocks[2];

  SECTION("a transaction changed after signing, in a re-certified header (bad signature)") {
    chain::Block block = honest;
    block.transactions[0].amount += 1;
    block.header.tx_root = chain::transactions_root(block.transactions);
    certify(block, cluster);
    require_rejected(chain, block, "transaction 0 has a bad signature");
  }
  SECTION("transactions that are not the certified ones cost no signature check") {
    auto config = config_for(chain);
    auto checks = std::make_shared<std::size_t>(0);
    config.signature_check = [checks, domain = chain::SigningDomain::of(*cluster.genesis)](
                                 const chain::Transaction& tx, const crypto::Hash256&) {
      ++*checks;
      return tx.signature_valid(domain);
    };
    chain::Block block = honest;
    for (auto& tx : block.transactions)
      tx.amount += 1;  // filler with bad signatures under a genuine certificate
    require_rejected(chain, block, "tx_root does not match", config);
    // Only the honest blocks 1 and 2 (two transfers each) had their signatures checked.
    CHECK(*checks == 4);
  }
  SECTION("a bad signature found through the driver's signature check") {
    auto config = config_for(chain);
    // The driver's check refuses block 2's second transaction once: the follower must take
    // its word over tx.signature_valid(). The copy fetched afterwards passes.
    crypto::Hash256 bad = honest.transactions[1].hash();
    auto refused = std::make_shared<bool>(false);
    config.signature_check = [bad, refused](const chain::Transaction&,
                                            const crypto::Hash256& tx_hash) {
      if (tx_hash != bad || *refused)
        return true;
      *refused = true;
      return false;
    };
    require_rejected(chain, honest, "transaction 1 has a bad signature", config);
  }
  SECTION("a changed transaction with the driver vouching for every signature: tx_root") {
    auto config = config_for(chain);
    config.signature_check = [](const chain::Transaction&, const crypto::Hash256&) { return true; };
    chain::Block block = honest;
    block.transactions[1].amount += 1000;
    require_rejected(chain, block, "tx_root does not match", config);
  }
  SECTION("a transaction dropped from the block") {
    chain::Block block = honest;
    block.transactions.pop_back();
    require_rejected(chain, block, "tx_root does not match");
  }
  SECTION("a certified header with a wrong tx_root") {
    chain::Block block = honest;
    flip(block.header.tx_root);
    certify(block, cluster);
    require_rejected(chain, block, "tx_root does not match");
  }
  SECTION("a certified header with a wrong state_root") {
    chain::Block block = honest;
    flip(block.header.state_root);
    certify(block, cluster);
    require_rejected(chain, block, "state_root does not match");
  }
  SECTION("a certified block with a validly signed but invalid transaction") {
    chain::Block block = honest;
    block.transactions[0] =
        chain::make_transfer(cluster.account_keys[0], chain::SigningDomain::of(*cluster.genesis),
                             chain::address_of(cluster.account_keys[1].public_key()), 5, 1, 999);
    block.header.tx_root = chain::transactions_root(block.transactions);
    certify(block, cluster);
    require_rejected(chain, block, "rejected: bad_nonce");
  }
  SECTION(
      "a certified transfer signed for a network with this chain id and keys, another genesis") {
    chain::Block block = honest;
    chain::Genesis other = *cluster.genesis;
    other.accounts.pop_back();  // the same validators and chain id, other accounts
    const auto other_domain = chain::SigningDomain::of(other);
    block.transactions[0] =
        chain::make_transfer(cluster.account_keys[0], other_domain,
                             chain::address_of(cluster.account_keys[1].public_key()), 5, 1, 0);
    REQUIRE(block.transactions[0].chain_id == cluster.genesis->chain_id);
    REQUIRE(block.transactions[0].signature_valid(other_domain));  // valid over there
    block.header.tx_root = chain::transactions_root(block.transactions);
    certify(block, cluster);
    require_rejected(chain, block, "transaction 0 has a bad signature");
  }
  SECTION("more transactions than the genesis allows in a block") {
    // Same validators and chain id; only the block size limit (and so the hash) differs.
    auto small = std::make_shared<chain::Genesis>(*cluster.genesis);
    small->pbft.max_block_transactions = 1;
    auto config = config_for(chain);
    config.genesis = small;
    auto follower = make_follower(chain, config);
    (void)follower->start(kStart);
    // Block 1 carries two transactions as well. Its certificate is made for the other
    // genesis (its hash is signed), so that the size check is the one exercised.
    chain::Block block = chain.blocks[1];
    certify(block, cluster, 3, chain::SigningDomain::of(*small));
    auto actions = follower->on_blocks_fetched(0, {block}, kStart);
    REQUIRE(commits(actions).empty());
    require_poll_later(actions, kStart);
    REQUIRE(follower->head_height() == 0);
    REQUIRE(follower->counters().blocks_rejected == 1);
    REQUIRE(follower->snapshot().last_rejection.find("too many transactions") != std::string::npos);
  }
}

TEST_CASE("a batch with a bad block keeps the good blocks before it", "[follower]") {
  const Chain& chain = shared_chain();
  auto follower = make_follower(chain, config_for(chain));
  chain::TimeMs now = kStart;
  (void)follower->start(now);
  chain::Block bad = chain.blocks[3];
  flip(bad.header.state_root);
  certify(bad, chain.cluster);
  auto actions =
      follower->on_blocks_fetched(0, {chain.blocks[1], chain.blocks[2], bad, chain.blocks[4]}, now);
  require_heights(commits(actions), 1, 2);
  require_poll_later(actions, now);
  REQUIRE(follower->head_height() == 2);
  REQUIRE(follower->head_hash() == chain.blocks[2].hash());
  REQUIRE(follower->state().root() == chain.blocks[2].header.state_root);
  REQUIRE(follower->counters().blocks_fetched == 2);
  REQUIRE(follower->counters().blocks_rejected == 1);
  REQUIRE(follower->snapshot().last_rejection.find("block 3 from upstream 0") != std::string::npos);
  REQUIRE(follower->snapshot().upstream == 1);
  require_fetch(follower->on_timer(Follower::kFetchTimer, now + kPollMs), 1, 3, now + kPollMs);
}

TEST_CASE("an empty answer rotates upstreams after a pause, and new blocks refetch at once",
          "[follower]") {
  const Chain& chain = shared_chain();
  auto follower = make_follower(chain, config_for(chain, 3));
  chain::TimeMs now = kStart;
  require_fetch(follower->start(now), 0, 1, now);

  // Empty answers walk through the upstreams and wrap around, one poll interval apart.
  for (chain::ReplicaIndex expected : {1u, 2u, 0u}) {
    auto idle = follower->on_blocks_fetched((expected + 2) % 3, {}, now);
    REQUIRE(all_of<chain::CancelTimerAction>(idle).size() == 1);
    require_poll_later(idle, now);
    REQUIRE(follower->snapshot().upstream == expected);
    REQUIRE_FALSE(follower->snapshot().fetching);
    now += kPollMs;
    require_fetch(follower->on_timer(Follower::kFetchTimer, now), expected, 1, now);
  }
  REQUIRE(follower->counters().upstream_switches == 3);
  REQUIRE(follower->counters().fetch_timeouts == 0);

  // New blocks: the same upstream again, at once, for what follows them.
  auto actions = follower->on_blocks_fetched(0, {chain.blocks[1], chain.blocks[2]}, now);
  require_heights(commits(actions), 1, 2);
  require_fetch(actions, 0, 3, now);
  REQUIRE(follower->snapshot().fetching);
  REQUIRE(follower->counters().upstream_switches == 3);
}

TEST_CASE("with one upstream a follower keeps asking it after a pause", "[follower]") {
  const Chain& chain = shared_chain();
  auto follower = make_follower(chain, config_for(chain, 1));
  (void)follower->start(kStart);
  require_poll_later(follower->on_blocks_fetched(0, {}, kStart), kStart);
  require_fetch(follower->on_timer(Follower::kFetchTimer, kStart + kPollMs), 0, 1,
                kStart + kPollMs);
  chain::Block bad = chain.blocks[1];
  bad.certificate.reset();
  require_poll_later(follower->on_blocks_fetched(0, {bad}, kStart + kPollMs), kStart + kPollMs);
  REQUIRE(follower->counters().blocks_rejected == 1);
  REQUIRE(follower->counters().upstream_switches == 0);
  require_fetch(follower->on_timer(Follower::kFetchTimer, kStart + 2 * kPollMs), 0, 1,
                kStart + 2 * kPollMs);
}

TEST_CASE("late and unsolicited answers are ignored", "[follower]") {
  const Chain& chain = shared_chain();
  auto follower = make_follower(chain, config_for(chain, 3));
  chain::TimeMs now = kStart;

  // Before start nothing was asked.
  REQUIRE(follower->on_blocks_fetched(0, {chain.blocks[1]}, now).empty());
  REQUIRE(follower->head_height() == 0);

  require_fetch(follower->start(now), 0, 1, now);
  // An upstream that was not asked.
  REQUIRE(follower->on_blocks_fetched(2, {chain.blocks[1]}, now).empty());
  REQUIRE(follower->head_height() == 0);
  REQUIRE(follower->snapshot().fetching);

  // Upstream 0 times out; its late answer no longer counts.
  now += kFetchTimeoutMs;
  require_fetch(follower->on_timer(Follower::kFetchTimer, now), 1, 1, now);
  REQUIRE(follower->on_blocks_fetched(0, {chain.blocks[1]}, now).empty());
  REQUIRE(follower->head_height() == 0);

  // Upstream 1 answers empty; nothing is in flight, so even upstream 1 is not listened to.
  require_poll_later(follower->on_blocks_fetched(1, {}, now), now);
  REQUIRE(follower->on_blocks_fetched(1, {chain.blocks[1]}, now).empty());
  REQUIRE(follower->on_blocks_fetched(2, {chain.blocks[1]}, now).empty());
  REQUIRE(follower->head_height() == 0);
  REQUIRE(follower->counters().blocks_fetched == 0);
  REQUIRE(follower->counters().blocks_rejected == 0);

  // Protocol messages and transactions mean nothing to a follower.
  Bytes noise = {1, 2, 3};
  REQUIRE(follower->on_message(0, noise, now).empty());
  REQUIRE(follower->on_transactions(now).empty());
  REQUIRE(follower->on_timer(Follower::kFetchTimer + 7, now).empty());
}

TEST_CASE("a fetch that is never answered times out and goes to the next upstream", "[follower]") {
  const Chain& chain = shared_chain();
  auto follower = make_follower(chain, config_for(chain, 2));
  chain::TimeMs now = kStart;
  require_fetch(follower->start(now), 0, 1, now);
  now += kFetchTimeoutMs;
  require_fetch(follower->on_timer(Follower::kFetchTimer, now), 1, 1, now);
  REQUIRE(follower->counters().fetch_timeouts == 1);
  REQUIRE(follower->counters().fetches == 2);
  REQUIRE(follower->snapshot().upstream == 1);
  REQUIRE(follower->snapshot().fetching);
  now += kFetchTimeoutMs;
  require_fetch(follower->on_timer(Follower::kFetchTimer, now), 0, 1, now);
  REQUIRE(follower->counters().fetch_timeouts == 2);

  // The poll timer (nothing in flight) is not a timeout and keeps the upstream.
  require_poll_later(follower->on_blocks_fetched(0, {}, now), now);
  REQUIRE(follower->snapshot().upstream == 1);
  now += kPollMs;
  require_fetch(follower->on_timer(Follower::kFetchTimer, now), 1, 1, now);
  REQUIRE(follower->counters().fetch_timeouts == 2);
  auto actions = follower->on_blocks_fetched(1, {chain.blocks[1]}, now);
  require_heights(commits(actions), 1, 1);
}

TEST_CASE("a follower stops fetching while too many blocks wait for storage", "[follower]") {
  const Chain& chain = shared_chain();
  auto config = config_for(chain);
  config.max_unstored_blocks = 2;
  config.fetch_batch_blocks = 2;
  auto follower = make_follower(chain, config);
  chain::TimeMs now = kStart;
  auto started = follower->start(now);
  require_fetch(started, 0, 1, now);
  REQUIRE(fetches(started)[0].max_blocks == 2);

  auto actions = follower->on_blocks_fetched(0, {chain.blocks[1], chain.blocks[2]}, now);
  require_heights(commits(actions), 1, 2);
  REQUIRE(fetches(actions).empty());
  REQUIRE(timers(actions).empty());
  REQUIRE_FALSE(follower->snapshot().fetching);
  // Nothing in flight, nothing armed: no timer can restart fetching either.
  REQUIRE(follower->on_timer(Follower::kFetchTimer, now + kFetchTimeoutMs).empty());
  REQUIRE(follower->counters().fetch_timeouts == 0);

  now += 10;
  auto stored = follower->on_block_stored(1, now);
  require_fetch(stored, 0, 3, now);
  REQUIRE(follower->snapshot().stored_height == 1);
  // Storage catching up further while a fetch is in flight sends nothing more.
  REQUIRE(follower->on_block_stored(2, now).empty());

  auto more = follower->on_blocks_fetched(0, {chain.blocks[3], chain.blocks[4]}, now);
  require_heights(commits(more), 3, 4);
  REQUIRE(fetches(more).empty());
  require_fetch(follower->on_block_stored(3, now), 0, 5, now);
}

TEST_CASE("Follower::create refuses unusable configurations", "[follower]") {
  const Chain& chain = shared_chain();
  auto recovery = [&] {
    return pbft::FollowerRecovery{chain::State::from_genesis(*chain.cluster.genesis),
                                  chain.blocks[0]};
  };
  SECTION("zero upstreams") {
    auto result = Follower::create(config_for(chain, 0), recovery());
    REQUIRE_FALSE(result);
    REQUIRE(result.message().find("upstream") != std::string::npos);
  }
  SECTION("no genesis") {
    auto config = config_for(chain);
    config.genesis.reset();
    REQUIRE_FALSE(Follower::create(config, recovery()));
  }
  SECTION("a genesis that is not PBFT") {
    for (auto mode : {chain::ConsensusMode::kPow, chain::ConsensusMode::kPos}) {
      auto genesis = std::make_shared<chain::Genesis>(*chain.cluster.genesis);
      genesis->mode = mode;
      auto config = config_for(chain);
      config.genesis = genesis;
      auto result = Follower::create(config, recovery());
      REQUIRE_FALSE(result);
      REQUIRE(result.message().find("PBFT") != std::string::npos);
    }
  }
  SECTION("zero batch or zero storage allowance") {
    auto config = config_for(chain);
    config.fetch_batch_blocks = 0;
    REQUIRE_FALSE(Follower::create(config, recovery()));
    config = config_for(chain);
    config.max_unstored_blocks = 0;
    REQUIRE_FALSE(Follower::create(config, recovery()));
  }
  SECTION("a state that does not match the head") {
    auto result = Follower::create(
        config_for(chain), {chain::State::from_genesis(*chain.cluster.genesis), chain.blocks[2]});
    REQUIRE_FALSE(result);
    REQUIRE(result.message().find("state root") != std::string::npos);
    REQUIRE_FALSE(Follower::create(config_for(chain), {chain.state_at(2), chain.blocks[3]}));
    REQUIRE(Follower::create(config_for(chain), {chain.state_at(3), chain.blocks[3]}));
  }
}
