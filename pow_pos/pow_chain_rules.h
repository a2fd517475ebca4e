// The proof-of-work mode's ChainRules: the checks of pow_rules.h with the genesis' PowParams
// and the parent chain from the block tree (retargeting, median time past).
#pragma once

#include "pow_pos/chain_rules.h"

namespace synod::pow_pos {

class PowChainRules final : public ChainRules {
 public:
  explicit PowChainRules(const chain::PowParams& params);

  Verdict check_shape(const chain::Block& block) const override;
  Verdict check_header(const chain::BlockHeader& header, const BlockTree& tree,
                       const TreeEntry& parent, std::optional<chain::TimeMs> now) const override;
  BodyCheck check_body(const chain::Block& block, chain::State& parent_state,
                       const chain::SignatureCheck& signature_check) const override;

  const chain::PowParams& params() const { return params_; }
  // The next block's target and median time past on `parent`; nullopt without ancestry.
  std::optional<Uint256> target_after(const BlockTree& tree, const crypto::Hash256& parent) const;
  std::optional<std::uint64_t> median_time_after(const BlockTree& tree,
                                                 const crypto::Hash256& parent) const;

 private:
  chain::PowParams params_;
};

}  // namespace synod::pow_pos
