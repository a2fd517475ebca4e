// The proof-of-stake consensus rules as pure functions, after the lecture's formula:
//
//   a validator with address A may sign the block after `prev_hash` at second `ts` when
//   SHA256(prev_hash || A || ts) <= 2^256 * stake(A) / difficulty
//
// with prev_hash the parent's 32-byte hash, A the 20-byte address, ts a u64 (little-endian,
// as everything in chain/codec.h), the hash read as a big-endian number and stake(A) the
// address' stake in the parent's state (zero once slashed). The threshold is computed
// exactly in 256 bits (shifted_div), saturating at 2^256 - 1 when stake >= difficulty.
// Each validator gets one ticket per second per parent; a block's slot must follow its
// parent's and may not start more than max_future_ms after a node's now.
//
// Difficulty adjusts per block toward block_interval_ms: the mean difficulty of the last
// retarget_window blocks (block 0 excluded) scaled by expected / actual timespan, within a factor
// of max_retarget_factor, never below 1. Fork choice is the longest chain, ties to the lowest block
// hash (BlockTree, TieBreak::kLowestHash).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "chain/address.h"
#include "chain/block.h"
#include "chain/genesis.h"
#include "chain/signing_domain.h"
#include "pow_pos/pow_rules.h"
#include "pow_pos/uint256.h"

namespace synod::pow_pos {

// SHA256(prev_hash || address || u64 ts).
crypto::Hash256 lottery_ticket(const crypto::Hash256& prev_hash, const chain::Address& address,
                               std::uint64_t slot_time_s);
// floor(2^256 * stake / difficulty), saturated; zero for zero stake. difficulty > 0.
Uint256 eligibility_threshold(std::uint64_t stake, const Uint256& difficulty);
// Whether the ticket wins: stake > 0 and ticket <= threshold.
bool wins_lottery(const crypto::Hash256& ticket, std::uint64_t stake, const Uint256& difficulty);

// The difficulty the child of parent_chain[0] must carry (parent_chain: the parent and its
// ancestors newest first, ChainPoint::target holding each block's difficulty). Children of
// blocks 0 and 1 get the initial difficulty; later ones look at the last
// min(retarget_window, parent height - 1) blocks, never at block 0, whose timestamp is the
// genesis'. Nullopt when the ancestry is too short.
std::optional<Uint256> next_difficulty(std::span<const ChainPoint> parent_chain,
                                       const chain::PosParams& params);
std::size_t pos_points_needed(const chain::PosParams& params);

// Context-free checks: a PoS seal, check_block_limits, timestamp_ms == slot * 1000,
// difficulty > 0, and the seal's signature valid in `domain` (chain/pos_seal.h).
Verdict check_pos_shape(const chain::Block& block, const chain::PosParams& params,
                        const chain::SigningDomain& domain);

struct PosHeaderContext {
  std::uint64_t parent_height = 0;
  std::uint64_t parent_slot_s = 0;  // the parent's timestamp in whole seconds
  Uint256 expected_difficulty;
  std::optional<chain::TimeMs> now;  // unset: no future-time check
};
Verdict check_pos_header(const chain::BlockHeader& header, const PosHeaderContext& context,
                         const chain::PosParams& params);

// The lottery against the parent's state, then the body (execute_block).
BodyCheck check_pos_body(const chain::Block& block, chain::State& parent_state,
                         const chain::PosParams& params,
                         const chain::SignatureCheck& signature_check);

}  // namespace synod::pow_pos
