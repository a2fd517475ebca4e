// The ledger state and the rules that apply transactions and blocks to it.
//
// These are pure functions of their inputs (no storage, no clock): the same block applied
// to the same state gives the same result on every node. A block applies all or nothing.
//
// The state root is the Merkle root (crypto/merkle.h) over the accounts sorted by address,
// each leaf being SHA-256("synod/account/v1" || address || balance || nonce || stake).
// Two nodes agree on the whole ledger exactly when they agree on this one hash.
//
// Supply: transfers move value and fees go to the block's proposer, so the total of all
// balances and stakes changes only through a block reward (proof-of-work's coinbase). The
// genesis caps the initial supply at 2^64 - 1 and a reward that would take it past that is
// rejected, so no balance can ever overflow.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chain/address.h"
#include "chain/block.h"
#include "chain/codec.h"
#include "chain/genesis.h"

namespace synod::chain {

struct Account {
  std::uint64_t balance = 0;
  std::uint64_t nonce = 0;  // the nonce the account's next transaction must carry
  std::uint64_t stake = 0;
  bool operator==(const Account&) const = default;
};

enum class TxError : std::uint8_t {
  kWrongChainId,
  kBadSignature,
  kBadNonce,
  kInsufficientBalance,
  kOverflow,
  kZeroAmount,
};
// A stable reason string ("bad_nonce", ...) for RPC errors, logs and metrics.
const char* to_string(TxError error);

struct TxRejection {
  std::size_t index = 0;  // position in the block; the block's size: its reward
  TxError reason = TxError::kBadSignature;
  std::string detail;
  std::string message() const;
};

// One account's value before and after a block: together they are the block's state
// changes (applied forward) and its undo data (applied backward).
struct AccountChange {
  Address address;
  std::optional<Account> before;  // nullopt: the account did not exist
  Account after;
  bool operator==(const AccountChange&) const = default;
};

struct StateDiff {
  std::vector<AccountChange> changes;  // sorted by address, one per touched account
  bool operator==(const StateDiff&) const = default;
};

void write(Writer& out, const StateDiff& diff);
StateDiff read_state_diff(Reader& in);
Result<StateDiff> decode_state_diff(ByteView bytes);

// Whether signatures have already been checked by the caller (the node verifies each
// transaction once, at admission) or must be checked here.
enum class SignaturePolicy : std::uint8_t { kVerify, kAlreadyVerified };

struct Execution {
  std::optional<TxRejection> rejection;  // set when some transaction is invalid
  StateDiff diff;                        // valid only when there is no rejection
  bool ok() const { return !rejection.has_value(); }
};

class State {
 public:
  explicit State(std::string chain_id) : chain_id_(std::move(chain_id)) {}
  static State from_genesis(const Genesis& genesis);

  const std::string& chain_id() const { return chain_id_; }
  Account account(const Address& address) const;  // a zero account if absent
  bool contains(const Address& address) const { return accounts_.count(address) != 0; }
  std::size_t size() const { return accounts_.size(); }
  const std::map<Address, Account>& accounts() const { return accounts_; }

  // Checks one transaction against an account snapshot (no signature check).
  std::optional<TxError> check(const Transaction& tx, const Account& sender) const;

  // The sum of every balance and stake (at most 2^64 - 1, see above).
  std::uint64_t supply() const { return supply_; }

  // Validates `transactions` in order, as if applied one after another, crediting fees to
  // `fee_recipient`, then mints `reward` to it (a coinbase; PBFT blocks have none). A
  // reward that would overflow the recipient's balance or the total supply is rejected
  // (kOverflow, index = transactions.size()). Leaves this state untouched.
  Execution execute(const std::vector<Transaction>& transactions, const Address& fee_recipient,
                    SignaturePolicy policy = SignaturePolicy::kVerify,
                    std::uint64_t reward = 0) const;

  void apply(const StateDiff& diff);
  void revert(const StateDiff& diff);  // undo of apply(diff)

  // The root the state would have after `diff`, without keeping the change.
  crypto::Hash256 root_after(const StateDiff& diff);
  crypto::Hash256 root() const;

  // Executes a block's transactions (and mints `reward` to its proposer) and checks its
  // tx_root and state_root; applies it only when everything holds. Returns the diff it
  // applied.
  Result<StateDiff> apply_block(const Block& block,
                                SignaturePolicy policy = SignaturePolicy::kVerify,
                                std::uint64_t reward = 0);
  // The same, for a caller that already hashed the block's transactions: `tx_hashes` must
  // be their hashes, in order (the tx_root is checked against them).
  Result<StateDiff> apply_block(const Block& block, const std::vector<crypto::Hash256>& tx_hashes,
                                SignaturePolicy policy = SignaturePolicy::kVerify,
                                std::uint64_t reward = 0);

 private:
  void set(const Address& address, const std::optional<Account>& value);

  std::string chain_id_;
  std::map<Address, Account> accounts_;
  std::map<Address, crypto::Hash256> leaf_hashes_;  // cache: one per account
  mutable std::optional<crypto::Hash256> root_cache_;
  // Kept by set(). Arithmetic modulo 2^64: a diff applied one account at a time may pass
  // through a larger intermediate sum, but the final sum always fits.
  std::uint64_t supply_ = 0;
};

crypto::Hash256 account_leaf_hash(const Address& address, const Account& account);

// Block 0: height 0, prev_hash = genesis hash, state_root = the genesis state's root.
Block make_genesis_block(const Genesis& genesis);

}  // namespace synod::chain
