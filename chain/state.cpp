#include "chain/state.h"

#include <limits>
#include <map>

#include "chain/limits.h"
#include "chain/state_working.h"
#include "crypto/merkle.h"

namespace synod::chain {

const char* to_string(TxError error) {
  switch (error) {
    case TxError::kWrongChainId:
      return "wrong_chain_id";
    case TxError::kBadSignature:
      return "bad_signature";
    case TxError::kBadNonce:
      return "bad_nonce";
    case TxError::kInsufficientBalance:
      return "insufficient_balance";
    case TxError::kOverflow:
      return "overflow";
    case TxError::kZeroAmount:
      return "zero_amount";
    case TxError::kWrongMode:
      return "wrong_mode";
    case TxError::kWrongRecipient:
      return "wrong_recipient";
    case TxError::kInsufficientStake:
      return "insufficient_stake";
    case TxError::kSlashed:
      return "slashed";
    case TxError::kNonZeroAmount:
      return "nonzero_amount";
    case TxError::kMalformedEvidence:
      return "malformed_evidence";
    case TxError::kForgedEvidence:
      return "forged_evidence";
    case TxError::kContradictoryEvidence:
      return "contradictory_evidence";
    case TxError::kExpiredEvidence:
      return "expired_evidence";
    case TxError::kDuplicateEvidence:
      return "duplicate_evidence";
    case TxError::kNotStaker:
      return "not_a_staker";
  }
  return "unknown";
}

std::string TxRejection::message() const {
  std::string text = "transaction " + std::to_string(index) + " rejected: " + to_string(reason);
  if (!detail.empty())
    text += " (" + detail + ")";
  return text;
}

namespace {

// A diff that touches PoS fields is written with this bit set in its count, and each
// account then carries the four PoS fields too; every other diff keeps its old encoding.
constexpr std::uint32_t kPosDiffFlag = 0x8000'0000;
constexpr std::size_t kMaxDiffChanges = 2 * kMaxBlockTransactions + 1;

bool has_pos_fields(const StateDiff& diff) {
  for (const auto& change : diff.changes) {
    if (change.after.has_pos_fields() || (change.before && change.before->has_pos_fields()))
      return true;
  }
  return false;
}

void write_account(Writer& out, const Account& account, bool pos) {
  out.u64(account.balance);
  out.u64(account.nonce);
  out.u64(account.stake);
  if (!pos)
    return;
  for (std::uint64_t value : {account.unbonding, account.unbonding_height, account.slashed_height,
                              account.offence_height}) {
    out.u64(value);
  }
}

Account read_account(Reader& in, bool pos) {
  Account account{in.u64(), in.u64(), in.u64()};
  if (pos) {
    account.unbonding = in.u64();
    account.unbonding_height = in.u64();
    account.slashed_height = in.u64();
    account.offence_height = in.u64();
  }
  return account;
}

}  // namespace

void write(Writer& out, const StateDiff& diff) {
  const bool pos = has_pos_fields(diff);
  out.u32(static_cast<std::uint32_t>(diff.changes.size()) | (pos ? kPosDiffFlag : 0));
  for (const auto& change : diff.changes) {
    out.fixed(change.address);
    out.boolean(change.before.has_value());
    if (change.before)
      write_account(out, *change.before, pos);
    write_account(out, change.after, pos);
  }
}

StateDiff read_state_diff(Reader& in) {
  StateDiff diff;
  const std::uint32_t raw_count = in.u32();
  const bool pos = (raw_count & kPosDiffFlag) != 0;
  const std::size_t n = raw_count & ~kPosDiffFlag;
  const std::size_t min_change_bytes = 20 + 1 + (pos ? 56 : 24);
  if (!in.ok())
    return diff;
  if (n > kMaxDiffChanges) {
    in.fail("length " + std::to_string(n) + " exceeds limit " + std::to_string(kMaxDiffChanges));
    return diff;
  }
  if (n > in.remaining() / min_change_bytes) {
    in.fail("length " + std::to_string(n) + " exceeds the remaining input");
    return diff;
  }
  diff.changes.reserve(n);
  for (std::size_t i = 0; i < n && in.ok(); ++i) {
    AccountChange change;
    change.address = in.fixed<Address>();
    if (in.boolean())
      change.before = read_account(in, pos);
    change.after = read_account(in, pos);
    if (i > 0 && !(diff.changes.back().address < change.address)) {
      in.fail("state diff addresses not strictly increasing");
    }
    diff.changes.push_back(change);
  }
  if (in.ok() && pos && !has_pos_fields(diff))
    in.fail("state diff: PoS encoding of a diff without PoS fields (non-canonical)");
  return diff;
}

Result<StateDiff> decode_state_diff(ByteView bytes) {
  return decode_all<StateDiff>(bytes, "state diff", read_state_diff);
}

crypto::Hash256 account_leaf_hash(const Address& address, const Account& account) {
  const bool pos = account.has_pos_fields();
  Writer out;
  out.reserve(16 + 20 + 56);
  out.raw(as_bytes(pos ? "synod/account/v2" : "synod/account/v1"));
  out.fixed(address);
  write_account(out, account, pos);
  return crypto::sha256(out.data());
}

void State::adopt_rules(const Genesis& genesis) {
  domain_ = SigningDomain::of(genesis);
  if (genesis.mode == ConsensusMode::kPos)
    pos_ = genesis.pos;
  else
    pos_.reset();
}

State State::from_genesis(const Genesis& genesis) {
  State state(SigningDomain{});
  state.adopt_rules(genesis);
  for (const auto& funded : genesis.accounts) {
    state.set(funded.address, Account{funded.balance, 0, funded.stake});
  }
  return state;
}

Account State::account(const Address& address) const {
  auto it = accounts_.find(address);
  return it == accounts_.end() ? Account{} : it->second;
}

std::optional<TxError> State::check(const Transaction& tx, const Account& sender) const {
  if (tx.chain_id != domain_.chain_id)
    return TxError::kWrongChainId;
  if (tx.nonce != sender.nonce)
    return TxError::kBadNonce;
  if (tx.kind != TxKind::kTransfer)
    return check_stake_kind(tx, sender);
  if (tx.amount == 0)
    return TxError::kZeroAmount;
  if (tx.amount > std::numeric_limits<std::uint64_t>::max() - tx.fee)
    return TxError::kOverflow;
  if (sender.balance < tx.amount + tx.fee)
    return TxError::kInsufficientBalance;
  return std::nullopt;
}

Execution State::execute(const std::vector<Transaction>& transactions, const Address& fee_recipient,
                         SignaturePolicy policy, std::uint64_t reward, std::uint64_t height) const {
  Working working(*this);
  Execution result;
  auto reject = [&](std::size_t index, TxError reason, std::string detail = {}) {
    result.rejection = TxRejection{index, reason, std::move(detail)};
    return result;
  };
  if (pos_ && height > 0)
    release_unbonded(working, height);
  for (std::size_t i = 0; i < transactions.size(); ++i) {
    const Transaction& tx = transactions[i];
    if (tx.chain_id != domain_.chain_id)
      return reject(i, TxError::kWrongChainId);
    if (policy == SignaturePolicy::kVerify && !tx.signature_valid(domain_)) {
      return reject(i, TxError::kBadSignature);
    }
    if (auto rejection = apply_transaction(tx, i, working, fee_recipient, height)) {
      result.rejection = std::move(rejection);
      return result;
    }
  }
  if (reward > 0) {
    const std::size_t index = transactions.size();
    if (reward > std::numeric_limits<std::uint64_t>::max() - supply_) {
      return reject(index, TxError::kOverflow, "block reward: total supply would exceed 2^64-1");
    }
    Account& collector = working.at(fee_recipient);
    if (collector.balance > std::numeric_limits<std::uint64_t>::max() - reward) {
      return reject(index, TxError::kOverflow, "block reward: proposer balance");
    }
    collector.balance += reward;
  }
  result.diff = working.diff();
  return result;
}

// One transaction on the working accounts: the sender's checks, its fee and nonce, then
// what its kind does.
std::optional<TxRejection> State::apply_transaction(const Transaction& tx, std::size_t index,
                                                    Working& working, const Address& fee_recipient,
                                                    std::uint64_t height) const {
  Account& sender = working.at(tx.sender());
  if (auto error = check(tx, sender)) {
    std::string detail;
    if (*error == TxError::kBadNonce) {
      detail = "expected " + std::to_string(sender.nonce) + ", got " + std::to_string(tx.nonce);
    }
    return TxRejection{index, *error, detail};
  }
  sender.balance -= tx.balance_cost();
  sender.nonce += 1;
  switch (tx.kind) {
    case TxKind::kTransfer: {
      Account& receiver = working.at(tx.to);
      if (receiver.balance > std::numeric_limits<std::uint64_t>::max() - tx.amount)
        return TxRejection{index, TxError::kOverflow, "receiver balance"};
      receiver.balance += tx.amount;
      break;
    }
    case TxKind::kStake:
      sender.stake += tx.amount;  // the supply bounds every sum of balances and stakes
      break;
    case TxKind::kUnstake:
      sender.stake -= tx.amount;
      sender.unbonding += tx.amount;
      sender.unbonding_height = height + pos_->unbonding_delay;
      break;
    case TxKind::kEvidence:
      if (auto rejection = apply_evidence(tx, index, working, height))
        return rejection;
      break;
  }
  if (tx.fee > 0) {
    Account& collector = working.at(fee_recipient);
    if (collector.balance > std::numeric_limits<std::uint64_t>::max() - tx.fee)
      return TxRejection{index, TxError::kOverflow, "fee recipient balance"};
    collector.balance += tx.fee;
  }
  return std::nullopt;
}

void State::set(const Address& address, const std::optional<Account>& value) {
  root_cache_.reset();
  if (auto it = accounts_.find(address); it != accounts_.end()) {
    supply_ -= it->second.balance + it->second.stake + it->second.unbonding;
    if (it->second.unbonding != 0)
      unbonding_queue_.erase({it->second.unbonding_height, address});
  }
  if (value) {
    supply_ += value->balance + value->stake + value->unbonding;
    if (value->unbonding != 0)
      unbonding_queue_.insert({value->unbonding_height, address});
  }
  if (value) {
    accounts_[address] = *value;
    leaf_hashes_[address] = account_leaf_hash(address, *value);
  } else {
    accounts_.erase(address);
    leaf_hashes_.erase(address);
  }
}

void State::apply(const StateDiff& diff) {
  for (const auto& change : diff.changes)
    set(change.address, change.after);
}

void State::revert(const StateDiff& diff) {
  for (const auto& change : diff.changes)
    set(change.address, change.before);
}

crypto::Hash256 State::root() const {
  if (!root_cache_) {
    std::vector<crypto::Hash256> leaves;
    leaves.reserve(leaf_hashes_.size());
    for (const auto& [address, leaf] : leaf_hashes_)
      leaves.push_back(leaf);
    root_cache_ = crypto::merkle_root(leaves);
  }
  return *root_cache_;
}

crypto::Hash256 State::root_after(const StateDiff& diff) {
  auto saved_root = root_cache_;
  apply(diff);
  crypto::Hash256 after = root();
  revert(diff);
  root_cache_ = saved_root;
  return after;
}

Result<StateDiff> State::apply_block(const Block& block, SignaturePolicy policy,
                                     std::uint64_t reward) {
  std::vector<crypto::Hash256> tx_hashes;
  tx_hashes.reserve(block.transactions.size());
  for (const auto& tx : block.transactions)
    tx_hashes.push_back(tx.hash());
  return apply_block(block, tx_hashes, policy, reward);
}

Result<StateDiff> State::apply_block(const Block& block,
                                     const std::vector<crypto::Hash256>& tx_hashes,
                                     SignaturePolicy policy, std::uint64_t reward) {
  if (tx_hashes.size() != block.transactions.size() ||
      crypto::merkle_root(tx_hashes) != block.header.tx_root) {
    return make_error("block " + std::to_string(block.header.height) +
                      ": tx_root does not match its transactions");
  }
  Execution execution = execute(block.transactions, address_of(block.header.proposer), policy,
                                reward, block.header.height);
  if (!execution.ok()) {
    return make_error("block " + std::to_string(block.header.height) + ": " +
                      execution.rejection->message());
  }
  if (root_after(execution.diff) != block.header.state_root) {
    return make_error("block " + std::to_string(block.header.height) +
                      ": state_root does not match the state after its transactions");
  }
  apply(execution.diff);
  return std::move(execution.diff);
}

Block make_genesis_block(const Genesis& genesis) {
  Block block;
  block.header.height = 0;
  block.header.prev_hash = genesis.hash();
  block.header.tx_root = transactions_root({});
  block.header.state_root = State::from_genesis(genesis).root();
  block.header.timestamp_ms = genesis.genesis_time_ms;
  switch (genesis.mode) {
    case ConsensusMode::kPbft:
      block.header.seal = PbftSeal{};
      break;
    case ConsensusMode::kPow:
      block.header.seal = PowSeal{};
      break;
    case ConsensusMode::kPos:
      block.header.seal = PosSeal{};
      break;
  }
  return block;
}

}  // namespace synod::chain
