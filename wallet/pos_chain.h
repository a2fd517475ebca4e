// Checking a proof-of-stake chain against the genesis, so the wallet trusts the pinned
// genesis and the stake lottery, not the node that answered. From block 0 — the genesis'
// own block — every block must link to the one before it, carry a PoS seal signed by its
// proposer for this genesis (chain/pos_seal.h), the difficulty the adjustment rule
// requires, a slot after its parent's, and a ticket SHA256(prev_hash || address || ts)
// within 2^256 * stake / difficulty for the proposer's stake in the parent's state. The
// stakes come from replaying every block on the genesis state (signatures, balances,
// stake, unstake and slashing evidence, state roots), which a testnet-sized chain makes
// cheap; so unlike the PoW check, this one covers the transactions' effects too.
//
// Not checked: the future-time rule, which depends on the clock when a block arrived.
#pragma once

#include <deque>

#include "chain/signing_domain.h"
#include "chain/state.h"
#include "wallet/pow_chain.h"

namespace synod::client {

class PosChainVerifier final : public ChainVerifier {
 public:
  // `genesis` must be a proof-of-stake genesis.
  explicit PosChainVerifier(const chain::Genesis& genesis);
  Status add(const chain::Block& block) override;

  const chain::State& state() const { return state_; }  // after the last block added

 private:
  Status check_header(const chain::Block& block) const;

  chain::PosParams params_;
  chain::SigningDomain domain_;  // what the seals are signed in
  crypto::Hash256 genesis_block_hash_;
  chain::State state_;
  std::deque<pow_pos::ChainPoint> recent_;  // the newest blocks, newest first
};

}  // namespace synod::client
