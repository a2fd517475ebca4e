#include "chain/mempool.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace synod::chain {

const char* to_string(AdmitError error) {
  switch (error) {
    case AdmitError::kDuplicate:
      return "duplicate";
    case AdmitError::kFull:
      return "mempool_full";
    case AdmitError::kWrongChainId:
      return "wrong_chain_id";
    case AdmitError::kStaleNonce:
      return "stale_nonce";
    case AdmitError::kNonceTooFar:
      return "nonce_too_far";
    case AdmitError::kNonceTaken:
      return "nonce_taken";
    case AdmitError::kInsufficientBalance:
      return "insufficient_balance";
    case AdmitError::kFeeTooLow:
      return "fee_too_low";
    case AdmitError::kZeroAmount:
      return "zero_amount";
    case AdmitError::kOverflow:
      return "overflow";
    case AdmitError::kSenderLimit:
      return "sender_limit";
    case AdmitError::kParkedFull:
      return "parked_full";
  }
  return "unknown";
}

std::string describe(AdmitError error) {
  switch (error) {
    case AdmitError::kDuplicate:
      return "transaction already in the mempool";
    case AdmitError::kFull:
      return "mempool full: its count or byte limit is reached and the fee does not beat the "
             "lowest pending fee; retry later or raise the fee";
    case AdmitError::kWrongChainId:
      return "transaction is for a different chain id";
    case AdmitError::kStaleNonce:
      return "nonce already used: the account has executed a transaction with this nonce";
    case AdmitError::kNonceTooFar:
      return "nonce too far ahead of the account's next nonce";
    case AdmitError::kNonceTaken:
      return "another pending transaction from this account has the same nonce";
    case AdmitError::kInsufficientBalance:
      return "balance does not cover amount plus fee on top of the account's pending "
             "transactions";
    case AdmitError::kFeeTooLow:
      return "fee below the node's minimum fee";
    case AdmitError::kZeroAmount:
      return "transfer amount must be greater than zero";
    case AdmitError::kOverflow:
      return "amount plus fee overflows a 64-bit value";
    case AdmitError::kSenderLimit:
      return "the sender has as many pending transactions as a node keeps per account; wait "
             "for some to commit";
    case AdmitError::kParkedFull:
      return "nonce gap: the pool for transactions waiting on an earlier nonce is full and the "
             "fee does not beat its lowest fee; send the missing nonces first";
  }
  return "unknown mempool rejection";
}

Mempool::Mempool(MempoolOptions options) : options_(options) {
  ready_.max_count = options_.max_transactions;
  ready_.max_bytes = options_.max_bytes;
  parked_.max_count = options_.max_parked_transactions;
  parked_.max_bytes = options_.max_parked_bytes;
}

bool Mempool::contains(const crypto::Hash256& tx_hash) const {
  return by_hash_.count(tx_hash) != 0;
}

bool Mempool::is_parked(const crypto::Hash256& tx_hash) const {
  auto it = by_hash_.find(tx_hash);
  if (it == by_hash_.end())
    return false;
  const AccountQueue& queue = accounts_.at(it->second.sender);
  return queue.by_nonce.at(it->second.nonce).parked;
}

std::size_t Mempool::size() const {
  return by_hash_.size();
}

std::size_t Mempool::bytes() const {
  return ready_.bytes + parked_.bytes;
}

void Mempool::remove(const crypto::Hash256& tx_hash) {
  auto it = by_hash_.find(tx_hash);
  if (it == by_hash_.end())
    return;
  const Location location = it->second;
  erase(location.sender, location.nonce);
  auto account = accounts_.find(location.sender);
  if (account == accounts_.end())
    return;
  // The sender's later transactions now wait behind a gap.
  AccountQueue& queue = account->second;
  for (auto later = queue.by_nonce.upper_bound(location.nonce); later != queue.by_nonce.end();
       ++later) {
    set_parked(location.sender, queue, later->second, true);
  }
}

