#include "pow_pos/pos_rules.h"

#include <algorithm>

#include "chain/codec.h"
#include "chain/pos_seal.h"

namespace synod::pow_pos {

crypto::Hash256 lottery_ticket(const crypto::Hash256& prev_hash, const chain::Address& address,
                               std::uint64_t slot_time_s) {
  chain::Writer out;
  out.reserve(32 + 20 + 8);
  out.fixed(prev_hash);
  out.fixed(address);
  out.u64(slot_time_s);
  return crypto::sha256(out.data());
}

Uint256 eligibility_threshold(std::uint64_t stake, const Uint256& difficulty) {
  if (stake == 0)
    return Uint256();
  return shifted_div(stake, difficulty);
}

bool wins_lottery(const crypto::Hash256& ticket, std::uint64_t stake, const Uint256& difficulty) {
  return stake > 0 && Uint256::from_hash(ticket) <= eligibility_threshold(stake, difficulty);
}

std::size_t pos_points_needed(const chain::PosParams& params) {
  return static_cast<std::size_t>(params.retarget_window) + 1;
}

std::optional<Uint256> next_difficulty(std::span<const ChainPoint> parent_chain,
                                       const chain::PosParams& params) {
  if (parent_chain.empty())
    return std::nullopt;
  // Block 0's timestamp is the genesis' (often long before the first block), so the
  // timespan starts at block 1.
  if (parent_chain[0].height <= 1)
    return Uint256(params.initial_difficulty);
  const std::uint64_t n = std::min(params.retarget_window, parent_chain[0].height - 1);
  if (parent_chain.size() < n + 1)
    return std::nullopt;
  WideSum difficulties;
  for (std::size_t i = 0; i < n; ++i)
    difficulties.add(parent_chain[i].target);
  const Uint256 mean = difficulties.mean();
  const std::uint64_t last = parent_chain[0].timestamp_ms;
  const std::uint64_t first = parent_chain[n].timestamp_ms;
  const std::uint64_t actual = std::max<std::uint64_t>(1, last > first ? last - first : 0);
  // Blocks too fast (actual < expected) raise the difficulty, too slow lower it.
  const Uint256 lower = mean.div(params.max_retarget_factor);
  const Uint256 upper = mean.mul_checked(params.max_retarget_factor).value_or(Uint256::max());
  Uint256 next = mul_div(mean, n * params.block_interval_ms, actual);
  next = std::clamp(next, lower, upper);
  return std::max(next, Uint256(1));
}

Verdict check_pos_shape(const chain::Block& block, const chain::PosParams& params,
                        const chain::SigningDomain& domain) {
  const auto* seal = std::get_if<chain::PosSeal>(&block.header.seal);
  if (seal == nullptr)
    return Verdict::rejected(Rejection::kMalformed, "not a proof-of-stake seal");
  if (Verdict limits = check_block_limits(block, "proof-of-stake", params.max_block_transactions,
                                          params.max_block_bytes);
      !limits.ok())
    return limits;
  if (seal->slot_time_s > UINT64_MAX / 1000 ||
      block.header.timestamp_ms != seal->slot_time_s * 1000)
    return Verdict::rejected(Rejection::kMalformed, "timestamp_ms is not the slot's second");
  if (Uint256::from_hash(seal->difficulty).is_zero())
    return Verdict::rejected(Rejection::kWrongDifficulty, "zero difficulty");
  if (!chain::pos_seal_valid(block.header, domain))
    return Verdict::rejected(Rejection::kBadSeal, "the seal is not signed by the proposer");
  return Verdict::valid();
}

Verdict check_pos_header(const chain::BlockHeader& header, const PosHeaderContext& context,
                         const chain::PosParams& params) {
  if (Verdict height = check_height(header, context.parent_height); !height.ok())
    return height;
  const auto* seal = std::get_if<chain::PosSeal>(&header.seal);
  if (seal == nullptr)
    return Verdict::rejected(Rejection::kMalformed, "not a proof-of-stake seal");
  if (Uint256::from_hash(seal->difficulty) != context.expected_difficulty) {
    return Verdict::rejected(Rejection::kWrongDifficulty,
                             "expected " + context.expected_difficulty.to_decimal());
  }
  if (seal->slot_time_s <= context.parent_slot_s) {
    return Verdict::rejected(Rejection::kTimeTooOld, "slot " + std::to_string(seal->slot_time_s) +
                                                         " <= parent's " +
                                                         std::to_string(context.parent_slot_s));
  }
  return check_not_too_new(header, context.now, params.max_future_ms);
}

BodyCheck check_pos_body(const chain::Block& block, chain::State& parent_state,
                         const chain::PosParams& params,
                         const chain::SignatureCheck& signature_check) {
  const auto& seal = std::get<chain::PosSeal>(block.header.seal);
  const chain::Address proposer = chain::address_of(block.header.proposer);
  const std::uint64_t stake = parent_state.lottery_stake(proposer);
  const crypto::Hash256 ticket = lottery_ticket(block.header.prev_hash, proposer, seal.slot_time_s);
  if (!wins_lottery(ticket, stake, Uint256::from_hash(seal.difficulty))) {
    BodyCheck lost;
    lost.verdict = Verdict::rejected(Rejection::kNotEligible, "stake " + std::to_string(stake) +
                                                                  " does not win slot " +
                                                                  std::to_string(seal.slot_time_s));
    return lost;
  }
  return execute_block(block, parent_state, params.block_reward, signature_check);
}

}  // namespace synod::pow_pos
