// Checkpoints (garbage collection, section 4.3) and state transfer: a replica that learns
// it is behind fetches committed blocks with their certificates and checks each one
// against the genesis before applying it.
#include <algorithm>
#include <functional>

#include "chain/certificate.h"
#include "pbft/replica_impl.h"

namespace synod::pbft {

void Replica::Impl::make_checkpoint(Actions& out, std::uint64_t height) {
  auto known = recent_hashes.find(height);
  if (known == recent_hashes.end() || votes.last_checkpoint >= height)
    return;
  votes.last_checkpoint = height;
  persist_votes(out);
  auto message = sign_body(Checkpoint{height, known->second});
  checkpoints[height][self] = message;
  broadcast(out, message);
  try_stabilise(height);
}

void Replica::Impl::on_checkpoint(Actions& out, const Signed<Checkpoint>& message, TimeMs now) {
  std::uint64_t sequence = message.body.sequence;
  if (sequence == 0 || sequence % genesis.pbft.checkpoint_interval != 0) {
    drop(DropReason::kInvalidCheckpoint);
    return;
  }
  observe_height(out, message.sender, sequence, now);
  if (sequence <= stable_sequence) {
    drop(DropReason::kStale);
    return;
  }
  if (sequence > low_watermark() + 4 * genesis.pbft.watermark_window) {
    drop(DropReason::kOutsideWatermarks);
    return;
  }
  checkpoints[sequence].emplace(message.sender, message);
  try_stabilise(sequence);
}

void Replica::Impl::try_stabilise(std::uint64_t sequence) {
  auto it = checkpoints.find(sequence);
  auto known = recent_hashes.find(sequence);
  if (it == checkpoints.end() || known == recent_hashes.end())
    return;
  std::vector<Signed<Checkpoint>> matching;
  for (const auto& [sender, checkpoint] : it->second) {
    if (checkpoint.body.digest == known->second)
      matching.push_back(checkpoint);
  }
  if (matching.size() < quorum())
    return;
  matching.resize(quorum());
  stable_sequence = sequence;
  stable_proof = std::move(matching);
  // The log below a stable checkpoint is no longer needed.
  checkpoints.erase(checkpoints.begin(), checkpoints.upper_bound(sequence));
  slots.erase(slots.begin(), slots.upper_bound(sequence));
}

void Replica::Impl::observe_height(Actions& out, ReplicaIndex peer, std::uint64_t height,
                                   TimeMs now) {
  if (peer >= peer_heights.size() || peer == self)
    return;
  if (height <= peer_heights[peer])
    return;
  peer_heights[peer] = height;
  maybe_sync(out, now);
}

void Replica::Impl::observe_certified_head(Actions& out, ReplicaIndex peer,
                                           const ViewChange& view_change, TimeMs now) {
  // The view-change was validated, so its head certificate is genuine.
  if (view_change.head_certificate && view_change.head.height == head.height + 1) {
    commit_with_certificate(out, *view_change.head_certificate, now);
  }
  certified_height = std::max(certified_height, view_change.head.height);
  observe_height(out, peer, view_change.head.height, now);
  maybe_sync(out, now);
}

bool Replica::Impl::commit_with_certificate(Actions& out,
                                            const chain::CommitCertificate& certificate,
                                            TimeMs now) {
  if (certificate.sequence != head.height + 1 || storage_behind())
    return false;
  // The block itself: the accepted pre-prepare of this slot, or the prepared certificate
  // this replica persisted (it may have changed view since).
  const chain::Block* candidate = nullptr;
  chain::StateDiff diff;
  std::vector<crypto::Hash256> tx_hashes;
  auto slot = slots.find(certificate.sequence);
  if (slot != slots.end() && slot->second.pre_prepare &&
      slot->second.digest == certificate.block_hash) {
    candidate = &slot->second.pre_prepare->body.block;
    diff = slot->second.diff;
    tx_hashes = slot->second.tx_hashes;
  } else if (votes.prepared && votes.prepared->pre_prepare.body.sequence == certificate.sequence &&
             votes.prepared->pre_prepare.body.block.hash() == certificate.block_hash) {
    candidate = &votes.prepared->pre_prepare.body.block;
    if (!check_block_contents(*candidate, diff, tx_hashes))
      return false;
  }
  if (candidate == nullptr || candidate->header.prev_hash != head_hash)
    return false;
  chain::Block block = *candidate;
  block.certificate = certificate;
  commit_block(out, std::move(block), std::move(diff), std::move(tx_hashes), now);
  return true;
}

void Replica::Impl::maybe_sync(Actions& out, TimeMs now) {
  // The (f+1)-th highest height any peer has shown: at least one correct replica has
  // committed that far, so the blocks exist and carry certificates.
  std::vector<std::uint64_t> heights = peer_heights;
  std::sort(heights.begin(), heights.end(), std::greater<>());
  std::uint64_t target =
      heights.size() > validators.max_faulty() ? heights[validators.max_faulty()] : 0;
  auto next = slots.find(head.height + 1);
  bool have_proposal = next != slots.end() && next->second.pre_prepare;
  bool behind = target >= head.height + 2 || (target >= head.height + 1 && !have_proposal) ||
                certified_height > head.height;
  if (!behind) {
    if (syncing) {
      syncing = false;
      fetch_attempt = 0;
      out.push_back(chain::CancelTimerAction{kFetchTimer});
      maybe_propose(out, now, false);
    }
    return;
  }
  if (syncing)
    return;
  syncing = true;
  request_blocks(out, now);
}

void Replica::Impl::request_blocks(Actions& out, TimeMs now) {
  if (storage_behind()) {
    fetch_waits_for_storage = true;  // resume_execution asks again
    return;
  }
  std::vector<ReplicaIndex> candidates;
  for (ReplicaIndex peer = 0; peer < peer_heights.size(); ++peer) {
    if (peer != self && peer_heights[peer] > head.height)
      candidates.push_back(peer);
  }
  if (candidates.empty()) {
    syncing = false;
    return;
  }
  fetch_peer = candidates[fetch_attempt % candidates.size()];
  out.push_back(chain::FetchBlocksAction{fetch_peer, head.height + 1, kFetchBatchBlocks});
  out.push_back(chain::SetTimerAction{kFetchTimer, now + base_timeout_ms});
}

void Replica::Impl::on_blocks(Actions& out, ReplicaIndex peer, std::vector<chain::Block> blocks,
                              TimeMs now) {
  bool advanced = false;
  bool held_back = false;  // by the store, not by the peer
  for (auto& block : blocks) {
    const auto& header = block.header;
    if (header.height <= head.height)
      continue;
    if (storage_behind()) {
      held_back = true;
      fetch_waits_for_storage = syncing;
      break;
    }
    if (header.height != head.height + 1 || header.prev_hash != head_hash)
      break;
    if (!chain::verify_block_certificate(block, validators, domain))
      break;
    chain::StateDiff diff;
    std::vector<crypto::Hash256> tx_hashes;
    if (!check_block_contents(block, diff, tx_hashes))
      break;
    ++counters.blocks_fetched;
    commit_block(out, std::move(block), std::move(diff), std::move(tx_hashes), now);
    advanced = true;
  }
  if (!advanced && !held_back && peer < peer_heights.size() && peer_heights[peer] > head.height) {
    // The peer claimed blocks it did not deliver: stop trusting its height, so the next
    // attempt goes to someone else.
    peer_heights[peer] = head.height;
  }
  if (!syncing)
    return;
  if (advanced && !held_back && peer == fetch_peer) {
    // Keep going while still behind; maybe_sync (run by commit_block) ended the sync if not.
    if (syncing)
      request_blocks(out, now);
  }
}

}  // namespace synod::pbft
