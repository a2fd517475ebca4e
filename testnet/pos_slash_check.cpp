#include "testnet/pos_slash_check.h"

#include <cmath>
#include <limits>

#include "chain/address.h"
#include "chain/pos_seal.h"
#include "crypto/hex.h"

namespace synod::testnet {
namespace {

using nlohmann::json;

std::string hash_hex(const chain::BlockHeader& header) {
  return crypto::to_hex(header.hash().view());
}

Result<std::uint64_t> unsigned_member(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number_unsigned())
    return make_error(std::string("no unsigned \"") + key + "\"");
  return object[key].get<std::uint64_t>();
}

Result<std::string> string_member(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string())
    return make_error(std::string("no string \"") + key + "\"");
  return object[key].get<std::string>();
}

Result<std::string> address_of_key(const std::string& key_hex) {
  auto key = crypto::fixed_from_hex<crypto::PublicKey>(key_hex, "proposer");
  if (!key)
    return key.error();
  return chain::to_string(chain::address_of(*key));
}

// What a transaction moves, as get_block shows it.
struct TxMoves {
  std::string kind;
  std::string sender;
  std::string recipient;
  std::uint64_t amount = 0;
  std::uint64_t fee = 0;
};

Result<TxMoves> tx_moves(const json& tx) {
  TxMoves moves;
  for (auto [key, out] : {std::pair{"kind", &moves.kind}, std::pair{"from_address", &moves.sender},
                          std::pair{"to", &moves.recipient}}) {
    auto text = string_member(tx, key);
    if (!text)
      return make_error("a transaction with " + text.message());
    *out = *text;
  }
  for (auto [key, out] : {std::pair{"amount", &moves.amount}, std::pair{"fee", &moves.fee}}) {
    auto number = unsigned_member(tx, key);
    if (!number)
      return make_error("a transaction with " + number.message());
    *out = *number;
  }
  return moves;
}

// Who must have changed by how much beyond the blocks, and why.
std::uint64_t slash_adjustment(const std::string& address, const SlashParties& parties,
                               const SlashFigures& figures) {
  if (address == parties.offender)
    return 0 - figures.slashed;
  if (address == parties.reporter)
    return figures.reporter_share;
  return 0;
}

// A wrapped difference read as the signed number it stands for, for messages.
std::string signed_text(std::uint64_t wrapped) {
  return std::to_string(static_cast<std::int64_t>(wrapped));
}

}  // namespace

Result<Offence> read_offence(const std::string& evidence_hex, const chain::SigningDomain& domain,
                             const crypto::PublicKey& offender) {
  auto bytes = crypto::from_hex(evidence_hex);
  if (!bytes)
    return make_error("the evidence is not hex: " + bytes.message());
  auto evidence = chain::decode_evidence(*bytes);
  if (!evidence)
    return make_error("the evidence is not two headers: " + evidence.message());
  const chain::BlockHeader& first = evidence->first;
  const chain::BlockHeader& second = evidence->second;
  if (first.proposer != offender || second.proposer != offender)
    return make_error("the evidence's headers are not both the offender's");
  if (first.height != second.height) {
    return make_error("the evidence's headers are at heights " + std::to_string(first.height) +
                      " and " + std::to_string(second.height));
  }
  if (first.hash() == second.hash())
    return make_error("the evidence's two headers are one block");
  if (!chain::pos_seal_valid(first, domain) || !chain::pos_seal_valid(second, domain))
    return make_error("a header's seal is not the offender's signature for this genesis");
  return Offence{first.height, hash_hex(first), hash_hex(second), crypto::to_hex(offender.view())};
}

Result<StakeAccount> stake_account_from_json(const json& answer) {
  StakeAccount account;
  auto balance = unsigned_member(answer, "balance");
  auto stake = unsigned_member(answer, "stake");
  if (!balance || !stake)
    return make_error("get_account: " + (balance ? stake.message() : balance.message()));
  account.balance = *balance;
  account.stake = *stake;
  if (answer.contains("unbonding")) {
    auto unbonding = unsigned_member(answer, "unbonding");
    if (!unbonding)
      return make_error("get_account: " + unbonding.message());
    account.unbonding = *unbonding;
  }
  // The slash arithmetic adds these up; a node's answer must not make that wrap.
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  if (account.stake > max - account.balance ||
      account.unbonding > max - account.balance - account.stake)
    return make_error("get_account: balance, stake and unbonding add up past 2^64");
  if (answer.contains("slashed")) {
    if (!answer["slashed"].is_object())
      return make_error("get_account: \"slashed\" is not an object");
    account.slashed = answer["slashed"];
  }
  return account;
}

