// Proposing: one lottery ticket per second on the best tip (and, for a double-signer, on
// the tip's parent and on every other leaf near the tip too); a win becomes a signed block.
#include "chain/pos_seal.h"
#include "pow_pos/pos_engine_impl.h"

namespace synod::pow_pos {
namespace {

constexpr std::uint64_t kSealSignatureBytes = 64;  // beyond the PoW header's size

}  // namespace

void PosEngine::Impl::tip_changed(TimeMs now, Actions& out) {
  forget_old_headers();
  // Tickets drawn on blocks that can no longer be parents are of no use.
  const std::uint64_t height = core->tip().height();
  std::erase_if(last_slot_tried, [&](const auto& item) {
    const TreeEntry* entry = core->tree.find(item.first);
    return entry == nullptr || entry->height() + kSideLeafMaxLag < height;
  });
  if (!proposing())
    return;
  on_slot(now, out);
}

void PosEngine::Impl::arm_slot_timer(TimeMs now, Actions& out) {
  out.push_back(chain::SetTimerAction{kSlotTimer, (now / 1000 + 1) * 1000});
  slot_timer_armed = true;
}

// The current second's tickets: on the best tip, and for a double-signer on every other
// block it could extend near the tip.
void PosEngine::Impl::on_slot(TimeMs now, Actions& out) {
  if (!proposing())
    return;
  const std::uint64_t slot = now / 1000;
  if (double_sign) {
    try_on_tip_parent(slot, now, out);
    try_on_side_leaves(slot, now, out);
  }
  try_on_tip(slot, now, out);
  if (!slot_timer_armed)
    arm_slot_timer(now, out);
}

bool PosEngine::Impl::claim_slot(const TreeEntry& parent, std::uint64_t slot) {
  if (slot <= parent.header().timestamp_ms / 1000)
    return false;  // the parent's own second or earlier: no slot after it yet
  auto [it, fresh] = last_slot_tried.try_emplace(parent.hash, slot);
  if (!fresh && it->second >= slot)
    return false;  // one ticket per second per parent
  it->second = slot;
  return true;
}

void PosEngine::Impl::try_on_tip(std::uint64_t slot, TimeMs now, Actions& out) {
  const TreeEntry& tip = core->tip();
  if (!claim_slot(tip, slot))
    return;
  if (auto own = propose_on(tip, slot, core->state))
    core->add_own_block(std::move(own->block), std::move(own->diff), std::move(own->tx_hashes), now,
                        out);
}

// Nothing-at-stake: a ticket on the tip's parent too, signing a sibling of the tip.
void PosEngine::Impl::try_on_tip_parent(std::uint64_t slot, TimeMs now, Actions& out) {
  const TreeEntry& tip = core->tip();
  if (tip.height() == 0)
    return;
  const crypto::Hash256 parent = tip.parent();  // the tip's entry may be pruned below
  try_off_tip(parent, slot, now, out);
}

// Nothing-at-stake: a ticket on every other live leaf within kSideLeafMaxLag blocks of the
// tip, so each competing branch the double-signer knows grows too, not only the best one.
void PosEngine::Impl::try_on_side_leaves(std::uint64_t slot, TimeMs now, Actions& out) {
  const std::uint64_t height = core->tip().height();
  std::vector<crypto::Hash256> near;  // hashes: a block signed below may reorg and prune
  for (const TreeEntry* leaf : core->tree.leaves()) {
    if (leaf->hash != core->active && leaf->validity != Validity::kInvalid &&
        leaf->height() + kSideLeafMaxLag >= height)
      near.push_back(leaf->hash);
  }
  for (const crypto::Hash256& leaf : near)
    try_off_tip(leaf, slot, now, out);
}

// A ticket on `parent_hash`, a block off the best tip, in that block's state.
void PosEngine::Impl::try_off_tip(const crypto::Hash256& parent_hash, std::uint64_t slot,
                                  TimeMs now, Actions& out) {
  const TreeEntry* parent = core->tree.find(parent_hash);
  if (parent == nullptr || parent_hash == core->active || !claim_slot(*parent, slot))
    return;
  std::optional<OwnBlock> own;
  const bool visited = core->with_state_at(
      *parent, now, [&](chain::State& state) { own = propose_on(*parent, slot, state); });
  if (!visited || !own)
    return;
  ++pos_counters.byzantine_blocks;
  core->add_own_block(std::move(own->block), std::move(own->diff), std::move(own->tx_hashes), now,
                      out);
}

// Draws this validator's ticket for `slot` on `parent`; on a win, the signed block.
std::optional<OwnBlock> PosEngine::Impl::propose_on(const TreeEntry& parent, std::uint64_t slot,
                                                    chain::State& parent_state) {
  auto difficulty = difficulty_after(parent.hash);
  if (!difficulty) {
    ++core->counters.local_errors;
    return std::nullopt;
  }
  const chain::Address self = chain::address_of(core->key.public_key());
  ++pos_counters.tickets_drawn;
  const crypto::Hash256 ticket = lottery_ticket(parent.hash, self, slot);
  if (!wins_lottery(ticket, parent_state.lottery_stake(self), *difficulty))
    return std::nullopt;
  ++pos_counters.slots_won;
  const std::size_t room = params.max_block_bytes - block_overhead_bytes() - kSealSignatureBytes;
  BlockBatch batch = core->select_block_batch(parent_state, parent.height() + 1, room,
                                              params.max_block_transactions, params.block_reward);
  pos_counters.dropped_transactions += batch.dropped;
  if (!batch.execution.ok()) {  // the reward would pass the supply cap
    ++core->counters.local_errors;
    return std::nullopt;
  }
  OwnBlock own;
  own.block.header = core->child_header(parent, batch, parent_state);
  chain::BlockHeader& header = own.block.header;
  header.timestamp_ms = slot * 1000;
  header.seal = chain::PosSeal{slot, difficulty->to_hash(), {}};
  own.block.transactions = std::move(batch.transactions);
  own.tx_hashes = std::move(batch.tx_hashes);
  chain::sign_pos_header(header, rules.domain(), core->key);
  own.diff = std::move(batch.execution.diff);
  return own;
}

}  // namespace synod::pow_pos
