#include "pow_pos/pow_rules.h"

#include <algorithm>

#include "crypto/merkle.h"

namespace synod::pow_pos {
namespace {

// u64 height | 32 prev_hash | 32 tx_root | 32 state_root | u64 timestamp | 32 proposer |
// u8 seal tag, then the seal: PBFT u64 view | u64 sequence, PoW u64 nonce | 32 target,
// PoS u64 slot | 32 ticket (chain/block.h).
constexpr std::size_t kHeaderBytesBeforeSeal = 8 + 32 * 3 + 8 + 32 + 1;
constexpr std::size_t kPowHeaderBytes = kHeaderBytesBeforeSeal + 8 + 32;
// The header, the u32 transaction count and the certificate flag.
constexpr std::size_t kOverheadBytes = kPowHeaderBytes + 4 + 1;

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

}  // namespace

const char* to_string(Rejection reason) {
  switch (reason) {
    case Rejection::kMalformed:
      return "malformed";
    case Rejection::kBadWork:
      return "bad_work";
    case Rejection::kWrongTarget:
      return "wrong_target";
    case Rejection::kTimeTooOld:
      return "time_too_old";
    case Rejection::kTimeTooNew:
      return "time_too_new";
    case Rejection::kBadHeight:
      return "bad_height";
    case Rejection::kUnknownParent:
      return "unknown_parent";
    case Rejection::kBadTxRoot:
      return "bad_tx_root";
    case Rejection::kInvalidTransactions:
      return "invalid_transactions";
    case Rejection::kBadStateRoot:
      return "bad_state_root";
    case Rejection::kTooManyTransactions:
      return "too_many_transactions";
    case Rejection::kBlockTooBig:
      return "block_too_big";
    case Rejection::kReorgTooDeep:
      return "reorg_too_deep";
    case Rejection::kInvalidAncestor:
      return "invalid_ancestor";
    case Rejection::kStale:
      return "stale";
    case Rejection::kCapacity:
      return "capacity";
    case Rejection::kBadSeal:
      return "bad_seal";
    case Rejection::kWrongDifficulty:
      return "wrong_difficulty";
    case Rejection::kNotEligible:
      return "not_eligible";
    case Rejection::kCount_:
      break;
  }
  return "unknown";
}

bool is_block_fault(Rejection reason) {
  switch (reason) {
    case Rejection::kTimeTooNew:
    case Rejection::kUnknownParent:
    case Rejection::kReorgTooDeep:
    case Rejection::kStale:
    case Rejection::kCapacity:
    case Rejection::kCount_:
      return false;
    default:
      return true;
  }
}

std::string Verdict::message() const {
  switch (kind_) {
    case Kind::kValid:
      return "valid";
    case Kind::kRejected:
      return std::string(to_string(reason_)) + (detail_.empty() ? "" : ": " + detail_);
    case Kind::kError:
      return "error: " + detail_;
  }
  return "unknown";
}

bool meets_target(const crypto::Hash256& block_hash, const Uint256& target) {
  return Uint256::from_hash(block_hash) <= target;
}

Uint256 block_work(const Uint256& target) {
  if (target.is_zero())
    return Uint256::max();
  if (target == Uint256::max())
    return Uint256(1);
  // 2^256 / (t + 1) = (2^256 - t - 1) / (t + 1) + 1 = ~t / (t + 1) + 1, all in 256 bits.
  return ~target / (target + Uint256(1)) + Uint256(1);
}

Uint256 seal_work(const chain::BlockHeader& header) {
  if (const auto* seal = std::get_if<chain::PowSeal>(&header.seal))
    return block_work(Uint256::from_hash(seal->target));
  if (std::holds_alternative<chain::PosSeal>(header.seal))
    return Uint256(1);
  return Uint256();
}

std::size_t points_needed(const chain::PowParams& params) {
  return static_cast<std::size_t>(std::max(params.retarget_window, params.median_time_window)) + 1;
}

Uint256 retarget(const Uint256& mean_target, std::uint64_t actual_ms, std::uint64_t expected_ms,
                 const chain::PowParams& params) {
  const Uint256 lower = mean_target.div(params.max_retarget_factor);
  const Uint256 upper =
      mean_target.mul_checked(params.max_retarget_factor).value_or(Uint256::max());
  Uint256 next = mul_div(mean_target, actual_ms, expected_ms);
  next = std::clamp(next, lower, upper);
  next = std::min(next, Uint256::from_hash(params.initial_target));
  return std::max(next, Uint256(1));
}

std::optional<Uint256> next_target(std::span<const ChainPoint> parent_chain,
                                   const chain::PowParams& params) {
  if (parent_chain.empty())
    return std::nullopt;
  const std::uint64_t n = std::min(params.retarget_window, parent_chain[0].height);
  if (n == 0)
    return Uint256::from_hash(params.initial_target);
  if (parent_chain.size() < n + 1)
    return std::nullopt;
  WideSum targets;
  for (std::size_t i = 0; i < n; ++i)
    targets.add(parent_chain[i].target);
  const std::uint64_t last = parent_chain[0].timestamp_ms;
  const std::uint64_t first = parent_chain[n].timestamp_ms;
  const std::uint64_t actual = last > first ? last - first : 0;
  // n <= 10,000 and block_interval_ms <= 86,400,000 (genesis limits): no overflow.
  return retarget(targets.mean(), actual, n * params.block_interval_ms, params);
}

std::optional<std::uint64_t> median_time_past(std::span<const ChainPoint> parent_chain,
                                              const chain::PowParams& params) {
  if (parent_chain.empty())
    return std::nullopt;
  const std::uint64_t k = std::min(params.median_time_window, parent_chain[0].height + 1);
  if (parent_chain.size() < k)
    return std::nullopt;
  std::vector<std::uint64_t> times;
  times.reserve(k);
  for (std::size_t i = 0; i < k; ++i)
    times.push_back(parent_chain[i].timestamp_ms);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

std::size_t block_bytes(const chain::Block& block) {
  std::size_t bytes = kHeaderBytesBeforeSeal + 4 + 1;
  if (std::holds_alternative<chain::PbftSeal>(block.header.seal))
    bytes += 8 + 8;
  else if (std::holds_alternative<chain::PowSeal>(block.header.seal))
    bytes += 8 + 32;
  else
    bytes += 8 + 32 + 64;
  for (const auto& tx : block.transactions)
    bytes += tx.encoded_size();
  if (block.certificate)  // u64 view | u64 sequence | 32 hash | u32 count | (u32 + 64) each
    bytes += 8 + 8 + 32 + 4 + block.certificate->signatures.size() * (4 + 64);
  return bytes;
}

std::size_t block_overhead_bytes() {
  return kOverheadBytes;
}

Verdict check_block_limits(const chain::Block& block, std::string_view mode,
                           std::uint64_t max_block_transactions, std::uint64_t max_block_bytes) {
  if (block.certificate)
    return Verdict::rejected(Rejection::kMalformed,
                             "a " + std::string(mode) + " block has no certificate");
  if (block.header.height == 0)
    return Verdict::rejected(Rejection::kBadHeight, "block 0 comes from the genesis");
  if (block.transactions.size() > max_block_transactions) {
    return Verdict::rejected(
        Rejection::kTooManyTransactions,
        std::to_string(block.transactions.size()) + " > " + std::to_string(max_block_transactions));
  }
  if (std::size_t bytes = block_bytes(block); bytes > max_block_bytes) {
    return Verdict::rejected(Rejection::kBlockTooBig,
                             std::to_string(bytes) + " bytes > " + std::to_string(max_block_bytes));
  }
  return Verdict::valid();
}

Verdict check_block_shape(const chain::Block& block, const chain::PowParams& params) {
  const auto* seal = std::get_if<chain::PowSeal>(&block.header.seal);
  if (seal == nullptr)
    return Verdict::rejected(Rejection::kMalformed, "not a proof-of-work seal");
  if (Verdict limits = check_block_limits(block, "proof-of-work", params.max_block_transactions,
                                          params.max_block_bytes);
      !limits.ok())
    return limits;
  const Uint256 target = Uint256::from_hash(seal->target);
  if (target.is_zero() || target > Uint256::from_hash(params.initial_target))
    return Verdict::rejected(Rejection::kWrongTarget, "target outside (0, initial_target]");
  if (!meets_target(block.hash(), target))
    return Verdict::rejected(Rejection::kBadWork, "hash above the block's target");
  return Verdict::valid();
}

Verdict check_height(const chain::BlockHeader& header, std::uint64_t parent_height) {
  if (header.height == parent_height + 1)
    return Verdict::valid();
  return Verdict::rejected(Rejection::kBadHeight, "height " + std::to_string(header.height) +
                                                      " on a parent at " +
                                                      std::to_string(parent_height));
}

Verdict check_not_too_new(const chain::BlockHeader& header, std::optional<chain::TimeMs> now,
                          std::uint64_t max_future_ms) {
  if (now && header.timestamp_ms > saturating_add(*now, max_future_ms)) {
    return Verdict::rejected(Rejection::kTimeTooNew,
                             std::to_string(header.timestamp_ms - *now) + " ms ahead of now");
  }
  return Verdict::valid();
}

Verdict check_header_context(const chain::BlockHeader& header, const HeaderContext& context,
                             const chain::PowParams& params) {
  if (Verdict height = check_height(header, context.parent_height); !height.ok())
    return height;
  const auto* seal = std::get_if<chain::PowSeal>(&header.seal);
  if (seal == nullptr)
    return Verdict::rejected(Rejection::kMalformed, "not a proof-of-work seal");
  if (Uint256::from_hash(seal->target) != context.expected_target) {
    return Verdict::rejected(Rejection::kWrongTarget,
                             "expected " + context.expected_target.to_hex());
  }
  if (header.timestamp_ms <= context.median_time_past_ms) {
    return Verdict::rejected(Rejection::kTimeTooOld,
                             std::to_string(header.timestamp_ms) + " <= median time past " +
                                 std::to_string(context.median_time_past_ms));
  }
  return check_not_too_new(header, context.now, params.max_future_ms);
}

BodyCheck check_body(const chain::Block& block, chain::State& parent_state,
                     const chain::PowParams& params, const chain::SignatureCheck& signature_check) {
  return execute_block(block, parent_state, params.block_reward, signature_check);
}

BodyCheck execute_block(const chain::Block& block, chain::State& parent_state, std::uint64_t reward,
                        const chain::SignatureCheck& signature_check) {
  BodyCheck result;
  result.tx_hashes.reserve(block.transactions.size());
  for (const auto& tx : block.transactions)
    result.tx_hashes.push_back(tx.hash());
  if (crypto::merkle_root(result.tx_hashes) != block.header.tx_root) {
    result.verdict = Verdict::rejected(Rejection::kBadTxRoot, "");
    return result;
  }
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    const auto& tx = block.transactions[i];
    bool valid = signature_check ? signature_check(tx, result.tx_hashes[i])
                                 : tx.signature_valid(parent_state.domain());
    if (!valid) {
      result.verdict = Verdict::rejected(Rejection::kInvalidTransactions,
                                         "transaction " + std::to_string(i) + " rejected: " +
                                             chain::to_string(chain::TxError::kBadSignature));
      return result;
    }
  }
  chain::Execution execution =
      parent_state.execute(block.transactions, chain::address_of(block.header.proposer),
                           chain::SignaturePolicy::kAlreadyVerified, reward, block.header.height);
  if (!execution.ok()) {
    result.verdict =
        Verdict::rejected(Rejection::kInvalidTransactions, execution.rejection->message());
    return result;
  }
  if (parent_state.root_after(execution.diff) != block.header.state_root) {
    result.verdict = Verdict::rejected(Rejection::kBadStateRoot, "");
    return result;
  }
  result.diff = std::move(execution.diff);
  return result;
}

}  // namespace synod::pow_pos
