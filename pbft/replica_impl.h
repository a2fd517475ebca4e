// Private state of pbft::Replica, shared by the files that implement it (normal case,
// view change, checkpoints and state transfer). Not part of the public interface.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "pbft/buffer_budget.h"
#include "pbft/messages.h"
#include "pbft/primary_monitor.h"
#include "pbft/replica.h"
#include "pbft/view_change.h"
#include "pbft/vote_log.h"

namespace synod::pbft {

// One PBFT instance: the sequence just above the head (or a later one, buffered until
// the head reaches it).
struct Slot {
  std::optional<Signed<PrePrepare>> pre_prepare;     // accepted in the current view
  crypto::Hash256 digest;                            // of the accepted pre-prepare's block
  chain::StateDiff diff;                             // executing it on the head's state
  std::vector<crypto::Hash256> tx_hashes;            // of its transactions, in order
  std::optional<Signed<PrePrepare>> pending;         // received before the head got here
  BufferUse pending_use;                             // of `pending`, when set
  std::map<ReplicaIndex, Signed<Prepare>> prepares;  // current view, first per sender
  std::map<ReplicaIndex, Signed<Commit>> commits;    // current view, first per sender
  bool commit_sent = false;
};

// Where `slot` stands, for reports (replica.cpp).
ConsensusSnapshot::Instance instance_of(std::uint64_t sequence, const Slot& slot);

// A message for the view being entered, held until its NEW-VIEW arrives.
struct Deferred {
  Message message;
  BufferUse use;
};

struct Replica::Impl {
  Impl(ReplicaConfig config_in, chain::Mempool& mempool_in, ReplicaRecovery recovery);

  // ---- configuration ----
  ReplicaConfig config;
  const chain::Genesis& genesis;
  const chain::SigningDomain domain;  // what every signature here is bound to
  const chain::ValidatorSet& validators;
  chain::Mempool& mempool;
  ReplicaIndex self = 0;
  std::uint64_t batch_delay_ms = 0;
  std::uint64_t base_timeout_ms = 0;

  // ---- committed chain ----
  chain::State state;
  chain::BlockHeader head;
  crypto::Hash256 head_hash;
  std::optional<chain::CommitCertificate> head_certificate;
  std::map<std::uint64_t, crypto::Hash256> recent_hashes;  // height -> hash, bounded
  TimeMs last_block_ms = 0;
  PrimaryMonitor monitor;
  // The highest block the driver reported durable. Votes are kept down to it, not to the
  // head: after a crash the replica restarts at this height and must still know what it
  // signed above it (at most kMaxUnstoredVoteHeights below the head, which bounds the log).
  std::uint64_t stored_height = 0;
  static constexpr std::uint64_t kMaxUnstoredVoteHeights = 256;
  // Execution stops this many blocks above stored_height, so a stalled store bounds the
  // blocks (and votes) held in memory; on_block_stored resumes it. At most
  // kMaxUnstoredVoteHeights, so the vote log always reaches down to the stored height.
  std::uint64_t max_unstored_blocks = kMaxUnstoredVoteHeights;
  bool fetch_waits_for_storage = false;  // a block fetch was held back by storage_behind()
  bool storage_behind() const { return head.height >= stored_height + max_unstored_blocks; }
  void prune_votes() {
    std::uint64_t floor =
        head.height > kMaxUnstoredVoteHeights ? head.height - kMaxUnstoredVoteHeights : 0;
    votes.prune(std::max(stored_height, floor));
    // The prepared certificate of a committed block goes at once, as before: the head's
    // commit certificate stands for it, and keeping it would write the whole block into
    // every vote until the block is stored.
    if (votes.prepared && votes.prepared->pre_prepare.body.sequence <= head.height)
      votes.prepared.reset();
  }

  // ---- view ----
  std::uint64_t view = 0;
  bool in_view_change = false;
  std::uint64_t consecutive_view_changes = 0;
  std::map<ReplicaIndex, Signed<ViewChange>> view_changes;  // latest per sender
  std::optional<Signed<NewView>> last_new_view;             // re-sent to replicas that missed it
  std::vector<Deferred> future_messages;                    // for the view being entered
  std::vector<std::uint64_t> peer_views;  // highest view each peer sent a normal-case message in
  VoteLog votes;

