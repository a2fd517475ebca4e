// PBFT's normal case: batching and proposing, pre-prepare validation, prepare and commit
// quorums, and executing a committed block (Castro & Liskov, section 4.2-4.3).
#include <algorithm>
#include <cassert>

#include "chain/certificate.h"
#include "crypto/merkle.h"
#include "pbft/replica_impl.h"

namespace synod::pbft {

bool Replica::Impl::work_pending() const {
  if (genesis.pbft.empty_block_interval_ms > 0)
    return true;  // heartbeat blocks expected
  auto it = slots.find(head.height + 1);
  if (it != slots.end() && (it->second.pre_prepare || it->second.pending))
    return true;
  return transactions_waiting();
}

bool Replica::Impl::transactions_waiting() const {
  return !mempool.select_batch(state, 1, genesis.pbft.max_block_bytes).empty();
}

void Replica::Impl::monitor_primary(Actions& out, bool still_waiting, TimeMs now) {
  bool suspect = monitor.block_committed(now, still_waiting);
  if (!suspect || is_primary() || in_view_change || syncing)
    return;
  ++counters.slow_primary_view_changes;
  start_view_change(out, view + 1, now);
}

void Replica::Impl::arm_progress_timer(Actions& out, TimeMs now, bool restart) {
  if (in_view_change)
    return;
  if (progress_deadline && !restart)
    return;
  set_timer(out, kProgressTimer, progress_deadline,
            now + timeout_ms() + genesis.pbft.empty_block_interval_ms);
}

void Replica::Impl::maybe_propose(Actions& out, TimeMs now, bool timer_fired) {
  if (!is_primary() || in_view_change || syncing || storage_behind())
    return;
  // The NEW-VIEW proved blocks up to the floor committed: catch up before proposing.
  if (head.height < votes.view_floor)
    return;
  std::uint64_t next = head.height + 1;
  auto slot = slots.find(next);
  if (slot != slots.end() && (slot->second.pre_prepare || slot->second.pending))
    return;
  if (next > high_watermark())
    return;
  // Before a restart this replica may have proposed anything at any sequence of this view;
  // proposing again could contradict it. The view will change.
  if (proposed_before_restart == view)
    return;
  const auto& params = genesis.pbft;
  // Room for the header and framing inside the block byte limit.
  std::size_t max_bytes = params.max_block_bytes - 512;
  std::vector<crypto::Hash256> tx_hashes;
  auto batch = mempool.select_batch(state, params.max_block_transactions, max_bytes, &tx_hashes);
  if (!batch.empty()) {
    // A block closes batch_delay_ms after the previous one committed: a primary that has
    // been idle that long proposes at once, and a busy one gathers what arrives meanwhile.
    // Transactions that waited out a block in flight go as soon as it commits.
    bool full = batch.size() >= params.max_block_transactions;
    TimeMs close_at = last_block_ms + batch_delay_ms;
    if (full || timer_fired || now >= close_at) {
      cancel_timer(out, kBatchTimer, batch_deadline);
      propose(out, std::move(batch), std::move(tx_hashes), now);
      return;
    }
    if (!batch_deadline || *batch_deadline > close_at) {
      set_timer(out, kBatchTimer, batch_deadline, close_at);
    }
    return;
  }
  if (params.empty_block_interval_ms == 0)
    return;
  TimeMs due = last_block_ms + params.empty_block_interval_ms;
  if (now >= due) {
    cancel_timer(out, kBatchTimer, batch_deadline);
    propose(out, {}, {}, now);
  } else if (!batch_deadline || *batch_deadline > due) {
    set_timer(out, kBatchTimer, batch_deadline, due);
  }
}

void Replica::Impl::propose(Actions& out, std::vector<chain::Transaction> batch,
                            std::vector<crypto::Hash256> tx_hashes, TimeMs now) {
  assert(tx_hashes.size() == batch.size());
  chain::Block block;
  chain::BlockHeader& header = block.header;
  header.height = head.height + 1;
  header.prev_hash = head_hash;
  header.tx_root = crypto::merkle_root(tx_hashes);
  header.timestamp_ms = std::max(now, head.timestamp_ms);
  header.proposer = config.key.public_key();
  header.seal = chain::PbftSeal{view, header.height};
  chain::Execution execution = state.execute(batch, chain::address_of(header.proposer),
                                             chain::SignaturePolicy::kAlreadyVerified);
  if (!execution.ok())
    return;  // the mempool only selects executable batches
  header.state_root = state.root_after(execution.diff);
  block.transactions = std::move(batch);

  crypto::Hash256 digest = block.hash();
  votes.record(VoteKind::kPrePrepare, view, header.height, digest);
  if (votes.proposed_in_view != view) {
    votes.proposed_in_view = view;
    persist_votes(out);  // before the first pre-prepare of the view leaves
  }
  auto message = sign_body(PrePrepare{view, header.height, std::move(block)});
  broadcast(out, message);

  Slot& slot = slots[header.height];
  slot.pre_prepare = std::move(message);
  slot.digest = digest;
  slot.diff = std::move(execution.diff);
  slot.tx_hashes = std::move(tx_hashes);
  arm_progress_timer(out, now);
  check_prepared(out, header.height, now);
}

void Replica::Impl::on_pre_prepare(Actions& out, const Signed<PrePrepare>& message, TimeMs now) {
  const PrePrepare& body = message.body;
  if (body.sequence > 0)
    observe_height(out, message.sender, body.sequence - 1, now);
  observe_view(out, message.sender, body.view, now);
  if (in_view_change || body.view != view) {
    if (!defer_future(message, body.view))
      drop(DropReason::kWrongView);
    return;
  }
  if (message.sender != primary()) {
    drop(DropReason::kNotPrimary);
    return;
  }
  std::uint64_t sequence = body.sequence;
  if (sequence <= head.height) {
    assist_committed(out, message);
    return;
  }
  if (!in_window(sequence)) {
    drop(DropReason::kOutsideWatermarks);
    return;
  }
  Slot& slot = slots[sequence];
  crypto::Hash256 digest = body.block.hash();
  const auto& known = slot.pre_prepare ? slot.pre_prepare : slot.pending;
  if (known) {
    if (known->body.block.hash() != digest && planted(PlantedBug::kAcceptConflictingPrePrepare) &&
        sequence == head.height + 1) {
      accept_pre_prepare(out, message, now);
    } else if (known->body.block.hash() != digest) {
      // Two signed pre-prepares for one (view, sequence): the primary is faulty.
      drop(DropReason::kConflictingPrePrepare);
      start_view_change(out, view + 1, now);
    }
    return;
  }
  if (sequence > head.height + 1) {
    hold_pending(slot, message);
    maybe_sync(out, now);
    return;
  }
  accept_pre_prepare(out, message, now);
}

void Replica::Impl::assist_committed(Actions& out, const Signed<PrePrepare>& message) {
  // A block this replica already committed is being re-proposed in a new view (the
  // view-change quorum did not include a replica that had committed it). Vote for it so
  // the others can finish; it cannot conflict with anything committed.
  std::uint64_t sequence = message.body.sequence;
  auto known = recent_hashes.find(sequence);
  crypto::Hash256 digest = message.body.block.hash();
  if (known == recent_hashes.end() || known->second != digest) {
    drop(DropReason::kStale);
    return;
  }
  bool prepare_ok = is_primary() || votes.allows(VoteKind::kPrepare, view, sequence, digest);
  if (!prepare_ok || !votes.allows(VoteKind::kCommit, view, sequence, digest))
    return;
  if (!is_primary())
    broadcast(out, sign_body(Prepare{view, sequence, digest}));
  broadcast(out, sign_body(Commit{view, sequence, digest}));
}

Status Replica::Impl::check_block_contents(const chain::Block& block, chain::StateDiff& diff,
                                           std::vector<crypto::Hash256>& tx_hashes) {
  const auto& header = block.header;
  if (block.transactions.size() > genesis.pbft.max_block_transactions) {
    return make_error("too many transactions");
  }
  std::vector<crypto::Hash256> hashes;
  hashes.reserve(block.transactions.size());
  for (const auto& tx : block.transactions)
    hashes.push_back(tx.hash());
  if (crypto::merkle_root(hashes) != header.tx_root)
    return make_error("wrong Merkle root");
  // Each signature is verified once per node: transactions already admitted to the
  // mempool were verified there.
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    const chain::Transaction& tx = block.transactions[i];
    bool valid = config.signature_check ? config.signature_check(tx, hashes[i])
                                        : mempool.contains(hashes[i]) || tx.signature_valid(domain);
    if (!valid && !planted(PlantedBug::kSkipTransactionSignatures)) {
      return make_error("transaction " + std::to_string(i) + " has a bad signature");
    }
  }
  chain::Execution execution = state.execute(block.transactions, chain::address_of(header.proposer),
                                             chain::SignaturePolicy::kAlreadyVerified);
  if (!execution.ok())
    return make_error(execution.rejection->message());
  if (state.root_after(execution.diff) != header.state_root) {
    return make_error("wrong state root");
  }
  diff = std::move(execution.diff);
  tx_hashes = std::move(hashes);
  return Status::success();
}

