// What differs between the Nakamoto-style modes (proof-of-work, proof-of-stake) for the
// engine core they share (nakamoto_core.h): how a block's seal is checked, what a block's
// header must agree with in its parent chain, and how its body executes. Everything else —
// the block tree, orphans, fork choice, reorgs, sync and recovery — is common.
//
// Rules are pure: no clock, storage or network; `now` arrives as an argument. Immutable
// after construction; shared by one engine's parts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "chain/block.h"
#include "chain/engine.h"
#include "chain/state.h"
#include "pow_pos/block_tree.h"
#include "pow_pos/pow_rules.h"

namespace synod::pow_pos {

// The numbers the core sizes itself by.
struct ChainShape {
  std::string mode;  // "pow" or "pos": log and error prefixes
  std::uint64_t max_reorg_depth = 0;
  std::uint64_t block_interval_ms = 0;  // the default sync poll interval
  std::size_t history_points = 0;       // ancestors (parent included) a header check reads
  std::size_t max_block_bytes = 0;
  TieBreak tie_break = TieBreak::kFirstSeen;
  std::string anchor_key;  // PersistAction key of the chain-work anchor
};

class ChainRules {
 public:
  virtual ~ChainRules() = default;

  virtual const ChainShape& shape() const = 0;
  // Context-free checks of a received block (seal kind, size, the seal itself).
  virtual Verdict check_shape(const chain::Block& block) const = 0;
  // Checks against the parent chain (in `tree`, at least history_points deep unless near
  // block 0) and, when set, the clock.
  virtual Verdict check_header(const chain::BlockHeader& header, const BlockTree& tree,
                               const TreeEntry& parent, std::optional<chain::TimeMs> now) const = 0;
  // Executes the block on its parent's state (left as it was).
  virtual BodyCheck check_body(const chain::Block& block, chain::State& parent_state,
                               const chain::SignatureCheck& signature_check) const = 0;
};

}  // namespace synod::pow_pos
