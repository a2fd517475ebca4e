// Ledger state: transfers, every rejection (all or nothing), blocks, diffs and the root.
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <optional>
#include <string>

#include "chain/state.h"
#include "crypto/merkle.h"
#include "tests/support/test_keys.h"

using namespace synod;
using namespace synod::chain;

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
const std::string kChain = "synod-test";

using synod::testing::key_from;

const crypto::KeyPair& alice_key() {
  static const crypto::KeyPair key = key_from(1);
  return key;
}
const crypto::KeyPair& bob_key() {
  static const crypto::KeyPair key = key_from(2);
  return key;
}
const crypto::KeyPair& proposer_key() {
  static const crypto::KeyPair key = key_from(3);
  return key;
}
Address alice() {
  return address_of(alice_key().public_key());
}
Address bob() {
  return address_of(bob_key().public_key());
}
Address carol() {
  return address_of(key_from(4).public_key());
}
Address proposer() {
  return address_of(proposer_key().public_key());
}

Genesis make_genesis(std::uint64_t alice_balance = 1000, std::uint64_t bob_balance = 50) {
  Genesis genesis;
  genesis.chain_id = kChain;
  std::vector<ValidatorInfo> validators;
  for (std::uint8_t i = 0; i < 4; ++i)
    validators.push_back({"v" + std::to_string(i), key_from(0x10 + i).public_key(), "x:1", 1});
  genesis.validators = ValidatorSet(validators);
  genesis.accounts.push_back({alice(), alice_balance, 0});
  genesis.accounts.push_back({bob(), bob_balance, 7});
  return genesis;
}

// A transfer signed in `state`'s domain (its genesis'), or for the chain id `chain` under the
// same genesis hash.
Transaction transfer(const State& state, const crypto::KeyPair& from, const Address& to,
                     std::uint64_t amount, std::uint64_t fee, std::uint64_t nonce,
                     std::optional<std::string> chain = std::nullopt) {
  SigningDomain domain = state.domain();
  if (chain)
    domain.chain_id = *chain;
  return make_transfer(from, domain, to, amount, fee, nonce);
}

// A block that is valid on top of `state`: correct tx_root and state_root.
Block valid_block(const State& state, std::vector<Transaction> transactions,
                  std::uint64_t height = 1) {
  Block block;
  block.header.height = height;
  block.header.proposer = proposer_key().public_key();
  block.header.seal = PbftSeal{0, height};
  block.header.tx_root = transactions_root(transactions);
  Execution execution = state.execute(transactions, proposer());
  REQUIRE(execution.ok());
  State after = state;
  after.apply(execution.diff);
  block.header.state_root = after.root();
  block.transactions = std::move(transactions);
  return block;
}

std::uint64_t total_balance(const State& state) {
  std::uint64_t total = 0;
  for (const auto& [address, account] : state.accounts())
    total += account.balance;
  return total;
}

// Requires that `transactions` are rejected at `index` for `reason`, by execute() and by
// apply_block(), and that neither changes the state.
void check_rejected(State& state, const std::vector<Transaction>& transactions, std::size_t index,
                    TxError reason) {
  const crypto::Hash256 root_before = state.root();
  const std::map<Address, Account> accounts_before = state.accounts();

  Execution execution = state.execute(transactions, proposer());
  REQUIRE_FALSE(execution.ok());
  CHECK(execution.rejection->index == index);
  CHECK(execution.rejection->reason == reason);
  CHECK(state.root() == root_before);
  CHECK(state.accounts() == accounts_before);

  Block block;
  block.header.height = 1;
  block.header.proposer = proposer_key().public_key();
  block.header.tx_root = transactions_root(transactions);
  block.header.state_root = root_before;
  block.transactions = transactions;
  auto applied = state.apply_block(block);
  REQUIRE_FALSE(applied.ok());
  CHECK_THAT(applied.message(), Catch::Contains(to_string(reason)));
  CHECK(state.root() == root_before);
  CHECK(state.accounts() == accounts_before);
}

}  // namespace

TEST_CASE("state from genesis holds the funded accounts", "[chain][state]") {
  const State state = State::from_genesis(make_genesis());
  CHECK(state.chain_id() == kChain);
  CHECK(state.size() == 2);
  CHECK(state.account(alice()) == Account{1000, 0, 0});
  CHECK(state.account(bob()) == Account{50, 0, 7});
  CHECK(state.account(carol()) == Account{});
  CHECK_FALSE(state.contains(carol()));
}