Status Replica::Impl::validate_proposal(const PrePrepare& proposal, TimeMs now,
                                        chain::StateDiff& diff,
                                        std::vector<crypto::Hash256>& tx_hashes) {
  const chain::Block& block = proposal.block;
  const chain::BlockHeader& header = block.header;
  if (header.height != head.height + 1 || proposal.sequence != header.height) {
    return make_error("wrong height");
  }
  if (proposal.sequence <= votes.view_floor) {
    return make_error("proposal at or below the new view's committed floor");
  }
  const auto* seal = std::get_if<chain::PbftSeal>(&header.seal);
  if (seal == nullptr || seal->sequence != proposal.sequence || seal->view > proposal.view) {
    return make_error("seal does not match the pre-prepare");
  }
  if (header.prev_hash != head_hash)
    return make_error("wrong previous hash");
  if (header.proposer != validators.at(primary_of(seal->view, n())).public_key) {
    return make_error("proposer is not the primary of the block's view");
  }
  if (block.certificate)
    return make_error("a proposal carries no certificate");
  if (header.timestamp_ms < head.timestamp_ms)
    return make_error("timestamp before parent");
  if (header.timestamp_ms > now + kMaxClockDriftMs)
    return make_error("timestamp in the future");
  if (block.encode().size() > genesis.pbft.max_block_bytes)
    return make_error("block too large");
  return check_block_contents(block, diff, tx_hashes);
}

