#include "tests/sim/pow_workload.h"

namespace synod::sim {

PowWorkload::PowWorkload(PowCluster& cluster, std::uint64_t seed, PowWorkloadOptions options,
                         OnChain on_chain)
    : cluster_(cluster),
      rng_(seed ^ 0x706f772d776f726bULL),
      options_(options),
      on_chain_(std::move(on_chain)),
      transfers_(cluster.genesis().account_keys,
                 chain::SigningDomain::of(*cluster.genesis().genesis)) {}

void PowWorkload::start() {
  cluster_.queue().schedule(cluster_.now(), [this] { submit_next(); });
  cluster_.queue().schedule(cluster_.now() + options_.resubmit_after_ms,
                            [this] { resubmit_round(); });
}

void PowWorkload::submit_next() {
  const TimeMs now = cluster_.now();
  if (now >= options_.stop_ms || stopped_)
    return;
  chain::Transaction tx = transfers_.next(rng_, options_.amount_max, options_.fee);
  const crypto::Hash256 hash = tx.hash();
  order_.push_back(hash);
  resend_.add(now, hash);
  if (auto slot = cluster_.random_live_slot(rng_))
    (void)cluster_.submit(*slot, tx);
  transactions_.emplace(hash, std::move(tx));
  const double gap_ms = rng_.exponential(1000.0 / options_.transactions_per_s);
  cluster_.queue().schedule(now + static_cast<TimeMs>(gap_ms), [this] { submit_next(); });
}

void PowWorkload::resubmit_round() {
  if (stopped_)
    return;
  const TimeMs now = cluster_.now();
  resend_.resend_due(now, options_.resubmit_after_ms, options_.resubmit_batch_max,
                     [this](const crypto::Hash256& hash) {
                       auto slot = cluster_.random_live_slot(rng_);
                       if (slot && !on_chain_(*slot, hash))
                         (void)cluster_.submit(*slot, transactions_.at(hash));
                     });
  cluster_.queue().schedule(now + options_.resubmit_after_ms / 4 + 1, [this] { resubmit_round(); });
}

}  // namespace synod::sim
