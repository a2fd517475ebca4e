// Choosing the best chain and switching to it: appends, reorgs, invalid branches, the
// mempool after a switch, pruning and the work anchor.
#include <algorithm>
#include <set>

#include "pow_pos/nakamoto_core.h"

namespace synod::pow_pos {

NakamotoCore::NakamotoCore(chain::EngineSetup& setup, std::unique_ptr<const ChainRules> chain_rules,
                           BlockTree block_tree, PowLimits engine_limits)
    : genesis(setup.genesis),
      rules(std::move(chain_rules)),
      shape(rules->shape()),
      key(setup.key),
      participant(setup.participant),
      mempool(*setup.mempool),
      signature_check(setup.signature_check),
      limits(engine_limits),
      genesis_block_hash(chain::make_genesis_block(*genesis).hash()),
      tree(std::move(block_tree)),
      orphans(limits.max_orphans, limits.max_orphan_bytes),
      active(setup.head.hash()),
      state(std::move(setup.state)) {
  noted_height = tree.find(active)->height();
}

// Moves to the most-work valid chain. Each failed attempt marks at least one block invalid,
// so the loop ends within as many rounds as the tree has blocks.
void NakamotoCore::activate_best(TimeMs now, Actions& out) {
  for (std::size_t round = 0; round <= tree.size(); ++round) {
    const TreeEntry& best = tree.best();
    if (best.hash == active || !tree.better(best, tip()))
      return;
    const TreeEntry& current = tip();
    auto fork_hash = tree.fork_point(active, best.hash);
    if (!fork_hash) {
      ++counters.local_errors;
      return;
    }
    const TreeEntry& fork = *tree.find(*fork_hash);
    if (current.height() - fork.height() > shape.max_reorg_depth) {
      refuse_deep_reorg(fork, best, now);
      continue;
    }
    if (switch_to(fork, best, now, out))
      return;
  }
}

void NakamotoCore::refuse_deep_reorg(const TreeEntry& fork, const TreeEntry& target, TimeMs now) {
  ++counters.deep_reorgs_refused;
  const std::uint64_t depth = tip().height() - fork.height();
  std::vector<const TreeEntry*> branch = tree.path(fork.hash, target.hash);
  const TreeEntry& first = *branch.front();
  record(target.hash, target.height(), std::nullopt,
         Verdict::rejected(Rejection::kReorgTooDeep,
                           "a heavier branch forks " + std::to_string(depth) +
                               " blocks below the best tip (max_reorg_depth " +
                               std::to_string(shape.max_reorg_depth) + ")"),
         now);
  tree.mark_invalid(first.hash, Rejection::kReorgTooDeep);
}

// Rolls the state back to `fork`, executes fork..target, and on success emits the switch.
// On a failing block: marks it (and its descendants) invalid, restores the state and
// returns false.
bool NakamotoCore::switch_to(const TreeEntry& fork, const TreeEntry& target, TimeMs now,
                             Actions& out) {
  const std::vector<const TreeEntry*> undone = tree.path(fork.hash, active);
  const std::vector<const TreeEntry*> branch = tree.path(fork.hash, target.hash);
  const auto missing = std::find_if(undone.begin(), undone.end(),
                                    [](const TreeEntry* entry) { return !entry->diff; });
  if (missing != undone.end()) {  // recovered without undo data: deeper than a reorg may go
    record(target.hash, target.height(), std::nullopt,
           Verdict::error("no undo data for block " + std::to_string((*missing)->height())), now);
    tree.mark_invalid(branch.front()->hash, Rejection::kReorgTooDeep);
    return false;
  }
  revert_newest_first(undone);
  const BranchRun run = apply_branch(branch);
  if (run.failure) {
    unwind_branch(branch, run.applied, undone);
    reject_branch_block(*branch[run.applied], *run.failure, now);
    return false;
  }
  emit_switch(fork, undone, branch, out);
  update_mempool(undone, branch);
  counters.blocks_connected += branch.size();
  active = target.hash;
  return true;
}

void NakamotoCore::emit_switch(const TreeEntry& fork, const std::vector<const TreeEntry*>& undone,
                               const std::vector<const TreeEntry*>& branch, Actions& out) {
  std::vector<chain::AppendBlockAction> appends;
  appends.reserve(branch.size());
  for (const TreeEntry* entry : branch)
    appends.push_back(chain::AppendBlockAction{*entry->block, *entry->diff, entry->tx_hashes});
  if (undone.empty()) {
    for (auto& append : appends)
      out.push_back(std::move(append));
    return;
  }
  ++counters.reorgs;
  counters.deepest_reorg = std::max<std::uint64_t>(counters.deepest_reorg, undone.size());
  out.push_back(chain::ReorgAction{fork.height(), fork.hash, std::move(appends)});
}

// The new branch's transactions leave the mempool; the abandoned blocks' transactions that
// the branch did not include go back to it, admitted against the new state (so one that
// the branch made stale, or that no longer fits the balance, is dropped, never applied
// twice).
void NakamotoCore::update_mempool(const std::vector<const TreeEntry*>& undone,
                                  const std::vector<const TreeEntry*>& branch) {
  std::set<crypto::Hash256> included;
  for (const TreeEntry* entry : branch) {
    mempool.remove_committed(entry->block->transactions, state);
    included.insert(entry->tx_hashes.begin(), entry->tx_hashes.end());
  }
  for (const TreeEntry* entry : undone) {
    const auto& transactions = entry->block->transactions;
    for (std::size_t i = 0; i < transactions.size(); ++i) {
      if (included.count(entry->tx_hashes[i]) != 0)
        continue;
      if (!mempool.add(transactions[i], entry->tx_hashes[i], state).has_value())
        ++counters.transactions_returned;
    }
  }
}

// After the best tip moved: persist the work anchor, prune, and produce on the new tip.
void NakamotoCore::after_tip_change(TimeMs now, Actions& out) {
  persist_anchor(out);
  prune();
  if (on_tip_changed)
    on_tip_changed(now, out);
}

void NakamotoCore::start(TimeMs now, Actions& out) {
  // Side branches from the store may outweigh the stored head (a crash between storing a
  // side block and switching to its branch).
  const crypto::Hash256 old_tip = active;
  activate_best(now, out);
  if (active != old_tip)
    after_tip_change(now, out);
  else if (on_tip_changed)
    on_tip_changed(now, out);
  sync_tick(now, out);
}

void NakamotoCore::prune() {
  const std::uint64_t height = tip().height();
  const std::uint64_t keep_from =
      height > limits.retained_depth ? height - limits.retained_depth : 0;
  // Prune in steps of anchor_interval blocks, so the O(tree) walk is rare.
  if (keep_from < tree.root().height() + limits.anchor_interval)
    return;
  const TreeEntry* new_root = tree.ancestor(active, keep_from);
  if (new_root == nullptr)
    return;
  tree.prune(new_root->hash);
  orphans.drop_at_or_below(keep_from);
}

// A block max_reorg_depth below the tip can no longer be undone: its cumulative work is a
// safe starting point for a restarted engine (see recover_engine).
void NakamotoCore::persist_anchor(Actions& out) {
  const std::uint64_t height = tip().height();
  if (height <= shape.max_reorg_depth)
    return;
  const std::uint64_t anchor_height = height - shape.max_reorg_depth;
  if (anchor && anchor_height < anchor->height + limits.anchor_interval)
    return;
  const TreeEntry* entry = tree.ancestor(active, anchor_height);
  if (entry == nullptr)
    return;
  anchor = WorkAnchor{anchor_height, entry->hash, entry->chain_work};
  out.push_back(chain::PersistAction{shape.anchor_key, encode_anchor(*anchor)});
}

}  // namespace synod::pow_pos
