// The mempool's defences against transactions that cannot run: per-sender caps, the
// parked pool for nonce gaps (promotion, expiry), eviction by fee, and its consistency
// across commits and reorgs.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <vector>

#include "chain/limits.h"
#include "chain/mempool.h"
#include "mempool_util.h"

namespace {

// The mempool never looks at signatures, so bulk transactions skip the signing cost.
Transaction unsigned_transfer(const crypto::KeyPair& sender, std::uint64_t nonce,
                              std::uint64_t fee = 1) {
  Transaction tx;
  tx.chain_id = kChainId;
  tx.from = sender.public_key();
  tx.to = kReceiver;
  tx.amount = 10;
  tx.fee = fee;
  tx.nonce = nonce;
  return tx;
}

// The pool's counters agree with each other.
void check_consistent(const Mempool& pool) {
  CHECK(pool.size() == pool.ready_size() + pool.parked_size());
  CHECK(pool.bytes() >= pool.parked_bytes());
}

// Commits what the pool offers, block after block, until it offers nothing.
std::size_t commit_all(Mempool& pool, chain::State& state) {
  std::size_t committed = 0;
  for (int block = 0; block < 100; ++block) {
    const auto batch = pool.select_batch(state, 64, chain::kMaxBlockBytes);
    if (batch.empty())
      break;
    const auto execution = state.execute(batch, kFeeRecipient, chain::SignaturePolicy::kVerify);
    REQUIRE(execution.ok());
    state.apply(execution.diff);
    pool.remove_committed(batch, state);
    committed += batch.size();
  }
  return committed;
}

}  // namespace

