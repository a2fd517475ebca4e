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
  }
  return "unknown";
}

std::string describe(AdmitError error) {
  switch (error) {
    case AdmitError::kDuplicate:
      return "transaction already in the mempool";
    case AdmitError::kFull:
      return "mempool full: its transaction count or byte limit is reached, retry later";
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
  }
  return "unknown mempool rejection";
}

Mempool::Mempool(MempoolOptions options) : options_(options) {}

bool Mempool::contains(const crypto::Hash256& tx_hash) const {
  return by_hash_.count(tx_hash) != 0;
}

void Mempool::remove(const crypto::Hash256& tx_hash) {
  auto it = by_hash_.find(tx_hash);
  if (it == by_hash_.end())
    return;
  const Location location = it->second;
  erase(location.sender, location.nonce);
}

std::size_t Mempool::size() const {
  return by_hash_.size();
}

std::size_t Mempool::bytes() const {
  return bytes_;
}

// Checks run cheapest and most specific first; "full" comes last so that an invalid
// transaction is told what is wrong with it rather than to retry later.
std::optional<AdmitError> Mempool::check_admission(const Transaction& tx,
                                                   const crypto::Hash256& tx_hash,
                                                   std::size_t tx_bytes,
                                                   const State& committed) const {
  if (contains(tx_hash))
    return AdmitError::kDuplicate;
  if (tx.chain_id != committed.chain_id())
    return AdmitError::kWrongChainId;
  if (tx.amount == 0 && tx.kind != TxKind::kEvidence)  // evidence moves nothing
    return AdmitError::kZeroAmount;
  if (tx.amount > std::numeric_limits<std::uint64_t>::max() - tx.fee)
    return AdmitError::kOverflow;
  if (tx.fee < options_.min_fee)
    return AdmitError::kFeeTooLow;

  const Account sender = committed.account(tx.sender());
  if (tx.nonce < sender.nonce)
    return AdmitError::kStaleNonce;
  if (tx.nonce - sender.nonce >= options_.nonce_window)
    return AdmitError::kNonceTooFar;

  std::uint64_t already_spent = 0;
  auto queue = accounts_.find(tx.sender());
  if (queue != accounts_.end()) {
    // Same sender and nonce with a different hash: no replacement (a duplicate was caught
    // above), so a sender cannot churn the pool by re-signing one nonce.
    if (queue->second.by_nonce.count(tx.nonce) != 0)
      return AdmitError::kNonceTaken;
    already_spent = queue->second.spend_total;
  }
  const std::uint64_t available =
      sender.balance > already_spent ? sender.balance - already_spent : 0;
  if (tx.balance_cost() > available)
    return AdmitError::kInsufficientBalance;

  assert(bytes_ <= options_.max_bytes);
  if (size() >= options_.max_transactions || tx_bytes > options_.max_bytes - bytes_)
    return AdmitError::kFull;
  return std::nullopt;
}

std::optional<AdmitError> Mempool::add(const Transaction& tx, const crypto::Hash256& tx_hash,
                                       const State& committed) {
  const std::size_t tx_bytes = tx.encoded_size();
  if (auto error = check_admission(tx, tx_hash, tx_bytes, committed))
    return error;

  const Address sender = tx.sender();
  const std::uint64_t arrival = next_arrival_++;
  const std::uint64_t spend = tx.balance_cost();
  AccountQueue& queue = accounts_[sender];
  if (!queue.arrivals.empty()) {
    // An older transaction of this account is pending, so the account keeps its place.
    assert(*queue.arrivals.begin() < arrival);
  } else {
    fairness_.emplace(arrival, sender);
  }
  queue.by_nonce.emplace(tx.nonce, PendingTx{tx, tx_hash, tx_bytes, arrival, spend});
  queue.arrivals.insert(arrival);
  queue.spend_total += spend;
  by_hash_.emplace(tx_hash, Location{sender, tx.nonce});
  bytes_ += tx_bytes;
  return std::nullopt;
}

void Mempool::erase(const Address& sender, std::uint64_t nonce) {
  auto account = accounts_.find(sender);
  if (account == accounts_.end())
    return;
  AccountQueue& queue = account->second;
  auto entry = queue.by_nonce.find(nonce);
  if (entry == queue.by_nonce.end())
    return;
  const PendingTx& pending = entry->second;
  const std::uint64_t oldest = *queue.arrivals.begin();

  assert(bytes_ >= pending.bytes && queue.spend_total >= pending.spend);
  bytes_ -= pending.bytes;
  queue.spend_total -= pending.spend;
  by_hash_.erase(pending.hash);
  queue.arrivals.erase(pending.arrival);
  queue.by_nonce.erase(entry);

  if (queue.arrivals.empty() || *queue.arrivals.begin() != oldest) {
    fairness_.erase(FairnessKey{oldest, sender});
    if (!queue.arrivals.empty())
      fairness_.emplace(*queue.arrivals.begin(), sender);
  }
  if (queue.by_nonce.empty()) {
    assert(queue.spend_total == 0);
    accounts_.erase(account);
  }
}

void Mempool::erase_below(const Address& sender, std::uint64_t next_nonce) {
  // Each pass erases one transaction, so this ends within the account's pending count.
  for (;;) {
    auto account = accounts_.find(sender);
    if (account == accounts_.end())
      return;
    const auto& by_nonce = account->second.by_nonce;
    if (by_nonce.empty() || by_nonce.begin()->first >= next_nonce)
      return;
    erase(sender, by_nonce.begin()->first);
  }
}

void Mempool::remove_committed(const std::vector<Transaction>& txs, const State& state_after) {
  for (const Transaction& tx : txs) {
    const Address sender = tx.sender();
    auto account = accounts_.find(sender);
    if (account == accounts_.end())
      continue;
    // Only the identical transaction is removed here; a different one with the same nonce
    // has become stale and goes with erase_below.
    auto entry = account->second.by_nonce.find(tx.nonce);
    if (entry != account->second.by_nonce.end() && entry->second.tx == tx)
      erase(sender, tx.nonce);
    erase_below(sender, state_after.account(sender).nonce);
  }
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
  batch.reserve(std::min(max_count, size()));
  if (hashes != nullptr) {
    hashes->clear();
    hashes->reserve(batch.capacity());
  }
  std::size_t batch_bytes = 0;
  // FIFO across accounts: whoever has waited longest goes first. Each account costs two
  // lookups; each selected transaction costs O(1) beyond its copy.
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
