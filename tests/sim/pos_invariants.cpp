#include "tests/sim/pos_invariants.h"

#include "chain/pos_seal.h"
#include "pow_pos/pos_rules.h"

namespace synod::sim {

PosInvariants::PosInvariants(std::shared_ptr<const chain::Genesis> genesis)
    : genesis_(std::move(genesis)),
      domain_(chain::SigningDomain::of(*genesis_)),
      genesis_supply_(chain::State::from_genesis(*genesis_).supply()) {}

bool PosInvariants::signature_valid(const chain::Transaction& tx, const crypto::Hash256& hash) {
  auto [it, fresh] = signatures_.try_emplace(hash, false);
  if (fresh)
    it->second = tx.signature_valid(domain_);
  return it->second;
}

void PosInvariants::check_block(const PowStore& store, const AppliedBlock& applied,
                                std::vector<std::string>& problems) {
  const std::size_t before = problems.size();
  check_rules(store, applied, problems);
  if (problems.size() != before)
    return;
  Slashes slashes = check_slashes(applied, problems);
  if (!slashes.offenders.empty())
    slashes_[applied.block.hash()] = std::move(slashes);
}

void PosInvariants::check_rules(const PowStore& store, const AppliedBlock& applied,
                                std::vector<std::string>& problems) {
  const chain::PosParams& params = genesis_->pos;
  const chain::Block& block = applied.block;
  const std::uint64_t height = block.header.height;
  if (auto shape = pow_pos::check_pos_shape(block, params, domain_); !shape.ok()) {
    problems.push_back("pos: " + shape.message());
    return;
  }
  auto difficulty = pow_pos::next_difficulty(
      store.points_below(height, pow_pos::pos_points_needed(params)), params);
  if (!difficulty) {
    problems.push_back("pos: no difficulty for the parent chain");
    return;
  }
  const chain::BlockHeader& parent = store.at(height - 1).header;
  pow_pos::PosHeaderContext context{parent.height, parent.timestamp_ms / 1000, *difficulty, {}};
  if (auto header = pow_pos::check_pos_header(block.header, context, params); !header.ok()) {
    problems.push_back("pos: " + header.message());
    return;
  }
  const chain::Address proposer = chain::address_of(block.header.proposer);
  if (applied.before.account(proposer).slashed()) {
    problems.push_back("slashing: signed by " + chain::to_string(proposer) +
                       ", slashed at height " +
                       std::to_string(applied.before.account(proposer).slashed_height));
    return;
  }
  chain::State parent_state = applied.before;
  auto body =
      pow_pos::check_pos_body(block, parent_state, params,
                              [this](const chain::Transaction& tx, const crypto::Hash256& hash) {
                                return signature_valid(tx, hash);
                              });
  if (!body.verdict.ok())
    problems.push_back("validity: " + body.verdict.message());
  else if (!(body.diff == applied.diff))
    problems.push_back("validity: stored with state changes other than its transactions make");
}

// Each evidence transaction's slash, recomputed from the parent's state, and the supply.
PosInvariants::Slashes PosInvariants::check_slashes(const AppliedBlock& applied,
                                                    std::vector<std::string>& problems) {
  const chain::PosParams& params = genesis_->pos;
  const chain::Block& block = applied.block;
  chain::State after = applied.before;
  after.apply(applied.diff);
  Slashes out;
  for (const auto& tx : block.transactions) {
    if (tx.kind != chain::TxKind::kEvidence)
      continue;
    ++slashes_checked_;
    chain::DoubleSign offence;
    if (auto problem = chain::check_double_sign(tx.evidence, domain_, &offence)) {
      problems.push_back("slashing: evidence that proves nothing: " + problem->detail);
      continue;
    }
    const chain::Address offender = chain::address_of(offence.first.proposer);
    const chain::Account was = applied.before.account(offender);
    const chain::Account is = after.account(offender);
    const std::uint64_t from_stake = chain::percent_of(was.stake, params.slash_percent);
    const std::uint64_t from_unbonding = chain::percent_of(was.unbonding, params.slash_percent);
    const std::uint64_t slashed = from_stake + from_unbonding;
    out.burned += slashed - chain::percent_of(slashed, params.reporter_percent);
    out.offenders.push_back(offender);
    if (is.stake != was.stake - from_stake || is.unbonding != was.unbonding - from_unbonding ||
        is.slashed_height != block.header.height || is.offence_height != offence.first.height) {
      problems.push_back("slashing: " + chain::to_string(offender) + " has stake " +
                         std::to_string(is.stake) + " after a slash of " +
                         std::to_string(from_stake) + " from " + std::to_string(was.stake) +
                         " (slashed at " + std::to_string(is.slashed_height) + ")");
    }
  }
  const std::uint64_t expected = applied.before.supply() + params.block_reward - out.burned;
  if (after.supply() != expected) {
    problems.push_back("supply: " + std::to_string(after.supply()) + " after the block, " +
                       std::to_string(expected) + " expected (parent's supply + reward - burned)");
  }
  return out;
}

void PosInvariants::on_change(SlotId slot, const PowStore& store, const StoreChange& change,
                              std::vector<std::string>& problems) {
  Branch& branch = branches_[slot];
  for (const chain::Block& block : change.undone) {
    auto it = slashes_.find(block.hash());
    if (it == slashes_.end())
      continue;
    branch.burned -= it->second.burned;
    for (const auto& offender : it->second.offenders) {
      if (auto found = branch.offenders.find(offender); found != branch.offenders.end())
        branch.offenders.erase(found);
    }
  }
  for (const AppliedBlock& applied : change.applied) {
    auto it = slashes_.find(applied.block.hash());
    if (it == slashes_.end())
      continue;
    branch.burned += it->second.burned;
    for (const auto& offender : it->second.offenders) {
      if (branch.offenders.count(offender) != 0) {
        problems.push_back("double evidence: " + chain::to_string(offender) +
                           " slashed twice on one branch, again at height " +
                           std::to_string(applied.block.header.height));
      }
      branch.offenders.insert(offender);
    }
  }
  const std::uint64_t expected =
      genesis_supply_ + store.height() * genesis_->pos.block_reward - branch.burned;
  if (store.state().supply() != expected) {
    problems.push_back("supply: " + std::to_string(store.state().supply()) + ", genesis + " +
                       "rewards - burned is " + std::to_string(expected));
  }
}

}  // namespace synod::sim
