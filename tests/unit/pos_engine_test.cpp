// The proof-of-stake engine: proposing, checking peers' blocks, fork choice, the slasher,
// the double-signer and evidence of an abandoned branch going back to the mempool.
#include <catch2/catch.hpp>

#include <map>
#include <memory>

#include "chain/mempool.h"
#include "chain/pos_seal.h"
#include "crypto/merkle.h"
#include "pow_pos/pos_engine.h"
#include "pow_pos/pos_rules.h"
#include "pow_pos/pow_messages.h"

using namespace synod;
using namespace synod::chain;
using synod::pow_pos::PosEngine;
using synod::pow_pos::Rejection;
using synod::pow_pos::Uint256;

namespace {

constexpr TimeMs kGenesisTime = 1'000'000;  // slot 1000
constexpr TimeMs kNow = kGenesisTime + 1'000'000;

crypto::KeyPair key_from(std::uint8_t fill) {
  crypto::Seed seed;
  seed.data.fill(fill);
  return crypto::KeyPair::from_seed(seed);
}
const crypto::KeyPair& validator_key(std::size_t i) {
  static const std::vector<crypto::KeyPair> keys = {key_from(0x10), key_from(0x11), key_from(0x12)};
  return keys.at(i);
}
const crypto::KeyPair& observer_key() {
  static const crypto::KeyPair key = key_from(0x30);
  return key;
}

// Three validators with stake 100 each (validator 2: `v2_stake`); difficulty 1 makes
// every ticket of a staked validator win, and a retarget factor of 1 keeps it there.
std::shared_ptr<const Genesis> pos_genesis(std::uint64_t v2_stake = 100) {
  Genesis genesis;
  genesis.chain_id = "synod-pos-engine";
  genesis.mode = ConsensusMode::kPos;
  genesis.genesis_time_ms = kGenesisTime;
  genesis.pos.initial_difficulty = 1;
  genesis.pos.max_retarget_factor = 1;
  genesis.pos.unbonding_delay = 20;
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
  explicit Builder(const Genesis& genesis) : genesis_(genesis) {
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
    header.seal = PosSeal{slot, Uint256(difficulty).to_hash(), {}};
    block.transactions = std::move(transactions);
    const crypto::KeyPair& key = signer ? *signer : validator_key(proposer);
    header.seal = PosSeal{slot, Uint256(difficulty).to_hash(), {}};
    std::get<PosSeal>(header.seal).signature =
        key.sign(pos_seal_signing_bytes(genesis_.chain_id, header));
    state.apply(execution.diff);
    states_.emplace(block.hash(), std::move(state));
    blocks_.emplace(block.hash(), block);
    return block;
  }

 private:
  const Genesis& genesis_;
  crypto::Hash256 genesis_hash_;
  std::map<crypto::Hash256, Block> blocks_;
  std::map<crypto::Hash256, State> states_;
};

template <typename T>
std::vector<T> only(const Actions& actions) {
  std::vector<T> out;
  for (const auto& action : actions) {
    if (const auto* typed = std::get_if<T>(&action))
      out.push_back(*typed);
  }
  return out;
}

struct Harness {
  // participant: a validator index, or nullopt for a full node that only watches.
  explicit Harness(std::optional<ReplicaIndex> participant = std::nullopt,
                   std::vector<std::string> byzantine = {}, std::uint64_t v2_stake = 100,
                   bool report_evidence = true)
      : genesis(pos_genesis(v2_stake)), builder(*genesis) {
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

std::vector<Block> broadcast_blocks(const Actions& actions) {
  std::vector<Block> blocks;
  for (const auto& broadcast : only<BroadcastAction>(actions))
    blocks.push_back(*pow_pos::decode_block_message(broadcast.message));
  return blocks;
}

}  // namespace

TEST_CASE("pos engine: a validator that wins its slot signs, broadcasts and appends a block",
          "[pos][engine]") {
  Harness h(ReplicaIndex{0});
  Actions actions = h.engine->start(kNow);
  auto appends = only<AppendBlockAction>(actions);
  REQUIRE(appends.size() == 1);
  const Block& block = appends[0].block;
  CHECK(block.header.height == 1);
  CHECK(block.header.proposer == validator_key(0).public_key());
  CHECK(pos_seal_valid(block.header, h.genesis->chain_id));
  CHECK(std::get<PosSeal>(block.header.seal).slot_time_s == kNow / 1000);
  CHECK(broadcast_blocks(actions).size() == 1);
  CHECK(only<SetTimerAction>(actions).size() >= 1);
  // The same second on the same parent gives no second ticket.
  CHECK(only<AppendBlockAction>(h.engine->on_timer(PosEngine::kSlotTimer, kNow + 10)).empty());
  // The next second does, on the new tip.
  auto next = only<AppendBlockAction>(h.engine->on_timer(PosEngine::kSlotTimer, kNow + 1000));
  REQUIRE(next.size() == 1);
  CHECK(next[0].block.header.height == 2);
  CHECK(h.engine->state().account(address_of(validator_key(0).public_key())).balance ==
        1000 + 2 * h.genesis->pos.block_reward);
}

TEST_CASE("pos engine: a peer's valid block is appended and bad ones are rejected with a reason",
          "[pos][engine]") {
  Harness h(std::nullopt, {}, /*v2_stake=*/0);
  h.engine->start(kNow);
  const crypto::Hash256 zero = h.builder.genesis_hash();
  Block good = h.builder.make(zero, 1, 1500);
  CHECK(only<AppendBlockAction>(h.deliver(good)).size() == 1);
  CHECK(h.engine->head().hash == good.hash());

  h.deliver(h.builder.make(good.hash(), 1, 1501, {}, &validator_key(0)));
  CHECK(h.rejected(Rejection::kBadSeal) == 1);
  h.deliver(h.builder.make(good.hash(), 1, 1501, {}, nullptr, /*difficulty=*/2));
  CHECK(h.rejected(Rejection::kWrongDifficulty) == 1);
  h.deliver(h.builder.make(good.hash(), 1, 1500));
  CHECK(h.rejected(Rejection::kTimeTooOld) == 1);
  h.deliver(h.builder.make(good.hash(), 2, 1502));  // validator 2 holds no stake
  CHECK(h.rejected(Rejection::kNotEligible) == 1);
  CHECK(h.engine->head().hash == good.hash());
}

TEST_CASE("pos engine: between equal-length branches every node picks the lowest hash",
          "[pos][engine]") {
  Harness first(std::nullopt);
  Harness second(std::nullopt);
  const crypto::Hash256 zero = first.builder.genesis_hash();
  Block a = first.builder.make(zero, 0, 1500);
  Block b = first.builder.make(zero, 1, 1500);
  const crypto::Hash256 lowest = std::min(a.hash(), b.hash());
  first.deliver(a);
  first.deliver(b);
  second.deliver(b);
  second.deliver(a);
  CHECK(first.engine->head().hash == lowest);
  CHECK(second.engine->head().hash == lowest);
}

TEST_CASE("pos engine: a double-signer is detected, slashed by evidence and leaves the lottery",
          "[pos][engine][slashing]") {
  Harness h(std::nullopt);
  h.engine->start(kNow);
  const crypto::Hash256 zero = h.builder.genesis_hash();
  Block one = h.builder.make(zero, 1, 1500);
  Block other = h.builder.make(zero, 1, 1501);
  h.deliver(one);
  h.deliver(other);
  // The attack happened: two different signed headers by validator 1 at height 1.
  REQUIRE(one.header.height == other.header.height);
  REQUIRE(one.hash() != other.hash());
  CHECK(h.engine->pos_counters().double_signs_seen == 1);
  CHECK(h.engine->pos_counters().evidence_submitted == 1);
  std::vector<Transaction> pending = h.mempool.select_batch(h.engine->state(), 10, 1 << 20);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].kind == TxKind::kEvidence);
  // Validator 0 includes the evidence: validator 1 loses half its stake and its tickets.
  const crypto::Hash256 tip = h.engine->head().hash;
  Block slashing = h.builder.make(tip, 0, 1502, pending);
  CHECK(only<AppendBlockAction>(h.deliver(slashing)).size() == 1);
  const Account offender = h.engine->state().account(address_of(validator_key(1).public_key()));
  CHECK(offender.slashed());
  CHECK(offender.offence_height == 1);
  CHECK(offender.stake == 50);
  CHECK(h.engine->state().lottery_stake(address_of(validator_key(1).public_key())) == 0);
  CHECK(h.mempool.empty());
  h.deliver(h.builder.make(slashing.hash(), 1, 1503));
  CHECK(h.rejected(Rejection::kNotEligible) == 1);
}