TEST_CASE("state transfers apply and balances, nonces and fees add up", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  const std::uint64_t supply = total_balance(state);
  const std::vector<Transaction> transactions = {
      transfer(state, alice_key(), bob(), 100, 2, 0),
      transfer(state, alice_key(), carol(), 30, 1, 1),
      transfer(state, bob_key(), carol(), 140, 5, 0),  // spends what alice just sent
  };
  Execution execution = state.execute(transactions, proposer());
  REQUIRE(execution.ok());
  state.apply(execution.diff);

  CHECK(state.account(alice()) == Account{1000 - 100 - 2 - 30 - 1, 2, 0});
  CHECK(state.account(bob()) == Account{50 + 100 - 140 - 5, 1, 7});
  CHECK(state.account(carol()) == Account{30 + 140, 0, 0});
  CHECK(state.account(proposer()) == Account{2 + 1 + 5, 0, 0});
  CHECK(total_balance(state) == supply);
}

TEST_CASE("state execute leaves the state untouched and returns a sorted diff", "[chain][state]") {
  const State state = State::from_genesis(make_genesis());
  const crypto::Hash256 root = state.root();
  Execution execution = state.execute({transfer(state, alice_key(), carol(), 10, 1, 0),
                                       transfer(state, alice_key(), bob(), 10, 0, 1)},
                                      proposer());
  REQUIRE(execution.ok());
  CHECK(state.root() == root);
  CHECK(state.account(alice()) == Account{1000, 0, 0});
  // alice, bob, carol and the fee recipient, once each, in address order.
  REQUIRE(execution.diff.changes.size() == 4);
  for (std::size_t i = 1; i < execution.diff.changes.size(); ++i)
    CHECK(execution.diff.changes[i - 1].address < execution.diff.changes[i].address);
  for (const auto& change : execution.diff.changes) {
    if (change.address == carol() || change.address == proposer())
      CHECK_FALSE(change.before.has_value());
    else
      CHECK(change.before == state.account(change.address));
  }
}

TEST_CASE("state self-transfer costs only the fee", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  Execution execution =
      state.execute({transfer(state, alice_key(), alice(), 400, 3, 0)}, proposer());
  REQUIRE(execution.ok());
  state.apply(execution.diff);
  CHECK(state.account(alice()) == Account{997, 1, 0});
}

TEST_CASE("state executes transfers to many receivers sharing an address prefix",
          "[chain][state]") {
  // Receivers are chosen by senders; addresses alike in their first bytes must not degrade
  // execution (they once shared one hash bucket) nor confuse the diff.
  State state = State::from_genesis(make_genesis(1'000'000));
  std::vector<Transaction> transactions;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    Transaction tx;
    tx.chain_id = kChain;
    tx.from = alice_key().public_key();
    tx.to.data.fill(0xab);
    tx.to.data[18] = static_cast<std::uint8_t>(i >> 8);
    tx.to.data[19] = static_cast<std::uint8_t>(i);
    tx.amount = 1 + i % 7;
    tx.nonce = i;
    transactions.push_back(tx);
  }
  Execution execution = state.execute(transactions, proposer(), SignaturePolicy::kAlreadyVerified);
  REQUIRE(execution.ok());
  REQUIRE(execution.diff.changes.size() == 3001);  // the receivers and alice
  for (std::size_t i = 1; i < execution.diff.changes.size(); ++i)
    CHECK(execution.diff.changes[i - 1].address < execution.diff.changes[i].address);
  state.apply(execution.diff);
  CHECK(state.account(alice()).nonce == 3000);
  CHECK(state.account(transactions[10].to).balance == 1 + 10 % 7);
}

TEST_CASE("state rejects a double spend within one block", "[chain][state]") {
  State state = State::from_genesis(make_genesis(100));
  // Two transfers of the same funds with the same nonce to different receivers.
  check_rejected(state,
                 {transfer(state, alice_key(), bob(), 80, 0, 0),
                  transfer(state, alice_key(), carol(), 80, 0, 0)},
                 1, TxError::kBadNonce);
  // The same funds spent twice in sequence.
  check_rejected(state,
                 {transfer(state, alice_key(), bob(), 80, 0, 0),
                  transfer(state, alice_key(), carol(), 80, 0, 1)},
                 1, TxError::kInsufficientBalance);
  // The very same transaction twice.
  const Transaction tx = transfer(state, alice_key(), bob(), 10, 0, 0);
  check_rejected(state, {tx, tx}, 1, TxError::kBadNonce);
}

