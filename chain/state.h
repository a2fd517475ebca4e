// The ledger state and the rules that apply transactions and blocks to it.
//
// These are pure functions of their inputs (no storage, no clock): the same block applied
// to the same state gives the same result on every node. A block applies all or nothing.
//
// The state root is the Merkle root (crypto/merkle.h) over the accounts sorted by address,
// each leaf being SHA-256("synod/account/v1" || address || balance || nonce || stake).
// Two nodes agree on the whole ledger exactly when they agree on this one hash.
//
// Proof-of-stake (a State built from a PoS genesis): stake bonds balance, unstake moves
// stake to `unbonding`, which becomes balance again when a block reaches
// `unbonding_height` (unbonding_delay blocks after the unstake; a later unstake adds to it
// and restarts the delay). Evidence of a double-sign (two seals valid in this genesis'
// signing domain, chain/pos_seal.h) within evidence_window blocks of the offence takes
// slash_percent of the offender's stake and unbonding coins, pays reporter_percent of that
// to the reporter and burns the rest, and marks the offender slashed: it is out of the
// stake lottery for good and the account records the offence height and the block that
// slashed it. An account with any of these fields set hashes into the state root with a
// "synod/account/v2" leaf (all fields); every other account keeps its v1 leaf, so PBFT and
// PoW state roots are unchanged.
//
// Supply: transfers move value and fees go to the block's proposer, so the total of all
// balances and stakes changes only through a block reward (proof-of-work's coinbase). The
// genesis caps the initial supply at 2^64 - 1 and a reward that would take it past that is
// rejected, so no balance can ever overflow.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "chain/address.h"
#include "chain/block.h"
#include "chain/codec.h"
#include "chain/genesis.h"
#include "chain/signing_domain.h"

namespace synod::chain {

struct Account {
  std::uint64_t balance = 0;
  std::uint64_t nonce = 0;  // the nonce the account's next transaction must carry
  std::uint64_t stake = 0;
  std::uint64_t unbonding = 0;         // unstaked coins waiting for unbonding_height
  std::uint64_t unbonding_height = 0;  // the block that releases them to the balance
  std::uint64_t slashed_height = 0;    // the block whose evidence slashed it; 0: never
  std::uint64_t offence_height = 0;    // the height it signed two blocks at (when slashed)
  bool operator==(const Account&) const = default;
  bool has_pos_fields() const {
    return unbonding != 0 || unbonding_height != 0 || slashed_height != 0 || offence_height != 0;
  }
  bool slashed() const { return slashed_height != 0; }
  // The stake that draws PoS tickets: a slashed validator is out of the lottery for good.
  std::uint64_t lottery_stake() const { return slashed() ? 0 : stake; }
};

enum class TxError : std::uint8_t {
  kWrongChainId,
  kBadSignature,
  kBadNonce,
  kInsufficientBalance,
  kOverflow,
  kZeroAmount,
  kWrongMode,              // a proof-of-stake kind on a chain that is not PoS
  kWrongRecipient,         // a stake kind whose `to` is not the sender
  kInsufficientStake,      // unstaking more than is staked
  kSlashed,                // a slashed account staking again
  kNonZeroAmount,          // evidence with an amount
  kMalformedEvidence,      // evidence that does not decode to two PoS headers
  kForgedEvidence,         // a seal signature that is not the proposer's
  kContradictoryEvidence,  // not two different headers of one proposer at one height
  kExpiredEvidence,        // older than evidence_window blocks (or from a future height)
  kDuplicateEvidence,      // the offender is already slashed
  kNotStaker,              // the offender has nothing to slash
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
  // `domain`: the chain's id and genesis hash, which transaction signatures are checked in.
  explicit State(SigningDomain domain) : domain_(std::move(domain)) {}
  static State from_genesis(const Genesis& genesis);

  const std::string& chain_id() const { return domain_.chain_id; }
  const SigningDomain& domain() const { return domain_; }
  Account account(const Address& address) const;  // a zero account if absent
  bool contains(const Address& address) const { return accounts_.count(address) != 0; }
  std::size_t size() const { return accounts_.size(); }
  const std::map<Address, Account>& accounts() const { return accounts_; }

  // Checks one transaction against an account snapshot (no signature check).
  std::optional<TxError> check(const Transaction& tx, const Account& sender) const;

  // The sum of every balance, stake and unbonding amount (at most 2^64 - 1, see above).
  std::uint64_t supply() const { return supply_; }

  // Validates `transactions` in order, as if applied one after another, crediting fees to
  // `fee_recipient`, then mints `reward` to it (a coinbase; PBFT blocks have none). A
  // reward that would overflow the recipient's balance or the total supply is rejected
  // (kOverflow, index = transactions.size()). On a PoS chain `height` is the block's: its
  // matured unbondings are released first, and evidence expires against it. Leaves this
  // state untouched.
  Execution execute(const std::vector<Transaction>& transactions, const Address& fee_recipient,
                    SignaturePolicy policy = SignaturePolicy::kVerify, std::uint64_t reward = 0,
                    std::uint64_t height = 0) const;

  // Takes the genesis' rules (its signing domain and, on a PoS chain, the PoS parameters),
  // for a state read back from a store rather than built by from_genesis.
  void adopt_rules(const Genesis& genesis);
  // The PoS parameters of a state built from a PoS genesis; null otherwise.
  const PosParams* pos_params() const { return pos_ ? &*pos_ : nullptr; }
  // The stake that enters the lottery: zero once slashed.
  std::uint64_t lottery_stake(const Address& address) const;

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
  class Working;  // copies of the accounts an execution touches (state.cpp)

  void set(const Address& address, const std::optional<Account>& value);
  std::optional<TxError> check_stake_kind(const Transaction& tx, const Account& sender) const;
  std::optional<TxRejection> apply_transaction(const Transaction& tx, std::size_t index,
                                               Working& working, const Address& fee_recipient,
                                               std::uint64_t height) const;
  std::optional<TxRejection> apply_evidence(const Transaction& tx, std::size_t index,
                                            Working& working, std::uint64_t height) const;
  void release_unbonded(Working& working, std::uint64_t height) const;

  SigningDomain domain_;
  // A PoS genesis' parameters; none on other chains. (The seals in double-sign evidence are
  // checked in domain_, like the transactions.)
  std::optional<PosParams> pos_;
  std::set<std::pair<std::uint64_t, Address>> unbonding_queue_;  // (release height, account)
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
