#include "chain/genesis.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "chain/codec.h"
#include "chain/limits.h"
#include "crypto/hex.h"

namespace synod::chain {

using nlohmann::json;

const char* to_string(ConsensusMode mode) {
  switch (mode) {
    case ConsensusMode::kPbft:
      return "pbft";
    case ConsensusMode::kPow:
      return "pow";
    case ConsensusMode::kPos:
      return "pos";
  }
  return "unknown";
}

Result<ConsensusMode> parse_consensus_mode(std::string_view text) {
  if (text == "pbft")
    return ConsensusMode::kPbft;
  if (text == "pow")
    return ConsensusMode::kPow;
  if (text == "pos")
    return ConsensusMode::kPos;
  return make_error("unknown consensus mode \"" + std::string(text) + "\" (pbft, pow or pos)");
}

ValidatorSet::ValidatorSet(std::vector<ValidatorInfo> validators)
    : validators_(std::move(validators)) {}

std::optional<std::uint32_t> ValidatorSet::index_of(const crypto::PublicKey& key) const {
  for (std::size_t i = 0; i < validators_.size(); ++i) {
    if (validators_[i].public_key == key)
      return static_cast<std::uint32_t>(i);
  }
  return std::nullopt;
}

crypto::Hash256 PowParams::default_initial_target() {
  crypto::Hash256 target;
  target.data.fill(0xff);
  target.data[0] = 0;
  target.data[1] = 0;
  return target;
}

crypto::Hash256 Genesis::hash() const {
  Writer out;
  out.raw(as_bytes("synod/genesis/v1"));
  out.string(chain_id);
  out.u8(static_cast<std::uint8_t>(mode));
  out.u64(genesis_time_ms);
  for (std::uint64_t value :
       {pbft.checkpoint_interval, pbft.watermark_window, pbft.max_block_transactions,
        pbft.max_block_bytes, pbft.batch_delay_ms, pbft.view_change_timeout_ms,
        pbft.empty_block_interval_ms}) {
    out.u64(value);
  }
  out.count(validators.size());
  for (const auto& validator : validators.all()) {
    out.string(validator.name);
    out.fixed(validator.public_key);
    out.string(validator.peer_address);
    out.u64(validator.power);
  }
  out.count(accounts.size());
  for (const auto& account : accounts) {
    out.fixed(account.address);
    out.u64(account.balance);
    out.u64(account.stake);
  }
  // Appended in PoW and PoS mode only: PBFT geneses keep their hash.
  if (mode == ConsensusMode::kPow) {
    out.fixed(pow.initial_target);
    for (std::uint64_t value :
         {pow.block_interval_ms, pow.retarget_window, pow.max_retarget_factor, pow.max_reorg_depth,
          pow.block_reward, pow.max_future_ms, pow.median_time_window, pow.max_block_transactions,
          pow.max_block_bytes}) {
      out.u64(value);
    }
  }
  if (mode == ConsensusMode::kPos) {
    for (std::uint64_t value :
         {pos.initial_difficulty, pos.block_interval_ms, pos.retarget_window,
          pos.max_retarget_factor, pos.unbonding_delay, pos.evidence_window, pos.slash_percent,
          pos.reporter_percent, pos.block_reward, pos.max_reorg_depth, pos.max_future_ms,
          pos.max_block_transactions, pos.max_block_bytes}) {
      out.u64(value);
    }
  }
  return crypto::sha256(out.data());
}

namespace {

// Field readers that turn JSON type errors into messages naming the field.
struct Fields {
  const json& object;
  std::string where;
  std::string error;

  bool has(const char* key) const { return object.contains(key); }

  std::string text(const char* key, std::size_t max_bytes) {
    if (!error.empty())
      return {};
    if (!object.contains(key) || !object[key].is_string()) {
      error = where + key + ": expected a string";
      return {};
    }
    std::string value = object[key].get<std::string>();
    if (value.empty() || value.size() > max_bytes) {
      error = where + key + ": must be 1 to " + std::to_string(max_bytes) + " bytes";
    }
    return value;
  }

