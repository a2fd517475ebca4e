// Genesis: parsing and validation (one clear message per defect), hash, JSON round trip.
#include <catch2/catch.hpp>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "chain/genesis.h"
#include "crypto/hex.h"
#include "tests/support/test_keys.h"

using namespace synod;
using namespace synod::chain;
using nlohmann::json;

namespace {

using synod::testing::key_from;

std::string key_hex(std::uint8_t fill) {
  return crypto::to_hex(key_from(fill).public_key().view());
}

std::string address_text(std::uint8_t fill) {
  return to_string(address_of(key_from(fill).public_key()));
}

json validator(int i) {
  return {{"name", "validator-" + std::to_string(i)},
          {"public_key", key_hex(static_cast<std::uint8_t>(0x10 + i))},
          {"peer_address", "127.0.0.1:" + std::to_string(26600 + i)},
          {"power", 1}};
}

json valid_genesis() {
  json validators = json::array();
  for (int i = 0; i < 4; ++i)
    validators.push_back(validator(i));
  return {{"chain_id", "synod-test"},
          {"consensus", "pbft"},
          {"genesis_time_ms", 1'700'000'000'000},
          {"pbft",
           {{"checkpoint_interval", 8},
            {"watermark_window", 32},
            {"max_block_transactions", 500},
            {"max_block_bytes", 65536},
            {"batch_delay_ms", 5},
            {"view_change_timeout_ms", 1000},
            {"empty_block_interval_ms", 250}}},
          {"validators", validators},
          {"accounts",
           {{{"address", address_text(1)}, {"balance", 1'000'000}},
            {{"address", address_text(2)}, {"balance", 5}, {"stake", 100}}}}};
}

// A PoS genesis needs stake on a validator's address.
void stake_first_validator_in_pos(json& document) {
  if (document["consensus"] == "pos")
    document["accounts"].push_back({{"address", address_text(0x10)}, {"stake", 10}});
}

Genesis parse_ok(const json& document) {
  auto genesis = parse_genesis(document.dump());
  INFO(document.dump());
  if (!genesis.ok())
    FAIL(genesis.message());
  return *genesis;
}

std::string parse_error(const std::string& text) {
  auto genesis = parse_genesis(text);
  INFO(text);
  REQUIRE_FALSE(genesis.ok());
  return genesis.message();
}

std::string parse_error(const json& document) {
  return parse_error(document.dump());
}

}  // namespace

TEST_CASE("genesis: a valid file parses with every field", "[chain][genesis]") {
  const Genesis genesis = parse_ok(valid_genesis());
  CHECK(genesis.chain_id == "synod-test");
  CHECK(genesis.mode == ConsensusMode::kPbft);
  CHECK(genesis.genesis_time_ms == 1'700'000'000'000);
  CHECK(genesis.pbft.checkpoint_interval == 8);
  CHECK(genesis.pbft.watermark_window == 32);
  CHECK(genesis.pbft.max_block_transactions == 500);
  CHECK(genesis.pbft.max_block_bytes == 65536);
  CHECK(genesis.pbft.batch_delay_ms == 5);
  CHECK(genesis.pbft.view_change_timeout_ms == 1000);
  CHECK(genesis.pbft.empty_block_interval_ms == 250);
  REQUIRE(genesis.validators.size() == 4);
  CHECK(genesis.validators.at(2).name == "validator-2");
  CHECK(genesis.validators.at(2).public_key == key_from(0x12).public_key());
  CHECK(genesis.validators.at(2).peer_address == "127.0.0.1:26602");
  CHECK(genesis.validators.at(2).power == 1);
  REQUIRE(genesis.accounts.size() == 2);
  CHECK(genesis.accounts[0].address == address_of(key_from(1).public_key()));
  CHECK(genesis.accounts[0].balance == 1'000'000);
  CHECK(genesis.accounts[0].stake == 0);
  CHECK(genesis.accounts[1].stake == 100);
}