TEST_CASE("state rejects a double spend across blocks", "[chain][state]") {
  State state = State::from_genesis(make_genesis(100));
  REQUIRE(
      state.apply_block(valid_block(state, {transfer(state, alice_key(), bob(), 80, 0, 0)})).ok());
  check_rejected(state, {transfer(state, alice_key(), carol(), 80, 0, 1)}, 0,
                 TxError::kInsufficientBalance);
  check_rejected(state, {transfer(state, alice_key(), carol(), 80, 0, 0)}, 0, TxError::kBadNonce);
}

TEST_CASE("state rejects a replayed nonce", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  const Transaction tx = transfer(state, alice_key(), bob(), 10, 1, 0);
  REQUIRE(state.apply_block(valid_block(state, {tx})).ok());
  check_rejected(state, {tx}, 0, TxError::kBadNonce);
  // A valid transaction first does not make the replay valid later in the block.
  check_rejected(state, {transfer(state, alice_key(), bob(), 10, 1, 1), tx}, 1, TxError::kBadNonce);
}

TEST_CASE("state rejects a nonce gap", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  check_rejected(state, {transfer(state, alice_key(), bob(), 10, 1, 1)}, 0, TxError::kBadNonce);
  Execution execution = state.execute({transfer(state, alice_key(), bob(), 10, 1, 5)}, proposer());
  REQUIRE_FALSE(execution.ok());
  CHECK(execution.rejection->detail == "expected 0, got 5");
  CHECK(execution.rejection->message() == "transaction 0 rejected: bad_nonce (expected 0, got 5)");
}

TEST_CASE("state rejects a wrong chain id", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  check_rejected(state, {transfer(state, alice_key(), bob(), 10, 1, 0, "synod-other")}, 0,
                 TxError::kWrongChainId);
  check_rejected(state,
                 {transfer(state, alice_key(), bob(), 10, 1, 0),
                  transfer(state, bob_key(), alice(), 1, 0, 0, "")},
                 1, TxError::kWrongChainId);
}

TEST_CASE("state rejects a bad signature", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  Transaction flipped = transfer(state, alice_key(), bob(), 10, 1, 0);
  flipped.signature.data[10] ^= 0x01;
  check_rejected(state, {flipped}, 0, TxError::kBadSignature);
  Transaction altered = transfer(state, alice_key(), bob(), 10, 1, 0);
  altered.amount = 900;  // changed after signing
  check_rejected(state, {altered}, 0, TxError::kBadSignature);
  Transaction forged = transfer(state, bob_key(), carol(), 10, 1, 0);
  forged.from = alice_key().public_key();  // claims to be alice, signed by bob
  check_rejected(state, {forged}, 0, TxError::kBadSignature);
}

TEST_CASE("state rejects a transfer signed for another genesis with its chain id",
          "[chain][state]") {
  // A network made again from the same keys and chain id, with other balances: its genesis
  // hash differs, and a transfer signed there must not replay here.
  State state = State::from_genesis(make_genesis());
  const State twin = State::from_genesis(make_genesis(999));
  REQUIRE(twin.chain_id() == state.chain_id());
  REQUIRE(twin.domain().genesis_hash != state.domain().genesis_hash);
  const Transaction foreign = transfer(twin, alice_key(), bob(), 10, 1, 0);
  CHECK(twin.execute({foreign}, proposer()).ok());
  check_rejected(state, {foreign}, 0, TxError::kBadSignature);
  CHECK(state.execute({transfer(state, alice_key(), bob(), 10, 1, 0)}, proposer()).ok());
}

TEST_CASE("state rejects amount plus fee overflow", "[chain][state]") {
  State state = State::from_genesis(make_genesis(kMax));
  check_rejected(state, {transfer(state, alice_key(), bob(), kMax, 1, 0)}, 0, TxError::kOverflow);
  check_rejected(state, {transfer(state, alice_key(), bob(), 1, kMax, 0)}, 0, TxError::kOverflow);
  check_rejected(state, {transfer(state, alice_key(), bob(), kMax / 2 + 1, kMax / 2 + 1, 0)}, 0,
                 TxError::kOverflow);
}

