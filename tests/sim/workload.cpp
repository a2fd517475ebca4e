#include "tests/sim/workload.h"

namespace synod::sim {

Workload::Workload(Cluster& cluster, std::uint64_t seed, WorkloadOptions options)
    : cluster_(cluster),
      rng_(seed ^ 0x776f726b6c6f6164ULL),
      options_(options),
      transfers_(cluster.genesis().account_keys,
                 chain::SigningDomain::of(*cluster.genesis().genesis)) {}

void Workload::start() {
  cluster_.queue().schedule(options_.start_ms, [this] { submit_next(); });
  cluster_.queue().schedule(options_.start_ms + options_.resubmit_after_ms,
                            [this] { resubmit_round(); });
}

void Workload::send(const SubmittedTx& entry) {
  if (auto slot = cluster_.random_live_slot(rng_))
    (void)cluster_.submit(*slot, entry.tx);
}

void Workload::submit_next() {
  const TimeMs now = cluster_.now();
  if (now >= options_.stop_ms)
    return;
  chain::Transaction tx = transfers_.next(rng_, options_.amount_max, options_.fee);
  const crypto::Hash256 hash = tx.hash();
  SubmittedTx& entry = submitted_[hash];
  entry = SubmittedTx{std::move(tx), now, now, 1, std::nullopt};
  pending_.add(now, hash);
  send(entry);
  const double gap_ms = rng_.exponential(1000.0 / options_.transactions_per_s);
  cluster_.queue().schedule(now + static_cast<TimeMs>(gap_ms), [this] { submit_next(); });
}

void Workload::resubmit_round() {
  const TimeMs now = cluster_.now();
  pending_.resend_due(now, options_.resubmit_after_ms, options_.resubmit_batch_max,
                      [this, now](const crypto::Hash256& hash) {
                        SubmittedTx& entry = submitted_.at(hash);
                        entry.last_sent_ms = now;
                        ++entry.attempts;
                        send(entry);
                      });
  cluster_.queue().schedule(now + options_.resubmit_after_ms / 4 + 1, [this] { resubmit_round(); });
}

void Workload::on_committed(const chain::Block& block, TimeMs now) {
  for (const auto& tx : block.transactions) {
    auto it = submitted_.find(tx.hash());
    if (it == submitted_.end() || it->second.committed_ms)
      continue;
    it->second.committed_ms = now;
    pending_.remove(it->second.last_sent_ms, it->first);
  }
}

}  // namespace synod::sim
