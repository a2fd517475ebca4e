// Construction, dispatch and shared helpers of the PBFT replica. The protocol itself is in
// replica_normal.cpp (pre-prepare, prepare, commit), replica_view_change.cpp and
// replica_sync.cpp (checkpoints, state transfer).
#include "pbft/replica.h"

#include <algorithm>
#include <type_traits>

#include "pbft/replica_impl.h"

namespace synod::pbft {

const char* to_string(DropReason reason) {
  switch (reason) {
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kNotValidator:
      return "not_validator";
    case DropReason::kBadSignature:
      return "bad_signature";
    case DropReason::kWrongView:
      return "wrong_view";
    case DropReason::kOutsideWatermarks:
      return "outside_watermarks";
    case DropReason::kConflictingPrePrepare:
      return "conflicting_pre_prepare";
    case DropReason::kInvalidProposal:
      return "invalid_proposal";
    case DropReason::kNotPrimary:
      return "not_primary";
    case DropReason::kInvalidViewChange:
      return "invalid_view_change";
    case DropReason::kInvalidNewView:
      return "invalid_new_view";
    case DropReason::kInvalidCheckpoint:
      return "invalid_checkpoint";
    case DropReason::kStale:
      return "stale";
    case DropReason::kOverBudget:
      return "over_budget";
    case DropReason::kCount_:
      break;
  }
  return "unknown";
}

Replica::Impl::Impl(ReplicaConfig config_in, chain::Mempool& mempool_in, ReplicaRecovery recovery)
    : config(std::move(config_in)),
      genesis(*config.genesis),
      domain(chain::SigningDomain::of(genesis)),
      validators(genesis.validators),
      mempool(mempool_in),
      state(std::move(recovery.state)),
      head(recovery.head.header),
      head_hash(recovery.head.hash()),
      head_certificate(recovery.head.certificate) {
  batch_delay_ms = config.batch_delay_ms ? config.batch_delay_ms : genesis.pbft.batch_delay_ms;
  base_timeout_ms = config.view_change_timeout_ms ? config.view_change_timeout_ms
                                                  : genesis.pbft.view_change_timeout_ms;
  monitor = PrimaryMonitor({config.max_block_gap_ms ? config.max_block_gap_ms : base_timeout_ms / 2,
                            config.slow_primary_strikes});
  recent_hashes[head.height] = head_hash;
  stored_height = head.height;
  peer_heights.assign(validators.size(), 0);
  peer_views.assign(validators.size(), 0);
  last_block_ms = head.timestamp_ms;
  buffer_limits = BufferLimits::for_chain(genesis.pbft, validators.size());
  if (config.max_unstored_blocks > 0)
    max_unstored_blocks = std::min(config.max_unstored_blocks, kMaxUnstoredVoteHeights);
  // The stable checkpoint after a restart: the last checkpoint boundary at or below the
  // head. Its proof is gathered again from peers' checkpoint messages; until then the
  // replica reports sequence 0 in view-changes (always valid, merely less informative).
}

std::uint64_t Replica::Impl::timeout_ms() const {
  std::uint64_t doublings = std::min<std::uint64_t>(consecutive_view_changes, 6);
  return base_timeout_ms << doublings;
}

void Replica::Impl::broadcast(Actions& out, const Message& message) {
  counters.messages_out += n() - 1;
  out.push_back(chain::BroadcastAction{encode(message)});
}

void Replica::Impl::send(Actions& out, ReplicaIndex to, const Message& message) {
  ++counters.messages_out;
  out.push_back(chain::SendAction{to, encode(message)});
}

void Replica::Impl::persist_votes(Actions& out) {
  if (planted(PlantedBug::kSkipPersistBeforeSend))
    return;
  out.push_back(chain::PersistAction{Replica::kVotesKey, votes.encode()});
}

void Replica::Impl::set_timer(Actions& out, Timer id, std::optional<TimeMs>& deadline, TimeMs at) {
  if (deadline == at)
    return;
  deadline = at;
  out.push_back(chain::SetTimerAction{id, at});
}

void Replica::Impl::cancel_timer(Actions& out, Timer id, std::optional<TimeMs>& deadline) {
  if (!deadline)
    return;
  deadline.reset();
  out.push_back(chain::CancelTimerAction{id});
}

// ---- Replica: public surface --------------------------------------------------------------

Result<std::unique_ptr<Replica>> Replica::create(ReplicaConfig config, chain::Mempool& mempool,
                                                 ReplicaRecovery recovery) {
  if (!config.genesis)
    return make_error("replica: no genesis");
  auto index = config.genesis->validators.index_of(config.key.public_key());
  if (!index)
    return make_error("replica: the node key is not one of the genesis validators");
  if (config.genesis->mode != chain::ConsensusMode::kPbft) {
    return make_error("replica: the genesis is not a PBFT chain");
  }
  std::optional<Bytes> persisted = std::move(recovery.votes);
  auto impl = std::make_unique<Impl>(std::move(config), mempool, std::move(recovery));
  impl->self = *index;
  if (persisted) {
    auto log = decode_vote_log(*persisted);
    if (!log)
      return make_error("replica: persisted votes: " + log.message());
    impl->votes = std::move(*log);
    impl->votes.prune(impl->head.height);  // the head came from the store: durable
    impl->view = impl->votes.view;
    impl->in_view_change = impl->votes.in_view_change;
    impl->proposed_before_restart = impl->votes.proposed_in_view;
    // A log written before proposed_in_view existed holds a record of each pre-prepare sent.
    for (const auto& [key, digest] : impl->votes.signed_votes) {
      if (std::get<0>(key) == VoteKind::kPrePrepare)
        impl->proposed_before_restart =
            std::max(impl->proposed_before_restart.value_or(0), std::get<1>(key));
    }
  }
  return std::unique_ptr<Replica>(new Replica(std::move(impl)));
}

Replica::Replica(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Replica::~Replica() = default;

ReplicaIndex Replica::index() const {
  return impl_->self;
}
std::uint64_t Replica::view() const {
  return impl_->view;
}
ReplicaIndex Replica::primary() const {
  return impl_->primary();
}
bool Replica::in_view_change() const {
  return impl_->in_view_change;
}
std::uint64_t Replica::head_height() const {
  return impl_->head.height;
}
const crypto::Hash256& Replica::head_hash() const {
  return impl_->head_hash;
}
const chain::State& Replica::state() const {
  return impl_->state;
}
const chain::Genesis& Replica::genesis() const {
  return impl_->genesis;
}
const crypto::KeyPair& Replica::key() const {
  return impl_->config.key;
}
const ReplicaCounters& Replica::counters() const {
  return impl_->counters;
}

const PrimaryMonitor& Replica::primary_monitor() const {
  return impl_->monitor;
}

Actions Replica::start(TimeMs now) {
  Actions out;
  Impl& r = *impl_;
  // Local time, not the head's timestamp, which another replica's clock set.
  r.last_block_ms = now;
  if (r.in_view_change) {
    // Restarted during a view change: announce it again (the prepared certificate it must
    // report was persisted) and wait for the new view.
    // The new primary that may have sent this view's NEW-VIEW already cannot send another:
    // ask for the next view instead.
    bool spent = r.proposed_before_restart == r.view && r.primary() == r.self;
    r.in_view_change = false;
    r.start_view_change(out, spent ? r.view + 1 : r.view, now);
  } else if (r.proposed_before_restart == r.view) {
    // It can propose nothing more in this view (see maybe_propose): hand the view on now
    // rather than leave the others to time out.
    r.start_view_change(out, r.view + 1, now);
  } else {
    r.arm_progress_timer(out, now);
    r.maybe_propose(out, now, false);
    return out;
  }
  // Sent before the driver had connected to any peer, that VIEW-CHANGE is likely lost:
  // send it again soon rather than a whole view-change timeout later.
  r.set_timer(out, kViewChangeTimer, r.view_change_deadline,
              now + std::min<TimeMs>(r.timeout_ms(), Impl::kRestartResendMs));
  return out;
}

Actions Replica::on_message(ReplicaIndex from, ByteView bytes, TimeMs now) {
  Actions out;
  Impl& r = *impl_;
  ++r.counters.messages_in;
  if (from >= r.n()) {
    r.drop(DropReason::kNotValidator);
    return out;
  }
  auto decoded = decode_message(bytes);
  if (!decoded) {
    r.drop(DropReason::kMalformed);
    return out;
  }
  const Message& message = *decoded;
  // A NEW-VIEW may come from any peer that entered its view (see on_view_change): it
  // carries the new primary's signature and 2f+1 signed VIEW-CHANGEs, checked below.
  bool forwardable = std::holds_alternative<Signed<NewView>>(message);
  if ((sender_of(message) != from && !forwardable) || from == r.self) {
    r.drop(DropReason::kNotValidator);
    return out;
  }
  bool valid = std::visit([&](const auto& m) { return signature_valid(m, r.validators, r.domain); },
                          message);
  if (!valid && !r.planted(PlantedBug::kAcceptBadSignatures)) {
    r.drop(DropReason::kBadSignature);
    return out;
  }
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Signed<PrePrepare>>)
          r.on_pre_prepare(out, m, now);
        if constexpr (std::is_same_v<T, Signed<Prepare>>)
          r.on_prepare(out, m, now);
        if constexpr (std::is_same_v<T, Signed<Commit>>)
          r.on_commit(out, m, now);
        if constexpr (std::is_same_v<T, Signed<Checkpoint>>)
          r.on_checkpoint(out, m, now);
        if constexpr (std::is_same_v<T, Signed<ViewChange>>)
          r.on_view_change(out, m, now);
        if constexpr (std::is_same_v<T, Signed<NewView>>)
          r.on_new_view(out, m, now);
      },
      message);
  return out;
}

