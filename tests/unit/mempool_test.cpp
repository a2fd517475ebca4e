#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chain/limits.h"
#include "chain/mempool.h"
#include "mempool_util.h"

TEST_CASE("mempool rejects a transaction it already holds as duplicate", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000}});
  Mempool pool;
  const auto tx = transfer(alice, 0);
  REQUIRE_FALSE(admit(pool, tx, state));
  CHECK(admit(pool, tx, state) == AdmitError::kDuplicate);
  CHECK(pool.size() == 1);
  CHECK(pool.contains(tx.hash()));
}

TEST_CASE("mempool count cap gives mempool full", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000}});
  Mempool pool(MempoolOptions{.max_transactions = 2});
  REQUIRE_FALSE(admit(pool, transfer(alice, 0), state));
  REQUIRE_FALSE(admit(pool, transfer(alice, 1), state));
  CHECK(admit(pool, transfer(alice, 2), state) == AdmitError::kFull);
  CHECK(pool.size() == 2);
  CHECK(describe(AdmitError::kFull).rfind("mempool full", 0) == 0);
}

TEST_CASE("mempool byte cap gives mempool full", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000}});
  const std::size_t tx_bytes = transfer(alice, 0).encode().size();
  Mempool pool(MempoolOptions{.max_bytes = 2 * tx_bytes + tx_bytes / 2});
  REQUIRE_FALSE(admit(pool, transfer(alice, 0), state));
  REQUIRE_FALSE(admit(pool, transfer(alice, 1), state));
  CHECK(admit(pool, transfer(alice, 2), state) == AdmitError::kFull);
  CHECK(pool.bytes() == 2 * tx_bytes);
  CHECK(std::string(to_string(AdmitError::kFull)) == "mempool_full");
}

TEST_CASE("mempool rejects a wrong chain id", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000}});
  Mempool pool;
  const auto tx =
      chain::make_transfer(alice, {"other-chain", kDomain.genesis_hash}, kReceiver, 10, 1, 0);
  CHECK(admit(pool, tx, state) == AdmitError::kWrongChainId);
  CHECK(pool.empty());
}

TEST_CASE("mempool rejects a nonce below the committed nonce as stale", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000, 3}});
  Mempool pool;
  CHECK(admit(pool, transfer(alice, 2), state) == AdmitError::kStaleNonce);
  CHECK(admit(pool, transfer(alice, 0), state) == AdmitError::kStaleNonce);
  CHECK_FALSE(admit(pool, transfer(alice, 3), state));
}

TEST_CASE("mempool rejects a nonce at or beyond the window as too far", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000, 5}});
  Mempool pool(MempoolOptions{.nonce_window = 4});
  CHECK(admit(pool, transfer(alice, 9), state) == AdmitError::kNonceTooFar);
  CHECK(admit(pool, transfer(alice, std::numeric_limits<std::uint64_t>::max()), state) ==
        AdmitError::kNonceTooFar);
  CHECK_FALSE(admit(pool, transfer(alice, 8), state));
}

TEST_CASE("mempool rejects a second transaction with the same sender and nonce", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000}});
  Mempool pool;
  const auto first = transfer(alice, 0, 10, 1);
  const auto second = transfer(alice, 0, 10, 5);  // a higher fee does not replace
  REQUIRE_FALSE(admit(pool, first, state));
  CHECK(admit(pool, second, state) == AdmitError::kNonceTaken);
  CHECK(pool.contains(first.hash()));
  CHECK_FALSE(pool.contains(second.hash()));
}

TEST_CASE("mempool rejects a fee below the minimum", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000}});
  Mempool pool(MempoolOptions{.min_fee = 5});
  CHECK(admit(pool, transfer(alice, 0, 10, 4), state) == AdmitError::kFeeTooLow);
  CHECK_FALSE(admit(pool, transfer(alice, 0, 10, 5), state));
}

TEST_CASE("mempool rejects a zero amount", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000}});
  Mempool pool;
  CHECK(admit(pool, transfer(alice, 0, 0, 1), state) == AdmitError::kZeroAmount);
}

TEST_CASE("mempool rejects amount plus fee that overflows", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, std::numeric_limits<std::uint64_t>::max()}});
  Mempool pool;
  const auto max = std::numeric_limits<std::uint64_t>::max();
  CHECK(admit(pool, transfer(alice, 0, max, 1), state) == AdmitError::kOverflow);
  CHECK(admit(pool, transfer(alice, 0, 1, max), state) == AdmitError::kOverflow);
  CHECK_FALSE(admit(pool, transfer(alice, 0, max - 1, 1), state));
}

