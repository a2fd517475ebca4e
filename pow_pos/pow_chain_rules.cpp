#include "pow_pos/pow_chain_rules.h"

#include <algorithm>

#include "pow_pos/pow_engine.h"

namespace synod::pow_pos {

PowChainRules::PowChainRules(const chain::PowParams& params)
    : ChainRules(chain_shape("pow", params, points_needed(params), TieBreak::kFirstSeen,
                             PowEngine::kWorkAnchorKey)),
      params_(params) {}

Verdict PowChainRules::check_shape(const chain::Block& block) const {
  return check_block_shape(block, params_);
}

std::optional<Uint256> PowChainRules::target_after(const BlockTree& tree,
                                                   const crypto::Hash256& parent) const {
  return next_target(history(tree, parent), params_);
}

std::optional<std::uint64_t> PowChainRules::median_time_after(const BlockTree& tree,
                                                              const crypto::Hash256& parent) const {
  return median_time_past(history(tree, parent), params_);
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
