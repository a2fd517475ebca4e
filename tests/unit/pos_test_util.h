// Shared helpers of the pos_* engine tests: a 3-validator PoS genesis where every ticket
// wins, a builder of signed blocks on any known parent, and an engine harness.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain/mempool.h"
#include "chain/pos_seal.h"
#include "chain/signing_domain.h"
#include "crypto/merkle.h"
#include "pow_pos/pos_engine.h"
#include "pow_pos/pos_rules.h"
#include "pow_pos/pow_messages.h"
#include "tests/support/engine_actions.h"
#include "tests/support/test_keys.h"

namespace pos_test {

using namespace synod;
using namespace synod::chain;
using synod::pow_pos::PosEngine;
using synod::pow_pos::Rejection;
using synod::pow_pos::Uint256;

inline constexpr TimeMs kGenesisTime = 1'000'000;  // slot 1000
inline constexpr TimeMs kNow = kGenesisTime + 1'000'000;

using synod::testing::key_from;
inline const crypto::KeyPair& validator_key(std::size_t i) {
  static const std::vector<crypto::KeyPair> keys = {key_from(0x10), key_from(0x11), key_from(0x12)};
  return keys.at(i);
}
inline const crypto::KeyPair& observer_key() {
  static const crypto::KeyPair key = key_from(0x30);
  return key;
}

// Three validators with stake 100 each (validator 2: `v2_stake`); difficulty 1 makes
// every ticket of a staked validator win, and a retarget factor of 1 keeps it there.
inline std::shared_ptr<const Genesis> pos_genesis(std::uint64_t v2_stake = 100,
                                                  std::uint64_t unbonding_delay = 20) {
  Genesis genesis;
  genesis.chain_id = "synod-pos-engine";
  genesis.mode = ConsensusMode::kPos;
  genesis.genesis_time_ms = kGenesisTime;
  genesis.pos.initial_difficulty = 1;
  genesis.pos.max_retarget_factor = 1;
  genesis.pos.unbonding_delay = unbonding_delay;
  genesis.pos.evidence_window = 10;
  std::vector<ValidatorInfo> validators;
  for (std::size_t i = 0; i < 3; ++i) {
    validators.push_back(
        {"v" + std::to_string(i), validator_key(i).public_key(), "127.0.0.1:1", 1});
    genesis.accounts.push_back(
        {address_of(validator_key(i).public_key()), 1000, i == 2 ? v2_stake : 100});
  }
  genesis.validators = ValidatorSet(validators);
  return std::make_shared<const Genesis>(genesis);
}

// Makes signed blocks on any known parent, keeping each block's state.
class Builder {
 public:
  explicit Builder(const Genesis& genesis)
      : genesis_(genesis), domain_(SigningDomain::of(genesis)) {
    Block zero = make_genesis_block(genesis);
    states_.emplace(zero.hash(), State::from_genesis(genesis));
    blocks_.emplace(zero.hash(), zero);
    genesis_hash_ = zero.hash();
  }
  const crypto::Hash256& genesis_hash() const { return genesis_hash_; }
  const Block& genesis_block() const { return blocks_.at(genesis_hash_); }
  const State& state_after(const crypto::Hash256& hash) const { return states_.at(hash); }

  Block make(const crypto::Hash256& parent_hash, std::size_t proposer, std::uint64_t slot,
             std::vector<Transaction> transactions = {}, const crypto::KeyPair* signer = nullptr,
             std::uint64_t difficulty = 1) {
    const Block& parent = blocks_.at(parent_hash);
    State state = states_.at(parent_hash);
    Block block;
    BlockHeader& header = block.header;
    header.height = parent.header.height + 1;
    header.prev_hash = parent_hash;
    std::vector<crypto::Hash256> hashes;
    for (const auto& tx : transactions)
      hashes.push_back(tx.hash());
    header.tx_root = crypto::merkle_root(hashes);
    header.timestamp_ms = slot * 1000;
    header.proposer = validator_key(proposer).public_key();
    Execution execution =
        state.execute(transactions, address_of(header.proposer), SignaturePolicy::kVerify,
                      genesis_.pos.block_reward, header.height);
    REQUIRE(execution.ok());
    header.state_root = state.root_after(execution.diff);
    block.transactions = std::move(transactions);
    const crypto::KeyPair& key = signer ? *signer : validator_key(proposer);
    header.seal = PosSeal{slot, Uint256(difficulty).to_hash(), {}};
    std::get<PosSeal>(header.seal).signature = key.sign(pos_seal_signing_bytes(domain_, header));
    state.apply(execution.diff);
    states_.emplace(block.hash(), std::move(state));
    blocks_.emplace(block.hash(), block);
    return block;
  }
  // Takes a block made elsewhere (an engine's) on a known parent, so others can follow it.
  void add(const Block& block) {
    State state = states_.at(block.header.prev_hash);
    REQUIRE(state.apply_block(block, SignaturePolicy::kVerify, genesis_.pos.block_reward).ok());
    states_.emplace(block.hash(), std::move(state));
    blocks_.emplace(block.hash(), block);
  }

 private:
  const Genesis& genesis_;
  SigningDomain domain_;
  crypto::Hash256 genesis_hash_;
  std::map<crypto::Hash256, Block> blocks_;
  std::map<crypto::Hash256, State> states_;
};

using synod::testing::only;

struct Harness {
  // participant: a validator index, or nullopt for a full node that only watches.
  explicit Harness(std::optional<ReplicaIndex> participant = std::nullopt,
                   std::vector<std::string> byzantine = {}, std::uint64_t v2_stake = 100,
                   std::uint64_t unbonding_delay = 20, bool report_evidence = true)
      : genesis(pos_genesis(v2_stake, unbonding_delay)), builder(*genesis) {
    EngineSetup setup(genesis, participant ? validator_key(*participant) : observer_key(),
                      State::from_genesis(*genesis), builder.genesis_block());
    setup.participant = participant;
    setup.upstreams = participant ? 0 : 1;
    setup.mempool = &mempool;
    setup.byzantine = std::move(byzantine);
    setup.report_evidence = report_evidence;
    auto created = PosEngine::create(std::move(setup));
    REQUIRE(created.ok());
    engine = std::move(*created);
  }

  Actions deliver(const Block& block) {
    return engine->on_message(0, pow_pos::encode_block_message(block), kNow);
  }
  std::uint64_t rejected(Rejection reason) const {
    return engine->counters().rejected[static_cast<std::size_t>(reason)];
  }

  std::shared_ptr<const Genesis> genesis;
  Builder builder;
  Mempool mempool;
  std::unique_ptr<PosEngine> engine;
};

inline std::vector<Block> broadcast_blocks(const Actions& actions) {
  std::vector<Block> blocks;
  for (const auto& broadcast : only<BroadcastAction>(actions))
    blocks.push_back(*pow_pos::decode_block_message(broadcast.message));
  return blocks;
}

}  // namespace pos_test
