#include "wallet/pos_chain.h"

#include <cassert>

#include "pow_pos/pos_rules.h"

namespace synod::client {
namespace {

Status at_height(std::uint64_t height, const std::string& what) {
  return make_error("block " + std::to_string(height) + ": " + what);
}

}  // namespace

PosChainVerifier::PosChainVerifier(const chain::Genesis& genesis)
    : params_(genesis.pos),
      domain_(chain::SigningDomain::of(genesis)),
      genesis_block_hash_(chain::make_genesis_block(genesis).hash()),
      state_(chain::State::from_genesis(genesis)) {}

// Everything but the lottery and the body: links, seal, difficulty, slot.
Status PosChainVerifier::check_header(const chain::Block& block) const {
  const auto& header = block.header;
  const std::uint64_t height = hashes_.size();
  if (header.height != height)
    return at_height(header.height, "expected block " + std::to_string(height) + " here");
  if (header.prev_hash != hashes_.back())
    return at_height(height, "prev_hash does not link to block " + std::to_string(height - 1));
  if (auto verdict = pow_pos::check_pos_shape(block, params_, domain_); !verdict.ok())
    return at_height(height, verdict.message());
  const std::vector<pow_pos::ChainPoint> points(recent_.begin(), recent_.end());
  auto difficulty = pow_pos::next_difficulty(points, params_);
  assert(difficulty);  // the verifier keeps pos_points_needed() points
  pow_pos::PosHeaderContext context{height - 1, recent_.front().timestamp_ms / 1000, *difficulty,
                                    std::nullopt};
  if (auto verdict = pow_pos::check_pos_header(header, context, params_); !verdict.ok())
    return at_height(height, verdict.message());
  return Status::success();
}

Status PosChainVerifier::add(const chain::Block& block) {
  pow_pos::Uint256 difficulty;
  if (hashes_.empty()) {
    if (block.hash() != genesis_block_hash_)
      return at_height(block.header.height, "is not the block the pinned genesis makes (block 0)");
  } else {
    if (auto status = check_header(block); !status)
      return status;
    pow_pos::BodyCheck body = pow_pos::check_pos_body(block, state_, params_, {});
    if (!body.verdict.ok())
      return at_height(block.header.height, body.verdict.message());
    state_.apply(body.diff);
    difficulty =
        pow_pos::Uint256::from_hash(std::get<chain::PosSeal>(block.header.seal).difficulty);
    work_ = work_ + pow_pos::Uint256(1);
  }
  hashes_.push_back(block.hash());
  recent_.push_front({block.header.height, block.header.timestamp_ms, difficulty});
  if (recent_.size() > pow_pos::pos_points_needed(params_))
    recent_.pop_back();
  return Status::success();
}

}  // namespace synod::client
