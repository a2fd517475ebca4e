// The PosEngine's state: the shared Nakamoto core, the proposer and the slasher. Internal
// to pow_pos/ (pos_engine*.cpp, pos_slasher.cpp).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "pow_pos/nakamoto_core.h"
#include "pow_pos/pos_chain_rules.h"
#include "pow_pos/pos_engine.h"

namespace synod::pow_pos {

// A block this node made, not yet in the tree.
struct OwnBlock {
  chain::Block block;
  chain::StateDiff diff;
  std::vector<crypto::Hash256> tx_hashes;
};

struct PosEngine::Impl {
  Impl(std::unique_ptr<NakamotoCore> core, bool double_sign, bool report_evidence);

  std::unique_ptr<NakamotoCore> core;
  const PosChainRules& rules;
  const chain::PosParams& params;
  bool double_sign = false;
  bool report_evidence = true;  // EngineSetup::report_evidence

  // The proposer: the last second a ticket was drawn on each parent (pruned more than
  // PosEngine::kSideLeafMaxLag below the tip).
  std::map<crypto::Hash256, std::uint64_t> last_slot_tried;
  bool slot_timer_armed = false;

  // The slasher: the first header seen per (proposer, height), and offences reported.
  std::map<std::pair<crypto::PublicKey, std::uint64_t>, chain::BlockHeader> first_headers;
  std::set<std::pair<crypto::PublicKey, std::uint64_t>> reported;

  PosCounters pos_counters;

  bool proposing() const { return core->participant.has_value(); }
  std::optional<Uint256> difficulty_after(const crypto::Hash256& parent) const {
    return rules.difficulty_after(core->tree, parent);
  }

  // pos_engine_propose.cpp
  void tip_changed(TimeMs now, Actions& out);
  void on_slot(TimeMs now, Actions& out);
  void arm_slot_timer(TimeMs now, Actions& out);
  void try_on_tip(std::uint64_t slot, TimeMs now, Actions& out);
  void try_on_tip_parent(std::uint64_t slot, TimeMs now, Actions& out);
  void try_on_side_leaves(std::uint64_t slot, TimeMs now, Actions& out);
  void try_off_tip(const crypto::Hash256& parent_hash, std::uint64_t slot, TimeMs now,
                   Actions& out);
  // Whether `parent` takes a ticket for `slot` (after its own second, the first this
  // second on it); if so, records it.
  bool claim_slot(const TreeEntry& parent, std::uint64_t slot);
  std::optional<OwnBlock> propose_on(const TreeEntry& parent, std::uint64_t slot,
                                     chain::State& parent_state);

  // pos_slasher.cpp
  void watch(const TreeEntry& entry, TimeMs now, Actions& out);
  void watch_recovered(TimeMs now, Actions& out);
  void report(const chain::BlockHeader& first, const chain::BlockHeader& second, TimeMs now,
              Actions& out);
  void forget_old_headers();
};

}  // namespace synod::pow_pos
