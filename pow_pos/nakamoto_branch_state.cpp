// Moving the state along the block tree: back from the best tip to a fork point, forward
// along a branch (executing blocks not executed yet), and back again. A reorg
// (nakamoto_chain.cpp) and a visit to a side block's state (with_state_at) share it.
#include <algorithm>

#include "pow_pos/nakamoto_core.h"

namespace synod::pow_pos {
namespace {

bool has_undo_data(const std::vector<const TreeEntry*>& entries) {
  return std::all_of(entries.begin(), entries.end(),
                     [](const TreeEntry* entry) { return entry->diff.has_value(); });
}

}  // namespace

void NakamotoCore::revert_newest_first(const std::vector<const TreeEntry*>& entries) {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it)
    state.revert(*(*it)->diff);
}

BranchRun NakamotoCore::apply_branch(const std::vector<const TreeEntry*>& branch) {
  BranchRun run;
  for (; run.applied < branch.size(); ++run.applied) {
    const TreeEntry& entry = *branch[run.applied];
    if (entry.validity == Validity::kValid && entry.diff) {
      state.apply(*entry.diff);
      continue;
    }
    BodyCheck check = rules->check_body(*entry.block, state, signature_check);
    if (!check.verdict.ok()) {
      run.failure = std::move(check.verdict);
      return run;
    }
    state.apply(check.diff);
    tree.set_valid(entry.hash, std::move(check.diff), std::move(check.tx_hashes));
  }
  return run;
}

void NakamotoCore::unwind_branch(const std::vector<const TreeEntry*>& branch, std::size_t applied,
                                 const std::vector<const TreeEntry*>& undone) {
  for (std::size_t i = applied; i-- > 0;)
    state.revert(*branch[i]->diff);
  for (const TreeEntry* entry : undone)
    state.apply(*entry->diff);
}

void NakamotoCore::reject_branch_block(const TreeEntry& bad, const Verdict& failure, TimeMs now) {
  record(bad.hash, bad.height(), std::nullopt, failure, now);
  // check_body has no failure of its own: a verdict that is not kRejected cannot occur.
  tree.mark_invalid(bad.hash, failure.kind() == Verdict::Kind::kRejected ? failure.reason()
                                                                         : Rejection::kMalformed);
}

bool NakamotoCore::with_state_at(const TreeEntry& entry, TimeMs now,
                                 const std::function<void(chain::State&)>& use) {
  if (entry.validity == Validity::kInvalid)
    return false;
  const auto fork_hash = tree.fork_point(active, entry.hash);
  if (!fork_hash)
    return false;
  const std::vector<const TreeEntry*> undone = tree.path(*fork_hash, active);
  const std::vector<const TreeEntry*> branch = tree.path(*fork_hash, entry.hash);
  if (!has_undo_data(undone))
    return false;  // recovered without undo data: deeper than a reorg may go
  revert_newest_first(undone);
  const BranchRun run = apply_branch(branch);
  if (!run.failure)
    use(state);
  unwind_branch(branch, run.applied, undone);
  if (run.failure)
    reject_branch_block(*branch[run.applied], *run.failure, now);
  return !run.failure;
}

}  // namespace synod::pow_pos