TEST_CASE("mempool counts pending spending against the committed balance", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 100}});
  Mempool pool;
  CHECK(admit(pool, transfer(alice, 0, 101, 0), state) == AdmitError::kInsufficientBalance);
  REQUIRE_FALSE(admit(pool, transfer(alice, 0, 60, 1), state));
  REQUIRE_FALSE(admit(pool, transfer(alice, 1, 38, 1), state));  // exactly what is left
  CHECK(admit(pool, transfer(alice, 2, 1, 0), state) == AdmitError::kInsufficientBalance);
  CHECK(pool.size() == 2);
}

TEST_CASE("mempool admits a nonce gap but selects it only once the gap fills", "[mempool]") {
  const auto alice = key(1);
  const auto state = make_state({{&alice, 1000}});
  Mempool pool;
  REQUIRE_FALSE(admit(pool, transfer(alice, 2), state));
  CHECK(pool.select_batch(state, kNoLimit, kNoLimit).empty());
  REQUIRE_FALSE(admit(pool, transfer(alice, 0), state));
  CHECK(nonces_of(pool.select_batch(state, kNoLimit, kNoLimit)) == std::vector<std::uint64_t>{0});
  REQUIRE_FALSE(admit(pool, transfer(alice, 1), state));
  const auto batch = pool.select_batch(state, kNoLimit, kNoLimit);
  CHECK(nonces_of(batch) == std::vector<std::uint64_t>{0, 1, 2});
  CHECK(executes(state, batch));
}

TEST_CASE("mempool select_batch returns a sequence that executes validly", "[mempool]") {
  std::vector<crypto::KeyPair> keys;
  for (std::uint32_t i = 0; i < 5; ++i)
    keys.push_back(key(100 + i));
  std::vector<Funded> funded;
  for (const auto& k : keys)
    funded.push_back({&k, 1000, 0});
  funded[3].nonce = 7;  // an account that has already sent transactions
  const auto state = make_state(funded);

  Mempool pool;
  // Out-of-order nonces and interleaved senders.
  for (std::uint64_t round : {2, 0, 1, 4, 3}) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const std::uint64_t base = i == 3 ? 7 : 0;
      REQUIRE_FALSE(admit(pool, transfer(keys[i], base + round, 100 + i, 2), state));
    }
  }
  const auto batch = pool.select_batch(state, kNoLimit, kNoLimit);
  CHECK(batch.size() == 25);
  CHECK(executes(state, batch));
  CHECK(pool.size() == 25);  // selecting removes nothing

  // With hashes requested: the same batch, and each hash is its transaction's.
  std::vector<crypto::Hash256> hashes = {crypto::Hash256{}};  // stale content is replaced
  const auto same = pool.select_batch(state, kNoLimit, kNoLimit, &hashes);
  CHECK(same == batch);
  REQUIRE(hashes.size() == batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i)
    CHECK(hashes[i] == batch[i].hash());
}

TEST_CASE("mempool select_batch stops an account where its balance runs out", "[mempool]") {
  const auto alice = key(1);
  const auto bob = key(2);
  const auto committed = make_state({{&alice, 100}, {&bob, 100}});
  Mempool pool;
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce) {
    REQUIRE_FALSE(admit(pool, transfer(alice, nonce, 30, 0), committed));
    REQUIRE_FALSE(admit(pool, transfer(bob, nonce, 30, 0), committed));
  }
  // A later state where alice holds less than when her transactions were admitted.
  const auto poorer = make_state({{&alice, 70}, {&bob, 100}});
  const auto batch = pool.select_batch(poorer, kNoLimit, kNoLimit);
  REQUIRE(batch.size() == 5);
  CHECK(batch[0].from == alice.public_key());
  CHECK(batch[1].from == alice.public_key());
  CHECK(batch[2].from == bob.public_key());
  CHECK(executes(poorer, batch));
}