TEST_CASE("genesis: optional sections take their defaults", "[chain][genesis]") {
  json document = valid_genesis();
  document.erase("pbft");
  document.erase("accounts");
  document.erase("genesis_time_ms");
  for (auto& v : document["validators"])
    v.erase("power");
  const Genesis genesis = parse_ok(document);
  const PbftParams defaults;
  CHECK(genesis.pbft.checkpoint_interval == defaults.checkpoint_interval);
  CHECK(genesis.pbft.view_change_timeout_ms == defaults.view_change_timeout_ms);
  CHECK(genesis.accounts.empty());
  CHECK(genesis.genesis_time_ms == 0);
  CHECK(genesis.validators.at(0).power == 1);
}

TEST_CASE("genesis: pow and pos modes parse, with a single validator", "[chain][genesis]") {
  for (const char* mode : {"pow", "pos"}) {
    json document = valid_genesis();
    document["consensus"] = mode;
    document["validators"] = json::array({validator(0)});
    stake_first_validator_in_pos(document);
    const Genesis genesis = parse_ok(document);
    CHECK(std::string(to_string(genesis.mode)) == mode);
    CHECK(genesis.validators.size() == 1);
  }
}

TEST_CASE("genesis: text that is not JSON is rejected", "[chain][genesis]") {
  for (const char* text : {"", "{", "genesis", "{\"chain_id\": }", "[1,2"}) {
    CHECK_THAT(parse_error(std::string(text)), Catch::Contains("not valid JSON"));
  }
  CHECK_THAT(parse_error(std::string("[1, 2]")), Catch::Contains("expected a JSON object"));
}

TEST_CASE("genesis: deeply nested JSON is rejected without exhausting the stack",
          "[chain][genesis]") {
  const std::size_t depth = 100'000;
  CHECK_THAT(parse_error(std::string(depth, '[')), Catch::Contains("not valid JSON"));
  CHECK_THAT(parse_error(std::string(depth, '[') + std::string(depth, ']')),
             Catch::Contains("expected a JSON object"));
  std::string nested = "{\"chain_id\": ";
  for (std::size_t i = 0; i < depth; ++i)
    nested += "{\"a\": ";
  nested += "1" + std::string(depth + 1, '}');
  CHECK_THAT(parse_error(nested), Catch::Contains("chain_id: expected a string"));
}

TEST_CASE("genesis: missing chain_id is rejected naming the field", "[chain][genesis]") {
  json document = valid_genesis();
  document.erase("chain_id");
  CHECK_THAT(parse_error(document), Catch::Contains("chain_id"));
  document["chain_id"] = 5;
  CHECK_THAT(parse_error(document), Catch::Contains("chain_id: expected a string"));
  document["chain_id"] = "";
  CHECK_THAT(parse_error(document), Catch::Contains("chain_id: must be 1 to 64 bytes"));
  document["chain_id"] = std::string(65, 'c');
  CHECK_THAT(parse_error(document), Catch::Contains("chain_id: must be 1 to 64 bytes"));
}

TEST_CASE("genesis: unknown consensus mode is rejected", "[chain][genesis]") {
  json document = valid_genesis();
  document["consensus"] = "raft";
  CHECK_THAT(parse_error(document),
             Catch::Contains("consensus") && Catch::Contains("unknown consensus mode \"raft\""));
  document["consensus"] = "PBFT";
  CHECK_THAT(parse_error(document), Catch::Contains("unknown consensus mode"));
  document.erase("consensus");
  CHECK_THAT(parse_error(document), Catch::Contains("consensus"));
}

TEST_CASE("genesis: PBFT with 3 validators is rejected citing 3f+1", "[chain][genesis]") {
  json document = valid_genesis();
  document["validators"].erase(3);
  CHECK_THAT(parse_error(document),
             Catch::Contains("validators") && Catch::Contains("3f+1") && Catch::Contains("got 3"));
}

TEST_CASE("genesis: no validators or too many are rejected", "[chain][genesis]") {
  json document = valid_genesis();
  document["validators"] = json::array();
  CHECK_THAT(parse_error(document), Catch::Contains("at least one validator"));
  document["validators"] = json::array();
  for (int i = 0; i < 257; ++i) {
    json v = validator(0);
    v["name"] = "v" + std::to_string(i);
    crypto::Seed seed;
    seed.data[0] = static_cast<std::uint8_t>(i);
    seed.data[1] = static_cast<std::uint8_t>(i >> 8);
    seed.data[2] = 0x5a;
    v["public_key"] = crypto::to_hex(crypto::KeyPair::from_seed(seed).public_key().view());
    document["validators"].push_back(v);
  }
  CHECK_THAT(parse_error(document), Catch::Contains("at most 256"));
  document.erase("validators");
  CHECK_THAT(parse_error(document), Catch::Contains("validators: expected an array"));
}