// Checks run cheapest and most specific first; "full" comes last so that an invalid
// transaction is told what is wrong with it rather than to retry later.
std::optional<AdmitError> Mempool::check_transaction(const Transaction& tx,
                                                     const crypto::Hash256& tx_hash,
                                                     const Account& sender) const {
  if (contains(tx_hash))
    return AdmitError::kDuplicate;
  if (tx.amount == 0 && tx.kind != TxKind::kEvidence)  // evidence moves nothing
    return AdmitError::kZeroAmount;
  if (tx.amount > std::numeric_limits<std::uint64_t>::max() - tx.fee)
    return AdmitError::kOverflow;
  if (tx.fee < options_.min_fee)
    return AdmitError::kFeeTooLow;
  if (tx.nonce < sender.nonce)
    return AdmitError::kStaleNonce;
  if (tx.nonce - sender.nonce >= options_.nonce_window)
    return AdmitError::kNonceTooFar;
  return std::nullopt;
}

const Mempool::PendingTx* Mempool::displaced_by(const Transaction& tx,
                                                const AccountQueue& queue) const {
  if (queue.by_nonce.size() < options_.max_per_sender || queue.by_nonce.empty())
    return nullptr;
  const auto& [highest_nonce, highest] = *queue.by_nonce.rbegin();
  const bool next_ready = tx.nonce == queue.next_nonce + queue.ready_count;
  return next_ready && highest.parked && highest_nonce > tx.nonce ? &highest : nullptr;
}

std::optional<AdmitError> Mempool::check_account(const Transaction& tx,
                                                 const Account& sender) const {
  std::uint64_t already_spent = 0;
  auto queue = accounts_.find(tx.sender());
  if (queue != accounts_.end()) {
    // Same sender and nonce with a different hash: no replacement (a duplicate was caught
    // earlier), so a sender cannot churn the pool by re-signing one nonce.
    if (queue->second.by_nonce.count(tx.nonce) != 0)
      return AdmitError::kNonceTaken;
    const PendingTx* displaced = displaced_by(tx, queue->second);
    if (queue->second.by_nonce.size() >= options_.max_per_sender && displaced == nullptr)
      return AdmitError::kSenderLimit;
    already_spent = queue->second.spend_total - (displaced ? displaced->spend : 0);
  } else if (options_.max_per_sender == 0) {
    return AdmitError::kSenderLimit;
  }
  const std::uint64_t available =
      sender.balance > already_spent ? sender.balance - already_spent : 0;
  if (tx.balance_cost() > available)
    return AdmitError::kInsufficientBalance;
  return std::nullopt;
}

std::optional<AdmitError> Mempool::add(const Transaction& tx, const crypto::Hash256& tx_hash,
                                       const State& committed) {
  if (tx.chain_id != committed.chain_id())
    return AdmitError::kWrongChainId;
  const Address sender = tx.sender();
  const Account account = committed.account(sender);
  if (auto error = check_transaction(tx, tx_hash, account))
    return error;
  // A block this mempool was not told about (or a reorg) moved the sender's nonce.
  if (auto queue = accounts_.find(sender);
      queue != accounts_.end() && queue->second.next_nonce != account.nonce) {
    resync(sender, account.nonce);
  }
  if (auto error = check_account(tx, account))
    return error;
  auto queue = accounts_.find(sender);
  std::optional<crypto::Hash256> displaced;
  if (queue != accounts_.end()) {
    if (const PendingTx* highest = displaced_by(tx, queue->second))
      displaced = highest->hash;
  }
  const std::uint64_t ready_end = queue == accounts_.end()
                                      ? account.nonce
                                      : queue->second.next_nonce + queue->second.ready_count;
  const bool parked = tx.nonce != ready_end;
  const std::size_t tx_bytes = tx.encoded_size();
  if (auto error = make_room(tx, tx_bytes, parked))
    return error;  // refused: the displaced transaction stays
  make_way_for(sender, displaced);
  insert(tx, tx_hash, tx_bytes, parked, account.nonce);
  if (!parked)
    promote_after(sender, tx.nonce);
  return std::nullopt;
}