  // ---- instances and checkpoints ----
  std::map<std::uint64_t, Slot> slots;
  std::optional<ConsensusSnapshot::Instance> last_committed;  // the head's, for reports
  std::uint64_t stable_sequence = 0;
  std::vector<Signed<Checkpoint>> stable_proof;
  std::map<std::uint64_t, std::map<ReplicaIndex, Signed<Checkpoint>>> checkpoints;

  // ---- state transfer ----
  std::vector<std::uint64_t> peer_heights;  // highest height each peer showed it committed
  // Highest head a peer proved committed with a certificate (in a VIEW-CHANGE): one such
  // proof is enough to fetch towards it.
  std::uint64_t certified_height = 0;
  bool syncing = false;
  ReplicaIndex fetch_peer = 0;
  std::uint64_t fetch_attempt = 0;

  // ---- timers (absolute deadlines, mirrored to the driver) ----
  // A view this replica proposed in before it restarted: it proposes nothing more there.
  std::optional<std::uint64_t> proposed_before_restart;

  std::optional<TimeMs> batch_deadline;
  std::optional<TimeMs> progress_deadline;
  std::optional<TimeMs> view_change_deadline;
  // Whether 2f+1 replicas want the view being changed to: until then the view-change timer
  // only re-sends this replica's VIEW-CHANGE (messages can be lost); after, it gives up on
  // the view and moves to the next.
  bool view_change_quorum = false;

  ReplicaCounters counters;

  // ---- helpers ----
  std::size_t n() const { return validators.size(); }
  std::size_t quorum() const { return validators.quorum(); }
  std::size_t weak_quorum() const { return validators.max_faulty() + 1; }
  static constexpr std::uint32_t kFetchBatchBlocks = 64;
  static constexpr TimeMs kMaxClockDriftMs = 30'000;
  static constexpr TimeMs kRestartResendMs = 250;
  ReplicaIndex primary() const { return primary_of(view, n()); }
  bool is_primary() const { return primary() == self; }
  // The window is anchored at the stable checkpoint, or at the last checkpoint boundary
  // at or below the head when that is higher (the head is committed, with a certificate;
  // a restarted replica must not wait for a fresh checkpoint proof to accept new blocks).
  std::uint64_t low_watermark() const {
    std::uint64_t interval = genesis.pbft.checkpoint_interval;
    if (planted(PlantedBug::kLowWatermarkAhead))
      return std::max(stable_sequence, (head.height + interval - 1) / interval * interval);
    return std::max(stable_sequence, head.height - head.height % interval);
  }
  std::uint64_t high_watermark() const { return low_watermark() + genesis.pbft.watermark_window; }
  bool in_window(std::uint64_t sequence) const {
    return sequence > low_watermark() && sequence <= high_watermark();
  }

  // ---- messages held for later (replica_buffer.cpp) ----
  BufferLimits buffer_limits;
  // Holds a message for the view about to be entered; false when it is for no such view.
  bool defer_future(const Message& message, std::uint64_t message_view);
  // Holds a pre-prepare for a sequence above head + 1 in `slot`, within the sender's share.
  void hold_pending(Slot& slot, const Signed<PrePrepare>& message);
  // What `sender` has this replica hold (all senders: nullopt).
  BufferUse held(std::optional<ReplicaIndex> sender) const;
  // Whether `use` more from `sender` fits its share; counts a drop when it does not.
  bool admit_buffered(ReplicaIndex sender, const BufferUse& use);
  // Carries on with what a stalled store held back once it caught up.
  void resume_execution(Actions& out, TimeMs now);
  std::uint64_t timeout_ms() const;
  void drop(DropReason reason) { ++counters.dropped[static_cast<int>(reason)]; }
  bool planted(PlantedBug bug) const { return config.planted_bug == bug; }
  // One vote per sender in `tally` (a planted bug files each copy under a key of its own).
  template <typename Vote>
  void tally_vote(std::map<ReplicaIndex, Signed<Vote>>& tally, const Signed<Vote>& message) {
    ReplicaIndex key = message.sender;
    while (planted(PlantedBug::kCountDuplicateVotes) && tally.count(key) != 0)
      key += static_cast<ReplicaIndex>(n());
    tally.emplace(key, message);
  }