TEST_CASE("genesis: duplicate validator keys are rejected", "[chain][genesis]") {
  json document = valid_genesis();
  document["validators"][3]["public_key"] = document["validators"][1]["public_key"];
  CHECK_THAT(parse_error(document), Catch::Contains("validators[3]: duplicate public key"));
}

TEST_CASE("genesis: duplicate validator names are rejected", "[chain][genesis]") {
  json document = valid_genesis();
  document["validators"][2]["name"] = "validator-0";
  CHECK_THAT(parse_error(document),
             Catch::Contains("validators[2]: duplicate name \"validator-0\""));
}

TEST_CASE("genesis: bad validator public key hex is rejected", "[chain][genesis]") {
  json document = valid_genesis();
  std::string key = key_hex(0x11);
  key[0] = 'z';
  document["validators"][1]["public_key"] = key;
  CHECK_THAT(parse_error(document),
             Catch::Contains("validators[1].public_key") && Catch::Contains("non-hex"));
  document["validators"][1]["public_key"] = key_hex(0x11).substr(1);
  CHECK_THAT(parse_error(document),
             Catch::Contains("validators[1].public_key") && Catch::Contains("odd length"));
}

TEST_CASE("genesis: validator public key of the wrong length is rejected", "[chain][genesis]") {
  json document = valid_genesis();
  document["validators"][1]["public_key"] = key_hex(0x11).substr(0, 62);
  CHECK_THAT(parse_error(document),
             Catch::Contains("validators[1].public_key: expected 32 bytes, got 31"));
  document["validators"][1]["public_key"] = key_hex(0x11) + "00";
  CHECK_THAT(parse_error(document), Catch::Contains("validators[1].public_key"));
}

TEST_CASE("genesis: validator fields are checked", "[chain][genesis]") {
  json document = valid_genesis();
  document["validators"][0]["power"] = 0;
  CHECK_THAT(parse_error(document), Catch::Contains("validators[0].power: must be > 0"));
  document = valid_genesis();
  document["validators"][0].erase("peer_address");
  CHECK_THAT(parse_error(document), Catch::Contains("validators[0].peer_address"));
  document = valid_genesis();
  document["validators"][0]["name"] = "";
  CHECK_THAT(parse_error(document), Catch::Contains("validators[0].name"));
  document = valid_genesis();
  document["validators"][1] = "validator";
  CHECK_THAT(parse_error(document), Catch::Contains("validators[1]: expected an object"));
}

TEST_CASE("genesis: negative or fractional balance is rejected", "[chain][genesis]") {
  for (const json& balance :
       {json(-1), json(1.5), json(-0.5), json(1e30), json("100"), json(true), json(nullptr)}) {
    json document = valid_genesis();
    document["accounts"][1]["balance"] = balance;
    INFO(balance.dump());
    CHECK_THAT(parse_error(document),
               Catch::Contains("accounts[1].balance: expected a non-negative integer"));
  }
  json document = valid_genesis();
  document["accounts"][0]["stake"] = -3;
  CHECK_THAT(parse_error(document), Catch::Contains("accounts[0].stake"));
}

TEST_CASE("genesis: a total supply of exactly 2^64-1 is accepted", "[chain][genesis]") {
  json document = valid_genesis();
  document["accounts"][0]["balance"] = ~std::uint64_t{0} - 105;
  CHECK(parse_ok(document).accounts[0].balance == ~std::uint64_t{0} - 105);
  document["accounts"][1]["balance"] = 0;
  document["accounts"][1]["stake"] = 0;
  document["accounts"][0]["balance"] = ~std::uint64_t{0};
  CHECK(parse_ok(document).accounts[0].balance == ~std::uint64_t{0});
}