Actions Replica::on_transactions(TimeMs now) {
  Actions out;
  impl_->arm_progress_timer(out, now);
  if (!impl_->monitor.waiting() && impl_->transactions_waiting())
    impl_->monitor.work_waiting(now);
  impl_->maybe_propose(out, now, false);
  return out;
}

Actions Replica::on_timer(std::uint32_t id, TimeMs now) {
  Actions out;
  Impl& r = *impl_;
  switch (id) {
    case kBatchTimer:
      if (r.batch_deadline && now >= *r.batch_deadline) {
        r.batch_deadline.reset();
        r.maybe_propose(out, now, true);
      }
      break;
    case kProgressTimer:
      if (r.progress_deadline && now >= *r.progress_deadline) {
        r.progress_deadline.reset();
        // Waiting for its own store is no fault of the primary's.
        if (!r.in_view_change && r.work_pending() && !r.storage_behind()) {
          r.start_view_change(out, r.view + 1, now);
        } else {
          r.arm_progress_timer(out, now);
        }
      }
      break;
    case kViewChangeTimer:
      if (r.view_change_deadline && now >= *r.view_change_deadline) {
        r.view_change_deadline.reset();
        r.on_view_change_timer(out, now);
      }
      break;
    case kFetchTimer:
      if (r.syncing) {
        ++r.fetch_attempt;
        r.request_blocks(out, now);
      }
      break;
    default:
      break;
  }
  return out;
}

