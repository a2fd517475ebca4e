#include "chain/state.h"

#include <limits>
#include <map>

#include "chain/limits.h"
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
  }
  return "unknown";
}

std::string TxRejection::message() const {
  std::string text = "transaction " + std::to_string(index) + " rejected: " + to_string(reason);
  if (!detail.empty())
    text += " (" + detail + ")";
  return text;
}

void write(Writer& out, const StateDiff& diff) {
  out.count(diff.changes.size());
  for (const auto& change : diff.changes) {
    out.fixed(change.address);
    out.boolean(change.before.has_value());
    if (change.before) {
      out.u64(change.before->balance);
      out.u64(change.before->nonce);
      out.u64(change.before->stake);
    }
    out.u64(change.after.balance);
    out.u64(change.after.nonce);
    out.u64(change.after.stake);
  }
}

StateDiff read_state_diff(Reader& in) {
  StateDiff diff;
  constexpr std::size_t kMinChangeBytes = 20 + 1 + 24;
  std::size_t n = in.count(2 * kMaxBlockTransactions + 1, kMinChangeBytes);
  diff.changes.reserve(n);
  for (std::size_t i = 0; i < n && in.ok(); ++i) {
    AccountChange change;
    change.address = in.fixed<Address>();
    if (in.boolean())
      change.before = Account{in.u64(), in.u64(), in.u64()};
    change.after = Account{in.u64(), in.u64(), in.u64()};
    if (i > 0 && !(diff.changes.back().address < change.address)) {
      in.fail("state diff addresses not strictly increasing");
    }
    diff.changes.push_back(change);
  }
  return diff;
}

Result<StateDiff> decode_state_diff(ByteView bytes) {
  return decode_all<StateDiff>(bytes, "state diff", read_state_diff);
}

crypto::Hash256 account_leaf_hash(const Address& address, const Account& account) {
  Writer out;
  out.reserve(16 + 20 + 24);
  out.raw(as_bytes("synod/account/v1"));
  out.fixed(address);
  out.u64(account.balance);
  out.u64(account.nonce);
  out.u64(account.stake);
  return crypto::sha256(out.data());
}

State State::from_genesis(const Genesis& genesis) {
  State state(genesis.chain_id);
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
  if (tx.chain_id != chain_id_)
    return TxError::kWrongChainId;
  if (tx.nonce != sender.nonce)
    return TxError::kBadNonce;
  if (tx.amount == 0)
    return TxError::kZeroAmount;
  if (tx.amount > std::numeric_limits<std::uint64_t>::max() - tx.fee)
    return TxError::kOverflow;
  if (sender.balance < tx.amount + tx.fee)
    return TxError::kInsufficientBalance;
  return std::nullopt;
}

Execution State::execute(const std::vector<Transaction>& transactions, const Address& fee_recipient,
                         SignaturePolicy policy, std::uint64_t reward) const {
  // Working copies of every touched account; the state itself is never written here.
  // An ordered map: receiver addresses are chosen by senders, so no hashing scheme of ours
  // decides how they spread, and the diff comes out sorted by address for free.
  std::map<Address, Account> touched;
  auto working = [&](const Address& address) -> Account& {
    auto it = touched.find(address);
    if (it == touched.end())
      it = touched.emplace(address, account(address)).first;
    return it->second;
  };
  Execution result;
  auto reject = [&](std::size_t index, TxError reason, std::string detail = {}) {
    result.rejection = TxRejection{index, reason, std::move(detail)};
    return result;
  };

  for (std::size_t i = 0; i < transactions.size(); ++i) {
    const Transaction& tx = transactions[i];
    if (tx.chain_id != chain_id_)
      return reject(i, TxError::kWrongChainId);
    if (policy == SignaturePolicy::kVerify && !tx.signature_valid()) {
      return reject(i, TxError::kBadSignature);
    }
    Account& sender = working(tx.sender());
    if (auto error = check(tx, sender)) {
      std::string detail;
      if (*error == TxError::kBadNonce) {
        detail = "expected " + std::to_string(sender.nonce) + ", got " + std::to_string(tx.nonce);
      }
      return reject(i, *error, detail);
    }
    sender.balance -= tx.amount + tx.fee;
    sender.nonce += 1;
    Account& receiver = working(tx.to);
    if (receiver.balance > std::numeric_limits<std::uint64_t>::max() - tx.amount) {
      return reject(i, TxError::kOverflow, "receiver balance");
    }
    receiver.balance += tx.amount;
    if (tx.fee > 0) {
      Account& collector = working(fee_recipient);
      if (collector.balance > std::numeric_limits<std::uint64_t>::max() - tx.fee) {
        return reject(i, TxError::kOverflow, "fee recipient balance");
      }
      collector.balance += tx.fee;
    }
  }
  if (reward > 0) {
    const std::size_t index = transactions.size();
    if (reward > std::numeric_limits<std::uint64_t>::max() - supply_) {
      return reject(index, TxError::kOverflow, "block reward: total supply would exceed 2^64-1");
    }
    Account& collector = working(fee_recipient);
    if (collector.balance > std::numeric_limits<std::uint64_t>::max() - reward) {
      return reject(index, TxError::kOverflow, "block reward: proposer balance");
    }
    collector.balance += reward;
  }

  result.diff.changes.reserve(touched.size());
  for (const auto& [address, after] : touched) {
    auto it = accounts_.find(address);
    std::optional<Account> before;
    if (it != accounts_.end())
      before = it->second;
    if (before == after)
      continue;
    result.diff.changes.push_back(AccountChange{address, before, after});
  }
  // `touched` iterates in address order, so the changes are already sorted.
  return result;
}

void State::set(const Address& address, const std::optional<Account>& value) {
  root_cache_.reset();
  if (auto it = accounts_.find(address); it != accounts_.end())
    supply_ -= it->second.balance + it->second.stake;
  if (value)
    supply_ += value->balance + value->stake;
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
  Execution execution =
      execute(block.transactions, address_of(block.header.proposer), policy, reward);
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
