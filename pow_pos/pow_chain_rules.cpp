#include "pow_pos/pow_chain_rules.h"

#include <algorithm>

#include "pow_pos/pow_engine.h"

namespace synod::pow_pos {

PowChainRules::PowChainRules(const chain::PowParams& params) : params_(params) {
  shape_.mode = "pow";
  shape_.max_reorg_depth = params.max_reorg_depth;
  shape_.block_interval_ms = params.block_interval_ms;
  shape_.history_points = points_needed(params);
  shape_.max_block_bytes = params.max_block_bytes;
  shape_.tie_break = TieBreak::kFirstSeen;
  shape_.anchor_key = PowEngine::kWorkAnchorKey;
}

Verdict PowChainRules::check_shape(const chain::Block& block) const {
  return check_block_shape(block, params_);
}

std::optional<Uint256> PowChainRules::target_after(const BlockTree& tree,
                                                   const crypto::Hash256& parent) const {
  auto points = tree.chain_points(parent, shape_.history_points);
  return next_target(points, params_);
}

std::optional<std::uint64_t> PowChainRules::median_time_after(const BlockTree& tree,
                                                              const crypto::Hash256& parent) const {
  auto points = tree.chain_points(parent, shape_.history_points);
  return median_time_past(points, params_);
}

Verdict PowChainRules::check_header(const chain::BlockHeader& header, const BlockTree& tree,
                                    const TreeEntry& parent,
                                    std::optional<chain::TimeMs> now) const {
  auto target = target_after(tree, parent.hash);
  auto median = median_time_after(tree, parent.hash);
  if (!target || !median)
    return Verdict::error("the parent's ancestry is below the oldest block kept");
  HeaderContext context{parent.height(), *target, *median, now};
  return check_header_context(header, context, params_);
}

BodyCheck PowChainRules::check_body(const chain::Block& block, chain::State& parent_state,
                                    const chain::SignatureCheck& signature_check) const {
  return pow_pos::check_body(block, parent_state, params_, signature_check);
}

}  // namespace synod::pow_pos