TEST_CASE("pos engine: with the slasher off a double-sign is counted but not reported",
          "[pos][engine][slashing]") {
  Harness h(std::nullopt, {}, 100, /*report_evidence=*/false);
  h.engine->start(kNow);
  const crypto::Hash256 zero = h.builder.genesis_hash();
  Block one = h.builder.make(zero, 1, 1500);
  Block other = h.builder.make(zero, 1, 1501);
  h.deliver(one);
  h.deliver(other);
  REQUIRE(one.hash() != other.hash());
  CHECK(h.engine->pos_counters().double_signs_seen == 1);
  CHECK(h.engine->pos_counters().evidence_submitted == 0);
  CHECK(h.mempool.empty());
}

TEST_CASE("pos engine: --byzantine double-sign signs a sibling of its own block",
          "[pos][engine][slashing]") {
  Harness honest(ReplicaIndex{0});
  Harness byzantine(ReplicaIndex{0}, {PosEngine::kDoubleSign});
  std::vector<Block> honest_blocks;
  std::vector<Block> byzantine_blocks;
  for (TimeMs t = kNow; t < kNow + 3000; t += 1000) {
    auto run = [t](Harness& h, std::vector<Block>& into) {
      Actions actions =
          t == kNow ? h.engine->start(t) : h.engine->on_timer(PosEngine::kSlotTimer, t);
      for (auto& block : broadcast_blocks(actions))
        into.push_back(block);
    };
    run(honest, honest_blocks);
    run(byzantine, byzantine_blocks);
  }
  auto signed_twice = [](const std::vector<Block>& blocks) {
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      for (std::size_t j = i + 1; j < blocks.size(); ++j) {
        if (blocks[i].header.height == blocks[j].header.height)
          return true;
      }
    }
    return false;
  };
  CHECK_FALSE(signed_twice(honest_blocks));
  CHECK(signed_twice(byzantine_blocks));
  CHECK(byzantine.engine->pos_counters().byzantine_blocks >= 1);
  CHECK_FALSE(PosEngine::create([] {
                EngineSetup setup(pos_genesis(), validator_key(0), State(""), Block{});
                setup.byzantine = {"equivocate"};
                return setup;
              }())
                  .ok());
}

