// PBFT's view change (Castro & Liskov, TOCS 2002, section 4.4): VIEW-CHANGE, NEW-VIEW,
// joining higher views, and the timers that drive them. The safety checks themselves are
// the pure functions of view_change.h.
#include <algorithm>

#include "pbft/replica_impl.h"

namespace synod::pbft {

namespace {

// The view of a deferred pre-prepare, prepare or commit (only those are deferred).
std::optional<std::uint64_t> normal_case_view(const Message& message) {
  return std::visit(
      [](const auto& m) -> std::optional<std::uint64_t> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Signed<PrePrepare>> || std::is_same_v<T, Signed<Prepare>> ||
                      std::is_same_v<T, Signed<Commit>>) {
          return m.body.view;
        } else {
          return std::nullopt;
        }
      },
      message);
}

}  // namespace

Signed<ViewChange> Replica::Impl::make_view_change(std::uint64_t target) const {
  ViewChange body;
  body.new_view = target;
  body.stable_sequence = stable_sequence;
  body.checkpoint_proof = stable_proof;
  body.head = head;
  if (head.height > 0)
    body.head_certificate = head_certificate;
  if (votes.prepared && votes.prepared->pre_prepare.body.sequence > head.height &&
      votes.prepared->pre_prepare.body.view < target) {
    body.prepared.push_back(*votes.prepared);
  }
  return sign_body(std::move(body));
}

void Replica::Impl::start_view_change(Actions& out, std::uint64_t target, TimeMs now) {
  if (in_view_change ? target <= view : target < view)
    return;
  in_view_change = true;
  view = target;
  ++counters.view_changes;
  ++consecutive_view_changes;
  cancel_timer(out, kBatchTimer, batch_deadline);
  cancel_timer(out, kProgressTimer, progress_deadline);
  cancel_timer(out, kViewChangeTimer, view_change_deadline);
  for (auto& [sequence, slot] : slots)
    slot = Slot{};
  // Messages already received for the target view are kept: a replica joining the view
  // its peers work in has just seen them, and they replay once the NEW-VIEW arrives.
  std::erase_if(future_messages, [target](const Deferred& deferred) {
    return normal_case_view(deferred.message) != target;
  });

  votes.view = target;
  votes.in_view_change = true;
  persist_votes(out);
  auto message = make_view_change(target);
  view_changes[self] = message;
  broadcast(out, message);
  view_change_quorum = false;
  set_timer(out, kViewChangeTimer, view_change_deadline, now + timeout_ms());
  try_new_view(out, now);
}

void Replica::Impl::on_view_change_timer(Actions& out, TimeMs now) {
  if (!in_view_change)
    return;
  if (view_change_quorum) {
    start_view_change(out, view + 1, now);
    return;
  }
  // Fewer than 2f+1 want this view yet; lost messages are re-sent, never assumed.
  broadcast(out, view_changes.at(self));
  set_timer(out, kViewChangeTimer, view_change_deadline, now + timeout_ms());
}

void Replica::Impl::on_view_change(Actions& out, const Signed<ViewChange>& message, TimeMs now) {
  const ViewChange& body = message.body;
  if (auto status = validate_view_change(message, validators, domain, genesis.pbft); !status) {
    drop(DropReason::kInvalidViewChange);
    return;
  }
  observe_certified_head(out, message.sender, body, now);
  if (body.new_view < view || (body.new_view == view && !in_view_change)) {
    // The sender missed the NEW-VIEW of a view this replica is already in: send it once.
    if (!in_view_change && last_new_view && last_new_view->body.view == view) {
      send(out, message.sender, *last_new_view);
    }
    drop(DropReason::kStale);
    return;
  }
  auto existing = view_changes.find(message.sender);
  if (existing != view_changes.end() && existing->second.body.new_view >= body.new_view)
    return;
  view_changes[message.sender] = message;

  // The primary itself gives up its view (it restarted and may not propose there again):
  // there is nothing to wait for. A faulty primary gains nothing by it but a view change.
  if (!in_view_change && message.sender == primary() && body.new_view == view + 1) {
    start_view_change(out, view + 1, now);
  }

  // f+1 replicas asking for higher views include a correct one: join the smallest view
  // among them, without waiting for a timeout (section 4.5.2).
  std::vector<std::uint64_t> higher;
  for (const auto& [sender, view_change] : view_changes) {
    if (sender != self && view_change.body.new_view > view) {
      higher.push_back(view_change.body.new_view);
    }
  }
  if (higher.size() >= weak_quorum()) {
    std::sort(higher.begin(), higher.end());
    start_view_change(out, higher.front(), now);
  }

  if (in_view_change) {
    // The view-change timer starts only once 2f+1 replicas want this view, so a lone
    // replica does not race ahead through views by itself.
    // A replica asking for a later view has given up on this one too.
    std::size_t wanting = 0;
    for (const auto& [sender, view_change] : view_changes) {
      if (view_change.body.new_view >= view)
        ++wanting;
    }
    if (wanting >= quorum() && !view_change_quorum) {
      view_change_quorum = true;
      set_timer(out, kViewChangeTimer, view_change_deadline, now + timeout_ms());
    }
    try_new_view(out, now);
  }
}