TEST_CASE("genesis: a total supply above 2^64-1 is rejected", "[chain][genesis]") {
  // Balances plus stakes must fit in 64 bits, so no later balance can overflow.
  json document = valid_genesis();
  document["accounts"][0]["balance"] = ~std::uint64_t{0} - 104;
  CHECK_THAT(parse_error(document), Catch::Contains("total supply"));
  document = valid_genesis();
  document["accounts"][1]["stake"] = ~std::uint64_t{0};
  CHECK_THAT(parse_error(document), Catch::Contains("total supply"));
}

TEST_CASE("genesis: unknown fields are rejected naming the field", "[chain][genesis]") {
  json document = valid_genesis();
  document["chain-id"] = "typo";
  CHECK_THAT(parse_error(document), Catch::Contains("chain-id: unknown field"));
  document = valid_genesis();
  document["validators"][2]["weight"] = 3;
  CHECK_THAT(parse_error(document), Catch::Contains("validators[2].weight: unknown field"));
  document = valid_genesis();
  document["accounts"][0]["nonce"] = 3;
  CHECK_THAT(parse_error(document), Catch::Contains("accounts[0].nonce: unknown field"));
  document = valid_genesis();
  document["pbft"]["checkpoint"] = 3;
  CHECK_THAT(parse_error(document), Catch::Contains("pbft.checkpoint: unknown field"));
}

TEST_CASE("genesis: duplicate account addresses are rejected", "[chain][genesis]") {
  json document = valid_genesis();
  document["accounts"][1]["address"] = address_text(1);
  CHECK_THAT(parse_error(document), Catch::Contains("accounts[1]: duplicate address"));
}

TEST_CASE("genesis: a bad account address is rejected naming the field", "[chain][genesis]") {
  json document = valid_genesis();
  std::string address = address_text(1);
  address[10] = address[10] == '0' ? '1' : '0';
  document["accounts"][0]["address"] = address;
  CHECK_THAT(parse_error(document),
             Catch::Contains("accounts[0].address") && Catch::Contains("checksum"));
  document["accounts"][0]["address"] = "syn";
  CHECK_THAT(parse_error(document), Catch::Contains("accounts[0].address"));
  document["accounts"] = json::object();
  CHECK_THAT(parse_error(document), Catch::Contains("accounts: expected an array"));
}