Actions Replica::on_block_stored(std::uint64_t height, TimeMs now) {
  Actions out;
  Impl& r = *impl_;
  bool was_behind = r.storage_behind();
  if (height > r.stored_height) {
    r.stored_height = std::min(height, r.head.height);
    r.prune_votes();
  }
  if (height > 0 && height % r.genesis.pbft.checkpoint_interval == 0)
    r.make_checkpoint(out, height);
  if (was_behind && !r.storage_behind())
    r.resume_execution(out, now);
  return out;
}

Actions Replica::on_blocks_fetched(ReplicaIndex peer, std::vector<chain::Block> blocks,
                                   TimeMs now) {
  Actions out;
  impl_->on_blocks(out, peer, std::move(blocks), now);
  return out;
}

ConsensusSnapshot::Instance instance_of(std::uint64_t sequence, const Slot& slot) {
  ConsensusSnapshot::Instance instance;
  instance.sequence = sequence;
  if (slot.pre_prepare) {
    instance.pre_prepared = true;
    instance.view = slot.pre_prepare->body.view;
    instance.digest = slot.digest;
    instance.transactions = slot.pre_prepare->body.block.transactions.size();
  }
  instance.prepares = slot.prepares.size();
  instance.commits = slot.commits.size();
  instance.prepared = slot.commit_sent;
  return instance;
}

ConsensusSnapshot Replica::snapshot(TimeMs now) const {
  (void)now;
  const Impl& r = *impl_;
  ConsensusSnapshot snapshot;
  snapshot.index = r.self;
  snapshot.view = r.view;
  snapshot.primary = r.primary();
  snapshot.in_view_change = r.in_view_change;
  snapshot.view_change_target = r.in_view_change ? r.view : 0;
  snapshot.head_height = r.head.height;
  snapshot.head_hash = r.head_hash;
  snapshot.stable_checkpoint = r.stable_sequence;
  snapshot.low_watermark = r.low_watermark();
  snapshot.high_watermark = r.high_watermark();
  for (const auto& [sequence, slot] : r.slots)
    snapshot.instances.push_back(instance_of(sequence, slot));
  snapshot.last_committed = r.last_committed;
  std::map<std::uint64_t, std::uint64_t> votes_by_view;
  for (const auto& [sender, message] : r.view_changes)
    ++votes_by_view[message.body.new_view];
  snapshot.view_change_votes.assign(votes_by_view.begin(), votes_by_view.end());
  snapshot.consecutive_view_changes = r.consecutive_view_changes;
  snapshot.progress_deadline_ms = r.progress_deadline;
  snapshot.syncing = r.syncing;
  snapshot.stored_height = r.stored_height;
  BufferUse held = r.held(std::nullopt);
  snapshot.buffered_messages = held.messages;
  snapshot.buffered_bytes = held.bytes;
  snapshot.buffered_transactions = held.transactions;
  return snapshot;
}

}  // namespace synod::pbft