  template <typename Body>
  Signed<Body> sign_body(Body body) const {
    return sign(config.key, self, domain, std::move(body));
  }
  void broadcast(Actions& out, const Message& message);
  void send(Actions& out, ReplicaIndex to, const Message& message);
  void persist_votes(Actions& out);
  void set_timer(Actions& out, Timer id, std::optional<TimeMs>& deadline, TimeMs at);
  void cancel_timer(Actions& out, Timer id, std::optional<TimeMs>& deadline);

  // ---- normal case (replica_normal.cpp) ----
  void maybe_propose(Actions& out, TimeMs now, bool timer_fired);
  void propose(Actions& out, std::vector<chain::Transaction> batch,
               std::vector<crypto::Hash256> tx_hashes, TimeMs now);
  void on_pre_prepare(Actions& out, const Signed<PrePrepare>& message, TimeMs now);
  void accept_pre_prepare(Actions& out, const Signed<PrePrepare>& message, TimeMs now);
  Status validate_proposal(const PrePrepare& proposal, TimeMs now, chain::StateDiff& diff,
                           std::vector<crypto::Hash256>& tx_hashes);
  // Common checks of PREPARE and COMMIT: current view, above the head, inside the window.
  template <typename Vote>
  bool admit_vote(Actions& out, const Signed<Vote>& message, TimeMs now);
  void on_prepare(Actions& out, const Signed<Prepare>& message, TimeMs now);
  void on_commit(Actions& out, const Signed<Commit>& message, TimeMs now);
  void check_prepared(Actions& out, std::uint64_t sequence, TimeMs now);
  void check_committed(Actions& out, std::uint64_t sequence, TimeMs now);
  void commit_block(Actions& out, chain::Block block, chain::StateDiff diff,
                    std::vector<crypto::Hash256> tx_hashes, TimeMs now);
  void assist_committed(Actions& out, const Signed<PrePrepare>& message);
  // Checks the transactions of `block` against the head's state; on success `diff` is what
  // executing them changes and `tx_hashes` their hashes, in order.
  Status check_block_contents(const chain::Block& block, chain::StateDiff& diff,
                              std::vector<crypto::Hash256>& tx_hashes);
  void after_head_advanced(Actions& out, TimeMs now);
  void arm_progress_timer(Actions& out, TimeMs now, bool restart = false);
  bool work_pending() const;
  // Whether the mempool holds a transaction the next block could carry.
  bool transactions_waiting() const;
  // Feeds a commit to the primary monitor; a view change when it suspects the primary.
  void monitor_primary(Actions& out, bool still_waiting, TimeMs now);

  // ---- view change (replica_view_change.cpp) ----
  void start_view_change(Actions& out, std::uint64_t target, TimeMs now);
  void on_view_change(Actions& out, const Signed<ViewChange>& message, TimeMs now);
  void try_new_view(Actions& out, TimeMs now);
  void on_view_change_timer(Actions& out, TimeMs now);
  // Notes the view of a peer's pre-prepare, prepare or commit; joins a later view once f+1
  // peers are seen working in it.
  void observe_view(Actions& out, ReplicaIndex peer, std::uint64_t peer_view, TimeMs now);
  void on_new_view(Actions& out, const Signed<NewView>& message, TimeMs now);
  void enter_view(Actions& out, std::uint64_t new_view, TimeMs now);
  Signed<ViewChange> make_view_change(std::uint64_t target) const;

  // ---- checkpoints and state transfer (replica_sync.cpp) ----
  void on_checkpoint(Actions& out, const Signed<Checkpoint>& message, TimeMs now);
  void make_checkpoint(Actions& out, std::uint64_t height);
  void try_stabilise(std::uint64_t sequence);
  void observe_height(Actions& out, ReplicaIndex peer, std::uint64_t height, TimeMs now);
  void observe_certified_head(Actions& out, ReplicaIndex peer, const ViewChange& view_change,
                              TimeMs now);
  // Commits the block just above the head when this replica holds it (prepared or
  // pre-prepared) and a peer has proved it committed with `certificate`.
  bool commit_with_certificate(Actions& out, const chain::CommitCertificate& certificate,
                               TimeMs now);
  void maybe_sync(Actions& out, TimeMs now);
  void request_blocks(Actions& out, TimeMs now);
  void on_blocks(Actions& out, ReplicaIndex peer, std::vector<chain::Block> blocks, TimeMs now);
};

}  // namespace synod::pbft
