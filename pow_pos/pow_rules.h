// The proof-of-work consensus rules as pure functions: work, retargeting, timestamps, and
// the checks a block must pass (Bitcoin Core's CheckBlockHeader / ContextualCheckBlockHeader
// / ConnectBlock split). No storage, clock or network: every input is an argument.
//
// A rejection is a typed reason with a stable name (metrics, logs, RPC). The reasons that
// make a block invalid for good are the sender's fault (is_block_fault); the others depend
// on what this node knows or on its clock (unknown parent, a timestamp too far ahead, a
// reorg deeper than this node performs) and are never remembered as invalid. A Verdict
// keeps "the block is bad" apart from "we failed" (kError: missing data, a broken
// invariant of ours), as Bitcoin's ValidationState does.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chain/block.h"
#include "chain/engine.h"
#include "chain/genesis.h"
#include "chain/state.h"
#include "pow_pos/uint256.h"

namespace synod::pow_pos {

enum class Rejection : std::uint8_t {
  kMalformed,            // undecodable, not a PoW seal, carries a certificate
  kBadWork,              // hash above the block's own target
  kWrongTarget,          // target other than the one its parent chain requires
  kTimeTooOld,           // timestamp not above the median time past
  kTimeTooNew,           // timestamp more than max_future_ms ahead of now
  kBadHeight,            // not its parent's height + 1
  kUnknownParent,        // parent not known (the block waits in the orphan pool)
  kBadTxRoot,            // tx_root is not the Merkle root of its transactions
  kInvalidTransactions,  // a bad signature, nonce, balance... or an unmintable reward
  kBadStateRoot,         // state_root is not the state after the block
  kTooManyTransactions,  // above max_block_transactions
  kBlockTooBig,          // encoding above max_block_bytes
  kReorgTooDeep,         // forks deeper than max_reorg_depth below the best chain
  kInvalidAncestor,      // descends from an invalid block
  kStale,                // below the oldest block kept: can never connect
  kCapacity,             // the block tree is full of side branches
  kBadSeal,              // PoS: a seal signature that is not the proposer's
  kWrongDifficulty,      // PoS: a difficulty other than the one its parent chain requires
  kNotEligible,          // PoS: the proposer did not win the lottery for its slot
  kCount_,
};
inline constexpr std::size_t kRejectionCount = static_cast<std::size_t>(Rejection::kCount_);

const char* to_string(Rejection reason);  // "bad_work", "time_too_old", ...
// True when the block itself is invalid, whoever asks and whenever: its sender's fault.
bool is_block_fault(Rejection reason);

class Verdict {
 public:
  enum class Kind : std::uint8_t { kValid, kRejected, kError };

  static Verdict valid() { return Verdict(Kind::kValid, Rejection::kMalformed, {}); }
  static Verdict rejected(Rejection reason, std::string detail) {
    return Verdict(Kind::kRejected, reason, std::move(detail));
  }
  // Our fault, not the block's: nothing is concluded about the block.
  static Verdict error(std::string detail) {
    return Verdict(Kind::kError, Rejection::kMalformed, std::move(detail));
  }

  bool ok() const { return kind_ == Kind::kValid; }
  Kind kind() const { return kind_; }
  Rejection reason() const { return reason_; }  // meaningful when kRejected
  const std::string& detail() const { return detail_; }
  std::string message() const;  // "bad_work: ...", "error: ..."

