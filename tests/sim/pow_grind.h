// Nonce grinding for the simulator's virtual miners, with real hashes.
//
// The simulator does not let wall-clock hashing decide who finds a block: a miner that gets
// a MineAction grinds nonces here at once, counts the k hashes its first hit took, and the
// hit is delivered about k / hash_rate virtual seconds later (pow_cluster.h). Each hash is a
// Bernoulli trial with success probability (target + 1) / 2^256, so k is geometric and the time to
// a block is (to within one hash) exponential: the statistics of block races are the real ones. A
// target of about 2^248 (256 expected hashes) keeps grinding cheap.
#pragma once

#include <cstdint>
#include <optional>

#include "chain/block.h"
#include "chain/engine.h"

namespace synod::sim {

struct GrindResult {
  std::uint64_t nonce = 0;
  std::uint64_t hashes = 0;  // hashes tried, the hit included (>= 1)
};

// Tries nonces first_nonce, first_nonce + 1, ... (wrapping) on `header`, whose seal must be
// a PowSeal, until the block hash (read big-endian) does not exceed the seal's target.
// Nullopt after `max_hashes` misses. The header is encoded once and only its nonce bytes
// change between hashes; the hit is checked again with BlockHeader::hash().
std::optional<GrindResult> grind(const chain::BlockHeader& header, std::uint64_t first_nonce,
                                 std::uint64_t max_hashes);

// 2^256 / (target + 1): the mean number of hashes per block at `target`.
double expected_hashes(const crypto::Hash256& target);

// The target whose blocks take `hashes` hashes on average: 2^256 / hashes - 1, for a power
// of two `hashes` >= 2 (so it is exact).
crypto::Hash256 target_for_hashes(std::uint64_t hashes);

// When a miner that hashes `hash_rate` times per virtual second finds the hit of its
// `hashes`-th hash: (hashes - 1 + phase) / hash_rate after the job started, phase uniform in
// [0, 1) (drawn by the caller). Real miners share no hashing clock; without the random
// phase, two miners whose rates have a rational ratio would find blocks at the very same
// instant far more often than chance. Rounded to the millisecond, at least 1 ms.
chain::TimeMs mining_delay_ms(std::uint64_t hashes, double phase, double hash_rate);

}  // namespace synod::sim