void Replica::Impl::accept_pre_prepare(Actions& out, const Signed<PrePrepare>& message,
                                       TimeMs now) {
  std::uint64_t sequence = message.body.sequence;
  Slot& slot = slots[sequence];
  slot.pending.reset();
  chain::StateDiff diff;
  std::vector<crypto::Hash256> tx_hashes;
  if (auto status = validate_proposal(message.body, now, diff, tx_hashes); !status) {
    // An invalid proposal is evidence against the primary.
    drop(DropReason::kInvalidProposal);
    ++counters.invalid_proposals;
    start_view_change(out, view + 1, now);
    return;
  }
  crypto::Hash256 digest = message.body.block.hash();
  if (!is_primary() && !votes.allows(VoteKind::kPrepare, view, sequence, digest) &&
      !planted(PlantedBug::kAcceptConflictingPrePrepare)) {
    drop(DropReason::kConflictingPrePrepare);
    return;
  }
  slot.pre_prepare = message;
  slot.digest = digest;
  slot.diff = std::move(diff);
  slot.tx_hashes = std::move(tx_hashes);
  if (!is_primary()) {
    votes.record(VoteKind::kPrepare, view, sequence, digest);
    persist_votes(out);
    auto prepare = sign_body(Prepare{view, sequence, digest});
    slot.prepares.emplace(self, prepare);
    broadcast(out, prepare);
  }
  arm_progress_timer(out, now);
  check_prepared(out, sequence, now);
}

template <typename Vote>
bool Replica::Impl::admit_vote(Actions& out, const Signed<Vote>& message, TimeMs now) {
  const Vote& body = message.body;
  if (body.sequence > 0)
    observe_height(out, message.sender, body.sequence - 1, now);
  observe_view(out, message.sender, body.view, now);
  bool old_view_admitted =
      planted(PlantedBug::kAcceptOldViewVotes) && !in_view_change && body.view < view;
  if ((in_view_change || body.view != view) && !old_view_admitted) {
    if (!defer_future(message, body.view))
      drop(DropReason::kWrongView);
    return false;
  }
  if (body.sequence <= head.height) {
    drop(DropReason::kStale);
    return false;
  }
  if (!in_window(body.sequence)) {
    drop(DropReason::kOutsideWatermarks);
    return false;
  }
  return true;
}

void Replica::Impl::on_prepare(Actions& out, const Signed<Prepare>& message, TimeMs now) {
  if (message.sender == primary() && message.body.view == view && !in_view_change) {
    drop(DropReason::kNotPrimary);  // the primary's pre-prepare stands for its prepare
    return;
  }
  if (!admit_vote(out, message, now))
    return;
  tally_vote(slots[message.body.sequence].prepares, message);
  check_prepared(out, message.body.sequence, now);
}

