// The invariants of a proof-of-work simulation. Per-block checks run on every change an
// honest node's store makes; agreement checks run periodically once the network is stable,
// and once more when it has settled at the end.
//
// On every append or reorg of an honest node:
// - valid chain: each block joining the best chain passes the PoW shape checks (a PoW seal,
//   its hash within its target), carries exactly the target retargeting requires after its
//   parent and a timestamp above the parent chain's median time past, and re-executes on
//   the state before it to exactly the state changes and roots it carries;
// - reorg bound: no reorg undoes more than max_reorg_depth blocks;
// - no transaction twice on one branch: the best chain never holds a transaction hash twice
//   (undone blocks give theirs back);
// - supply: after every change, the state's supply is the genesis supply plus height x
//   block_reward (fees only move coins), and its root is the head's state_root.
//
// While mining, after the network stabilised (check_agreement, with depth k): every two
// honest up nodes hold the same block k below the lower of their tips (so, chains being
// hash-linked, the same blocks all the way down), none lags more than k blocks behind the
// best honest tip, and nodes with equal tips have equal state roots (in the store and in
// the engine). At the end, once mining stopped and the network settled (check_converged):
// one head for every honest up node, and every submitted transaction on that chain.
//
// On a proof-of-stake genesis the PoS rules, slashing and supply checks of pos_invariants.h
// replace the proof-of-work ones; the rest is the same.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/sim/invariants.h"
#include "tests/sim/pos_invariants.h"
#include "tests/sim/pow_cluster.h"

namespace synod::sim {

class PowInvariantChecker {
 public:
  explicit PowInvariantChecker(std::shared_ptr<const chain::Genesis> genesis);

  void on_change(const PowNode& node, const StoreChange& change, TimeMs now);
  void on_fault(const PowNode& node, const std::string& what, TimeMs now);
  void check_agreement(const PowCluster& cluster, std::uint64_t depth, TimeMs now);
  void check_converged(const PowCluster& cluster, TimeMs now);
  // Every transaction of `submitted` is on the best chain of every honest up node.
  void check_included(const PowCluster& cluster, const std::vector<crypto::Hash256>& submitted,
                      TimeMs now);

  // Whether `tx_hash` is on the best chain of honest slot `slot` (as its changes said).
  bool on_branch(SlotId slot, const crypto::Hash256& tx_hash) const;

  void record(TimeMs at_ms, std::string what);
  const std::vector<Violation>& violations() const { return violations_; }
  bool ok() const { return violations_.empty(); }
  std::uint64_t reorgs() const { return reorgs_; }
  std::uint64_t deepest_reorg() const { return deepest_reorg_; }
  std::uint64_t blocks_checked() const { return blocks_checked_; }
  std::uint64_t slashes_checked() const { return pos_ ? pos_->slashes_checked() : 0; }

 private:
  void check_applied(const PowNode& node, const AppliedBlock& applied, TimeMs now);
  void check_rules(const PowNode& node, const chain::Block& block, TimeMs now);
  void check_branch_transactions(const PowNode& node, const StoreChange& change, TimeMs now);
  void check_pos_change(const PowNode& node, const StoreChange& change, TimeMs now);
  void check_pair(const PowNode& a, const PowNode& b, std::uint64_t depth, TimeMs now);
  std::string where(const PowNode& node, std::uint64_t height) const;

  std::shared_ptr<const chain::Genesis> genesis_;
  chain::SigningDomain domain_;         // of genesis_
  std::unique_ptr<PosInvariants> pos_;  // set on a proof-of-stake genesis
  std::uint64_t genesis_supply_ = 0;
  std::map<SlotId, std::multiset<crypto::Hash256>> branch_txs_;  // per honest slot
  std::set<crypto::Hash256> verified_;  // transactions whose signature was checked once
  std::vector<Violation> violations_;
  std::size_t violations_max_ = 100;
  std::uint64_t reorgs_ = 0;
  std::uint64_t deepest_reorg_ = 0;
  std::uint64_t blocks_checked_ = 0;
};

}  // namespace synod::sim