Result<std::map<std::string, std::uint64_t>> ordinary_changes(const std::vector<json>& blocks,
                                                              std::uint64_t block_reward) {
  std::map<std::string, std::uint64_t> change;
  for (const json& block : blocks) {
    const json empty;
    const json& header = block.is_object() && block.contains("header") ? block["header"] : empty;
    auto height = unsigned_member(header, "height");
    auto proposer_key = string_member(header, "proposer");
    const std::string where = "block " + (height ? std::to_string(*height) : "?") + ": ";
    if (!height || !proposer_key)
      return make_error(where + (height ? proposer_key.message() : height.message()));
    auto proposer = address_of_key(*proposer_key);
    if (!proposer)
      return make_error(where + proposer.message());
    if (!block.contains("transactions") || !block["transactions"].is_array())
      return make_error(where + "no transaction list");
    std::uint64_t fees = 0;
    for (const json& tx : block["transactions"]) {
      auto moves = tx_moves(tx);
      if (!moves)
        return make_error(where + moves.message());
      change[moves->sender] -= moves->fee;
      fees += moves->fee;
      if (moves->kind == "transfer") {
        change[moves->sender] -= moves->amount;
        change[moves->recipient] += moves->amount;
      }
    }
    change[*proposer] += block_reward + fees;
  }
  return change;
}

Result<SlashFigures> audit_slash(const LedgerView& before, const LedgerView& after,
                                 const std::map<std::string, std::uint64_t>& ordinary,
                                 const SlashParties& parties, const chain::PosParams& params) {
  for (const std::string* party : {&parties.offender, &parties.reporter}) {
    if (!before.accounts.contains(*party) || !after.accounts.contains(*party))
      return make_error(*party + " is not among the accounts read before and after the slash");
  }
  const StakeAccount& offender = before.accounts.at(parties.offender);
  SlashFigures figures;
  figures.stake_before = offender.stake;
  figures.stake_after = after.accounts.at(parties.offender).stake;
  figures.slashed = chain::percent_of(offender.stake, params.slash_percent) +
                    chain::percent_of(offender.unbonding, params.slash_percent);
  figures.reporter_share = chain::percent_of(figures.slashed, params.reporter_percent);
  figures.burned = figures.slashed - figures.reporter_share;
  figures.reporter_before = before.accounts.at(parties.reporter).balance;
  figures.reporter_after = after.accounts.at(parties.reporter).balance;
  for (const auto& [address, was] : before.accounts) {
    auto now = after.accounts.find(address);
    if (now == after.accounts.end())
      return make_error(address + " was read before the slash but not after it");
    auto blocks = ordinary.find(address);
    const std::uint64_t from_blocks = blocks == ordinary.end() ? 0 : blocks->second;
    const std::uint64_t expected =
        was.total() + from_blocks + slash_adjustment(address, parties, figures);
    if (now->second.total() != expected) {
      return make_error(
          address + " held " + std::to_string(was.total()) + " at height " +
          std::to_string(before.height) + " and " + std::to_string(now->second.total()) + " at " +
          std::to_string(after.height) + "; the blocks explain " + signed_text(from_blocks) +
          " and the slash " + signed_text(slash_adjustment(address, parties, figures)));
    }
    if (address == parties.reporter)
      figures.reporter_from_blocks = from_blocks;
    figures.supply_before += was.total();
    figures.supply_after += now->second.total();
    figures.supply_from_blocks += from_blocks;
  }
  // Every account changed exactly as said, so their sum fell by the burned part: the
  // figures only print it.
  return figures;
}

ExclusionWatch exclusion_watch(std::uint64_t stake, std::uint64_t total_stake,
                               double miss_probability_max, std::uint64_t min_blocks,
                               std::uint64_t max_blocks) {
  const double share =
      total_stake == 0 ? 0.0 : static_cast<double>(stake) / static_cast<double>(total_stake);
  ExclusionWatch watch{min_blocks, std::pow(1.0 - share, static_cast<double>(min_blocks))};
  if (share == 0.0)
    return watch;  // nothing to draw with: no number of blocks would show more
  while (watch.miss_probability >= miss_probability_max && watch.blocks < max_blocks) {
    ++watch.blocks;
    watch.miss_probability *= 1.0 - share;
  }
  return watch;
}

}  // namespace synod::testnet