void Replica::Impl::check_prepared(Actions& out, std::uint64_t sequence, TimeMs now) {
  auto it = slots.find(sequence);
  if (it == slots.end())
    return;
  Slot& slot = it->second;
  if (!slot.pre_prepare || slot.commit_sent)
    return;
  PreparedCertificate certificate{*slot.pre_prepare, {}};
  for (const auto& [sender, prepare] : slot.prepares) {
    if (prepare.body.digest != slot.digest)
      continue;
    certificate.prepares.push_back(prepare);
    if (certificate.prepares.size() == quorum() - 1)
      break;
  }
  if (certificate.prepares.size() < quorum() - 1)
    return;
  if (!votes.allows(VoteKind::kCommit, view, sequence, slot.digest))
    return;
  // Prepared (the paper's prepared(m, v, n, i)): persist the certificate, then commit.
  votes.record(VoteKind::kCommit, view, sequence, slot.digest);
  votes.prepared = std::move(certificate);
  persist_votes(out);
  auto commit = sign_body(Commit{view, sequence, slot.digest});
  slot.commits.emplace(self, commit);
  slot.commit_sent = true;
  broadcast(out, commit);
  check_committed(out, sequence, now);
}

void Replica::Impl::on_commit(Actions& out, const Signed<Commit>& message, TimeMs now) {
  if (!admit_vote(out, message, now))
    return;
  tally_vote(slots[message.body.sequence].commits, message);
  check_committed(out, message.body.sequence, now);
}

void Replica::Impl::check_committed(Actions& out, std::uint64_t sequence, TimeMs now) {
  if (sequence != head.height + 1)
    return;
  auto it = slots.find(sequence);
  if (it == slots.end())
    return;
  Slot& slot = it->second;
  if (!slot.pre_prepare || !slot.commit_sent)
    return;
  std::size_t needed = planted(PlantedBug::kCommitQuorumTooSmall) ? quorum() - 1 : quorum();
  if (planted(PlantedBug::kExecuteBeforeCommitted))
    needed = 1;  // its own COMMIT: prepared is enough
  chain::CommitCertificate certificate{view, sequence, slot.digest, {}};
  for (const auto& [sender, commit] : slot.commits) {
    if (commit.body.digest != slot.digest)
      continue;
    certificate.signatures.push_back(chain::CommitSignature{sender, commit.signature});
    if (certificate.signatures.size() == needed)
      break;
  }
  if (certificate.signatures.size() < needed)
    return;
  if (storage_behind())
    return;  // committed, but executed only once the store catches up (resume_execution)
  // Committed-local: execute (section 4.3).
  chain::Block block = slot.pre_prepare->body.block;
  block.certificate = std::move(certificate);
  chain::StateDiff diff = std::move(slot.diff);
  std::vector<crypto::Hash256> tx_hashes = std::move(slot.tx_hashes);
  commit_block(out, std::move(block), std::move(diff), std::move(tx_hashes), now);
}

void Replica::Impl::commit_block(Actions& out, chain::Block block, chain::StateDiff diff,
                                 std::vector<crypto::Hash256> tx_hashes, TimeMs now) {
  assert(tx_hashes.size() == block.transactions.size());
  state.apply(diff);
  head = block.header;
  head_hash = block.hash();
  head_certificate = block.certificate;
  recent_hashes[head.height] = head_hash;
  while (recent_hashes.size() > 4 * genesis.pbft.watermark_window) {
    recent_hashes.erase(recent_hashes.begin());
  }
  last_block_ms = now;
  ++counters.blocks_committed;
  counters.transactions_committed += block.transactions.size();
  mempool.remove_committed(block.transactions, state);
  // Only the slot that pre-prepared this very block: a head that came by fetch or by a
  // certificate may leave a slot of another view or block behind.
  const auto committed_slot = slots.find(head.height);
  const bool own_instance = committed_slot != slots.end() && committed_slot->second.pre_prepare &&
                            committed_slot->second.digest == head_hash;
  last_committed =
      own_instance ? std::optional(instance_of(head.height, committed_slot->second)) : std::nullopt;
  slots.erase(slots.begin(), slots.upper_bound(head.height));
  prune_votes();
  consecutive_view_changes = 0;
  // Progress: the request timer restarts, unless the block was empty while transactions
  // wait (a primary that keeps proposing empty blocks is censoring).
  bool still_waiting = transactions_waiting();
  bool censoring = block.transactions.empty() && still_waiting;
  out.push_back(chain::AppendBlockAction{std::move(block), std::move(diff), std::move(tx_hashes)});
  if (!censoring)
    arm_progress_timer(out, now, /*restart=*/true);
  after_head_advanced(out, now);
  monitor_primary(out, still_waiting, now);
}

void Replica::Impl::after_head_advanced(Actions& out, TimeMs now) {
  auto next = slots.find(head.height + 1);
  if (!in_view_change && next != slots.end() && next->second.pending &&
      next->second.pending->body.view == view) {
    Signed<PrePrepare> pending = *next->second.pending;
    accept_pre_prepare(out, pending, now);
  }
  maybe_sync(out, now);
  maybe_propose(out, now, /*timer_fired=*/true);  // what waited out the last block goes now
}

}  // namespace synod::pbft