TEST_CASE("state rejects a receiver balance overflow", "[chain][state]") {
  State state = State::from_genesis(make_genesis(1000, kMax - 5));
  check_rejected(state, {transfer(state, alice_key(), bob(), 6, 0, 0)}, 0, TxError::kOverflow);
  Execution execution = state.execute({transfer(state, alice_key(), bob(), 6, 0, 0)}, proposer());
  CHECK(execution.rejection->detail == "receiver balance");
  // Exactly up to the maximum is fine.
  CHECK(state.execute({transfer(state, alice_key(), bob(), 5, 0, 0)}, proposer()).ok());
}

TEST_CASE("state rejects a fee recipient balance overflow", "[chain][state]") {
  Genesis genesis = make_genesis();
  genesis.accounts.push_back({proposer(), kMax, 0});
  State state = State::from_genesis(genesis);
  check_rejected(state, {transfer(state, alice_key(), bob(), 1, 1, 0)}, 0, TxError::kOverflow);
}

TEST_CASE("state rejects insufficient balance", "[chain][state]") {
  State state = State::from_genesis(make_genesis(100));
  check_rejected(state, {transfer(state, alice_key(), bob(), 101, 0, 0)}, 0,
                 TxError::kInsufficientBalance);
  // The fee counts: amount alone fits, amount + fee does not.
  check_rejected(state, {transfer(state, alice_key(), bob(), 100, 1, 0)}, 0,
                 TxError::kInsufficientBalance);
  // An account that does not exist has nothing to spend.
  check_rejected(state, {transfer(state, key_from(9), bob(), 1, 0, 0)}, 0,
                 TxError::kInsufficientBalance);
  CHECK(state.execute({transfer(state, alice_key(), bob(), 99, 1, 0)}, proposer()).ok());
}

TEST_CASE("state rejects a zero amount", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  check_rejected(state, {transfer(state, alice_key(), bob(), 0, 1, 0)}, 0, TxError::kZeroAmount);
  check_rejected(state, {transfer(state, alice_key(), bob(), 0, 0, 0)}, 0, TxError::kZeroAmount);
}

TEST_CASE("state rejection reasons have stable names", "[chain][state]") {
  CHECK(std::string(to_string(TxError::kWrongChainId)) == "wrong_chain_id");
  CHECK(std::string(to_string(TxError::kBadSignature)) == "bad_signature");
  CHECK(std::string(to_string(TxError::kBadNonce)) == "bad_nonce");
  CHECK(std::string(to_string(TxError::kInsufficientBalance)) == "insufficient_balance");
  CHECK(std::string(to_string(TxError::kOverflow)) == "overflow");
  CHECK(std::string(to_string(TxError::kZeroAmount)) == "zero_amount");
}

TEST_CASE("state apply_block applies a valid block, credits fees to the proposer",
          "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  const Block block = valid_block(state, {transfer(state, alice_key(), bob(), 100, 4, 0),
                                          transfer(state, bob_key(), carol(), 20, 1, 0)});
  auto diff = state.apply_block(block);
  REQUIRE(diff.ok());
  CHECK(state.root() == block.header.state_root);
  CHECK(state.account(proposer()).balance == 5);
  CHECK(state.account(carol()).balance == 20);
  CHECK(diff->changes.size() == 4);
}

TEST_CASE("state apply_block of an empty block keeps the root", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  const crypto::Hash256 root = state.root();
  auto diff = state.apply_block(valid_block(state, {}));
  REQUIRE(diff.ok());
  CHECK(diff->changes.empty());
  CHECK(state.root() == root);
}

TEST_CASE("state apply_block rejects a wrong tx_root without changing state", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  Block block = valid_block(state, {transfer(state, alice_key(), bob(), 100, 4, 0)});
  block.header.tx_root.data[0] ^= 1;
  const crypto::Hash256 root = state.root();
  const auto accounts = state.accounts();
  auto result = state.apply_block(block);
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.message(), Catch::Contains("tx_root"));
  CHECK(state.root() == root);
  CHECK(state.accounts() == accounts);
  // A transaction swapped in under the original root is caught the same way.
  Block swapped = valid_block(state, {transfer(state, alice_key(), bob(), 100, 4, 0)});
  swapped.transactions[0] = transfer(state, alice_key(), carol(), 100, 4, 0);
  CHECK_THAT(state.apply_block(swapped).message(), Catch::Contains("tx_root"));
  CHECK(state.root() == root);
}