TEST_CASE("pos engine: evidence in an abandoned branch goes back to the mempool",
          "[pos][engine][slashing]") {
  Harness h(std::nullopt);
  h.engine->start(kNow);
  const crypto::Hash256 zero = h.builder.genesis_hash();
  Block one = h.builder.make(zero, 1, 1500);
  Block other = h.builder.make(zero, 1, 1501);
  h.deliver(one);
  h.deliver(other);
  std::vector<Transaction> evidence = h.mempool.select_batch(h.engine->state(), 10, 1 << 20);
  REQUIRE(evidence.size() == 1);
  const crypto::Hash256 active = h.engine->head().hash;
  const crypto::Hash256 abandoned_parent = active == one.hash() ? other.hash() : one.hash();
  Block with_evidence = h.builder.make(active, 0, 1502, evidence);
  h.deliver(with_evidence);
  REQUIRE(h.engine->head().hash == with_evidence.hash());
  CHECK_FALSE(h.mempool.contains(evidence[0].hash()));
  // A longer branch from the other sibling, without the evidence, wins.
  Block b2 = h.builder.make(abandoned_parent, 0, 1503);
  Block b3 = h.builder.make(b2.hash(), 2, 1504);
  h.deliver(b2);
  Actions actions = h.deliver(b3);
  REQUIRE(only<ReorgAction>(actions).size() == 1);
  CHECK(h.engine->head().hash == b3.hash());
  CHECK(h.mempool.contains(evidence[0].hash()));
  CHECK(h.engine->counters().transactions_returned == 1);
  CHECK_FALSE(h.engine->state().account(address_of(validator_key(1).public_key())).slashed());
}
