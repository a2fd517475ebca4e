// The proof-of-stake invariants PowInvariantChecker adds when its genesis is PoS (it keeps
// the mode-neutral ones: reorg bound, no transaction twice on a branch, agreement,
// convergence, inclusion).
//
// On every block joining an honest node's best chain, recomputed from that node's store:
// - valid chain: a PoS seal signed by the proposer for this chain, the height after the
//   parent, the difficulty adjustment gives after the parent chain, a slot after the
//   parent's, a ticket that wins against the proposer's stake in the parent's state, and a
//   re-execution that gives exactly the state changes and roots it carries;
// - slashed validators stay out: the proposer is not slashed in the parent's state;
// - slashing accounts for itself: each evidence transaction proves a double-sign, takes
//   exactly slash_percent of the offender's stake and unbonding coins, marks it slashed at
//   this block for that offence, and the supply moves by the block reward minus what is
//   burned (the slashed amount less the reporter's reward_percent share).
// On every change of a best chain: no offender is slashed twice on one branch (undone
// blocks give their evidence back), and the supply is the genesis supply plus height x
// block_reward minus everything burned on the branch.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "chain/genesis.h"
#include "chain/signing_domain.h"
#include "tests/sim/network.h"
#include "tests/sim/pow_store.h"

namespace synod::sim {

class PosInvariants {
 public:
  explicit PosInvariants(std::shared_ptr<const chain::Genesis> genesis);

  // The per-block checks of `applied`, now on `store`'s best chain; a line per violation.
  void check_block(const PowStore& store, const AppliedBlock& applied,
                   std::vector<std::string>& problems);
  // The per-branch checks of honest slot `slot` after `change` (its blocks checked first).
  void on_change(SlotId slot, const PowStore& store, const StoreChange& change,
                 std::vector<std::string>& problems);

  std::uint64_t slashes_checked() const { return slashes_checked_; }

 private:
  // What a checked block's evidence did.
  struct Slashes {
    std::uint64_t burned = 0;
    std::vector<chain::Address> offenders;
  };
  struct Branch {
    std::multiset<chain::Address> offenders;
    std::uint64_t burned = 0;
  };

  void check_rules(const PowStore& store, const AppliedBlock& applied,
                   std::vector<std::string>& problems);
  Slashes check_slashes(const AppliedBlock& applied, std::vector<std::string>& problems);
  bool signature_valid(const chain::Transaction& tx, const crypto::Hash256& hash);

  std::shared_ptr<const chain::Genesis> genesis_;
  chain::SigningDomain domain_;  // the genesis', hashed once
  std::uint64_t genesis_supply_ = 0;
  std::map<crypto::Hash256, Slashes> slashes_;  // per checked block with evidence
  std::map<SlotId, Branch> branches_;
  std::map<crypto::Hash256, bool> signatures_;  // transactions checked once
  std::uint64_t slashes_checked_ = 0;
};

}  // namespace synod::sim
