// The mempool's two pools: moving transactions between ready and parked, expiry, eviction
// by fee, and keeping every index and counter in step.
#include <algorithm>
#include <cassert>
#include <tuple>

#include "chain/mempool.h"

namespace synod::chain {
namespace {

// Eviction looks at this many of the lowest fees at most, so one admission stays cheap.
constexpr std::size_t kMaxEvictionScan = 1024;

}  // namespace

bool Mempool::Pool::fits(std::size_t extra_count, std::size_t extra_bytes) const {
  return count + extra_count <= max_count && bytes <= max_bytes && extra_bytes <= max_bytes - bytes;
}

Mempool::FeeKey Mempool::fee_key(const Address& sender, const PendingTx& pending) {
  return {pending.tx.fee, ~pending.arrival, sender, pending.tx.nonce};
}

void Mempool::link(const Address& sender, AccountQueue& queue, const PendingTx& pending) {
  Pool& pool = pool_of(pending.parked);
  pool.count += 1;
  pool.bytes += pending.bytes;
  pool.by_fee.insert(fee_key(sender, pending));
  if (pending.parked) {
    expiry_.emplace(pending.parked_at_ms, sender, pending.tx.nonce);
    return;
  }
  if (queue.ready_arrivals.empty() || pending.arrival < *queue.ready_arrivals.begin()) {
    if (!queue.ready_arrivals.empty())
      fairness_.erase(FairnessKey{*queue.ready_arrivals.begin(), sender});
    fairness_.emplace(pending.arrival, sender);
  }
  queue.ready_arrivals.insert(pending.arrival);
  queue.ready_count += 1;
}

void Mempool::unlink(const Address& sender, AccountQueue& queue, const PendingTx& pending) {
  Pool& pool = pool_of(pending.parked);
  assert(pool.count >= 1 && pool.bytes >= pending.bytes);
  pool.count -= 1;
  pool.bytes -= pending.bytes;
  pool.by_fee.erase(fee_key(sender, pending));
  if (pending.parked) {
    expiry_.erase(ExpiryKey{pending.parked_at_ms, sender, pending.tx.nonce});
    return;
  }
  assert(queue.ready_count >= 1);
  const std::uint64_t oldest = *queue.ready_arrivals.begin();
  queue.ready_arrivals.erase(pending.arrival);
  queue.ready_count -= 1;
  if (oldest == pending.arrival) {
    fairness_.erase(FairnessKey{oldest, sender});
    if (!queue.ready_arrivals.empty())
      fairness_.emplace(*queue.ready_arrivals.begin(), sender);
  }
}

void Mempool::set_parked(const Address& sender, AccountQueue& queue, PendingTx& pending,
                         bool parked) {
  if (pending.parked == parked)
    return;
  unlink(sender, queue, pending);
  pending.parked = parked;
  if (parked) {
    pending.parked_at_ms = now_ms_;
    ++counters_.parked;
  }
  link(sender, queue, pending);
}

void Mempool::resync(const Address& sender, std::uint64_t next_nonce) {
  erase_below(sender, next_nonce);
  auto account = accounts_.find(sender);
  if (account == accounts_.end())
    return;
  AccountQueue& queue = account->second;
  queue.next_nonce = next_nonce;
  const auto& [first_nonce, first] = *queue.by_nonce.begin();
  if (first_nonce == next_nonce && !first.parked) {
    // The usual case after a block: the ready run still starts the queue, unbroken (ready
    // transactions are consecutive), so only what follows it can change.
    promote_after(sender, next_nonce + queue.ready_count - 1);
    return;
  }
  std::uint64_t expected = next_nonce;
  bool in_run = true;
  // At most max_per_sender entries; the ready ones come first, the parked ones after.
  for (auto& [nonce, pending] : queue.by_nonce) {
    in_run = in_run && nonce == expected && (!pending.parked || ready_.fits(1, pending.bytes));
    if (in_run) {
      if (pending.parked)
        ++counters_.promoted;
      set_parked(sender, queue, pending, false);
      ++expected;
    } else if (pending.parked) {
      break;  // parked ones are a suffix: the rest are parked already
    } else {
      set_parked(sender, queue, pending, true);
    }
  }
}

void Mempool::promote_after(const Address& sender, std::uint64_t nonce) {
  AccountQueue& queue = accounts_.at(sender);
  std::uint64_t expected = nonce + 1;
  for (auto it = queue.by_nonce.upper_bound(nonce); it != queue.by_nonce.end(); ++it) {
    PendingTx& pending = it->second;
    if (it->first != expected || !pending.parked || !ready_.fits(1, pending.bytes))
      return;
    set_parked(sender, queue, pending, false);
    ++counters_.promoted;
    ++expected;
  }
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
  assert(queue.spend_total >= pending.spend);
  unlink(sender, queue, pending);
  queue.spend_total -= pending.spend;
  by_hash_.erase(pending.hash);
  queue.by_nonce.erase(entry);
  if (queue.by_nonce.empty()) {
    assert(queue.spend_total == 0 && queue.ready_count == 0);
    accounts_.erase(account);
  }
}

void Mempool::erase_below(const Address& sender, std::uint64_t nonce) {
  // Each pass erases one transaction, so this ends within the account's pending count.
  for (;;) {
    auto account = accounts_.find(sender);
    if (account == accounts_.end())
      return;
    const auto& by_nonce = account->second.by_nonce;
    if (by_nonce.empty() || by_nonce.begin()->first >= nonce)
      return;
    erase(sender, by_nonce.begin()->first);
  }
}

void Mempool::erase_from(const Address& sender, std::uint64_t nonce) {
  for (;;) {
    auto account = accounts_.find(sender);
    if (account == accounts_.end())
      return;
    const auto& by_nonce = account->second.by_nonce;
    if (by_nonce.empty() || by_nonce.rbegin()->first < nonce)
      return;
    erase(sender, by_nonce.rbegin()->first);
  }
}

void Mempool::evict_from(const Address& sender, std::uint64_t nonce) {
  const std::size_t before = size();
  erase_from(sender, nonce);
  counters_.evicted += before - size();
}

// Plans first and evicts only once the plan makes room, so a refused transaction costs
// nobody their place. A victim takes its sender's later nonces along: they could not run
// before it, so their effective fee is never above its fee.
std::optional<AdmitError> Mempool::make_room(const Transaction& tx, std::size_t tx_bytes,
                                             bool parked) {
  const Pool& pool = pool_of(parked);
  const AdmitError refusal = parked ? AdmitError::kParkedFull : AdmitError::kFull;
  std::size_t freed_count = 0;
  std::size_t freed_bytes = 0;
  auto fits_after_freeing = [&] {
    return pool.count - freed_count < pool.max_count &&
           pool.bytes - freed_bytes <= pool.max_bytes &&
           tx_bytes <= pool.max_bytes - (pool.bytes - freed_bytes);
  };
  if (fits_after_freeing())
    return std::nullopt;

  const Address sender = tx.sender();
  std::map<Address, std::uint64_t> first_victim;  // victim sender -> first nonce to evict
  std::map<Address, std::pair<std::size_t, std::size_t>> freed_by;  // count, bytes in pool
  std::size_t scanned = 0;
  bool room = false;
  for (const auto& [fee, inverted_arrival, victim, nonce] : pool.by_fee) {
    if (fee >= tx.fee || ++scanned > kMaxEvictionScan)
      break;
    if (victim == sender)
      continue;  // never evict its own earlier nonces
    auto [first, added] = first_victim.try_emplace(victim, nonce);
    if (!added && first->second <= nonce)
      continue;  // already goes with a lower nonce of its sender
    first->second = nonce;
    auto& [count, bytes] = freed_by[victim];
    freed_count -= count;
    freed_bytes -= bytes;
    std::tie(count, bytes) = pending_from(victim, nonce, parked);
    freed_count += count;
    freed_bytes += bytes;
    if (fits_after_freeing()) {
      room = true;
      break;
    }
  }
  if (!room)
    return refusal;
  for (const auto& [victim, from_nonce] : first_victim)
    evict_from(victim, from_nonce);
  return std::nullopt;
}

std::pair<std::size_t, std::size_t> Mempool::pending_from(const Address& sender,
                                                          std::uint64_t nonce, bool parked) const {
  std::size_t count = 0;
  std::size_t bytes = 0;
  const auto& by_nonce = accounts_.at(sender).by_nonce;
  for (auto it = by_nonce.lower_bound(nonce); it != by_nonce.end(); ++it) {
    if (it->second.parked == parked) {
      count += 1;
      bytes += it->second.bytes;
    }
  }
  return {count, bytes};
}

std::size_t Mempool::advance_time(std::uint64_t now_ms) {
  now_ms_ = std::max(now_ms_, now_ms);
  const std::size_t before = size();
  while (!expiry_.empty()) {
    const auto [parked_at, sender, nonce] = *expiry_.begin();
    if (now_ms_ - parked_at < options_.parked_ttl_ms)
      break;
    erase(sender, nonce);
    ++counters_.expired;
  }
  trim_parked();
  return before - size();
}

void Mempool::trim_parked() {
  while (!parked_.fits(0, 0) && !parked_.by_fee.empty()) {
    const auto [fee, inverted_arrival, sender, nonce] = *parked_.by_fee.begin();
    evict_from(sender, nonce);
  }
}

}  // namespace synod::chain
