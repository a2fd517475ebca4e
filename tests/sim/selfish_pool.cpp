#include "tests/sim/selfish_pool.h"

#include <cassert>

namespace synod::sim {

SelfishPool::SelfishPool(PowCluster& cluster, SelfishPoolOptions options)
    : cluster_(cluster), options_(options), rng_(options.seed ^ 0x73656c6669736800ULL) {
  const double honest = static_cast<double>(cluster_.size() - 1);
  assert(honest >= 2 && options_.gamma >= 0);
  favour_probability_ = options_.gamma * honest / (honest - 1);
  assert(favour_probability_ <= 1.0);
}

PowLinkPolicy SelfishPool::policy() const {
  PowLinkPolicy policy;
  const SlotId pool = options_.pool;
  const TimeMs rush = options_.rush_latency_ms;
  const TimeMs honest = options_.honest_latency_ms;
  policy.latency = [pool, rush, honest](SlotId from, SlotId to) -> std::optional<TimeMs> {
    return from == pool || to == pool ? rush : honest;
  };
  policy.forward = [pool](SlotId from, SlotId) { return from != pool; };
  policy.serve = [this, pool](SlotId server, const chain::Block& block) {
    return server != pool || !from_pool(block) || published_.count(block.hash()) != 0;
  };
  return policy;
}

bool SelfishPool::from_pool(const chain::Block& block) const {
  return block.header.proposer == cluster_.genesis().miner_keys.at(options_.pool).public_key();
}

void SelfishPool::flag(const std::string& what) {
  if (anomaly_.empty())
    anomaly_ = what + " (at " + std::to_string(cluster_.now()) + " ms)";
}

void SelfishPool::publish(const chain::Block& block) {
  published_.insert(block.hash());
  public_length_ = std::max(public_length_, block.header.height);
  for (SlotId slot = 0; slot < cluster_.size(); ++slot) {
    if (slot != options_.pool)
      cluster_.publish(options_.pool, slot, block, options_.rush_latency_ms);
  }
}

// The racing block reaches a favoured honest node before the honest block does, the
// others after it.
void SelfishPool::publish_race(const chain::Block& block, SlotId finder) {
  ++races_;
  published_.insert(block.hash());
  const TimeMs late = options_.honest_latency_ms + 50;
  for (SlotId slot = 0; slot < cluster_.size(); ++slot) {
    if (slot == options_.pool)
      continue;
    const bool favoured = slot != finder && rng_.chance(favour_probability_);
    cluster_.publish(options_.pool, slot, block, favoured ? options_.rush_latency_ms : late);
  }
}

void SelfishPool::publish_all() {
  while (!unpublished_.empty()) {
    publish(unpublished_.front());
    unpublished_.pop_front();
  }
  private_branch_length_ = 0;
}

std::int64_t SelfishPool::lead() const {
  return static_cast<std::int64_t>(private_length_) - static_cast<std::int64_t>(public_length_);
}

void SelfishPool::on_mined(const chain::Block& block) {
  const std::int64_t lead_before = lead();
  if (block.header.height != private_length_ + 1)
    flag("the pool mined at height " + std::to_string(block.header.height) +
         " on a private chain of " + std::to_string(private_length_));
  private_length_ = block.header.height;
  unpublished_.push_back(block);
  ++private_branch_length_;
  if (lead_before == 0 && private_branch_length_ == 2)
    publish_all();  // it was a tie with a branch of 1: the pool wins with a lead of 1
}

void SelfishPool::on_received(const std::vector<chain::Block>& blocks) {
  for (const chain::Block& block : blocks) {
    if (!from_pool(block) && block.header.height > public_length_)
      others_found(block);
  }
  const std::uint64_t engine_height = cluster_.node(options_.pool).store.height();
  if (engine_height != private_length_)
    flag("the pool's engine is at height " + std::to_string(engine_height) +
         ", its private chain at " + std::to_string(private_length_));
}

void SelfishPool::others_found(const chain::Block& block) {
  if (block.header.height != public_length_ + 1)
    flag("an honest block at height " + std::to_string(block.header.height) +
         " skips the public height " + std::to_string(public_length_));
  const std::int64_t lead_before = lead();
  public_length_ = block.header.height;
  if (lead_before <= 0) {  // they win: the engine has adopted their chain (more work)
    private_length_ = public_length_;
    private_branch_length_ = 0;
    unpublished_.clear();
  } else if (lead_before == 1) {  // now the same length: race with the one private block
    if (unpublished_.size() != 1) {
      flag("a lead of 1 with " + std::to_string(unpublished_.size()) + " unpublished blocks");
      return;
    }
    const chain::Block racing = unpublished_.back();
    unpublished_.clear();
    SlotId finder = 0;
    for (SlotId slot = 0; slot < cluster_.size(); ++slot) {
      if (cluster_.genesis().miner_keys[slot].public_key() == block.header.proposer)
        finder = slot;
    }
    publish_race(racing, finder);
  } else if (lead_before == 2) {
    publish_all();  // a lead of 1 after it: the pool's chain wins
  } else if (!unpublished_.empty()) {
    publish(unpublished_.front());
    unpublished_.pop_front();
  } else {
    flag("a lead of " + std::to_string(lead_before) + " with nothing unpublished");
  }
}

}  // namespace synod::sim