  std::uint64_t number(const char* key, std::optional<std::uint64_t> fallback = std::nullopt) {
    if (!error.empty())
      return 0;
    if (!object.contains(key)) {
      if (fallback)
        return *fallback;
      error = where + key + ": missing";
      return 0;
    }
    if (!object[key].is_number_unsigned()) {
      error = where + key + ": expected a non-negative integer";
      return 0;
    }
    return object[key].get<std::uint64_t>();
  }

  void only(std::initializer_list<const char*> allowed) {
    if (!error.empty())
      return;
    for (const auto& item : object.items()) {
      bool known = false;
      for (const char* key : allowed)
        known = known || item.key() == key;
      if (!known) {
        error = where + item.key() + ": unknown field";
        return;
      }
    }
  }
};

Result<PbftParams> parse_pbft_params(const json& object) {
  PbftParams defaults;
  if (!object.is_object())
    return make_error("genesis pbft: expected an object");
  Fields fields{object, "genesis pbft.", ""};
  fields.only({"checkpoint_interval", "watermark_window", "max_block_transactions",
               "max_block_bytes", "batch_delay_ms", "view_change_timeout_ms",
               "empty_block_interval_ms"});
  PbftParams params;
  params.checkpoint_interval = fields.number("checkpoint_interval", defaults.checkpoint_interval);
  params.watermark_window = fields.number("watermark_window", defaults.watermark_window);
  params.max_block_transactions =
      fields.number("max_block_transactions", defaults.max_block_transactions);
  params.max_block_bytes = fields.number("max_block_bytes", defaults.max_block_bytes);
  params.batch_delay_ms = fields.number("batch_delay_ms", defaults.batch_delay_ms);
  params.view_change_timeout_ms =
      fields.number("view_change_timeout_ms", defaults.view_change_timeout_ms);
  params.empty_block_interval_ms =
      fields.number("empty_block_interval_ms", defaults.empty_block_interval_ms);
  if (!fields.error.empty())
    return make_error(fields.error);
  if (params.checkpoint_interval == 0)
    return make_error("genesis pbft.checkpoint_interval: must be > 0");
  if (params.watermark_window < 2 * params.checkpoint_interval) {
    return make_error("genesis pbft.watermark_window: must be at least 2 * checkpoint_interval");
  }
  if (params.max_block_transactions == 0 || params.max_block_transactions > kMaxBlockTransactions) {
    return make_error("genesis pbft.max_block_transactions: must be 1 to " +
                      std::to_string(kMaxBlockTransactions));
  }
  if (params.max_block_bytes < 1024 || params.max_block_bytes > kMaxBlockBytes) {
    return make_error("genesis pbft.max_block_bytes: must be 1024 to " +
                      std::to_string(kMaxBlockBytes));
  }
  if (params.view_change_timeout_ms < 10) {
    return make_error("genesis pbft.view_change_timeout_ms: must be at least 10");
  }
  return params;
}

Result<crypto::Hash256> parse_target(Fields& fields, const char* key,
                                     const crypto::Hash256& fallback) {
  if (!fields.has(key))
    return fallback;
  std::string text = fields.text(key, 128);
  if (!fields.error.empty())
    return make_error(fields.error);
  std::string where = fields.where + key;
  if (text.size() != 64)
    return make_error(where + ": expected 64 hex digits (a big-endian 256-bit number)");
  auto target = crypto::fixed_from_hex<crypto::Hash256>(text, where);
  if (!target)
    return target.error();
  if (target->is_zero())
    return make_error(where + ": must be > 0");
  return *target;
}

// A numeric parameter and its allowed range.
struct Range {
  const char* name;
  std::uint64_t value;
  std::uint64_t min;
  std::uint64_t max;
};

Status check_ranges(const char* where, const std::vector<Range>& ranges) {
  for (const Range& range : ranges) {
    if (range.value < range.min || range.value > range.max) {
      return make_error(std::string(where) + range.name + ": must be " + std::to_string(range.min) +
                        " to " + std::to_string(range.max));
    }
  }
  return Status::success();
}

// The parameters both longest-chain modes carry, with their shared bounds (a PoS slot is a
// whole second, hence the interval's floor), then `own`: together the bounds keep every
// product of two parameters (window * interval, ...) far from 64-bit overflow and every
// in-memory window small.
template <typename Params>
std::vector<Range> chain_ranges(const Params& params, std::uint64_t min_interval_ms,
                                std::initializer_list<Range> own) {
  std::vector<Range> ranges = {
      {"block_interval_ms", params.block_interval_ms, min_interval_ms, 86'400'000},
      {"retarget_window", params.retarget_window, 1, 10'000},
      {"max_retarget_factor", params.max_retarget_factor, 1, 256},
      {"max_reorg_depth", params.max_reorg_depth, 1, 10'000},
      {"max_future_ms", params.max_future_ms, 1, 86'400'000},
      {"max_block_transactions", params.max_block_transactions, 1, kMaxBlockTransactions},
      {"max_block_bytes", params.max_block_bytes, 1024, kMaxBlockBytes}};
  ranges.insert(ranges.end(), own);
  return ranges;
}

// Reads the fields chain_ranges checks, and the block reward; absent ones keep the
// defaults of `Params`.
template <typename Params>
void read_chain_params(Fields& fields, Params& params) {
  const Params defaults;
  params.block_interval_ms = fields.number("block_interval_ms", defaults.block_interval_ms);
  params.retarget_window = fields.number("retarget_window", defaults.retarget_window);
  params.max_retarget_factor = fields.number("max_retarget_factor", defaults.max_retarget_factor);
  params.max_reorg_depth = fields.number("max_reorg_depth", defaults.max_reorg_depth);
  params.block_reward = fields.number("block_reward", defaults.block_reward);
  params.max_future_ms = fields.number("max_future_ms", defaults.max_future_ms);
  params.max_block_transactions =
      fields.number("max_block_transactions", defaults.max_block_transactions);
  params.max_block_bytes = fields.number("max_block_bytes", defaults.max_block_bytes);
}

Status check_pow_params(const PowParams& params) {
  return check_ranges(
      "genesis pow.",
      chain_ranges(params, 1, {{"median_time_window", params.median_time_window, 1, 255}}));
}

Result<PowParams> parse_pow_params(const json& object) {
  PowParams defaults;
  if (!object.is_object())
    return make_error("genesis pow: expected an object");
  Fields fields{object, "genesis pow.", ""};
  fields.only({"initial_target", "block_interval_ms", "retarget_window", "max_retarget_factor",
               "max_reorg_depth", "block_reward", "max_future_ms", "median_time_window",
               "max_block_transactions", "max_block_bytes"});
  if (!fields.error.empty())
    return make_error(fields.error);
  auto target = parse_target(fields, "initial_target", defaults.initial_target);
  if (!target)
    return target.error();
  PowParams params;
  params.initial_target = *target;
  read_chain_params(fields, params);
  params.median_time_window = fields.number("median_time_window", defaults.median_time_window);
  if (!fields.error.empty())
    return make_error(fields.error);
  if (auto status = check_pow_params(params); !status)
    return status.error();
  return params;
}

Status check_pos_params(const PosParams& params) {
  if (auto status = check_ranges(
          "genesis pos.",
          chain_ranges(params, 1000,
                       {{"initial_difficulty", params.initial_difficulty, 1, UINT64_MAX},
                        {"unbonding_delay", params.unbonding_delay, 2, 1'000'000},
                        {"evidence_window", params.evidence_window, 1, 1'000'000},
                        {"slash_percent", params.slash_percent, 0, 100},
                        {"reporter_percent", params.reporter_percent, 0, 100}}));
      !status) {
    return status;
  }
  if (params.unbonding_delay <= params.evidence_window) {
    return make_error(
        "genesis pos.unbonding_delay: must exceed evidence_window, or unstaked coins could "
        "leave before the evidence against them expires");
  }
  return Status::success();
}

Result<PosParams> parse_pos_params(const json& object) {
  PosParams defaults;
  if (!object.is_object())
    return make_error("genesis pos: expected an object");
  Fields fields{object, "genesis pos.", ""};
  fields.only({"initial_difficulty", "block_interval_ms", "retarget_window", "max_retarget_factor",
               "unbonding_delay", "evidence_window", "slash_percent", "reporter_percent",
               "block_reward", "max_reorg_depth", "max_future_ms", "max_block_transactions",
               "max_block_bytes"});
  PosParams params;
  params.initial_difficulty = fields.number("initial_difficulty", 0);
  read_chain_params(fields, params);
  params.unbonding_delay = fields.number("unbonding_delay", defaults.unbonding_delay);
  params.evidence_window = fields.number("evidence_window", defaults.evidence_window);
  params.slash_percent = fields.number("slash_percent", defaults.slash_percent);
  params.reporter_percent = fields.number("reporter_percent", defaults.reporter_percent);
  if (!fields.error.empty())
    return make_error(fields.error);
  return params;
}

// The stake side of a PoS genesis: some validator holds stake, and a zero difficulty
// becomes the default (total stake * interval in seconds, at least 1).
Status finish_pos_genesis(Genesis& genesis) {
  std::uint64_t total_stake = 0;
  bool validator_staked = false;
  for (const auto& account : genesis.accounts) {
    total_stake += account.stake;  // the supply check above bounds the sum
    for (const auto& validator : genesis.validators.all()) {
      if (account.stake > 0 && address_of(validator.public_key) == account.address)
        validator_staked = true;
    }
  }
  if (!validator_staked) {
    return make_error(
        "genesis accounts: a proof-of-stake genesis needs stake on at least one validator's "
        "address");
  }
  PosParams& params = genesis.pos;
  if (params.initial_difficulty == 0) {
    const std::uint64_t seconds = std::max<std::uint64_t>(1, params.block_interval_ms / 1000);
    params.initial_difficulty =
        total_stake > UINT64_MAX / seconds ? UINT64_MAX : total_stake * seconds;
  }
  return check_pos_params(params);
}

// The genesis' "pow" or "pos" object (`key`), allowed only in its own mode.
template <typename Params>
Status parse_mode_params(const json& root, const char* key, ConsensusMode own_mode,
                         ConsensusMode mode, Result<Params> (*parse)(const json&), Params& into) {
  if (!root.contains(key))
    return Status::success();
  if (mode != own_mode) {
    return make_error(std::string("genesis ") + key + ": only allowed with \"consensus\": \"" +
                      key + "\"");
  }
  auto params = parse(root[key]);
  if (!params)
    return params.error();
  into = *params;
  return Status::success();
}

Result<ValidatorInfo> parse_validator(const json& object, std::size_t index) {
  std::string where = "genesis validators[" + std::to_string(index) + "].";
  if (!object.is_object())
    return make_error(where.substr(0, where.size() - 1) + ": expected an object");
  Fields fields{object, where, ""};
  fields.only({"name", "public_key", "peer_address", "power"});
  ValidatorInfo validator;
  validator.name = fields.text("name", kMaxValidatorNameBytes);
  std::string key_hex = fields.text("public_key", 64);
  validator.peer_address = fields.text("peer_address", kMaxPeerAddressBytes);
  validator.power = fields.number("power", 1);
  if (!fields.error.empty())
    return make_error(fields.error);
  auto key = crypto::fixed_from_hex<crypto::PublicKey>(key_hex, where + "public_key");
  if (!key)
    return key.error();
  validator.public_key = *key;
  if (validator.power == 0)
    return make_error(where + "power: must be > 0");
  return validator;
}

Result<GenesisAccount> parse_account(const json& object, std::size_t index) {
  std::string where = "genesis accounts[" + std::to_string(index) + "].";
  if (!object.is_object())
    return make_error(where.substr(0, where.size() - 1) + ": expected an object");
  Fields fields{object, where, ""};
  fields.only({"address", "balance", "stake"});
  std::string address_text = fields.text("address", kAddressTextLength);
  GenesisAccount account;
  account.balance = fields.number("balance", 0);
  account.stake = fields.number("stake", 0);
  if (!fields.error.empty())
    return make_error(fields.error);
  auto address = parse_address(address_text);
  if (!address)
    return make_error(where + "address: " + address.message());
  account.address = *address;
  return account;
}

Status check_validator_count(ConsensusMode mode, std::size_t n) {
  if (n == 0)
    return make_error("genesis validators: at least one validator is required");
  if (n > kMaxValidators) {
    return make_error("genesis validators: at most " + std::to_string(kMaxValidators));
  }
  if (mode == ConsensusMode::kPbft && n < 4) {
    return make_error(
        "genesis validators: PBFT needs n = 3f+1 >= 4 validators to tolerate a "
        "fault, got " +
        std::to_string(n));
  }
  return Status::success();
}

}  // namespace

namespace {

// The "validators" array: each entry parsed, keys and names unique, a count the mode allows.
Status parse_validators(const json& root, Genesis& genesis) {
  if (!root.contains("validators") || !root["validators"].is_array()) {
    return make_error("genesis validators: expected an array");
  }
  std::vector<ValidatorInfo> validators;
  std::set<crypto::PublicKey> keys;
  std::set<std::string> names;
  for (std::size_t i = 0; i < root["validators"].size() && i <= kMaxValidators; ++i) {
    auto validator = parse_validator(root["validators"][i], i);
    if (!validator)
      return validator.error();
    if (!keys.insert(validator->public_key).second) {
      return make_error("genesis validators[" + std::to_string(i) + "]: duplicate public key");
    }
    if (!names.insert(validator->name).second) {
      return make_error("genesis validators[" + std::to_string(i) + "]: duplicate name \"" +
                        validator->name + "\"");
    }
    validators.push_back(std::move(*validator));
  }
  if (auto status = check_validator_count(genesis.mode, root["validators"].size()); !status) {
    return status;
  }
  genesis.validators = ValidatorSet(std::move(validators));
  return Status::success();
}

// The "accounts" array, each address once, with a total supply that fits in 64 bits.
Status parse_accounts(const json& root, Genesis& genesis) {
  if (root.contains("accounts")) {
    if (!root["accounts"].is_array())
      return make_error("genesis accounts: expected an array");
    if (root["accounts"].size() > kMaxGenesisAccounts) {
      return make_error("genesis accounts: at most " + std::to_string(kMaxGenesisAccounts));
    }
    std::set<Address> seen;
    for (std::size_t i = 0; i < root["accounts"].size(); ++i) {
      auto account = parse_account(root["accounts"][i], i);
      if (!account)
        return account.error();
      if (!seen.insert(account->address).second) {
        return make_error("genesis accounts[" + std::to_string(i) + "]: duplicate address");
      }
      genesis.accounts.push_back(*account);
    }
  }
  // The whole supply must fit in 64 bits, so no balance can ever overflow.
  std::uint64_t supply = 0;
  for (const auto& account : genesis.accounts) {
    for (std::uint64_t amount : {account.balance, account.stake}) {
      if (amount > UINT64_MAX - supply) {
        return make_error("genesis accounts: total supply exceeds 2^64 - 1");
      }
      supply += amount;
    }
  }
  return Status::success();
}

}  // namespace

Result<Genesis> parse_genesis(const std::string& json_text) {
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded())
    return make_error("genesis: not valid JSON");
  if (!root.is_object())
    return make_error("genesis: expected a JSON object");
  Fields fields{root, "genesis ", ""};
  fields.only(
      {"chain_id", "consensus", "genesis_time_ms", "pbft", "pow", "pos", "validators", "accounts"});
  Genesis genesis;
  genesis.chain_id = fields.text("chain_id", kMaxChainIdBytes);
  std::string mode_text = fields.text("consensus", 16);
  genesis.genesis_time_ms = fields.number("genesis_time_ms", 0);
  if (!fields.error.empty())
    return make_error(fields.error);
  auto mode = parse_consensus_mode(mode_text);
  if (!mode)
    return make_error("genesis consensus: " + mode.message());
  genesis.mode = *mode;

  if (root.contains("pbft")) {
    auto params = parse_pbft_params(root["pbft"]);
    if (!params)
      return params.error();
    genesis.pbft = *params;
  }
  if (auto status = parse_mode_params(root, "pow", ConsensusMode::kPow, genesis.mode,
                                      parse_pow_params, genesis.pow);
      !status)
    return status.error();
  if (auto status = parse_mode_params(root, "pos", ConsensusMode::kPos, genesis.mode,
                                      parse_pos_params, genesis.pos);
      !status)
    return status.error();

  if (auto status = parse_validators(root, genesis); !status)
    return status.error();
  if (auto status = parse_accounts(root, genesis); !status)
    return status.error();
  if (genesis.mode == ConsensusMode::kPos) {
    if (auto status = finish_pos_genesis(genesis); !status)
      return status.error();
  }
  return genesis;
}

Result<Genesis> load_genesis(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return make_error("cannot read genesis file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_genesis(text.str());
}

std::string genesis_to_json(const Genesis& genesis) {
  json validators = json::array();
  for (const auto& validator : genesis.validators.all()) {
    validators.push_back({{"name", validator.name},
                          {"public_key", crypto::to_hex(validator.public_key.view())},
                          {"peer_address", validator.peer_address},
                          {"power", validator.power}});
  }
  json accounts = json::array();
  for (const auto& account : genesis.accounts) {
    accounts.push_back({{"address", to_string(account.address)},
                        {"balance", account.balance},
                        {"stake", account.stake}});
  }
  const PbftParams& p = genesis.pbft;
  json root = {{"chain_id", genesis.chain_id},
               {"consensus", to_string(genesis.mode)},
               {"genesis_time_ms", genesis.genesis_time_ms},
               {"pbft",
                {{"checkpoint_interval", p.checkpoint_interval},
                 {"watermark_window", p.watermark_window},
                 {"max_block_transactions", p.max_block_transactions},
                 {"max_block_bytes", p.max_block_bytes},
                 {"batch_delay_ms", p.batch_delay_ms},
                 {"view_change_timeout_ms", p.view_change_timeout_ms},
                 {"empty_block_interval_ms", p.empty_block_interval_ms}}},
               {"validators", validators},
               {"accounts", accounts}};
  if (genesis.mode == ConsensusMode::kPow) {
    const PowParams& w = genesis.pow;
    root["pow"] = {{"initial_target", crypto::to_hex(w.initial_target.view())},
                   {"block_interval_ms", w.block_interval_ms},
                   {"retarget_window", w.retarget_window},
                   {"max_retarget_factor", w.max_retarget_factor},
                   {"max_reorg_depth", w.max_reorg_depth},
                   {"block_reward", w.block_reward},
                   {"max_future_ms", w.max_future_ms},
                   {"median_time_window", w.median_time_window},
                   {"max_block_transactions", w.max_block_transactions},
                   {"max_block_bytes", w.max_block_bytes}};
  }
  if (genesis.mode == ConsensusMode::kPos) {
    const PosParams& s = genesis.pos;
    root["pos"] = {{"initial_difficulty", s.initial_difficulty},
                   {"block_interval_ms", s.block_interval_ms},
                   {"retarget_window", s.retarget_window},
                   {"max_retarget_factor", s.max_retarget_factor},
                   {"unbonding_delay", s.unbonding_delay},
                   {"evidence_window", s.evidence_window},
                   {"slash_percent", s.slash_percent},
                   {"reporter_percent", s.reporter_percent},
                   {"block_reward", s.block_reward},
                   {"max_reorg_depth", s.max_reorg_depth},
                   {"max_future_ms", s.max_future_ms},
                   {"max_block_transactions", s.max_block_transactions},
                   {"max_block_bytes", s.max_block_bytes}};
  }
  return root.dump(2) + "\n";
}

}  // namespace synod::chain
