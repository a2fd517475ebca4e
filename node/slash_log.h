// The slashes on a proof-of-stake node's best chain, for its push stream (node_events.cpp):
// who was slashed, for what, at which heights, how much it lost and who reported it.
//
// Found in each appended block's state changes: an account whose slashed_height becomes
// that block's height was slashed by it, and the difference between its stake and
// unbonding coins before and after is the amount taken. A reorg forgets the slashes of the
// blocks it took off. An offender slashed before this node started (so no block of it was
// seen here) still shows, from the ledger state, with "amount" null.
//
// Bounded: the newest kKept slashes. Pure data; thread safety: none (the event loop's).
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include <nlohmann/json.hpp>

#include "chain/block.h"
#include "chain/genesis.h"
#include "chain/state.h"

namespace synod::node {

class SlashLog {
 public:
  static constexpr std::size_t kKept = 16;

  // Records the slashes `block` (with its state changes `diff`) carried out.
  void on_block(const chain::Block& block, const chain::StateDiff& diff,
                const chain::Genesis& genesis);
  // The blocks above `fork_height` left the best chain, and their slashes with them.
  void forget_above(std::uint64_t fork_height);

  // [{"offender", "address", "reason", "offence_height", "slashed_at_height", "amount",
  //   "stake_after", "reporter", "block_hash"}, ...], oldest first, completed from `state`.
  nlohmann::json to_json(const chain::State& state, const chain::Genesis& genesis) const;
  std::size_t size() const { return slashes_.size(); }

 private:
  std::deque<nlohmann::json> slashes_;
};

// A validator's name for `address`, or the address itself when no validator has it.
std::string validator_name_of(const chain::Address& address, const chain::Genesis& genesis);

}  // namespace synod::node
