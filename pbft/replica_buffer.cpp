// What the replica holds back: messages it keeps for later, within each sender's share
// (buffer_budget.h), and execution past what the store has written (a stalled store must
// not let committed blocks pile up in memory without end).
#include "pbft/replica_impl.h"

namespace synod::pbft {

bool Replica::Impl::defer_future(const Message& message, std::uint64_t message_view) {
  // A message for the view this replica is about to enter can overtake the NEW-VIEW.
  bool upcoming = message_view > view || (message_view == view && in_view_change);
  if (!upcoming || message_view > view + 1)
    return false;
  ReplicaIndex sender = sender_of(message);
  BufferUse use = buffer_use(message);
  if (std::holds_alternative<Signed<PrePrepare>>(message)) {
    // Only the view's primary may propose in it, and only blocks within the limits.
    if (sender != primary_of(message_view, n())) {
      drop(DropReason::kNotPrimary);
      return true;
    }
    if (exceeds_block_limits(use, genesis.pbft)) {
      drop(DropReason::kInvalidProposal);
      return true;
    }
  }
  if (admit_buffered(sender, use))
    future_messages.push_back({message, use});
  return true;
}

void Replica::Impl::hold_pending(Slot& slot, const Signed<PrePrepare>& message) {
  BufferUse use = buffer_use(message);
  if (exceeds_block_limits(use, genesis.pbft)) {
    drop(DropReason::kInvalidProposal);
    return;
  }
  if (!admit_buffered(message.sender, use))
    return;
  slot.pending = message;
  slot.pending_use = use;
}

BufferUse Replica::Impl::held(std::optional<ReplicaIndex> sender) const {
  BufferUse total;
  for (const auto& deferred : future_messages) {
    if (!sender || sender_of(deferred.message) == *sender)
      total += deferred.use;
  }
  for (const auto& [sequence, slot] : slots) {
    if (slot.pending && (!sender || slot.pending->sender == *sender))
      total += slot.pending_use;
  }
  return total;
}

bool Replica::Impl::admit_buffered(ReplicaIndex sender, const BufferUse& use) {
  if (buffer_limits.admits(held(sender), use))
    return true;
  drop(DropReason::kOverBudget);
  return false;
}

void Replica::Impl::resume_execution(Actions& out, TimeMs now) {
  // A block may have gathered its commit quorum while execution waited.
  check_committed(out, head.height + 1, now);
  after_head_advanced(out, now);
  if (fetch_waits_for_storage && syncing) {
    fetch_waits_for_storage = false;
    request_blocks(out, now);
  }
}

}  // namespace synod::pbft
