#include "tests/sim/workload.h"

#include <cassert>

namespace synod::sim {

Workload::Workload(Cluster& cluster, std::uint64_t seed, WorkloadOptions options)
    : cluster_(cluster),
      rng_(seed ^ 0x776f726b6c6f6164ULL),
      options_(options),
      next_nonce_(cluster.genesis().account_keys.size(), 0) {
  assert(next_nonce_.size() >= 2);
}

void Workload::start() {
  cluster_.queue().schedule(options_.start_ms, [this] { submit_next(); });
  cluster_.queue().schedule(options_.start_ms + options_.resubmit_after_ms,
                            [this] { resubmit_round(); });
}

std::optional<SlotId> Workload::pick_live_slot() {
  std::vector<SlotId> live;
  for (SlotId slot = 0; slot < cluster_.size(); ++slot) {
    if (cluster_.node(slot).up())
      live.push_back(slot);
  }
  if (live.empty())
    return std::nullopt;
  return live[rng_.below(live.size())];
}

void Workload::send(const SubmittedTx& entry) {
  if (auto slot = pick_live_slot())
    (void)cluster_.submit(*slot, entry.tx);
}

void Workload::submit_next() {
  const TimeMs now = cluster_.now();
  if (now >= options_.stop_ms)
    return;
  const auto& keys = cluster_.genesis().account_keys;
  const std::size_t from = rng_.below(keys.size());
  std::size_t to = rng_.below(keys.size() - 1);
  if (to >= from)
    ++to;
  chain::Transaction tx = chain::make_transfer(
      keys[from], cluster_.genesis().genesis->chain_id, chain::address_of(keys[to].public_key()),
      rng_.between(1, options_.amount_max), options_.fee, next_nonce_[from]++);
  const crypto::Hash256 hash = tx.hash();
  SubmittedTx& entry = submitted_[hash];
  entry = SubmittedTx{std::move(tx), now, now, 1, std::nullopt};
  pending_.emplace(now, hash);
  send(entry);
  const double gap_ms = rng_.exponential(1000.0 / options_.transactions_per_s);
  cluster_.queue().schedule(now + static_cast<TimeMs>(gap_ms), [this] { submit_next(); });
}

void Workload::resubmit_round() {
  const TimeMs now = cluster_.now();
  for (std::size_t sent = 0; sent < options_.resubmit_batch_max && !pending_.empty(); ++sent) {
    auto oldest = pending_.begin();
    if (oldest->first + options_.resubmit_after_ms > now)
      break;
    const crypto::Hash256 hash = oldest->second;
    pending_.erase(oldest);
    pending_.emplace(now, hash);
    SubmittedTx& entry = submitted_.at(hash);
    entry.last_sent_ms = now;
    ++entry.attempts;
    send(entry);
  }
  cluster_.queue().schedule(now + options_.resubmit_after_ms / 4 + 1, [this] { resubmit_round(); });
}

void Workload::on_committed(const chain::Block& block, TimeMs now) {
  for (const auto& tx : block.transactions) {
    auto it = submitted_.find(tx.hash());
    if (it == submitted_.end() || it->second.committed_ms)
      continue;
    it->second.committed_ms = now;
    pending_.erase({it->second.last_sent_ms, it->first});
  }
}

}  // namespace synod::sim