TEST_CASE("state apply_block with precomputed hashes checks the tx_root against them",
          "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  const Block block = valid_block(state, {transfer(state, alice_key(), bob(), 100, 4, 0),
                                          transfer(state, bob_key(), carol(), 20, 1, 0)});
  std::vector<crypto::Hash256> hashes;
  for (const auto& tx : block.transactions)
    hashes.push_back(tx.hash());
  const crypto::Hash256 root = state.root();

  auto reversed = std::vector<crypto::Hash256>(hashes.rbegin(), hashes.rend());
  CHECK_THAT(state.apply_block(block, reversed).message(), Catch::Contains("tx_root"));
  auto short_list = std::vector<crypto::Hash256>(hashes.begin(), hashes.begin() + 1);
  CHECK_THAT(state.apply_block(block, short_list).message(), Catch::Contains("tx_root"));
  CHECK(state.root() == root);

  State copy = state;
  auto with_hashes = state.apply_block(block, hashes);
  REQUIRE(with_hashes.ok());
  auto hashing_itself = copy.apply_block(block);
  REQUIRE(hashing_itself.ok());
  CHECK(state.root() == copy.root());
  CHECK(state.root() == block.header.state_root);
}

TEST_CASE("state apply_block rejects a wrong state_root without changing state", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  Block block = valid_block(state, {transfer(state, alice_key(), bob(), 100, 4, 0)});
  block.header.state_root.data[5] ^= 1;
  const crypto::Hash256 root = state.root();
  const auto accounts = state.accounts();
  auto result = state.apply_block(block);
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.message(), Catch::Contains("state_root"));
  CHECK(state.root() == root);
  CHECK(state.accounts() == accounts);
  // The same block with a different proposer credits fees elsewhere: wrong state_root.
  Block other = valid_block(state, {transfer(state, alice_key(), bob(), 100, 4, 0)});
  other.header.proposer = key_from(8).public_key();
  CHECK_THAT(state.apply_block(other).message(), Catch::Contains("state_root"));
  CHECK(state.root() == root);
}

TEST_CASE("state execute with kAlreadyVerified skips signature checks", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  Transaction tx = transfer(state, alice_key(), bob(), 10, 1, 0);
  tx.signature = crypto::Signature{};
  CHECK(state.execute({tx}, proposer(), SignaturePolicy::kVerify).rejection->reason ==
        TxError::kBadSignature);
  Execution execution = state.execute({tx}, proposer(), SignaturePolicy::kAlreadyVerified);
  CHECK(execution.ok());
  // The other rules still hold.
  Transaction gap = tx;
  gap.nonce = 3;
  CHECK(state.execute({gap}, proposer(), SignaturePolicy::kAlreadyVerified).rejection->reason ==
        TxError::kBadNonce);

  Block block;
  block.header.proposer = proposer_key().public_key();
  block.transactions = {tx};
  block.header.tx_root = transactions_root(block.transactions);
  State after = state;
  after.apply(execution.diff);
  block.header.state_root = after.root();
  CHECK_FALSE(state.apply_block(block).ok());
  CHECK(state.apply_block(block, SignaturePolicy::kAlreadyVerified).ok());
  CHECK(state.root() == after.root());
}

TEST_CASE("state revert(apply(diff)) restores the root and accounts", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  const crypto::Hash256 root = state.root();
  const auto accounts = state.accounts();
  Execution execution = state.execute({transfer(state, alice_key(), carol(), 100, 4, 0),
                                       transfer(state, bob_key(), alice(), 20, 1, 0)},
                                      proposer());
  REQUIRE(execution.ok());
  state.apply(execution.diff);
  CHECK(state.root() != root);
  CHECK(state.contains(carol()));
  state.revert(execution.diff);
  CHECK(state.root() == root);
  CHECK(state.accounts() == accounts);
  CHECK_FALSE(state.contains(carol()));  // created by the diff, removed by its undo
}

TEST_CASE("state revert undoes several blocks in reverse order", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  std::vector<crypto::Hash256> roots{state.root()};
  std::vector<StateDiff> diffs;
  for (std::uint64_t nonce = 0; nonce < 4; ++nonce) {
    auto diff = state.apply_block(valid_block(
        state, {transfer(state, alice_key(), carol(), 10 + nonce, 1, nonce)}, nonce + 1));
    REQUIRE(diff.ok());
    diffs.push_back(*diff);
    roots.push_back(state.root());
  }
  while (!diffs.empty()) {
    CHECK(state.root() == roots.back());
    state.revert(diffs.back());
    diffs.pop_back();
    roots.pop_back();
  }
  CHECK(state.root() == roots.front());
}

