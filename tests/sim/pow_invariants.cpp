#include "tests/sim/pow_invariants.h"

#include <algorithm>

#include "pow_pos/pow_rules.h"
#include "tests/sim/short_hex.h"

namespace synod::sim {

PowInvariantChecker::PowInvariantChecker(std::shared_ptr<const chain::Genesis> genesis)
    : genesis_(std::move(genesis)),
      domain_(chain::SigningDomain::of(*genesis_)),
      genesis_supply_(chain::State::from_genesis(*genesis_).supply()) {
  if (genesis_->mode == chain::ConsensusMode::kPos)
    pos_ = std::make_unique<PosInvariants>(genesis_);
}

void PowInvariantChecker::record(TimeMs at_ms, std::string what) {
  if (violations_.size() >= violations_max_)
    return;
  violations_.push_back(Violation{at_ms, std::move(what)});
}

std::string PowInvariantChecker::where(const PowNode& node, std::uint64_t height) const {
  return "node " + std::to_string(node.slot) + " height " + std::to_string(height);
}

void PowInvariantChecker::on_fault(const PowNode& node, const std::string& what, TimeMs now) {
  if (node.honest)
    record(now, "driver: node " + std::to_string(node.slot) + ": " + what);
}

bool PowInvariantChecker::on_branch(SlotId slot, const crypto::Hash256& tx_hash) const {
  auto it = branch_txs_.find(slot);
  return it != branch_txs_.end() && it->second.count(tx_hash) != 0;
}

void PowInvariantChecker::on_change(const PowNode& node, const StoreChange& change, TimeMs now) {
  if (!node.honest)
    return;
  const chain::PowParams& params = genesis_->pow;
  const std::uint64_t max_reorg_depth =
      pos_ ? genesis_->pos.max_reorg_depth : params.max_reorg_depth;
  if (!change.undone.empty()) {
    ++reorgs_;
    deepest_reorg_ = std::max<std::uint64_t>(deepest_reorg_, change.undone.size());
    if (change.undone.size() > max_reorg_depth) {
      record(now, "reorg bound: " + where(node, change.fork_height) + " undid " +
                      std::to_string(change.undone.size()) + " blocks (max_reorg_depth " +
                      std::to_string(max_reorg_depth) + ")");
    }
  }
  if (pos_) {
    check_pos_change(node, change, now);
    return;
  }
  for (const AppliedBlock& applied : change.applied)
    check_applied(node, applied, now);
  check_branch_transactions(node, change, now);
  const PowStore& store = node.store;
  const std::uint64_t expected = genesis_supply_ + store.height() * params.block_reward;
  if (store.state().supply() != expected) {
    record(now, "supply: " + where(node, store.height()) + " has supply " +
                    std::to_string(store.state().supply()) + ", genesis + rewards is " +
                    std::to_string(expected));
  }
  if (store.state().root() != store.head().header.state_root)
    record(now, "state: " + where(node, store.height()) + " state root is not the head's");
}

void PowInvariantChecker::check_pos_change(const PowNode& node, const StoreChange& change,
                                           TimeMs now) {
  std::vector<std::string> problems;
  for (const AppliedBlock& applied : change.applied) {
    ++blocks_checked_;
    pos_->check_block(node.store, applied, problems);
    for (auto& problem : problems)
      record(now, where(node, applied.block.header.height) + ": " + std::move(problem));
    problems.clear();
  }
  check_branch_transactions(node, change, now);
  pos_->on_change(node.slot, node.store, change, problems);
  for (auto& problem : problems)
    record(now, where(node, node.store.height()) + ": " + std::move(problem));
  if (node.store.state().root() != node.store.head().header.state_root)
    record(now, "state: " + where(node, node.store.height()) + " state root is not the head's");
}

void PowInvariantChecker::check_applied(const PowNode& node, const AppliedBlock& applied,
                                        TimeMs now) {
  ++blocks_checked_;
  const chain::Block& block = applied.block;
  check_rules(node, block, now);
  for (const auto& tx : block.transactions) {
    const crypto::Hash256 hash = tx.hash();
    if (verified_.count(hash) != 0)
      continue;
    if (!tx.signature_valid(domain_)) {
      record(now, "validity: " + where(node, block.header.height) + " holds transaction " +
                      short_hex(hash) + " with a bad signature");
      return;
    }
    verified_.insert(hash);
  }
  chain::State replay = applied.before;
  auto replayed = replay.apply_block(block, chain::SignaturePolicy::kAlreadyVerified,
                                     genesis_->pow.block_reward);
  if (!replayed.ok()) {
    record(now, "validity: " + where(node, block.header.height) +
                    " does not apply: " + replayed.message());
  } else if (!(replayed.value() == applied.diff)) {
    record(now, "validity: " + where(node, block.header.height) +
                    " was stored with state changes other than its transactions make");
  }
}

// The PoW rules, recomputed from the node's own stored chain: work, target, timestamp.
void PowInvariantChecker::check_rules(const PowNode& node, const chain::Block& block, TimeMs now) {
  const chain::PowParams& params = genesis_->pow;
  const std::uint64_t height = block.header.height;
  if (auto shape = pow_pos::check_block_shape(block, params); !shape.ok()) {
    record(now, "pow: " + where(node, height) + ": " + shape.message());
    return;
  }
  auto points = node.store.points_below(height, pow_pos::points_needed(params));
  auto target = pow_pos::next_target(points, params);
  auto median = pow_pos::median_time_past(points, params);
  const auto& seal = std::get<chain::PowSeal>(block.header.seal);
  if (!target || pow_pos::Uint256::from_hash(seal.target) != *target)
    record(now, "pow: " + where(node, height) + " carries a target retargeting does not give");
  if (!median || block.header.timestamp_ms <= *median)
    record(now, "pow: " + where(node, height) + " has a timestamp not above the median time past");
}

void PowInvariantChecker::check_branch_transactions(const PowNode& node, const StoreChange& change,
                                                    TimeMs now) {
  auto& txs = branch_txs_[node.slot];
  for (const chain::Block& block : change.undone) {
    for (const auto& tx : block.transactions) {
      auto it = txs.find(tx.hash());
      if (it != txs.end())
        txs.erase(it);
    }
  }
  for (const AppliedBlock& applied : change.applied) {
    for (const auto& tx : applied.block.transactions) {
      const crypto::Hash256 hash = tx.hash();
      if (txs.count(hash) != 0) {
        record(now, "double apply: " + where(node, applied.block.header.height) +
                        " applies transaction " + short_hex(hash) + " already on its branch");
      }
      txs.insert(hash);
    }
  }
}

// Two honest nodes: the same block `depth` below the lower tip; at equal tips, equal state.
void PowInvariantChecker::check_pair(const PowNode& a, const PowNode& b, std::uint64_t depth,
                                     TimeMs now) {
  const std::uint64_t low = std::min(a.store.height(), b.store.height());
  if (low > depth) {
    const std::uint64_t h = low - depth;
    if (a.store.at(h).hash() != b.store.at(h).hash()) {
      record(now, "agreement: nodes " + std::to_string(a.slot) + " and " + std::to_string(b.slot) +
                      " differ at height " + std::to_string(h) + ", " + std::to_string(depth) +
                      " below the lower tip " + std::to_string(low));
    }
  }
  if (a.store.head().hash() == b.store.head().hash() &&
      a.store.state().root() != b.store.state().root()) {
    record(now, "state: nodes " + std::to_string(a.slot) + " and " + std::to_string(b.slot) +
                    " share the tip at height " + std::to_string(a.store.height()) +
                    " with different state roots");
  }
}

void PowInvariantChecker::check_agreement(const PowCluster& cluster, std::uint64_t depth,
                                          TimeMs now) {
  std::vector<const PowNode*> honest;
  std::uint64_t top = 0;
  for (SlotId slot = 0; slot < cluster.size(); ++slot) {
    const PowNode& node = cluster.node(slot);
    if (!node.honest || !node.up())
      continue;
    honest.push_back(&node);
    top = std::max(top, node.store.height());
    if (node.engine->head().hash != node.store.head().hash() ||
        node.engine->state().root() != node.store.state().root()) {
      record(now,
             "state: node " + std::to_string(slot) + "'s engine and store disagree on the tip");
    }
  }
  for (const PowNode* node : honest) {
    if (node->store.height() + depth < top) {
      record(now, "catch-up: node " + std::to_string(node->slot) + " is at height " +
                      std::to_string(node->store.height()) + ", more than " +
                      std::to_string(depth) + " below the best honest tip " + std::to_string(top));
    }
  }
  for (std::size_t i = 0; i < honest.size(); ++i) {
    for (std::size_t j = i + 1; j < honest.size(); ++j)
      check_pair(*honest[i], *honest[j], depth, now);
  }
}

void PowInvariantChecker::check_converged(const PowCluster& cluster, TimeMs now) {
  check_agreement(cluster, 0, now);
  const PowNode* first = nullptr;
  for (SlotId slot = 0; slot < cluster.size(); ++slot) {
    const PowNode& node = cluster.node(slot);
    if (!node.honest || !node.up())
      continue;
    if (first == nullptr) {
      first = &node;
    } else if (node.store.head().hash() != first->store.head().hash()) {
      record(now, "convergence: after the network settled node " + std::to_string(slot) +
                      " is at " + short_hex(node.store.head().hash()) + " (height " +
                      std::to_string(node.store.height()) + "), node " +
                      std::to_string(first->slot) + " at " + short_hex(first->store.head().hash()) +
                      " (height " + std::to_string(first->store.height()) + ")");
    }
  }
}

void PowInvariantChecker::check_included(const PowCluster& cluster,
                                         const std::vector<crypto::Hash256>& submitted,
                                         TimeMs now) {
  for (SlotId slot = 0; slot < cluster.size(); ++slot) {
    const PowNode& node = cluster.node(slot);
    if (!node.honest || !node.up())
      continue;
    std::size_t missing = 0;
    std::string first;
    for (const auto& hash : submitted) {
      if (!on_branch(slot, hash) && missing++ == 0)
        first = short_hex(hash);
    }
    if (missing > 0) {
      record(now, "inclusion: " + std::to_string(missing) + " of " +
                      std::to_string(submitted.size()) +
                      " submitted transactions are not on node " + std::to_string(slot) +
                      "'s chain at the end; first: " + first);
    }
  }
}

}  // namespace synod::sim
