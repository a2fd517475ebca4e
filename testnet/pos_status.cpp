#include "testnet/pos_status.h"

#include <chrono>

#include "client/json_fields.h"

namespace synod::testnet {

using nlohmann::json;

json pos_init_json(const Testnet& testnet) {
  const chain::PosParams& pos = testnet.genesis.pos;
  return {{"block_interval_ms", pos.block_interval_ms},
          {"validators", testnet.validator_count()},
          {"stake_per_validator", kPosValidatorStake},
          {"initial_difficulty", pos.initial_difficulty},
          {"unbonding_delay", pos.unbonding_delay},
          {"evidence_window", pos.evidence_window},
          {"slash_percent", pos.slash_percent},
          {"reporter_percent", pos.reporter_percent},
          {"block_reward", pos.block_reward}};
}

std::string pos_consensus_text(const Testnet& testnet) {
  const chain::PosParams& pos = testnet.genesis.pos;
  const std::size_t n = testnet.validator_count();
  char text[640];
  std::snprintf(
      text, sizeof text,
      "proof of stake: %zu validators staking %s each; a validator signs the next block at "
      "second ts when SHA256(prev_hash || address || ts) <= 2^256 * stake / difficulty "
      "(difficulty %s: one block every %s on average)\n"
      "unstaked coins unbond for %llu blocks; a double-sign proven within %llu blocks burns "
      "%llu%% of the offender's stake (%llu%% of that to the reporter)\n"
      "blocks are final only probabilistically: wait for confirmations "
      "(synod-wallet transfer --confirmations K)\n",
      n, cli::with_commas(kPosValidatorStake).c_str(),
      cli::with_commas(pos.initial_difficulty).c_str(),
      cli::format_duration(std::chrono::milliseconds(pos.block_interval_ms)).c_str(),
      static_cast<unsigned long long>(pos.unbonding_delay),
      static_cast<unsigned long long>(pos.evidence_window),
      static_cast<unsigned long long>(pos.slash_percent),
      static_cast<unsigned long long>(pos.reporter_percent));
  return text;
}

cli::Table pos_status_table() {
  cli::Table table({"NODE", "PID", "STATE", "ROLE", "RPC", "HEIGHT", "HEAD", "LENGTH", "TIPS",
                    "DIFFICULTY", "STAKE", "OFFENCES", "REORGS", "PEERS", "MEMPOOL"});
  table.right(1).right(5).right(7).right(8).right(9).right(10).right(11).right(12).right(13).right(
      14);
  return table;
}

std::vector<std::string> pos_status_cells(const json& status) {
  if (status.is_null())
    return {"", "", "", "", "", "", "", ""};
  std::string stake = client::field_text(status, "stake");
  if (client::bool_field(status, "slashed"))
    stake += " SLASHED";
  return {client::field_text(status, "height"),
          cli::prefix(client::field_text(status, "head_hash"), 8),
          client::field_text(status, "tip_work"),
          client::field_text(status, "tips"),
          client::field_text(status, "difficulty"),
          stake,
          client::field_text(status, "double_signs_seen"),
          client::field_text(status, "reorgs")};
}

}  // namespace synod::testnet