TEST_CASE("genesis: PBFT parameters are range-checked", "[chain][genesis]") {
  const std::vector<std::pair<std::string, json>> bad = {
      {"checkpoint_interval", 0},        {"watermark_window", 15},
      {"max_block_transactions", 0},     {"max_block_bytes", 1023},
      {"view_change_timeout_ms", 9},     {"batch_delay_ms", -1},
      {"max_block_transactions", 20'001}};
  for (const auto& [field, value] : bad) {
    json document = valid_genesis();
    document["pbft"][field] = value;
    INFO(field << " = " << value.dump());
    CHECK_THAT(parse_error(document), Catch::Contains("pbft." + field));
  }
  json document = valid_genesis();
  document["pbft"] = 3;
  CHECK_THAT(parse_error(document), Catch::Contains("pbft: expected an object"));
}

TEST_CASE("genesis: hash changes when any field changes", "[chain][genesis]") {
  const Genesis base = parse_ok(valid_genesis());
  const crypto::Hash256 base_hash = base.hash();
  CHECK(parse_ok(valid_genesis()).hash() == base_hash);

  using Change = std::function<void(Genesis&)>;
  auto validator_change = [](std::function<void(std::vector<ValidatorInfo>&)> change) {
    return [change](Genesis& g) {
      std::vector<ValidatorInfo> validators = g.validators.all();
      change(validators);
      g.validators = ValidatorSet(validators);
    };
  };
  const std::vector<std::pair<const char*, Change>> changes = {
      {"chain_id", [](Genesis& g) { g.chain_id += "x"; }},
      {"mode", [](Genesis& g) { g.mode = ConsensusMode::kPos; }},
      {"genesis_time_ms", [](Genesis& g) { g.genesis_time_ms += 1; }},
      {"checkpoint_interval", [](Genesis& g) { g.pbft.checkpoint_interval += 1; }},
      {"watermark_window", [](Genesis& g) { g.pbft.watermark_window += 1; }},
      {"max_block_transactions", [](Genesis& g) { g.pbft.max_block_transactions += 1; }},
      {"max_block_bytes", [](Genesis& g) { g.pbft.max_block_bytes += 1; }},
      {"batch_delay_ms", [](Genesis& g) { g.pbft.batch_delay_ms += 1; }},
      {"view_change_timeout_ms", [](Genesis& g) { g.pbft.view_change_timeout_ms += 1; }},
      {"empty_block_interval_ms", [](Genesis& g) { g.pbft.empty_block_interval_ms += 1; }},
      {"validator name", validator_change([](auto& v) { v[1].name += "x"; })},
      {"validator key", validator_change([](auto& v) { v[1].public_key.data[0] ^= 1; })},
      {"validator peer_address", validator_change([](auto& v) { v[1].peer_address += "0"; })},
      {"validator power", validator_change([](auto& v) { v[1].power += 1; })},
      {"validator order", validator_change([](auto& v) { std::swap(v[0], v[1]); })},
      {"validator removed", validator_change([](auto& v) { v.pop_back(); })},
      {"account address", [](Genesis& g) { g.accounts[0].address.data[0] ^= 1; }},
      {"account balance", [](Genesis& g) { g.accounts[0].balance += 1; }},
      {"account stake", [](Genesis& g) { g.accounts[0].stake += 1; }},
      {"account added", [](Genesis& g) { g.accounts.push_back({}); }},
      {"account removed", [](Genesis& g) { g.accounts.pop_back(); }},
      {"account order", [](Genesis& g) { std::swap(g.accounts[0], g.accounts[1]); }},
  };
  for (const auto& [field, change] : changes) {
    Genesis changed = base;
    change(changed);
    INFO(field);
    CHECK(changed.hash() != base_hash);
  }
}

TEST_CASE("genesis: genesis_to_json round-trips through parse_genesis to an equal hash",
          "[chain][genesis]") {
  for (const char* mode : {"pbft", "pow", "pos"}) {
    json document = valid_genesis();
    document["consensus"] = mode;
    stake_first_validator_in_pos(document);
    const Genesis genesis = parse_ok(document);
    auto again = parse_genesis(genesis_to_json(genesis));
    INFO(mode);
    REQUIRE(again.ok());
    CHECK(again->hash() == genesis.hash());
    CHECK(genesis_to_json(*again) == genesis_to_json(genesis));
  }
}

TEST_CASE("genesis: load_genesis of a missing file fails naming the path", "[chain][genesis]") {
  auto genesis = load_genesis("no-such-dir/genesis.json");
  REQUIRE_FALSE(genesis.ok());
  CHECK_THAT(genesis.message(), Catch::Contains("no-such-dir/genesis.json"));
}

TEST_CASE("genesis: consensus mode names round-trip", "[chain][genesis]") {
  for (ConsensusMode mode : {ConsensusMode::kPbft, ConsensusMode::kPow, ConsensusMode::kPos}) {
    auto parsed = parse_consensus_mode(to_string(mode));
    REQUIRE(parsed.ok());
    CHECK(*parsed == mode);
  }
}

TEST_CASE("validator set quorum is 2f+1 and any two quorums share f+1 validators",
          "[chain][genesis]") {
  for (std::size_t n = 1; n <= 40; ++n) {
    std::vector<ValidatorInfo> validators(n);
    ValidatorSet set(validators);
    const std::size_t f = set.max_faulty();
    const std::size_t q = set.quorum();
    INFO("n = " << n);
    CHECK(n >= 3 * f + 1);
    CHECK(n < 3 * (f + 1) + 1);
    CHECK(q <= n - f);               // reachable with f validators silent
    CHECK(2 * q >= n + f + 1);       // two quorums intersect in at least f+1
    CHECK(2 * (q - 1) < n + f + 1);  // and it is the smallest such count
    if (n == 3 * f + 1)
      CHECK(q == 2 * f + 1);
  }
}

TEST_CASE("validator set finds validators by key", "[chain][genesis]") {
  const Genesis genesis = parse_ok(valid_genesis());
  CHECK(genesis.validators.index_of(key_from(0x12).public_key()) == 2u);
  CHECK_FALSE(genesis.validators.index_of(key_from(0x55).public_key()).has_value());
}

// ---- proof-of-work parameters -------------------------------------------------------------

namespace {

json valid_pow_genesis() {
  json document = valid_genesis();
  document["consensus"] = "pow";
  document["validators"] = json::array({validator(0), validator(1)});
  document["pow"] = {
      {"initial_target", "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff00"},
      {"block_interval_ms", 2000},
      {"retarget_window", 10},
      {"max_retarget_factor", 2},
      {"max_reorg_depth", 30},
      {"block_reward", 25},
      {"max_future_ms", 5000},
      {"median_time_window", 5},
      {"max_block_transactions", 300},
      {"max_block_bytes", 4096}};
  return document;
}

}  // namespace

TEST_CASE("genesis: pow parameters parse with every field", "[chain][genesis]") {
  const Genesis genesis = parse_ok(valid_pow_genesis());
  CHECK(genesis.mode == ConsensusMode::kPow);
  CHECK(genesis.pow.initial_target.data[0] == 0x00);
  CHECK(genesis.pow.initial_target.data[1] == 0xff);
  CHECK(genesis.pow.initial_target.data[31] == 0x00);
  CHECK(genesis.pow.block_interval_ms == 2000);
  CHECK(genesis.pow.retarget_window == 10);
  CHECK(genesis.pow.max_retarget_factor == 2);
  CHECK(genesis.pow.max_reorg_depth == 30);
  CHECK(genesis.pow.block_reward == 25);
  CHECK(genesis.pow.max_future_ms == 5000);
  CHECK(genesis.pow.median_time_window == 5);
  CHECK(genesis.pow.max_block_transactions == 300);
  CHECK(genesis.pow.max_block_bytes == 4096);
}

TEST_CASE("genesis: pow parameters take their defaults", "[chain][genesis]") {
  json document = valid_pow_genesis();
  document.erase("pow");
  const PowParams defaults;
  const Genesis genesis = parse_ok(document);
  CHECK(genesis.pow.initial_target == PowParams::default_initial_target());
  CHECK(crypto::to_hex(defaults.initial_target.view()) ==
        "0000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  CHECK(genesis.pow.block_interval_ms == defaults.block_interval_ms);
  CHECK(genesis.pow.median_time_window == 11);
  document["pow"] = json::object({{"block_reward", 0}});
  CHECK(parse_ok(document).pow.block_reward == 0);
  CHECK(parse_ok(document).pow.retarget_window == defaults.retarget_window);
}

TEST_CASE("genesis: pow parameters are range-checked naming the field", "[chain][genesis]") {
  const std::vector<std::pair<std::string, json>> bad = {{"block_interval_ms", 0},
                                                         {"block_interval_ms", 86'400'001},
                                                         {"retarget_window", 0},
                                                         {"retarget_window", 10'001},
                                                         {"max_retarget_factor", 0},
                                                         {"max_retarget_factor", 257},
                                                         {"max_reorg_depth", 0},
                                                         {"max_reorg_depth", 10'001},
                                                         {"max_future_ms", 0},
                                                         {"median_time_window", 0},
                                                         {"median_time_window", 256},
                                                         {"max_block_transactions", 0},
                                                         {"max_block_transactions", 20'001},
                                                         {"max_block_bytes", 1023},
                                                         {"max_block_bytes", 8 * 1024 * 1024 + 1},
                                                         {"block_reward", -1},
                                                         {"block_interval_ms", "1000"},
                                                         {"retarget_window", 1.5}};
  for (const auto& [field, value] : bad) {
    json document = valid_pow_genesis();
    document["pow"][field] = value;
    INFO(field << " = " << value.dump());
    CHECK_THAT(parse_error(document), Catch::Contains("genesis pow." + field + ":"));
  }
  json document = valid_pow_genesis();
  document["pow"] = "fast";
  CHECK_THAT(parse_error(document), Catch::Contains("genesis pow: expected an object"));
  document = valid_pow_genesis();
  document["pow"]["difficulty"] = 3;
  CHECK_THAT(parse_error(document), Catch::Contains("pow.difficulty: unknown field"));
}

TEST_CASE("genesis: a pow initial_target must be 64 hex digits and not zero", "[chain][genesis]") {
  const std::string ok = valid_pow_genesis()["pow"]["initial_target"];
  const std::vector<std::pair<json, std::string>> bad = {
      {json(ok.substr(2)), "expected 64 hex digits"},
      {json(ok + "ff"), "expected 64 hex digits"},
      {json("zz" + ok.substr(2)), "non-hex"},
      {json(std::string(64, '0')), "must be > 0"},
      {json(""), "initial_target"},
      {json(5), "initial_target: expected a string"}};
  for (const auto& [value, message] : bad) {
    json document = valid_pow_genesis();
    document["pow"]["initial_target"] = value;
    INFO(value.dump());
    CHECK_THAT(parse_error(document),
               Catch::Contains("genesis pow.initial_target") && Catch::Contains(message));
  }
}

TEST_CASE("genesis: a pow object outside pow mode is rejected", "[chain][genesis]") {
  json document = valid_genesis();
  document["pow"] = json::object();
  CHECK_THAT(parse_error(document), Catch::Contains("genesis pow: only allowed with"));
}

TEST_CASE("genesis: a pow genesis with one miner is accepted and power is not required",
          "[chain][genesis]") {
  json document = valid_pow_genesis();
  document["validators"] = json::array({validator(3)});
  document["validators"][0].erase("power");
  CHECK(parse_ok(document).validators.size() == 1);
  document["validators"] = json::array();
  CHECK_THAT(parse_error(document), Catch::Contains("at least one validator"));
}

TEST_CASE("genesis: the pow parameters are part of the hash in pow mode", "[chain][genesis]") {
  const Genesis base = parse_ok(valid_pow_genesis());
  const crypto::Hash256 base_hash = base.hash();
  using Change = std::function<void(PowParams&)>;
  const std::vector<std::pair<const char*, Change>> changes = {
      {"initial_target", [](PowParams& p) { p.initial_target.data[31] ^= 1; }},
      {"block_interval_ms", [](PowParams& p) { p.block_interval_ms += 1; }},
      {"retarget_window", [](PowParams& p) { p.retarget_window += 1; }},
      {"max_retarget_factor", [](PowParams& p) { p.max_retarget_factor += 1; }},
      {"max_reorg_depth", [](PowParams& p) { p.max_reorg_depth += 1; }},
      {"block_reward", [](PowParams& p) { p.block_reward += 1; }},
      {"max_future_ms", [](PowParams& p) { p.max_future_ms += 1; }},
      {"median_time_window", [](PowParams& p) { p.median_time_window += 1; }},
      {"max_block_transactions", [](PowParams& p) { p.max_block_transactions += 1; }},
      {"max_block_bytes", [](PowParams& p) { p.max_block_bytes += 1; }},
  };
  for (const auto& [field, change] : changes) {
    Genesis changed = base;
    change(changed.pow);
    INFO(field);
    CHECK(changed.hash() != base_hash);
  }
}

TEST_CASE("genesis: a PBFT genesis hash ignores the pow parameters and is unchanged",
          "[chain][genesis]") {
  const Genesis base = parse_ok(valid_genesis());
  Genesis changed = base;
  changed.pow.block_reward += 1;
  changed.pow.initial_target.data[0] = 0x7f;
  CHECK(changed.hash() == base.hash());
  // Golden value: the PBFT encoding predates the pow parameters and must not move.
  CHECK(crypto::to_hex(base.hash().view()) ==
        "75d76043b82af2606e6e2bcbd734e84b4e48007bf21c304c1fa5dc2d2367411d");
  CHECK(genesis_to_json(base).find("\"pow\"") == std::string::npos);
}

TEST_CASE("genesis: a pow genesis round-trips through genesis_to_json", "[chain][genesis]") {
  const Genesis genesis = parse_ok(valid_pow_genesis());
  auto again = parse_genesis(genesis_to_json(genesis));
  REQUIRE(again.ok());
  CHECK(again->hash() == genesis.hash());
  CHECK(again->pow.initial_target == genesis.pow.initial_target);
  CHECK(again->pow.median_time_window == 5);
  CHECK(genesis_to_json(*again) == genesis_to_json(genesis));
}
