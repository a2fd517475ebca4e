// A selfish mining pool (Eyal & Sirer, "Majority is not enough", 2014, Algorithm 1) driving
// a real PowEngine in a PowCluster slot.
//
// The pool's engine mines as any miner does; the pool withholds everything it sends (a
// PowLinkPolicy) and answers locator requests only with blocks it published, and it
// decides what to publish from the algorithm's state: its private chain (the engine's best
// chain), the public chain's length, and privateBranchLen:
// - the pool found a block: with a lead of 0 before it and privateBranchLen 2 (it won the
//   race of state 0'), publish the whole private branch; otherwise keep it;
// - the others found a block (an honest block above the public height reaches the pool):
//   lead 0 before it: the pool's engine adopts the public chain by itself (it has more
//   work); lead 1: publish the one private block and race (state 0'); lead 2: publish
//   everything (the pool wins); more: publish the first unpublished block.
//
// gamma, the share of honest power that mines on the pool's block during a race, is made
// by who sees which block first: the pool hears honest blocks after rush_latency_ms, and
// sends its racing block to each honest node other than the finder with probability
// gamma * n / (n - 1) (n honest miners of equal power; the finder always mines on its own
// block) after rush_latency_ms, so it arrives before the honest block does
// (honest_latency_ms), and otherwise after it. Other publications go out at once.
//
// Not thread-safe; lives as long as its cluster run.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "tests/sim/pow_cluster.h"

namespace synod::sim {

struct SelfishPoolOptions {
  SlotId pool = 0;
  double gamma = 0;
  TimeMs honest_latency_ms = 100;  // between honest nodes
  TimeMs rush_latency_ms = 1;      // honest -> pool, and pool -> a favoured honest node
  std::uint64_t seed = 1;
};

class SelfishPool {
 public:
  // `cluster` must outlive the pool; honest miners must have equal hash rates.
  SelfishPool(PowCluster& cluster, SelfishPoolOptions options);

  // The links around the pool; install with PowCluster::set_policy.
  PowLinkPolicy policy() const;
  // Hooks for the pool's slot (PowClusterHooks::on_mined / on_received).
  void on_mined(const chain::Block& block);
  void on_received(const std::vector<chain::Block>& blocks);

  std::uint64_t races() const { return races_; }
  std::uint64_t published() const { return published_.size(); }
  // Something the algorithm's model does not allow (empty if nothing).
  const std::string& anomaly() const { return anomaly_; }

 private:
  void others_found(const chain::Block& block);
  void publish(const chain::Block& block);
  void publish_race(const chain::Block& block, SlotId finder);
  void publish_all();
  bool from_pool(const chain::Block& block) const;
  std::int64_t lead() const;  // private length - public length
  void flag(const std::string& what);

  PowCluster& cluster_;
  SelfishPoolOptions options_;
  Rng rng_;
  double favour_probability_ = 0;
  std::uint64_t public_length_ = 0;
  std::uint64_t private_length_ = 0;         // kept here: the engine has moved on when we hear
  std::uint64_t private_branch_length_ = 0;  // Algorithm 1's privateBranchLen
  std::deque<chain::Block> unpublished_;     // oldest first
  std::set<crypto::Hash256> published_;
  std::uint64_t races_ = 0;
  std::string anomaly_;
};

}  // namespace synod::sim