TEST_CASE("state root_after predicts the root without keeping the change", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  const crypto::Hash256 root = state.root();
  Execution execution = state.execute({transfer(state, alice_key(), carol(), 5, 0, 0)}, proposer());
  REQUIRE(execution.ok());
  const crypto::Hash256 predicted = state.root_after(execution.diff);
  CHECK(state.root() == root);
  CHECK_FALSE(state.contains(carol()));
  state.apply(execution.diff);
  CHECK(state.root() == predicted);
}

TEST_CASE("state root is independent of insertion order", "[chain][state]") {
  Genesis forward = make_genesis();
  forward.accounts.push_back({carol(), 9, 1});
  forward.accounts.push_back({proposer(), 3, 0});
  Genesis backward = forward;
  std::reverse(backward.accounts.begin(), backward.accounts.end());
  CHECK(State::from_genesis(forward).root() == State::from_genesis(backward).root());

  // Applying the same changes in a different order gives the same root too.
  StateDiff diff;
  for (const auto& account : forward.accounts)
    diff.changes.push_back({account.address, std::nullopt, {account.balance, 1, 2}});
  StateDiff reversed = diff;
  std::reverse(reversed.changes.begin(), reversed.changes.end());
  State a(SigningDomain{kChain, {}});
  State b(SigningDomain{kChain, {}});
  a.apply(diff);
  b.apply(reversed);
  CHECK(a.root() == b.root());
  CHECK(a.accounts() == b.accounts());
}

TEST_CASE("state root is the Merkle root of account leaves in address order", "[chain][state]") {
  const State state = State::from_genesis(make_genesis());
  std::vector<crypto::Hash256> leaves;
  for (const auto& [address, account] : state.accounts())
    leaves.push_back(account_leaf_hash(address, account));
  CHECK(state.root() == crypto::merkle_root(leaves));
  CHECK(State(SigningDomain{kChain, {}}).root() == crypto::Hash256{});
  // Each account field is in its leaf.
  const Account base{1, 2, 3};
  const crypto::Hash256 leaf = account_leaf_hash(alice(), base);
  CHECK(account_leaf_hash(bob(), base) != leaf);
  CHECK(account_leaf_hash(alice(), Account{2, 2, 3}) != leaf);
  CHECK(account_leaf_hash(alice(), Account{1, 3, 3}) != leaf);
  CHECK(account_leaf_hash(alice(), Account{1, 2, 4}) != leaf);
}

TEST_CASE("make_genesis_block links to genesis.hash()", "[chain][state]") {
  Genesis genesis = make_genesis();
  genesis.genesis_time_ms = 1234;
  const Block block = make_genesis_block(genesis);
  CHECK(block.header.height == 0);
  CHECK(block.header.prev_hash == genesis.hash());
  CHECK(block.header.state_root == State::from_genesis(genesis).root());
  CHECK(block.header.tx_root == transactions_root({}));
  CHECK(block.header.timestamp_ms == 1234);
  CHECK(block.transactions.empty());
  CHECK_FALSE(block.certificate.has_value());
  CHECK(std::holds_alternative<PbftSeal>(block.header.seal));
  // A different genesis gives a different block 0.
  Genesis other = genesis;
  other.chain_id = "synod-other";
  CHECK(make_genesis_block(other).hash() != block.hash());
  other = genesis;
  other.mode = ConsensusMode::kPow;
  CHECK(std::holds_alternative<PowSeal>(make_genesis_block(other).header.seal));
  other.mode = ConsensusMode::kPos;
  CHECK(std::holds_alternative<PosSeal>(make_genesis_block(other).header.seal));
}

// ---- block reward (proof-of-work coinbase) ------------------------------------------------

namespace {

// A block valid on top of `state` when `reward` is minted to its proposer.
Block rewarded_block(const State& state, std::vector<Transaction> transactions,
                     std::uint64_t reward) {
  Block block = valid_block(state, {});
  block.header.seal = PowSeal{};
  block.header.tx_root = transactions_root(transactions);
  Execution execution = state.execute(transactions, proposer(), SignaturePolicy::kVerify, reward);
  REQUIRE(execution.ok());
  State after = state;
  after.apply(execution.diff);
  block.header.state_root = after.root();
  block.transactions = std::move(transactions);
  return block;
}

}  // namespace

