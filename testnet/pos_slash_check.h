// What the nothing-at-stake scenario (pos_scenarios.cpp) checks, as pure functions of what
// the nodes answered over RPC, so they are tested without a testnet: that the evidence
// proves the offence, that the slash took what the genesis says and paid the reporter its
// share while the rest left the supply, and how many blocks without the offender make its
// exclusion convincing. The scenario recomputes the slash from the genesis' parameters
// rather than trusting a node's arithmetic (chain/state_pos.cpp is the rule it checks).
//
// Thread safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "chain/genesis.h"
#include "chain/signing_domain.h"
#include "crypto/ed25519.h"

namespace synod::testnet {

// The offence as an evidence transaction's payload shows it: two signed headers.
struct Offence {
  std::uint64_t height = 0;
  std::string first_hash;  // hex, as get_block names blocks
  std::string second_hash;
  std::string proposer;  // hex public key
};

// Decodes `evidence_hex` (header_a | header_b, chain/pos_seal.h) and checks that it shows
// `offender` signing two different blocks at one height in `domain`: one height, two
// hashes, both proposers the offender, both seals its valid signature. An error says which
// of these fails.
Result<Offence> read_offence(const std::string& evidence_hex, const chain::SigningDomain& domain,
                             const crypto::PublicKey& offender);

// One account as get_account answers it: what the slash arithmetic needs.
struct StakeAccount {
  std::uint64_t balance = 0;
  std::uint64_t stake = 0;
  std::uint64_t unbonding = 0;
  nlohmann::json slashed;  // get_account's "slashed" object; null when never slashed
  // balance + stake + unbonding: what stake, unstake and unbonding leave unchanged.
  std::uint64_t total() const { return balance + stake + unbonding; }
};
Result<StakeAccount> stake_account_from_json(const nlohmann::json& answer);

// A node's ledger at one head: accounts read between two status answers naming that head.
struct LedgerView {
  std::uint64_t height = 0;
  std::string head_hash;
  std::map<std::string, StakeAccount> accounts;  // by address
};

// How `blocks` (get_block answers) change each account's total besides slashing: the
// block reward and the fees go to each block's proposer, a transfer moves its amount, every
// transaction's sender pays its fee. Stake, unstake and unbonding move coins within an
// account. Sums are modulo 2^64 (a debit is a wrapped negative): the true totals fit in 64
// bits, so comparing them modulo 2^64 is exact. An error names a block the node answered
// without the fields this needs.
Result<std::map<std::string, std::uint64_t>> ordinary_changes(
    const std::vector<nlohmann::json>& blocks, std::uint64_t block_reward);

struct SlashParties {
  std::string offender;  // addresses
  std::string reporter;
};

struct SlashFigures {
  std::uint64_t stake_before = 0;  // the offender's, before and after the slash
  std::uint64_t stake_after = 0;
  std::uint64_t slashed = 0;          // slash_percent of its stake and unbonding coins
  std::uint64_t reporter_share = 0;   // reporter_percent of that, paid to the reporter
  std::uint64_t burned = 0;           // the rest: gone from the supply
  std::uint64_t reporter_before = 0;  // the reporter's balance
  std::uint64_t reporter_after = 0;
  std::uint64_t reporter_from_blocks = 0;  // its total's ordinary change (mod 2^64)
  std::uint64_t supply_before = 0;         // the views' accounts' totals
  std::uint64_t supply_after = 0;
  std::uint64_t supply_from_blocks = 0;  // their ordinary change (mod 2^64)
};

// Checks the slash between `before` (offender not slashed) and `after` (slashed), with
// `ordinary` the ordinary changes of the blocks between them: every account of the views
// changed by its ordinary change, except the offender, which lost exactly slash_percent of
// its stake and unbonding coins, and the reporter, which gained exactly reporter_percent of
// that on top; so the views' supply fell by the burned rest. An error names the account
// whose numbers do not add up.
Result<SlashFigures> audit_slash(const LedgerView& before, const LedgerView& after,
                                 const std::map<std::string, std::uint64_t>& ordinary,
                                 const SlashParties& parties, const chain::PosParams& params);

// How many blocks after the slash show the offender out of the lottery: the fewest k with
// (1 - stake / total_stake)^k below `miss_probability_max`, where `stake` is what the
// offender would still draw with if exclusion were broken, between `min_blocks` and
// `max_blocks` (`min_blocks` when `stake` is 0: no count would show more); and the chance
// that k such blocks all miss it anyway.
struct ExclusionWatch {
  std::uint64_t blocks = 0;
  double miss_probability = 0;
};
ExclusionWatch exclusion_watch(std::uint64_t stake, std::uint64_t total_stake,
                               double miss_probability_max, std::uint64_t min_blocks,
                               std::uint64_t max_blocks);

}  // namespace synod::testnet
