#include "tests/sim/pow_workload.h"

#include <cassert>

namespace synod::sim {

PowWorkload::PowWorkload(PowCluster& cluster, std::uint64_t seed, PowWorkloadOptions options,
                         OnChain on_chain)
    : cluster_(cluster),
      rng_(seed ^ 0x706f772d776f726bULL),
      options_(options),
      on_chain_(std::move(on_chain)),
      next_nonce_(cluster.genesis().account_keys.size(), 0) {
  assert(next_nonce_.size() >= 2);
}

void PowWorkload::start() {
  cluster_.queue().schedule(cluster_.now(), [this] { submit_next(); });
  cluster_.queue().schedule(cluster_.now() + options_.resubmit_after_ms,
                            [this] { resubmit_round(); });
}

std::optional<SlotId> PowWorkload::pick_live_slot() {
  std::vector<SlotId> live;
  for (SlotId slot = 0; slot < cluster_.size(); ++slot) {
    if (cluster_.node(slot).up())
      live.push_back(slot);
  }
  if (live.empty())
    return std::nullopt;
  return live[rng_.below(live.size())];
}

void PowWorkload::submit_next() {
  const TimeMs now = cluster_.now();
  if (now >= options_.stop_ms || stopped_)
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
  order_.push_back(hash);
  resend_.emplace(now, hash);
  if (auto slot = pick_live_slot())
    (void)cluster_.submit(*slot, tx);
  transactions_.emplace(hash, std::move(tx));
  const double gap_ms = rng_.exponential(1000.0 / options_.transactions_per_s);
  cluster_.queue().schedule(now + static_cast<TimeMs>(gap_ms), [this] { submit_next(); });
}

void PowWorkload::resubmit_round() {
  if (stopped_)
    return;
  const TimeMs now = cluster_.now();
  for (std::size_t i = 0; i < options_.resubmit_batch_max && !resend_.empty(); ++i) {
    auto oldest = resend_.begin();
    if (oldest->first + options_.resubmit_after_ms > now)
      break;
    const crypto::Hash256 hash = oldest->second;
    resend_.erase(oldest);
    resend_.emplace(now, hash);
    auto slot = pick_live_slot();
    if (slot && !on_chain_(*slot, hash))
      (void)cluster_.submit(*slot, transactions_.at(hash));
  }
  cluster_.queue().schedule(now + options_.resubmit_after_ms / 4 + 1, [this] { resubmit_round(); });
}

}  // namespace synod::sim
