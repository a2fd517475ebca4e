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
#include <utility>
#include <vector>

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

// The shape from the fields both modes' genesis parameters (PowParams, PosParams) carry.
template <typename Params>
ChainShape chain_shape(std::string mode, const Params& params, std::size_t history_points,
                       TieBreak tie_break, std::string anchor_key) {
  ChainShape shape;
  shape.mode = std::move(mode);
  shape.max_reorg_depth = params.max_reorg_depth;
  shape.block_interval_ms = params.block_interval_ms;
  shape.history_points = history_points;
  shape.max_block_bytes = params.max_block_bytes;
  shape.tie_break = tie_break;
  shape.anchor_key = std::move(anchor_key);
  return shape;
}

class ChainRules {
 public:
  explicit ChainRules(ChainShape shape) : shape_(std::move(shape)) {}
  virtual ~ChainRules() = default;

  const ChainShape& shape() const { return shape_; }
  // Context-free checks of a received block (seal kind, size, the seal itself).
  virtual Verdict check_shape(const chain::Block& block) const = 0;
  // Checks against the parent chain (in `tree`, at least history_points deep unless near
  // block 0) and, when set, the clock.
  virtual Verdict check_header(const chain::BlockHeader& header, const BlockTree& tree,
                               const TreeEntry& parent, std::optional<chain::TimeMs> now) const = 0;
  // Executes the block on its parent's state (left as it was).
  virtual BodyCheck check_body(const chain::Block& block, chain::State& parent_state,
                               const chain::SignatureCheck& signature_check) const = 0;

 protected:
  // `parent` and its ancestors, newest first, as many as a header check reads.
  std::vector<ChainPoint> history(const BlockTree& tree, const crypto::Hash256& parent) const {
    return tree.chain_points(parent, shape_.history_points);
  }

 private:
  ChainShape shape_;
};

}  // namespace synod::pow_pos