TEST_CASE("mempool select_batch orders accounts by their oldest pending transaction", "[mempool]") {
  const auto alice = key(1);
  const auto bob = key(2);
  const auto carol = key(3);
  const auto state = make_state({{&alice, 1000}, {&bob, 1000}, {&carol, 1000}});
  Mempool pool;
  REQUIRE_FALSE(admit(pool, transfer(bob, 1), state));  // bob arrives first, with a gap
  REQUIRE_FALSE(admit(pool, transfer(carol, 0), state));
  REQUIRE_FALSE(admit(pool, transfer(alice, 0), state));
  REQUIRE_FALSE(admit(pool, transfer(bob, 0), state));  // fills bob's gap
  REQUIRE_FALSE(admit(pool, transfer(carol, 1), state));

  const auto batch = pool.select_batch(state, kNoLimit, kNoLimit);
  REQUIRE(batch.size() == 5);
  const std::vector<crypto::PublicKey> senders = {bob.public_key(), bob.public_key(),
                                                  carol.public_key(), carol.public_key(),
                                                  alice.public_key()};
  for (std::size_t i = 0; i < batch.size(); ++i)
    CHECK(batch[i].from == senders[i]);
  CHECK(nonces_of(batch) == std::vector<std::uint64_t>{0, 1, 0, 1, 0});
  CHECK(executes(state, batch));
}

TEST_CASE("mempool select_batch respects max_count and max_bytes", "[mempool]") {
  const auto alice = key(1);
  const auto bob = key(2);
  const auto state = make_state({{&alice, 1000}, {&bob, 1000}});
  Mempool pool;
  for (std::uint64_t nonce = 0; nonce < 4; ++nonce) {
    REQUIRE_FALSE(admit(pool, transfer(alice, nonce), state));
    REQUIRE_FALSE(admit(pool, transfer(bob, nonce), state));
  }
  const std::size_t tx_bytes = transfer(alice, 0).encode().size();

  auto by_count = pool.select_batch(state, 3, kNoLimit);
  CHECK(by_count.size() == 3);
  CHECK(executes(state, by_count));

  auto by_bytes = pool.select_batch(state, kNoLimit, 6 * tx_bytes - 1);
  CHECK(by_bytes.size() == 5);
  std::size_t total = 0;
  for (const auto& tx : by_bytes)
    total += tx.encode().size();
  CHECK(total <= 6 * tx_bytes - 1);
  CHECK(executes(state, by_bytes));

  CHECK(pool.select_batch(state, 0, kNoLimit).empty());
  CHECK(pool.select_batch(state, kNoLimit, tx_bytes - 1).empty());
}

TEST_CASE("mempool select_batch is deterministic for the same insertion order", "[mempool]") {
  std::vector<crypto::KeyPair> keys;
  for (std::uint32_t i = 0; i < 8; ++i)
    keys.push_back(key(200 + i));
  std::vector<Funded> funded;
  for (const auto& k : keys)
    funded.push_back({&k, 500, 0});
  const auto state = make_state(funded);

  std::vector<Transaction> arrivals;
  for (std::uint64_t nonce = 0; nonce < 6; ++nonce) {
    for (std::size_t i = 0; i < keys.size(); ++i)
      arrivals.push_back(transfer(keys[(i * 5 + nonce) % keys.size()], nonce, 20 + nonce, 1));
  }
  Mempool first;
  Mempool second;
  for (const auto& tx : arrivals) {
    REQUIRE_FALSE(admit(first, tx, state));
    REQUIRE_FALSE(admit(second, tx, state));
  }
  const auto batch = first.select_batch(state, 30, kNoLimit);
  CHECK(batch.size() == 30);
  CHECK(batch == first.select_batch(state, 30, kNoLimit));
  CHECK(batch == second.select_batch(state, 30, kNoLimit));
  CHECK(executes(state, batch));
}

TEST_CASE("mempool remove_committed drops committed and stale transactions", "[mempool]") {
  const auto alice = key(1);
  const auto bob = key(2);
  const auto carol = key(3);
  auto state = make_state({{&alice, 1000}, {&bob, 1000}, {&carol, 1000}});
  Mempool pool;
  const auto alice0 = transfer(alice, 0);
  const auto alice1 = transfer(alice, 1);
  const auto alice3 = transfer(alice, 3);  // behind a gap: survives
  const auto bob0 = transfer(bob, 0);
  const auto carol0 = transfer(carol, 0);  // not in the block: survives
  for (const auto& tx : {alice0, alice1, alice3, bob0, carol0})
    REQUIRE_FALSE(admit(pool, tx, state));
  const std::size_t bytes_before = pool.bytes();

  // The block holds alice 0 and 1 as pooled, and a bob 0 this pool never saw.
  const auto other_bob0 = transfer(bob, 0, 77, 3);
  const std::vector<Transaction> block = {alice0, alice1, other_bob0};
  const auto execution = state.execute(block, kFeeRecipient);
  REQUIRE(execution.ok());
  state.apply(execution.diff);
  pool.remove_committed(block, state);

  CHECK_FALSE(pool.contains(alice0.hash()));
  CHECK_FALSE(pool.contains(alice1.hash()));
  CHECK_FALSE(pool.contains(bob0.hash()));  // its nonce is now stale
  CHECK(pool.contains(alice3.hash()));
  CHECK(pool.contains(carol0.hash()));
  CHECK(pool.size() == 2);
  CHECK(pool.bytes() ==
        bytes_before - alice0.encode().size() - alice1.encode().size() - bob0.encode().size());
  CHECK(pool.bytes() == alice3.encode().size() + carol0.encode().size());

  // Carol, the oldest remaining runnable account, is selected; alice still waits for nonce 2.
  const auto batch = pool.select_batch(state, kNoLimit, kNoLimit);
  CHECK(batch == std::vector<Transaction>{carol0});
  // Pending spending went down with the removals: alice may queue against her new balance.
  CHECK_FALSE(admit(pool, transfer(alice, 2, 900, 0), state));
  CHECK(admit(pool, transfer(alice, 4, 100, 0), state) == AdmitError::kInsufficientBalance);
}