TEST_CASE("state supply is the sum of balances and stakes and follows diffs", "[chain][state]") {
  State state = State::from_genesis(make_genesis(1000, 50));
  CHECK(state.supply() == 1000 + 50 + 7);
  Execution execution = state.execute({transfer(state, alice_key(), bob(), 100, 3, 0)}, proposer());
  REQUIRE(execution.ok());
  state.apply(execution.diff);
  CHECK(state.supply() == 1057);  // a transfer and its fee move value, never create it
  state.revert(execution.diff);
  CHECK(state.supply() == 1057);
}

TEST_CASE("state block reward is minted to the proposer on top of the fees", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  const std::uint64_t supply_before = state.supply();
  const Block block = rewarded_block(state, {transfer(state, alice_key(), bob(), 100, 4, 0)}, 50);
  auto diff = state.apply_block(block, SignaturePolicy::kVerify, 50);
  REQUIRE(diff.ok());
  CHECK(state.account(proposer()).balance == 54);
  CHECK(state.supply() == supply_before + 50);
  CHECK(state.root() == block.header.state_root);
  // The undo data takes the reward back out as well.
  state.revert(*diff);
  CHECK(state.supply() == supply_before);
  CHECK_FALSE(state.contains(proposer()));
}

TEST_CASE("state an empty block with a reward creates the proposer's account", "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  Execution execution = state.execute({}, proposer(), SignaturePolicy::kVerify, 7);
  REQUIRE(execution.ok());
  REQUIRE(execution.diff.changes.size() == 1);
  CHECK(execution.diff.changes[0].address == proposer());
  CHECK_FALSE(execution.diff.changes[0].before.has_value());
  CHECK(execution.diff.changes[0].after == Account{7, 0, 0});
}

TEST_CASE("state a block whose root omits the reward is rejected with the reward, and vice versa",
          "[chain][state]") {
  State state = State::from_genesis(make_genesis());
  const crypto::Hash256 root = state.root();
  const Block without = valid_block(state, {transfer(state, alice_key(), bob(), 10, 1, 0)});
  CHECK_FALSE(state.apply_block(without, SignaturePolicy::kVerify, 50).ok());
  const Block with = rewarded_block(state, {transfer(state, alice_key(), bob(), 10, 1, 0)}, 50);
  CHECK_FALSE(state.apply_block(with).ok());  // default: no reward
  CHECK(state.root() == root);
  CHECK(state.apply_block(with, SignaturePolicy::kVerify, 50).ok());
}

TEST_CASE("state a reward that takes the total supply past 2^64-1 is rejected", "[chain][state]") {
  // alice 1000 + bob 50 + bob's stake 7: the supply may grow by kMax - 1057 and no more.
  State state = State::from_genesis(make_genesis());
  const std::uint64_t room = kMax - state.supply();
  CHECK(state.execute({}, proposer(), SignaturePolicy::kVerify, room).ok());
  Execution execution = state.execute({transfer(state, alice_key(), bob(), 1, 1, 0)}, proposer(),
                                      SignaturePolicy::kVerify, room + 1);
  REQUIRE_FALSE(execution.ok());
  CHECK(execution.rejection->index == 1);  // after the block's one transaction
  CHECK(execution.rejection->reason == TxError::kOverflow);
  CHECK_THAT(execution.rejection->detail, Catch::Contains("total supply"));

  Block block = rewarded_block(state, {}, 1);
  const crypto::Hash256 root = state.root();
  auto applied = state.apply_block(block, SignaturePolicy::kVerify, room + 1);
  REQUIRE_FALSE(applied.ok());
  CHECK_THAT(applied.message(), Catch::Contains("overflow"));
  CHECK(state.root() == root);
}

TEST_CASE("state a supply at the maximum accepts no reward but still accepts transfers",
          "[chain][state]") {
  Genesis genesis = make_genesis(kMax - 57, 50);  // + bob's stake 7 = kMax
  State state = State::from_genesis(genesis);
  REQUIRE(state.supply() == kMax);
  CHECK_FALSE(state.execute({}, proposer(), SignaturePolicy::kVerify, 1).ok());
  CHECK(state.execute({transfer(state, alice_key(), bob(), 1, 1, 0)}, proposer()).ok());
  // A reward of zero never fails.
  CHECK(state.execute({}, proposer(), SignaturePolicy::kVerify, 0).ok());
}
