#include "node/slash_log.h"

#include "chain/pos_seal.h"
#include "crypto/hex.h"

namespace synod::node {
namespace {

using nlohmann::json;

// The sender of the evidence in `block` against `offender`; "" when none names it.
std::string reporter_of(const chain::Block& block, const chain::Address& offender,
                        const chain::Genesis& genesis) {
  for (const auto& tx : block.transactions) {
    if (tx.kind != chain::TxKind::kEvidence)
      continue;
    auto evidence = chain::decode_evidence(tx.evidence);
    if (evidence.ok() && chain::address_of(evidence->first.proposer) == offender)
      return validator_name_of(tx.sender(), genesis);
  }
  return "";
}

json slash_entry(const chain::Address& address, const chain::Account& after,
                 const chain::Genesis& genesis) {
  return {{"offender", validator_name_of(address, genesis)},
          {"address", chain::to_string(address)},
          {"reason", "double_sign"},  // the one offence the ledger slashes
          {"offence_height", after.offence_height},
          {"slashed_at_height", after.slashed_height},
          {"amount", nullptr},
          {"stake_after", after.stake},
          {"reporter", ""},
          {"block_hash", ""}};
}

}  // namespace

std::string validator_name_of(const chain::Address& address, const chain::Genesis& genesis) {
  for (const auto& validator : genesis.validators.all()) {
    if (chain::address_of(validator.public_key) == address)
      return validator.name;
  }
  return chain::to_string(address);
}

void SlashLog::on_block(const chain::Block& block, const chain::StateDiff& diff,
                        const chain::Genesis& genesis) {
  const std::uint64_t height = block.header.height;
  for (const auto& change : diff.changes) {
    const chain::Account before = change.before.value_or(chain::Account{});
    if (change.after.slashed_height != height || before.slashed())
      continue;
    json entry = slash_entry(change.address, change.after, genesis);
    // The staked and unbonding coins it lost in this block: what the slash took (an unstake
    // in the same block only moves coins between the two; a stake would hide that much).
    const std::uint64_t held_before = before.stake + before.unbonding;
    const std::uint64_t held_after = change.after.stake + change.after.unbonding;
    entry["amount"] = held_before > held_after ? held_before - held_after : 0;
    entry["reporter"] = reporter_of(block, change.address, genesis);
    entry["block_hash"] = crypto::to_hex(block.hash().view());
    slashes_.push_back(std::move(entry));
    while (slashes_.size() > kKept)
      slashes_.pop_front();
  }
}

void SlashLog::forget_above(std::uint64_t fork_height) {
  while (!slashes_.empty() &&
         slashes_.back()["slashed_at_height"].get<std::uint64_t>() > fork_height)
    slashes_.pop_back();
}

json SlashLog::to_json(const chain::State& state, const chain::Genesis& genesis) const {
  json out = json::array();
  for (const auto& validator : genesis.validators.all()) {
    const chain::Address address = chain::address_of(validator.public_key);
    const chain::Account account = state.account(address);
    if (!account.slashed())
      continue;
    bool logged = false;
    for (const auto& slash : slashes_)
      logged = logged || slash["address"] == chain::to_string(address);
    if (!logged)
      out.push_back(slash_entry(address, account, genesis));
  }
  for (const auto& slash : slashes_)
    out.push_back(slash);
  return out;
}

}  // namespace synod::node
