// Checking a proof-of-work chain against the genesis, so the wallet trusts the pinned
// genesis and the work, not the node that answered (an SPV client's checks, on whole
// blocks). From block 0 — which must be the genesis' own block — every block must link to
// the one before it (prev_hash, height), carry a proof-of-work seal whose target is exactly
// the one the chain's retarget rules require (pow_pos::next_target, never easier than the
// genesis' initial target), have a hash at or below that target, a timestamp above the
// median time past, and transactions that match its tx_root. The chain's work is the sum of
// its blocks' work.
//
// Not checked: the transactions' effects (signatures, balances, state roots); that needs
// the whole ledger, which a full node keeps. Nor the future-time rule, which depends on the
// clock when a block arrived.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "base/result.h"
#include "chain/block.h"
#include "chain/genesis.h"
#include "client/rpc_client.h"
#include "pow_pos/pow_rules.h"
#include "pow_pos/uint256.h"

namespace synod::client {

// Checks a longest-chain chain block by block, block 0 first: the PoW checks here, the PoS
// ones in pos_chain.h. Pure: no I/O. Keeps every block's hash (32 bytes a block).
class ChainVerifier {
 public:
  virtual ~ChainVerifier() = default;
  // The next block of the chain (block 0 first). An error names the height and the rule
  // broken, and leaves the verifier as it was.
  virtual Status add(const chain::Block& block) = 0;

  std::size_t size() const { return hashes_.size(); }  // blocks checked
  // Height of the last block added; size() must be > 0.
  std::uint64_t height() const { return hashes_.size() - 1; }
  const crypto::Hash256& tip_hash() const { return hashes_.back(); }
  // The block at `height` on the checked chain, if it is that long.
  std::optional<crypto::Hash256> hash_at(std::uint64_t height) const;
  // Cumulative work of blocks 1..height (PoW: expected hashes; PoS: one a block).
  const pow_pos::Uint256& chain_work() const { return work_; }

 protected:
  std::vector<crypto::Hash256> hashes_;
  pow_pos::Uint256 work_;
};

// A verifier for the genesis' mode (pow or pos); null for PBFT.
std::unique_ptr<ChainVerifier> make_chain_verifier(const chain::Genesis& genesis);

// Keeps the last few blocks' times and targets for the retarget rule.
class PowChainVerifier final : public ChainVerifier {
 public:
  // `genesis` must be a proof-of-work genesis.
  explicit PowChainVerifier(const chain::Genesis& genesis);
  Status add(const chain::Block& block) override;

 private:
  Status check_next(const chain::Block& block) const;

  chain::PowParams params_;
  crypto::Hash256 genesis_block_hash_;
  std::deque<pow_pos::ChainPoint> recent_;  // the newest blocks, newest first
};

// A node's best chain, fetched and checked from block 0 to the node's head.
struct VerifiedPowChain {
  std::vector<crypto::Hash256> hashes;  // by height
  pow_pos::Uint256 work;
  std::uint64_t height() const { return hashes.size() - 1; }
};

// Fetches the node's best chain with get_blocks, from block 0 to its head at the time, and
// checks it with the mode's ChainVerifier (a PoW or PoS genesis). When the chain changes under the
// fetch (a reorg: a block that does not link to the one fetched before it) the fetch starts again,
// at most a few times. An invalid block is an error naming it.
Result<VerifiedPowChain> fetch_verified_chain(RpcClient& node, const chain::Genesis& genesis);

}  // namespace synod::client
