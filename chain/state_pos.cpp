// The proof-of-stake rules of the ledger: stake, unstake, unbonding and slashing evidence
// (see state.h for what each does).
#include <limits>

#include "chain/pos_seal.h"
#include "chain/state.h"
#include "chain/state_working.h"

namespace synod::chain {
namespace {

TxError evidence_error(EvidenceProblem::Kind kind) {
  switch (kind) {
    case EvidenceProblem::Kind::kMalformed:
      return TxError::kMalformedEvidence;
    case EvidenceProblem::Kind::kForged:
      return TxError::kForgedEvidence;
    case EvidenceProblem::Kind::kContradictory:
      return TxError::kContradictoryEvidence;
  }
  return TxError::kMalformedEvidence;
}

}  // namespace

std::uint64_t percent_of(std::uint64_t amount, std::uint64_t percent) {
  return amount / 100 * percent + amount % 100 * percent / 100;
}

std::uint64_t State::lottery_stake(const Address& address) const {
  return account(address).lottery_stake();
}

// What check() verifies for the PoS kinds with the sender's account alone; the evidence's
// signatures are checked here too, so a forged one never enters a mempool.
std::optional<TxError> State::check_stake_kind(const Transaction& tx, const Account& sender) const {
  if (!pos_)
    return TxError::kWrongMode;
  if (tx.to != tx.sender())
    return TxError::kWrongRecipient;
  if (tx.kind == TxKind::kEvidence) {
    if (tx.amount != 0)
      return TxError::kNonZeroAmount;
    if (sender.balance < tx.fee)
      return TxError::kInsufficientBalance;
    if (auto problem = check_double_sign(tx.evidence, domain_))
      return evidence_error(problem->kind);
    return std::nullopt;
  }
  if (tx.amount == 0)
    return TxError::kZeroAmount;
  if (tx.kind == TxKind::kStake) {
    if (sender.slashed())
      return TxError::kSlashed;
    if (tx.amount > std::numeric_limits<std::uint64_t>::max() - tx.fee)
      return TxError::kOverflow;
    if (sender.balance < tx.amount + tx.fee)
      return TxError::kInsufficientBalance;
    return std::nullopt;
  }
  if (sender.balance < tx.fee)  // unstake
    return TxError::kInsufficientBalance;
  if (sender.stake < tx.amount)
    return TxError::kInsufficientStake;
  return std::nullopt;
}

// Valid evidence (checked by check_stake_kind) against the state at `height`: in time, an
// offender with something to slash and not slashed before. Then the slash itself.
std::optional<TxRejection> State::apply_evidence(const Transaction& tx, std::size_t index,
                                                 Working& working, std::uint64_t height) const {
  DoubleSign evidence;
  if (auto problem = check_double_sign(tx.evidence, domain_, &evidence))
    return TxRejection{index, evidence_error(problem->kind), problem->detail};
  const std::uint64_t offence = evidence.first.height;
  if (offence >= height || height - offence > pos_->evidence_window) {
    return TxRejection{index, TxError::kExpiredEvidence,
                       "offence at height " + std::to_string(offence) + ", block " +
                           std::to_string(height) + ", window " +
                           std::to_string(pos_->evidence_window)};
  }
  const Address offender_address = address_of(evidence.first.proposer);
  if (offender_address == tx.sender()) {
    return TxRejection{index, TxError::kContradictoryEvidence,
                       "an offender cannot report itself for the reporter's share"};
  }
  Account& offender = working.at(offender_address);
  if (offender.slashed()) {
    return TxRejection{index, TxError::kDuplicateEvidence,
                       "already slashed at height " + std::to_string(offender.slashed_height)};
  }
  if (offender.stake == 0 && offender.unbonding == 0)
    return TxRejection{index, TxError::kNotStaker, "the offender holds no stake"};
  const std::uint64_t from_stake = percent_of(offender.stake, pos_->slash_percent);
  const std::uint64_t from_unbonding = percent_of(offender.unbonding, pos_->slash_percent);
  offender.stake -= from_stake;
  offender.unbonding -= from_unbonding;
  if (offender.unbonding == 0)
    offender.unbonding_height = 0;
  offender.slashed_height = height;
  offender.offence_height = offence;
  // What the reporter gets comes out of the slashed coins; the rest is burned.
  working.at(tx.sender()).balance +=
      percent_of(from_stake + from_unbonding, pos_->reporter_percent);
  return std::nullopt;
}

// Unbonding coins whose release height has come become balance again.
void State::release_unbonded(Working& working, std::uint64_t height) const {
  for (const auto& [release_height, address] : unbonding_queue_) {
    if (release_height > height)
      break;
    Account& holder = working.at(address);
    holder.balance += holder.unbonding;
    holder.unbonding = 0;
    holder.unbonding_height = 0;
  }
}

}  // namespace synod::chain
