// The proof-of-stake engine: proposing, checking peers' blocks, fork choice, the slasher,
// the double-signer and evidence of an abandoned branch going back to the mempool.
#include "pos_test_util.h"

using namespace pos_test;

TEST_CASE("pos engine: a validator that wins its slot signs, broadcasts and appends a block",
          "[pos][engine]") {
  Harness h(ReplicaIndex{0});
  Actions actions = h.engine->start(kNow);
  auto appends = only<AppendBlockAction>(actions);
  REQUIRE(appends.size() == 1);
  const Block& block = appends[0].block;
  CHECK(block.header.height == 1);
  CHECK(block.header.proposer == validator_key(0).public_key());
  CHECK(pos_seal_valid(block.header, SigningDomain::of(*h.genesis)));
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

TEST_CASE("pos engine: a block sealed for another genesis with our chain id and keys is a bad seal",
          "[pos][engine]") {
  Harness h(std::nullopt);
  h.engine->start(kNow);
  // Network B: the same chain id and validator keys, another stake for validator 2.
  const auto twin = pos_genesis(/*v2_stake=*/50);
  REQUIRE(twin->chain_id == h.genesis->chain_id);
  REQUIRE(twin->hash() != h.genesis->hash());
  const SigningDomain twin_domain = SigningDomain::of(*twin);
  // Validator 1's block on our genesis block, its seal signed for network B.
  Block foreign = h.builder.make(h.builder.genesis_hash(), 1, 1500);
  sign_pos_header(foreign.header, twin_domain, validator_key(1));
  REQUIRE(pos_seal_valid(foreign.header, twin_domain));
  CHECK(only<AppendBlockAction>(h.deliver(foreign)).empty());
  CHECK(h.rejected(Rejection::kBadSeal) == 1);
  CHECK(h.engine->head().hash == h.builder.genesis_hash());
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
  const Actions detected = h.deliver(other);
  // The attack happened: two different signed headers by validator 1 at height 1.
  REQUIRE(one.header.height == other.header.height);
  REQUIRE(one.hash() != other.hash());
  CHECK(h.engine->pos_counters().double_signs_seen == 1);
  CHECK(h.engine->pos_counters().evidence_submitted == 1);
  std::vector<Transaction> pending = h.mempool.select_batch(h.engine->state(), 10, 1 << 20);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].kind == TxKind::kEvidence);
  // This node proposes nothing (no validator key), so the evidence must leave it.
  const auto relayed = only<GossipTransactionAction>(detected);
  REQUIRE(relayed.size() == 1);
  CHECK(relayed[0].tx.hash() == pending[0].hash());
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
  Harness h(std::nullopt, {}, 100, 20, /*report_evidence=*/false);
  h.engine->start(kNow);
  const crypto::Hash256 zero = h.builder.genesis_hash();
  Block one = h.builder.make(zero, 1, 1500);
  Block other = h.builder.make(zero, 1, 1501);
  h.deliver(one);
  const Actions detected = h.deliver(other);
  REQUIRE(one.hash() != other.hash());
  CHECK(h.engine->pos_counters().double_signs_seen == 1);
  CHECK(h.engine->pos_counters().evidence_submitted == 0);
  CHECK(h.mempool.empty());
  CHECK(only<GossipTransactionAction>(detected).empty());
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
                EngineSetup setup(pos_genesis(), validator_key(0), State(SigningDomain{}), Block{});
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
  // A longer branch from the other sibling, without the evidence, wins: at b3, or already
  // at b2 when b2's hash is the lower one (ties go to the lowest hash).
  Block b2 = h.builder.make(abandoned_parent, 0, 1503);
  Block b3 = h.builder.make(b2.hash(), 2, 1504);
  const std::size_t reorgs =
      only<ReorgAction>(h.deliver(b2)).size() + only<ReorgAction>(h.deliver(b3)).size();
  REQUIRE(reorgs == 1);
  CHECK(h.engine->head().hash == b3.hash());
  CHECK(h.mempool.contains(evidence[0].hash()));
  CHECK(h.engine->counters().transactions_returned == 1);
  CHECK_FALSE(h.engine->state().account(address_of(validator_key(1).public_key())).slashed());
}