void Replica::Impl::observe_view(Actions& out, ReplicaIndex peer, std::uint64_t peer_view,
                                 TimeMs now) {
  if (peer >= peer_views.size() || peer == self || peer_view <= peer_views[peer])
    return;
  peer_views[peer] = peer_view;
  if (peer_view <= view)
    return;
  // A replica that missed a NEW-VIEW (it was down, or cut off) and keeps up by state
  // transfer may never time out, and so never ask for the view everyone else works in.
  // f+1 peers in later views include a correct one, which got there through a valid
  // NEW-VIEW: ask for the highest view that many are in. A peer already there answers the
  // VIEW-CHANGE with its NEW-VIEW.
  std::vector<std::uint64_t> higher;
  for (ReplicaIndex i = 0; i < peer_views.size(); ++i) {
    if (i != self && peer_views[i] > view)
      higher.push_back(peer_views[i]);
  }
  if (higher.size() < weak_quorum())
    return;
  std::sort(higher.begin(), higher.end(), std::greater<>());
  start_view_change(out, higher[weak_quorum() - 1], now);
}

void Replica::Impl::try_new_view(Actions& out, TimeMs now) {
  if (!in_view_change || primary() != self)
    return;
  // It may have sent a NEW-VIEW for this view before it restarted: a second could differ.
  if (proposed_before_restart == view)
    return;
  std::vector<Signed<ViewChange>> selected{view_changes.at(self)};
  for (const auto& [sender, view_change] : view_changes) {
    if (selected.size() == quorum())
      break;
    if (sender != self && view_change.body.new_view == view)
      selected.push_back(view_change);
  }
  if (selected.size() < quorum())
    return;

  NewView body;
  body.view = view;
  body.view_changes = std::move(selected);
  auto reproposal = compute_reproposal(body.view_changes, view);
  if (planted(PlantedBug::kIgnorePreparedCertificates))
    reproposal.reset();
  if (reproposal) {
    votes.record(VoteKind::kPrePrepare, view, reproposal->sequence, reproposal->block.hash());
    body.pre_prepares.push_back(sign_body(std::move(*reproposal)));
  }
  std::uint64_t floor = highest_head(body.view_changes);
  // The NEW-VIEW carries this view's first pre-prepare: durable before it leaves.
  votes.proposed_in_view = view;
  persist_votes(out);
  auto message = sign_body(std::move(body));
  broadcast(out, message);
  last_new_view = message;
  votes.view_floor = floor;
  enter_view(out, view, now);
  for (const auto& pre_prepare : message.body.pre_prepares) {
    std::uint64_t sequence = pre_prepare.body.sequence;
    if (sequence <= head.height)
      continue;
    Slot& slot = slots[sequence];
    if (sequence > head.height + 1) {
      hold_pending(slot, pre_prepare);
    } else {
      accept_pre_prepare(out, pre_prepare, now);
    }
  }
  maybe_sync(out, now);
  maybe_propose(out, now, false);
}

void Replica::Impl::on_new_view(Actions& out, const Signed<NewView>& message, TimeMs now) {
  const NewView& body = message.body;
  if (body.view < view || (body.view == view && !in_view_change)) {
    drop(DropReason::kStale);
    return;
  }
  auto status = validate_new_view(message, validators, domain, genesis.pbft);
  if (!status && !planted(PlantedBug::kIgnorePreparedCertificates)) {
    drop(DropReason::kInvalidNewView);
    return;
  }
  for (const auto& view_change : body.view_changes) {
    observe_certified_head(out, view_change.sender, view_change.body, now);
  }
  last_new_view = message;
  votes.view_floor = highest_head(body.view_changes);
  enter_view(out, body.view, now);
  for (const auto& pre_prepare : body.pre_prepares)
    on_pre_prepare(out, pre_prepare, now);
  // Messages of this view that overtook the NEW-VIEW.
  std::vector<Deferred> deferred;
  deferred.swap(future_messages);
  for (const auto& held_message : deferred) {
    const Message& deferred_message = held_message.message;
    if (const auto* pre_prepare = std::get_if<Signed<PrePrepare>>(&deferred_message)) {
      on_pre_prepare(out, *pre_prepare, now);
    } else if (const auto* prepare = std::get_if<Signed<Prepare>>(&deferred_message)) {
      on_prepare(out, *prepare, now);
    } else if (const auto* commit = std::get_if<Signed<Commit>>(&deferred_message)) {
      on_commit(out, *commit, now);
    }
  }
  maybe_propose(out, now, false);
}

void Replica::Impl::enter_view(Actions& out, std::uint64_t new_view, TimeMs now) {
  if (new_view != view || !in_view_change) {
    for (auto& [sequence, slot] : slots)
      slot = Slot{};
  }
  view = new_view;
  in_view_change = false;
  cancel_timer(out, kViewChangeTimer, view_change_deadline);
  cancel_timer(out, kBatchTimer, batch_deadline);
  for (auto it = view_changes.begin(); it != view_changes.end();) {
    it = it->second.body.new_view <= new_view ? view_changes.erase(it) : std::next(it);
  }
  votes.view = new_view;
  votes.in_view_change = false;
  persist_votes(out);
  arm_progress_timer(out, now, /*restart=*/true);
  monitor.new_view(now, transactions_waiting());
}

}  // namespace synod::pbft
