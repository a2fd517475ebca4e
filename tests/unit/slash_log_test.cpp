// node/slash_log.h: the slashes on a PoS node's best chain, found in the blocks' state
// changes, forgotten with a reorg, and completed from the ledger for older ones.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "chain/genesis.h"
#include "chain/pos_seal.h"
#include "chain/signing_domain.h"
#include "chain/state.h"
#include "crypto/hex.h"
#include "node/slash_log.h"
#include "tests/support/test_keys.h"

using namespace synod;
using namespace synod::chain;
using nlohmann::json;

namespace {

const std::string kChain = "synod-slash-log-test";

using synod::testing::key_from;
const crypto::KeyPair& validator_key(int i) {
  static const crypto::KeyPair keys[] = {key_from(0x30), key_from(0x31), key_from(0x32)};
  return keys[i];
}

Genesis pos_genesis() {
  json validators = json::array();
  json accounts = json::array();
  for (int i = 0; i < 3; ++i) {
    validators.push_back({{"name", "node-" + std::to_string(i)},
                          {"public_key", crypto::to_hex(validator_key(i).public_key().view())},
                          {"peer_address", "127.0.0.1:1"}});
    accounts.push_back({{"address", to_string(address_of(validator_key(i).public_key()))},
                        {"balance", 1000},
                        {"stake", 100}});
  }
  auto genesis = parse_genesis(json{
      {"chain_id", kChain},
      {"consensus", "pos"},
      {"pos",
       {{"unbonding_delay", 10},
        {"evidence_window", 5},
        {"slash_percent", 50},
        {"reporter_percent", 20},
        {"block_interval_ms", 2000}}},
      {"validators", validators},
      {"accounts", accounts}}.dump());
  REQUIRE(genesis.ok());
  return *genesis;
}

const SigningDomain& domain() {
  static const SigningDomain of_genesis = SigningDomain::of(pos_genesis());
  return of_genesis;
}

BlockHeader signed_header(int validator, std::uint64_t height, std::uint64_t slot) {
  BlockHeader header;
  header.height = height;
  header.prev_hash = crypto::sha256(as_bytes("parent " + std::to_string(height)));
  header.timestamp_ms = slot * 1000;
  header.proposer = validator_key(validator).public_key();
  header.seal = PosSeal{slot, crypto::Hash256{}, {}};
  sign_pos_header(header, domain(), validator_key(validator));
  return header;
}

// Block `height`, proposed by validator 2, carrying validator 1's report that validator 0
// signed two blocks at `offence`; applied to `state`.
std::pair<Block, StateDiff> slashing_block(State& state, std::uint64_t offence,
                                           std::uint64_t height) {
  Block block;
  block.header.height = height;
  block.transactions.push_back(make_evidence(
      validator_key(1), domain(),
      encode_evidence({signed_header(0, offence, 100), signed_header(0, offence, 101)}), 0, 0));
  Execution execution = state.execute(block.transactions, address_of(validator_key(2).public_key()),
                                      SignaturePolicy::kVerify, 0, height);
  REQUIRE(execution.ok());
  state.apply(execution.diff);
  return {block, execution.diff};
}

}  // namespace

TEST_CASE(
    "slash log: a block's evidence becomes a slash with offender, heights, amount and "
    "reporter",
    "[node][slash_log]") {
  const Genesis genesis = pos_genesis();
  State state = State::from_genesis(genesis);
  node::SlashLog log;
  CHECK(log.to_json(state, genesis).empty());
  auto [block, diff] = slashing_block(state, 3, 6);
  log.on_block(block, diff, genesis);
  const json slashes = log.to_json(state, genesis);
  REQUIRE(slashes.size() == 1);
  const json& slash = slashes[0];
  CHECK(slash["offender"] == "node-0");
  CHECK(slash["reason"] == "double_sign");
  CHECK(slash["offence_height"] == 3);
  CHECK(slash["slashed_at_height"] == 6);
  CHECK(slash["amount"] == 50);  // half of its 100 staked
  CHECK(slash["stake_after"] == 50);
  CHECK(slash["reporter"] == "node-1");
  CHECK(slash["block_hash"] == crypto::to_hex(block.hash().view()));
  // A block without a slash adds nothing.
  Block plain;
  plain.header.height = 7;
  log.on_block(plain, StateDiff{}, genesis);
  CHECK(log.size() == 1);
}

TEST_CASE(
    "slash log: a reorg below the slashing block forgets it, and the ledger keeps what the "
    "log never saw",
    "[node][slash_log]") {
  const Genesis genesis = pos_genesis();
  State state = State::from_genesis(genesis);
  node::SlashLog log;
  auto [block, diff] = slashing_block(state, 3, 6);
  log.on_block(block, diff, genesis);
  log.forget_above(6);
  CHECK(log.size() == 1);
  log.forget_above(5);
  CHECK(log.size() == 0);
  // The state still records the slash (this log did not see the block, as after a restart):
  // it is shown, without the amount this node cannot know.
  const json slashes = log.to_json(state, genesis);
  REQUIRE(slashes.size() == 1);
  CHECK(slashes[0]["offender"] == "node-0");
  CHECK(slashes[0]["slashed_at_height"] == 6);
  CHECK(slashes[0]["amount"].is_null());
}
