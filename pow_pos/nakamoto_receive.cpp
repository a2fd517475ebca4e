// Receiving blocks: cheap checks, the orphan pool, insertion into the block tree; and a
// block of our own.
#include "pow_pos/nakamoto_core.h"
#include "pow_pos/pow_messages.h"

namespace synod::pow_pos {

void NakamotoCore::record(const crypto::Hash256& hash, std::uint64_t height,
                          std::optional<PeerIndex> from, const Verdict& verdict, TimeMs now) {
  if (verdict.kind() == Verdict::Kind::kError)
    ++counters.local_errors;
  else
    ++counters.rejected[static_cast<std::size_t>(verdict.reason())];
  RejectionRecord entry{
      hash,
      height,
      from,
      verdict.kind() == Verdict::Kind::kError ? "error" : to_string(verdict.reason()),
      verdict.detail(),
      now};
  recent.push_back(std::move(entry));
  while (recent.size() > limits.max_recent_rejections)
    recent.pop_front();
}

bool NakamotoCore::on_active_chain(const TreeEntry& entry) const {
  const TreeEntry* same_height = tree.ancestor(active, entry.height());
  return same_height == &entry;
}

// The checks that need the parent (in the tree): validity, reorg horizon, capacity, height,
// target, timestamps.
Verdict NakamotoCore::check_context(const chain::Block& block, std::optional<TimeMs> now) const {
  const TreeEntry* parent = tree.find(block.header.prev_hash);
  if (parent == nullptr)
    return Verdict::rejected(Rejection::kUnknownParent, "");
  if (parent->validity == Validity::kInvalid)
    return Verdict::rejected(Rejection::kInvalidAncestor, "");
  auto fork = tree.fork_point(active, parent->hash);
  if (!fork)
    return Verdict::error("no fork point with the best chain");
  const std::uint64_t fork_height = tree.find(*fork)->height();
  if (tip().height() - fork_height > shape.max_reorg_depth) {
    return Verdict::rejected(Rejection::kReorgTooDeep, "forks at " + std::to_string(fork_height) +
                                                           ", best chain at " +
                                                           std::to_string(tip().height()));
  }
  if (parent->hash != active && tree.size() >= limits.max_tree_blocks)
    return Verdict::rejected(Rejection::kCapacity, std::to_string(tree.size()) + " blocks");
  return rules->check_header(block.header, tree, *parent, now);
}

void NakamotoCore::receive_message(chain::ReplicaIndex from, ByteView message, TimeMs now,
                                   Actions& out) {
  auto block = decode_block_message(message);
  if (!block) {
    record(crypto::Hash256{}, 0, from, Verdict::rejected(Rejection::kMalformed, block.message()),
           now);
    return;
  }
  std::vector<chain::Block> blocks;
  blocks.push_back(std::move(*block));
  receive(std::move(blocks), from, /*relay=*/true, now, out);
}

// One block with its shape already checked: into the tree, or into the orphan pool, or
// rejected. Returns its hash when it joined the tree.
std::optional<crypto::Hash256> NakamotoCore::admit(std::shared_ptr<const chain::Block> block,
                                                   std::optional<PeerIndex> from, TimeMs now,
                                                   Actions& out) {
  const crypto::Hash256 hash = block->hash();
  if (!tree.contains(block->header.prev_hash)) {
    if (block->header.height <= tree.root().height()) {
      record(hash, block->header.height, from,
             Verdict::rejected(Rejection::kStale, "below the oldest block kept"), now);
      return std::nullopt;
    }
    std::size_t evicted = 0;
    if (orphans.add(Orphan{block, from}, block_bytes(*block), &evicted)) {
      ++counters.orphans_added;
      counters.orphans_evicted += evicted;
      if (from)
        fetch(*from, now, out);
    }
    return std::nullopt;
  }
  Verdict verdict = check_context(*block, now);
  if (!verdict.ok()) {
    record(hash, block->header.height, from, verdict, now);
    return std::nullopt;
  }
  const TreeEntry& entry = tree.insert(std::move(block), Validity::kHeader);
  ++counters.blocks_accepted;
  if (on_block_admitted)
    on_block_admitted(entry, now, out);
  return hash;
}

void NakamotoCore::connect_orphans(const crypto::Hash256& parent, TimeMs now, Actions& out,
                                   std::vector<crypto::Hash256>& inserted) {
  std::vector<crypto::Hash256> pending = {parent};
  while (!pending.empty()) {
    crypto::Hash256 next = pending.back();
    pending.pop_back();
    for (Orphan& orphan : orphans.take_children(next)) {
      if (auto hash = admit(std::move(orphan.block), orphan.from, now, out)) {
        ++counters.orphans_connected;
        inserted.push_back(*hash);
        pending.push_back(*hash);
      }
    }
  }
}

// Blocks from a peer (a message, or a fetched batch): check, insert, connect waiting
// orphans, then choose the best chain once for the whole batch.
void NakamotoCore::receive(std::vector<chain::Block> blocks, std::optional<PeerIndex> from,
                           bool relay, TimeMs now, Actions& out) {
  std::vector<crypto::Hash256> inserted;
  for (chain::Block& received : blocks) {
    const crypto::Hash256 hash = received.hash();
    if (tree.contains(hash) || orphans.contains(hash)) {
      ++counters.duplicates;
      continue;
    }
    if (Verdict verdict = rules->check_shape(received); !verdict.ok()) {
      record(hash, received.header.height, from, verdict, now);
      continue;
    }
    auto block = std::make_shared<const chain::Block>(std::move(received));
    if (auto admitted = admit(std::move(block), from, now, out)) {
      inserted.push_back(*admitted);
      connect_orphans(*admitted, now, out, inserted);
    }
  }
  if (inserted.empty())
    return;
  const crypto::Hash256 old_tip = active;
  activate_best(now, out);
  for (const auto& hash : inserted) {
    const TreeEntry* entry = tree.find(hash);
    if (entry && entry->validity != Validity::kInvalid && !on_active_chain(*entry))
      out.push_back(chain::StoreSideBlockAction{*entry->block});
  }
  if (active != old_tip) {
    if (relay)
      out.push_back(chain::BroadcastAction{encode_block_message(*tip().block)});
    after_tip_change(now, out);
  }
}

void NakamotoCore::add_own_block(chain::Block block, chain::StateDiff diff,
                                 std::vector<crypto::Hash256> tx_hashes, TimeMs now, Actions& out) {
  auto shared = std::make_shared<const chain::Block>(std::move(block));
  // A PoS seal is deterministic: a validator restarted within the second it signed in
  // signs the very block it stored before the restart. That block is already known.
  if (tree.contains(shared->hash()))
    return;
  const TreeEntry& entry = tree.insert(shared, Validity::kHeader);
  tree.set_valid(entry.hash, std::move(diff), std::move(tx_hashes));
  ++counters.blocks_accepted;
  ++counters.blocks_mined;
  if (on_block_admitted)
    on_block_admitted(entry, now, out);
  out.push_back(chain::BroadcastAction{encode_block_message(*shared)});
  const crypto::Hash256 old_tip = active;
  const crypto::Hash256 hash = entry.hash;
  activate_best(now, out);
  // An own block that lost is kept, as a peer's would be, so a restart still knows it.
  if (const TreeEntry* kept = tree.find(hash); kept && !on_active_chain(*kept))
    out.push_back(chain::StoreSideBlockAction{*shared});
  if (active != old_tip)
    after_tip_change(now, out);
  else if (on_tip_changed)
    on_tip_changed(now, out);  // a block that does not win: produce on the tip again
}

}  // namespace synod::pow_pos
