#include "wallet/pow_chain.h"

#include <cassert>

#include "wallet/pos_chain.h"

#include "chain/state.h"
#include "client/blocks_answer.h"
#include "crypto/hex.h"

namespace synod::client {

namespace {

// get_blocks answers at most this many blocks a call (the node's cap, kMaxFetchBlocks).
constexpr std::uint64_t kFetchBlocks = 64;
// A chain that changes under the fetch this many times in a row is reported, not chased.
constexpr int kFetchAttempts = 4;
// No testnet chain is this long; a node that keeps sending blocks past it is not believed.
constexpr std::uint64_t kMaxChainBlocks = 50'000'000;

Status at_height(std::uint64_t height, const std::string& what) {
  return make_error("block " + std::to_string(height) + ": " + what);
}

}  // namespace

std::unique_ptr<ChainVerifier> make_chain_verifier(const chain::Genesis& genesis) {
  switch (genesis.mode) {
    case chain::ConsensusMode::kPow:
      return std::make_unique<PowChainVerifier>(genesis);
    case chain::ConsensusMode::kPos:
      return std::make_unique<PosChainVerifier>(genesis);
    case chain::ConsensusMode::kPbft:
      break;
  }
  return nullptr;
}

PowChainVerifier::PowChainVerifier(const chain::Genesis& genesis)
    : params_(genesis.pow), genesis_block_hash_(chain::make_genesis_block(genesis).hash()) {}

std::optional<crypto::Hash256> ChainVerifier::hash_at(std::uint64_t height) const {
  if (height >= hashes_.size())
    return std::nullopt;
  return hashes_[height];
}

Status PowChainVerifier::check_next(const chain::Block& block) const {
  const auto& header = block.header;
  const std::uint64_t height = hashes_.size();
  if (height == 0) {
    if (block.hash() != genesis_block_hash_)
      return at_height(header.height, "is not the block the pinned genesis makes (block 0)");
    return Status::success();
  }
  if (header.height != height)
    return at_height(header.height, "expected block " + std::to_string(height) + " here");
  if (header.prev_hash != hashes_.back())
    return at_height(height, "prev_hash does not link to block " + std::to_string(height - 1));
  if (auto verdict = pow_pos::check_block_shape(block, params_); !verdict.ok())
    return at_height(height, verdict.message());
  if (chain::transactions_root(block.transactions) != header.tx_root)
    return at_height(height, "transactions do not match the header's tx_root");
  const std::vector<pow_pos::ChainPoint> points(recent_.begin(), recent_.end());
  auto target = pow_pos::next_target(points, params_);
  auto median = pow_pos::median_time_past(points, params_);
  // The verifier keeps points_needed() points, enough for both rules.
  assert(target && median);
  pow_pos::HeaderContext context{height - 1, *target, *median, std::nullopt};
  if (auto verdict = pow_pos::check_header_context(header, context, params_); !verdict.ok())
    return at_height(height, verdict.message());
  return Status::success();
}

Status PowChainVerifier::add(const chain::Block& block) {
  if (auto status = check_next(block); !status)
    return status;
  pow_pos::Uint256 target;
  if (const auto* seal = std::get_if<chain::PowSeal>(&block.header.seal))
    target = pow_pos::Uint256::from_hash(seal->target);
  if (!hashes_.empty())  // block 0 carries no work
    work_ = work_.add_saturating(pow_pos::block_work(target));
  hashes_.push_back(block.hash());
  recent_.push_front({block.header.height, block.header.timestamp_ms, target});
  if (recent_.size() > pow_pos::points_needed(params_))
    recent_.pop_back();
  return Status::success();
}

namespace {

// One pass over the node's best chain. nullopt: the chain changed under the fetch.
Result<std::optional<VerifiedPowChain>> fetch_once(RpcClient& node, const chain::Genesis& genesis) {
  std::unique_ptr<ChainVerifier> checker = make_chain_verifier(genesis);
  ChainVerifier& verifier = *checker;
  for (;;) {
    const std::uint64_t from = verifier.size();
    if (from >= kMaxChainBlocks)
      return make_error("the node's chain is longer than " + std::to_string(kMaxChainBlocks) +
                        " blocks; not believed");
    auto outcome = node.call("get_blocks", {{"from_height", from}, {"max_blocks", kFetchBlocks}});
    if (!outcome.ok())
      return make_error(describe(outcome.error()));
    BlocksAnswer answer = decode_blocks_answer(outcome.result(), kFetchBlocks);
    if (!answer.problem.empty())
      return make_error("node sent a bad chain: " + answer.problem);
    for (const auto& block : answer.blocks) {
      // A block that does not follow the last one: the best chain moved (a reorg).
      if (verifier.size() > 0 &&
          (block.header.height != verifier.size() || block.header.prev_hash != verifier.tip_hash()))
        return std::optional<VerifiedPowChain>{};
      if (auto status = verifier.add(block); !status)
        return make_error("the node's chain fails verification: " + status.message());
    }
    if (answer.blocks.size() < kFetchBlocks)
      break;
  }
  if (verifier.size() == 0)
    return make_error("the node sent no blocks, not even block 0");
  VerifiedPowChain checked;
  checked.work = verifier.chain_work();
  checked.hashes.reserve(verifier.size());
  for (std::uint64_t height = 0; height < verifier.size(); ++height)
    checked.hashes.push_back(*verifier.hash_at(height));
  return std::optional<VerifiedPowChain>(std::move(checked));
}

}  // namespace

Result<VerifiedPowChain> fetch_verified_chain(RpcClient& node, const chain::Genesis& genesis) {
  if (genesis.mode == chain::ConsensusMode::kPbft)
    return make_error("not a longest-chain (pow or pos) chain");
  for (int attempt = 0; attempt < kFetchAttempts; ++attempt) {
    auto fetched = fetch_once(node, genesis);
    if (!fetched)
      return fetched.error();
    if (*fetched)
      return std::move(**fetched);
  }
  return make_error("the node's best chain kept changing while it was fetched (reorgs); try again");
}

}  // namespace synod::client