 private:
  Verdict(Kind kind, Rejection reason, std::string detail)
      : kind_(kind), reason_(reason), detail_(std::move(detail)) {}
  Kind kind_;
  Rejection reason_;
  std::string detail_;
};

// ---- work and targets ---------------------------------------------------------------------

// The block hash, read as a big-endian number, must not exceed the target.
bool meets_target(const crypto::Hash256& block_hash, const Uint256& target);
// Expected hashes to find a block: floor(2^256 / (target + 1)), computed as Bitcoin does,
// (~target / (target + 1)) + 1. A target of 2^256 - 1 gives 1; a zero target (never valid)
// gives 2^256 - 1, the saturated value.
Uint256 block_work(const Uint256& target);

// The work a block adds to its chain: block_work(target) for a PoW seal, 1 for a PoS seal
// (the longest chain wins), 0 for any other seal.
Uint256 seal_work(const chain::BlockHeader& header);

// One block of a chain as retargeting and the timestamp rule see it.
struct ChainPoint {
  std::uint64_t height = 0;
  std::uint64_t timestamp_ms = 0;
  Uint256 target;  // block 0 has none (zero); a PoS chain's difficulty
};

// How many points (the parent and its ancestors) next_target and median_time_past need.
std::size_t points_needed(const chain::PowParams& params);

// new = mean_target * actual_ms / expected_ms, clamped to [mean / factor, mean * factor],
// capped at the genesis' initial (easiest) target and never below 1. Exact: the product is
// kept in 320 bits.
Uint256 retarget(const Uint256& mean_target, std::uint64_t actual_ms, std::uint64_t expected_ms,
                 const chain::PowParams& params);

// The target the child of parent_chain[0] must carry. `parent_chain` is the parent and its
// ancestors, newest first. With n = min(retarget_window, parent height) blocks above block
// 0 to look at: the mean target of the last n blocks, scaled by their actual timespan
// (parent's timestamp minus that of the block n below it; 0 when not positive) over
// n * block_interval_ms. A child of block 0 gets the initial target. Nullopt when
// `parent_chain` holds fewer than n + 1 points (the caller lacks the ancestry).
std::optional<Uint256> next_target(std::span<const ChainPoint> parent_chain,
                                   const chain::PowParams& params);

// The median timestamp of the last median_time_window blocks ending at the parent (fewer
// near block 0, which counts): of k sorted values, the one at index k / 2. Nullopt when
// `parent_chain` holds fewer points than that.
std::optional<std::uint64_t> median_time_past(std::span<const ChainPoint> parent_chain,
                                              const chain::PowParams& params);

// ---- block checks -------------------------------------------------------------------------

// The encoded size of `block` (Block::encode().size()) without encoding it.
std::size_t block_bytes(const chain::Block& block);
// Bytes of a block besides its transactions: what a template must leave room for.
std::size_t block_overhead_bytes();

// What a block of either longest-chain mode must be, whatever its seal: no certificate
// (`mode` names the kind of block in the message: "proof-of-work"), height above 0, and
// within the transaction count and byte limits.
Verdict check_block_limits(const chain::Block& block, std::string_view mode,
                           std::uint64_t max_block_transactions, std::uint64_t max_block_bytes);

// Context-free checks, cheapest first: a PoW seal, check_block_limits, a target in
// (0, initial_target], and the work itself.
Verdict check_block_shape(const chain::Block& block, const chain::PowParams& params);

// What a header is checked against: its parent and the clock.
struct HeaderContext {
  std::uint64_t parent_height = 0;
  Uint256 expected_target;
  std::uint64_t median_time_past_ms = 0;
  std::optional<chain::TimeMs> now;  // unset: no future-time check (blocks from our store)
};
Verdict check_header_context(const chain::BlockHeader& header, const HeaderContext& context,
                             const chain::PowParams& params);
// The header checks of either mode: its height is its parent's + 1; its timestamp is at
// most max_future_ms ahead of `now` (when set).
Verdict check_height(const chain::BlockHeader& header, std::uint64_t parent_height);
Verdict check_not_too_new(const chain::BlockHeader& header, std::optional<chain::TimeMs> now,
                          std::uint64_t max_future_ms);

struct BodyCheck {
  Verdict verdict = Verdict::valid();
  chain::StateDiff diff;                   // when valid: the block's state changes
  std::vector<crypto::Hash256> tx_hashes;  // when valid
};
// Executes the block on its parent's state: tx_root, signatures (`signature_check`, or the
// transactions' own check in `parent_state`'s signing domain when unset), the
// transactions and the block reward, then the state root. `parent_state` is left as it was.
BodyCheck check_body(const chain::Block& block, chain::State& parent_state,
                     const chain::PowParams& params, const chain::SignatureCheck& signature_check);
// The same for any mode: `reward` minted to the proposer, the block's height passed to the
// state (PoS unbonding and evidence windows).
BodyCheck execute_block(const chain::Block& block, chain::State& parent_state, std::uint64_t reward,
                        const chain::SignatureCheck& signature_check);

}  // namespace synod::pow_pos