TEST_CASE("mempool reasons are stable strings and sentences", "[mempool]") {
  const std::vector<std::pair<AdmitError, std::string>> expected = {
      {AdmitError::kDuplicate, "duplicate"},
      {AdmitError::kFull, "mempool_full"},
      {AdmitError::kWrongChainId, "wrong_chain_id"},
      {AdmitError::kStaleNonce, "stale_nonce"},
      {AdmitError::kNonceTooFar, "nonce_too_far"},
      {AdmitError::kNonceTaken, "nonce_taken"},
      {AdmitError::kInsufficientBalance, "insufficient_balance"},
      {AdmitError::kFeeTooLow, "fee_too_low"},
      {AdmitError::kZeroAmount, "zero_amount"},
      {AdmitError::kOverflow, "overflow"},
      {AdmitError::kSenderLimit, "sender_limit"},
      {AdmitError::kParkedFull, "parked_full"},
  };
  for (const auto& [error, reason] : expected) {
    CHECK(std::string(to_string(error)) == reason);
    const std::string sentence = describe(error);
    CHECK_FALSE(sentence.empty());
    CHECK(sentence.find('\n') == std::string::npos);
  }
}

TEST_CASE("mempool drains 50k transactions in batches that all execute", "[mempool][slow]") {
  constexpr std::uint32_t kAccounts = 500;
  constexpr std::uint64_t kPerAccount = 100;
  constexpr std::size_t kBatchCount = 2000;
  std::vector<crypto::KeyPair> keys;
  std::vector<Funded> funded;
  keys.reserve(kAccounts);
  for (std::uint32_t i = 0; i < kAccounts; ++i)
    keys.push_back(key(1000 + i));
  for (const auto& k : keys)
    funded.push_back({&k, 1'000'000, 0});
  auto state = make_state(funded);

  // Signing dominates the cost here; the mempool never looks at signatures, so these
  // transactions are built unsigned and executed with signatures treated as checked.
  // The smaller tests above use real signatures and SignaturePolicy::kVerify.
  Mempool pool(MempoolOptions{.max_per_sender = kPerAccount});
  for (std::uint64_t nonce = 0; nonce < kPerAccount; ++nonce) {
    for (std::uint32_t i = 0; i < kAccounts; ++i) {
      Transaction tx;
      tx.chain_id = kChainId;
      tx.from = keys[i].public_key();
      tx.to = kReceiver;
      tx.amount = 1 + nonce;
      tx.fee = 1;
      tx.nonce = nonce;
      REQUIRE_FALSE(admit(pool, tx, state));
    }
  }
  REQUIRE(pool.size() == kAccounts * kPerAccount);

  std::size_t batches = 0;
  std::size_t committed = 0;
  while (!pool.empty()) {
    REQUIRE(batches < 100);
    const auto batch = pool.select_batch(state, kBatchCount, chain::kMaxBlockBytes);
    REQUIRE(batch.size() == std::min(kBatchCount, pool.size()));
    const auto execution =
        state.execute(batch, kFeeRecipient, chain::SignaturePolicy::kAlreadyVerified);
    REQUIRE(execution.ok());
    state.apply(execution.diff);
    pool.remove_committed(batch, state);
    committed += batch.size();
    ++batches;
  }
  CHECK(committed == kAccounts * kPerAccount);
  CHECK(batches == 25);
  CHECK(pool.bytes() == 0);
}