TEST_CASE("mempool attack: gapped transactions from many funded accounts leave ready room",
          "[mempool]") {
  constexpr std::uint32_t kAttackers = 196;
  constexpr std::uint32_t kHonest = 32;
  constexpr std::uint64_t kGappedEach = 80;
  std::vector<crypto::KeyPair> attackers;
  std::vector<crypto::KeyPair> honest;
  std::vector<Funded> funded;
  for (std::uint32_t i = 0; i < kAttackers; ++i)
    attackers.push_back(key(3000 + i));
  for (std::uint32_t i = 0; i < kHonest; ++i)
    honest.push_back(key(4000 + i));
  for (const auto& k : attackers)
    funded.push_back({&k, 1'000'000});
  for (const auto& k : honest)
    funded.push_back({&k, 1'000});
  auto state = make_state(funded);
  const MempoolOptions options{.max_transactions = 512, .max_parked_transactions = 256};
  Mempool pool(options);
  pool.advance_time(1'000);

  // Every attacker sends nonces 1.. and never nonce 0, so none of it can ever run.
  std::map<AdmitError, std::size_t> refused;
  std::size_t admitted = 0;
  for (const auto& attacker : attackers) {
    for (std::uint64_t nonce = 1; nonce <= kGappedEach; ++nonce) {
      if (auto error = admit(pool, unsigned_transfer(attacker, nonce), state))
        ++refused[*error];
      else
        ++admitted;
    }
  }
  // The attack happened: it filled all the room gapped transactions get.
  CHECK(admitted == options.max_parked_transactions);
  CHECK(pool.parked_size() == options.max_parked_transactions);
  CHECK(refused[AdmitError::kParkedFull] > 0);
  CHECK(refused[AdmitError::kSenderLimit] > 0);
  CHECK(pool.ready_size() == 0);

  // Honest senders, paying no more than the attackers, still get in and commit.
  for (const auto& sender : honest) {
    for (std::uint64_t nonce = 0; nonce < 4; ++nonce)
      REQUIRE_FALSE(admit(pool, transfer(sender, nonce, 10, 1), state));
  }
  CHECK(commit_all(pool, state) == kHonest * 4);
  for (const auto& sender : honest)
    CHECK(state.account(address(sender)).nonce == 4);
  CHECK(pool.parked_size() == options.max_parked_transactions);
  check_consistent(pool);

  // And the parked transactions do not stay: after their time to live they are gone.
  CHECK(pool.advance_time(1'000 + options.parked_ttl_ms) == options.max_parked_transactions);
  CHECK(pool.empty());
  CHECK(pool.counters().expired == options.max_parked_transactions);
}

TEST_CASE("mempool caps pending transactions per sender, ready and parked together", "[mempool]") {
  const auto alice = key(1);
  const auto bob = key(2);
  auto state = make_state({{&alice, 1000}, {&bob, 1000}});
  Mempool pool(MempoolOptions{.max_per_sender = 3});
  const auto alice0 = transfer(alice, 0);
  REQUIRE_FALSE(admit(pool, alice0, state));
  REQUIRE_FALSE(admit(pool, transfer(alice, 1), state));
  REQUIRE_FALSE(admit(pool, transfer(alice, 5), state));  // parked, and it counts
  CHECK(admit(pool, transfer(alice, 6), state) == AdmitError::kSenderLimit);
  CHECK(admit(pool, transfer(alice, 3), state) == AdmitError::kSenderLimit);  // parked too
  CHECK_FALSE(admit(pool, transfer(bob, 0), state));  // another sender is not affected
  CHECK(std::string(to_string(AdmitError::kSenderLimit)) == "sender_limit");

  // Once one commits, the sender has room again.
  const auto execution = state.execute({alice0}, kFeeRecipient);
  REQUIRE(execution.ok());
  state.apply(execution.diff);
  pool.remove_committed({alice0}, state);
  CHECK_FALSE(admit(pool, transfer(alice, 3), state));
  check_consistent(pool);
}

TEST_CASE(
    "mempool at a sender's cap lets the gap-filling nonce in by dropping its highest parked one",
    "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000}});
  Mempool pool(MempoolOptions{.max_per_sender = 3});
  // As after a reorg handed back nonce 0 and 1 while 2-4 of the same sender were waiting.
  REQUIRE_FALSE(admit(pool, transfer(alice, 2), state));
  REQUIRE_FALSE(admit(pool, transfer(alice, 3), state));
  const auto highest = transfer(alice, 4);
  REQUIRE_FALSE(admit(pool, highest, state));
  REQUIRE(pool.parked_size() == 3);
  CHECK(pool.ready_size() == 0);

  CHECK_FALSE(admit(pool, transfer(alice, 0), state));
  CHECK_FALSE(pool.contains(highest.hash()));
  CHECK(pool.counters().evicted == 1);
  CHECK(pool.ready_size() == 1);
  CHECK_FALSE(admit(pool, transfer(alice, 1), state));
  // Without the rule the pool would hold 2-4 forever and never see 0 or 1.
  CHECK(pool.ready_size() == 3);
  CHECK(pool.parked_size() == 0);
  CHECK(pool.select_batch(state, 10, 1 << 20).size() == 3);
  check_consistent(pool);
}

TEST_CASE("mempool keeps the parked transaction when the gap-filling one is refused for room",
          "[mempool]") {
  const auto alice = key(1);
  const auto bob = key(2);
  const auto state = make_state({{&alice, 1000}, {&bob, 1000}});
  Mempool pool(MempoolOptions{.max_transactions = 1, .max_per_sender = 3});
  REQUIRE_FALSE(admit(pool, transfer(bob, 0, 10, 5), state));  // fills the ready pool
  REQUIRE_FALSE(admit(pool, transfer(alice, 2), state));
  REQUIRE_FALSE(admit(pool, transfer(alice, 3), state));
  const auto highest = transfer(alice, 4);
  REQUIRE_FALSE(admit(pool, highest, state));

  CHECK(admit(pool, transfer(alice, 0), state) == AdmitError::kFull);
  CHECK(pool.contains(highest.hash()));
  CHECK(pool.counters().evicted == 0);
  CHECK(pool.parked_size() == 3);
  check_consistent(pool);
}

TEST_CASE("mempool expires parked transactions after their time to live, never ready ones",
          "[mempool]") {
  const auto alice = key(1);
  const auto bob = key(2);
  const auto carol = key(3);
  const auto state = make_state({{&alice, 1000}, {&bob, 1000}, {&carol, 1000}});
  Mempool pool(MempoolOptions{.parked_ttl_ms = 1000});
  pool.advance_time(10'000);
  const auto ready = transfer(alice, 0);
  const auto alice_gapped = transfer(alice, 2);
  const auto bob_gapped = transfer(bob, 5);
  for (const auto& tx : {ready, alice_gapped, bob_gapped})
    REQUIRE_FALSE(admit(pool, tx, state));
  CHECK(pool.is_parked(alice_gapped.hash()));
  CHECK(pool.is_parked(bob_gapped.hash()));
  CHECK_FALSE(pool.is_parked(ready.hash()));

  CHECK(pool.advance_time(10'999) == 0);
  CHECK(pool.size() == 3);
  CHECK(pool.advance_time(11'000) == 2);
  CHECK(pool.size() == 1);
  CHECK(pool.contains(ready.hash()));
  CHECK(pool.parked_size() == 0);
  CHECK(pool.parked_bytes() == 0);
  CHECK(pool.counters().expired == 2);
  CHECK(pool.advance_time(1'000'000) == 0);
  CHECK(pool.contains(ready.hash()));

  // Time never runs backwards: a clock step back does not stretch a parked transaction's life.
  pool.advance_time(500);
  const auto carol_gapped = transfer(carol, 1);
  REQUIRE_FALSE(admit(pool, carol_gapped, state));
  CHECK(pool.advance_time(1'000'999) == 0);
  CHECK(pool.advance_time(1'001'000) == 1);
  CHECK_FALSE(pool.contains(carol_gapped.hash()));
  check_consistent(pool);
}

TEST_CASE("mempool promotes parked transactions when their gap fills", "[mempool]") {
  const auto alice = key(1);
  const auto bob = key(2);
  auto state = make_state({{&alice, 1000}, {&bob, 1000}});
  Mempool pool;
  const auto alice1 = transfer(alice, 1);
  const auto alice2 = transfer(alice, 2);
  REQUIRE_FALSE(admit(pool, alice2, state));
  REQUIRE_FALSE(admit(pool, alice1, state));
  CHECK(pool.parked_size() == 2);
  CHECK(pool.select_batch(state, kNoLimit, kNoLimit).empty());

  SECTION("by the missing transaction") {
    REQUIRE_FALSE(admit(pool, transfer(alice, 0), state));
    CHECK(pool.parked_size() == 0);
    CHECK(pool.ready_size() == 3);
    CHECK(pool.counters().promoted == 2);
    const auto batch = pool.select_batch(state, kNoLimit, kNoLimit);
    CHECK(nonces_of(batch) == std::vector<std::uint64_t>{0, 1, 2});
    CHECK(executes(state, batch));
  }
  SECTION("by a block holding a transaction this pool never saw") {
    const std::vector<Transaction> block = {transfer(alice, 0, 99, 2), transfer(bob, 0)};
    const auto execution = state.execute(block, kFeeRecipient);
    REQUIRE(execution.ok());
    state.apply(execution.diff);
    pool.remove_committed(block, state);
    CHECK_FALSE(pool.is_parked(alice1.hash()));
    CHECK_FALSE(pool.is_parked(alice2.hash()));
    const auto batch = pool.select_batch(state, kNoLimit, kNoLimit);
    CHECK(batch == std::vector<Transaction>{alice1, alice2});
    CHECK(executes(state, batch));
  }
  check_consistent(pool);
}

TEST_CASE("mempool promotes only as far as the ready pool has room", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000}});
  Mempool pool(MempoolOptions{.max_transactions = 2});
  for (std::uint64_t nonce : {1, 2, 3})
    REQUIRE_FALSE(admit(pool, transfer(alice, nonce), state));
  REQUIRE_FALSE(admit(pool, transfer(alice, 0), state));
  CHECK(pool.ready_size() == 2);
  CHECK(pool.parked_size() == 2);
  // Still parked, but runnable: a batch may carry them along behind the ready ones.
  const auto batch = pool.select_batch(state, kNoLimit, kNoLimit);
  CHECK(nonces_of(batch) == std::vector<std::uint64_t>{0, 1, 2, 3});
  CHECK(executes(state, batch));
  check_consistent(pool);
}

TEST_CASE("mempool full: a higher fee evicts the lowest fee and that sender's later nonces",
          "[mempool]") {
  const auto alice = key(1);
  const auto bob = key(2);
  const auto carol = key(3);
  const auto dave = key(4);
  const auto erin = key(5);
  const auto state =
      make_state({{&alice, 1000}, {&bob, 1000}, {&carol, 1000}, {&dave, 1000}, {&erin, 1000}});
  Mempool pool(MempoolOptions{.max_transactions = 4});
  const auto bob0 = transfer(bob, 0, 10, 2);
  const auto bob1 = transfer(bob, 1, 10, 9);  // high fee, but it cannot run before bob0
  const auto bob3 = transfer(bob, 3, 10, 9);  // parked behind bob 2
  REQUIRE_FALSE(admit(pool, transfer(alice, 0, 10, 5), state));
  REQUIRE_FALSE(admit(pool, bob0, state));
  REQUIRE_FALSE(admit(pool, bob1, state));
  REQUIRE_FALSE(admit(pool, transfer(carol, 0, 10, 5), state));
  REQUIRE_FALSE(admit(pool, bob3, state));
  REQUIRE(pool.ready_size() == 4);

  CHECK(admit(pool, transfer(dave, 0, 10, 1), state) == AdmitError::kFull);
  CHECK(admit(pool, transfer(dave, 0, 10, 2), state) == AdmitError::kFull);  // equal is not enough
  CHECK(pool.counters().evicted == 0);
  // Alice cannot push out her own earlier nonce... and nobody else's fee is lower than hers.
  CHECK(admit(pool, transfer(alice, 1, 10, 2), state) == AdmitError::kFull);

  REQUIRE_FALSE(admit(pool, transfer(dave, 0, 10, 3), state));
  CHECK_FALSE(pool.contains(bob0.hash()));
  CHECK_FALSE(pool.contains(bob1.hash()));
  CHECK_FALSE(pool.contains(bob3.hash()));
  CHECK(pool.counters().evicted == 3);
  CHECK(pool.ready_size() == 3);
  CHECK_FALSE(admit(pool, transfer(erin, 0, 10, 1), state));  // the room bob's nonce 1 left
  const auto batch = pool.select_batch(state, kNoLimit, kNoLimit);
  CHECK(batch.size() == 4);
  CHECK(executes(state, batch));
  check_consistent(pool);
}

TEST_CASE("mempool parked pool full: a higher fee evicts its lowest fee", "[mempool]") {
  const auto alice = key(1);
  const auto bob = key(2);
  const auto carol = key(3);
  const auto state = make_state({{&alice, 1000}, {&bob, 1000}, {&carol, 1000}});
  Mempool pool(MempoolOptions{.max_parked_transactions = 2});
  const auto alice5 = transfer(alice, 5, 10, 1);
  REQUIRE_FALSE(admit(pool, alice5, state));
  REQUIRE_FALSE(admit(pool, transfer(bob, 5, 10, 3), state));
  CHECK(admit(pool, transfer(carol, 5, 10, 1), state) == AdmitError::kParkedFull);
  CHECK(std::string(to_string(AdmitError::kParkedFull)) == "parked_full");
  CHECK_FALSE(admit(pool, transfer(carol, 0, 10, 1), state));  // ready room is untouched
  REQUIRE_FALSE(admit(pool, transfer(carol, 5, 10, 2), state));
  CHECK_FALSE(pool.contains(alice5.hash()));
  CHECK(pool.parked_size() == 2);
  CHECK(pool.counters().evicted == 1);
  check_consistent(pool);
}

TEST_CASE("mempool stays consistent when a block removes transactions and a reorg returns them",
          "[mempool]") {
  const auto alice = key(1);
  const auto bob = key(2);
  const auto genesis = make_state({{&alice, 1000}, {&bob, 1000}});
  Mempool pool;
  std::vector<Transaction> alice_txs;
  for (std::uint64_t nonce = 0; nonce < 4; ++nonce)
    alice_txs.push_back(transfer(alice, nonce));
  const auto bob0 = transfer(bob, 0);
  const auto bob2 = transfer(bob, 2);
  for (const auto& tx : alice_txs)
    REQUIRE_FALSE(admit(pool, tx, genesis));
  REQUIRE_FALSE(admit(pool, bob0, genesis));
  REQUIRE_FALSE(admit(pool, bob2, genesis));
  const std::size_t all_bytes = pool.bytes();

  // Block A commits alice 0 and 1 and bob 0.
  const std::vector<Transaction> block_a = {alice_txs[0], alice_txs[1], bob0};
  auto on_a = genesis;
  const auto execution_a = on_a.execute(block_a, kFeeRecipient);
  REQUIRE(execution_a.ok());
  on_a.apply(execution_a.diff);
  pool.remove_committed(block_a, on_a);
  CHECK(pool.ready_size() == 2);
  CHECK(pool.parked_size() == 1);  // bob 2 still waits for bob 1
  check_consistent(pool);

  // A reorg abandons block A for block B (bob 0 and a bob 1 this pool never saw): as the
  // engines do, B's transactions leave and A's others come back against B's state.
  const auto bob1 = transfer(bob, 1, 7, 1);
  const std::vector<Transaction> block_b = {bob0, bob1};
  auto on_b = genesis;
  const auto execution_b = on_b.execute(block_b, kFeeRecipient);
  REQUIRE(execution_b.ok());
  on_b.apply(execution_b.diff);
  pool.remove_committed(block_b, on_b);
  CHECK_FALSE(pool.is_parked(bob2.hash()));  // its gap is filled on this branch
  REQUIRE_FALSE(admit(pool, alice_txs[0], on_b));
  REQUIRE_FALSE(admit(pool, alice_txs[1], on_b));
  CHECK(admit(pool, bob0, on_b) == AdmitError::kStaleNonce);

  CHECK(pool.size() == 5);
  CHECK(pool.ready_size() == 5);
  CHECK(pool.parked_size() == 0);
  CHECK(pool.bytes() == all_bytes - bob0.encode().size());
  const auto batch = pool.select_batch(on_b, kNoLimit, kNoLimit);
  CHECK(batch.size() == 5);
  CHECK(executes(on_b, batch));
  check_consistent(pool);
}

TEST_CASE(
    "mempool brings the parked pool back within its caps after ready transactions "
    "moved there",
    "[mempool]") {
  const auto alice = key(1);
  const auto genesis = make_state({{&alice, 1000}});
  Mempool pool(MempoolOptions{.max_parked_transactions = 1});
  for (std::uint64_t nonce = 0; nonce < 4; ++nonce)
    REQUIRE_FALSE(admit(pool, transfer(alice, nonce), genesis));
  auto later = make_state({{&alice, 989, 1}});
  pool.remove_committed({transfer(alice, 0)}, later);
  CHECK(pool.ready_size() == 3);
  // A transaction that failed to execute leaves: the later ones now wait behind a gap.
  pool.remove(transfer(alice, 1).hash());
  CHECK(pool.parked_size() == 2);  // over the cap until the next tick
  pool.advance_time(1);
  CHECK(pool.parked_size() == 1);
  CHECK(pool.size() == 1);
  check_consistent(pool);
}