void Mempool::make_way_for(const Address& sender, const std::optional<crypto::Hash256>& displaced) {
  if (!displaced || !contains(*displaced))
    return;
  // make_room may have evicted some of the sender's own, leaving it below its cap.
  const auto queue = accounts_.find(sender);
  if (queue == accounts_.end() || queue->second.by_nonce.size() < options_.max_per_sender)
    return;
  remove(*displaced);
  ++counters_.evicted;
}

void Mempool::insert(const Transaction& tx, const crypto::Hash256& tx_hash, std::size_t tx_bytes,
                     bool parked, std::uint64_t next_nonce) {
  const Address sender = tx.sender();
  auto [account, created] = accounts_.try_emplace(sender);
  AccountQueue& queue = account->second;
  if (created)
    queue.next_nonce = next_nonce;
  PendingTx pending{tx, tx_hash, tx_bytes, next_arrival_++, tx.balance_cost(), parked, now_ms_};
  auto [entry, inserted] = queue.by_nonce.emplace(tx.nonce, std::move(pending));
  assert(inserted);
  link(sender, queue, entry->second);
  queue.spend_total += entry->second.spend;
  by_hash_.emplace(tx_hash, Location{sender, tx.nonce});
  if (parked)
    ++counters_.parked;
}

void Mempool::remove_committed(const std::vector<Transaction>& txs, const State& state_after) {
  std::set<Address> senders;
  for (const Transaction& tx : txs) {
    const Address sender = tx.sender();
    senders.insert(sender);
    auto account = accounts_.find(sender);
    if (account == accounts_.end())
      continue;
    // Only the identical transaction is removed here; a different one with the same nonce
    // has become stale and goes with the resync.
    auto entry = account->second.by_nonce.find(tx.nonce);
    if (entry != account->second.by_nonce.end() && entry->second.tx == tx)
      erase(sender, tx.nonce);
  }
  for (const Address& sender : senders)
    resync(sender, state_after.account(sender).nonce);
}

void Mempool::select_from(const State& state, const Address& sender, const AccountQueue& queue,
                          std::size_t max_count, std::size_t max_bytes, std::size_t& batch_bytes,
                          std::vector<Transaction>& batch,
                          std::vector<crypto::Hash256>* hashes) const {
  // The sender as the batch changes it. Credits it receives earlier in the same batch are
  // ignored: that only makes the selection more conservative.
  Account working = state.account(sender);
  for (auto it = queue.by_nonce.lower_bound(working.nonce); it != queue.by_nonce.end(); ++it) {
    const PendingTx& pending = it->second;
    if (batch.size() >= max_count || pending.bytes > max_bytes - batch_bytes)
      return;
    // Stops at a nonce gap, an unaffordable transaction or anything else State::execute
    // would reject for this sender.
    if (state.check(pending.tx, working))
      return;
    working.balance -= pending.spend;
    working.nonce += 1;
    batch_bytes += pending.bytes;
    batch.push_back(pending.tx);
    if (hashes != nullptr)
      hashes->push_back(pending.hash);
  }
}

std::vector<Transaction> Mempool::select_batch(const State& state, std::size_t max_count,
                                               std::size_t max_bytes,
                                               std::vector<crypto::Hash256>* hashes) const {
  std::vector<Transaction> batch;
  batch.reserve(std::min(max_count, ready_size()));
  if (hashes != nullptr) {
    hashes->clear();
    hashes->reserve(batch.capacity());
  }
  std::size_t batch_bytes = 0;
  // FIFO across accounts: whoever has waited longest goes first. Each account costs two
  // lookups; each selected transaction costs O(1) beyond its copy. Accounts with parked
  // transactions only are not visited: they cannot run.
  for (const auto& [oldest_arrival, sender] : fairness_) {
    if (batch.size() >= max_count || max_bytes - batch_bytes < kMinTransactionBytes)
      break;
    auto account = accounts_.find(sender);
    assert(account != accounts_.end());
    select_from(state, sender, account->second, max_count, max_bytes, batch_bytes, batch, hashes);
  }
  return batch;
}

}  // namespace synod::chain
