#include "pow_pos/pos_chain_rules.h"

namespace synod::pow_pos {

PosChainRules::PosChainRules(const chain::PosParams& params, chain::SigningDomain domain)
    : ChainRules(chain_shape("pos", params, pos_points_needed(params), TieBreak::kLowestHash,
                             "pos/work_anchor")),
      params_(params),
      domain_(std::move(domain)) {}

Verdict PosChainRules::check_shape(const chain::Block& block) const {
  return check_pos_shape(block, params_, domain_);
}

std::optional<Uint256> PosChainRules::difficulty_after(const BlockTree& tree,
                                                       const crypto::Hash256& parent) const {
  return next_difficulty(history(tree, parent), params_);
}

Verdict PosChainRules::check_header(const chain::BlockHeader& header, const BlockTree& tree,
                                    const TreeEntry& parent,
                                    std::optional<chain::TimeMs> now) const {
  auto difficulty = difficulty_after(tree, parent.hash);
  if (!difficulty)
    return Verdict::error("the parent's ancestry is below the oldest block kept");
  PosHeaderContext context{parent.height(), parent.header().timestamp_ms / 1000, *difficulty, now};
  return check_pos_header(header, context, params_);
}

BodyCheck PosChainRules::check_body(const chain::Block& block, chain::State& parent_state,
                                    const chain::SignatureCheck& signature_check) const {
  return check_pos_body(block, parent_state, params_, signature_check);
}

}  // namespace synod::pow_pos
