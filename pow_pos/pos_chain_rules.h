// The proof-of-stake mode's ChainRules: the checks of pos_rules.h with the genesis'
// PosParams and the parent chain from the block tree (difficulty adjustment, slots).
#pragma once

#include <string>

#include "chain/signing_domain.h"
#include "pow_pos/chain_rules.h"
#include "pow_pos/pos_rules.h"

namespace synod::pow_pos {

class PosChainRules final : public ChainRules {
 public:
  PosChainRules(const chain::PosParams& params, chain::SigningDomain domain);

  Verdict check_shape(const chain::Block& block) const override;
  Verdict check_header(const chain::BlockHeader& header, const BlockTree& tree,
                       const TreeEntry& parent, std::optional<chain::TimeMs> now) const override;
  BodyCheck check_body(const chain::Block& block, chain::State& parent_state,
                       const chain::SignatureCheck& signature_check) const override;

  const chain::PosParams& params() const { return params_; }
  // What seals (chain/pos_seal.h) and transactions are signed in.
  const chain::SigningDomain& domain() const { return domain_; }
  // The difficulty of a child of `parent`; nullopt without ancestry.
  std::optional<Uint256> difficulty_after(const BlockTree& tree,
                                          const crypto::Hash256& parent) const;

 private:
  chain::PosParams params_;
  chain::SigningDomain domain_;
};

}  // namespace synod::pow_pos
