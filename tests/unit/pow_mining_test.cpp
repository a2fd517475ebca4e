// PowEngine mining: templates on the best tip, the driver's nonce reports (current, stale,
// wrong), re-templating on new transactions by timer and on a new tip.
#include <catch2/catch.hpp>

#include "crypto/merkle.h"
#include "pow_engine_util.h"

using namespace pow_test;
using namespace synod::pow_pos;

namespace {

HarnessOptions mining() {
  HarnessOptions options;
  options.mine = true;
  return options;
}

MineAction single_job(const Actions& actions) {
  auto jobs = only<MineAction>(actions);
  REQUIRE(jobs.size() == 1);
  return jobs[0];
}

Address self() {
  return address_of(miner_key(0).public_key());
}

}  // namespace

TEST_CASE("pow mining: a template on the tip, a found nonce, broadcast and append",
          "[pow][mining]") {
  Harness harness(mining());
  CHECK(harness.engine->mining());
  const MineAction job = single_job(harness.engine->start(harness.now));
  CHECK(job.job == 1);
  CHECK(harness.engine->current_job() == 1);
  const BlockHeader& header = job.header;
  CHECK(header.height == 1);
  CHECK(header.prev_hash == harness.builder.genesis_block().hash());
  CHECK(header.proposer == miner_key(0).public_key());
  CHECK(header.timestamp_ms == harness.now);
  CHECK(header.tx_root == crypto::merkle_root({}));
  CHECK(std::get<PowSeal>(header.seal) == PowSeal{0, easy_target().to_hash()});
  // The state root includes the block reward.
  State expected = State::from_genesis(*harness.genesis);
  Execution reward = expected.execute({}, self(), SignaturePolicy::kVerify, 50);
  CHECK(header.state_root == expected.root_after(reward.diff));

  const std::uint64_t nonce = grind_nonce(header);
  harness.now += 10;
  Actions actions = harness.engine->on_block_mined(job.job, nonce, harness.now);
  REQUIRE(actions.size() >= 3);
  Block mined;
  mined.header = header;
  std::get<PowSeal>(mined.header.seal).nonce = nonce;
  // Broadcast first, then the append, then the next job.
  REQUIRE(std::holds_alternative<BroadcastAction>(actions[0]));
  CHECK(std::get<BroadcastAction>(actions[0]).message == encode_block_message(mined));
  REQUIRE(std::holds_alternative<AppendBlockAction>(actions[1]));
  CHECK(std::get<AppendBlockAction>(actions[1]).block == mined);
  CHECK(std::get<AppendBlockAction>(actions[1]).diff == reward.diff);
  const MineAction next = single_job(actions);
  CHECK(next.job == 2);
  CHECK(next.header.height == 2);
  CHECK(next.header.prev_hash == mined.hash());
  CHECK(harness.engine->head() == ChainHead{1, mined.hash()});
  CHECK(harness.engine->state().account(self()).balance == 50);
  CHECK(harness.engine->counters().blocks_mined == 1);

  // The old job's report is stale now.
  CHECK(harness.engine->on_block_mined(job.job, nonce, harness.now).empty());
  CHECK(harness.engine->counters().stale_mining_reports == 1);
  CHECK(harness.engine->head().height == 1);
}

TEST_CASE("pow mining: a nonce that misses the target is ignored and the job stays",
          "[pow][mining]") {
  Harness harness(mining());
  const MineAction job = single_job(harness.engine->start(harness.now));
  Block block;
  block.header = job.header;
  auto& seal = std::get<PowSeal>(block.header.seal);
  while (meets_target(block.hash(), easy_target()))
    ++seal.nonce;
  CHECK(harness.engine->on_block_mined(job.job, seal.nonce, harness.now).empty());
  CHECK(harness.engine->counters().bad_mining_reports == 1);
  CHECK(harness.engine->current_job() == job.job);
  Actions actions = harness.engine->on_block_mined(job.job, grind_nonce(job.header), harness.now);
  CHECK(count<AppendBlockAction>(actions) == 1);
}

TEST_CASE("pow mining: templates carry mempool transactions, which leave it once mined",
          "[pow][mining]") {
  Harness harness(mining());
  const Transaction tx = transfer(*harness.genesis, alice_key(), bob(), 25, 0, 3);
  harness.submit(tx);
  const MineAction job = single_job(harness.engine->start(harness.now));
  CHECK(job.header.tx_root == crypto::merkle_root({tx.hash()}));
  Actions actions = harness.engine->on_block_mined(job.job, grind_nonce(job.header), harness.now);
  auto appends = only<AppendBlockAction>(actions);
  REQUIRE(appends.size() == 1);
  CHECK(appends[0].block.transactions == std::vector<Transaction>{tx});
  CHECK(appends[0].tx_hashes == std::vector<crypto::Hash256>{tx.hash()});
  CHECK(harness.engine->state().account(self()).balance == 53);  // reward + fee
  CHECK(harness.engine->state().root() == appends[0].block.header.state_root);
  CHECK_FALSE(harness.mempool.contains(tx.hash()));
  CHECK(single_job(actions).header.tx_root == crypto::merkle_root({}));
}

TEST_CASE("pow mining: new transactions re-template by timer, at most every interval / 4",
          "[pow][mining]") {
  Harness harness(mining());
  const MineAction first = single_job(harness.engine->start(harness.now));
  harness.submit(transfer(*harness.genesis, alice_key(), bob(), 5, 0));
  Actions actions = harness.engine->on_transactions(harness.now + 10);
  auto timers = only<SetTimerAction>(actions);
  REQUIRE(timers.size() == 1);
  CHECK(timers[0].id == PowEngine::kTemplateTimer);
  CHECK(timers[0].at_ms == harness.now + kInterval / 4);
  CHECK(count<MineAction>(actions) == 0);
  CHECK(harness.engine->on_transactions(harness.now + 20).empty());  // armed already
  actions = harness.engine->on_timer(PowEngine::kTemplateTimer, harness.now + kInterval / 4);
  const MineAction second = single_job(actions);
  CHECK(second.job == first.job + 1);
  CHECK(second.header.tx_root != first.header.tx_root);
  // Long after the last template, the timer is due at once.
  harness.submit(transfer(*harness.genesis, bob_key(), alice(), 5, 0));
  timers = only<SetTimerAction>(harness.engine->on_transactions(harness.now + 5000));
  REQUIRE(timers.size() == 1);
  CHECK(timers[0].at_ms == harness.now + 5000);
}

TEST_CASE("pow mining: a peer's block on the tip replaces the job and cancels the timer",
          "[pow][mining]") {
  Harness harness(mining());
  const MineAction first = single_job(harness.engine->start(harness.now));
  harness.submit(transfer(*harness.genesis, alice_key(), bob(), 5, 0));
  harness.engine->on_transactions(harness.now);
  const Block block = harness.builder.extend(harness.builder.genesis_block().hash());
  Actions actions = harness.deliver(block);
  CHECK(count<AppendBlockAction>(actions) == 1);
  auto cancels = only<CancelTimerAction>(actions);
  REQUIRE(cancels.size() == 1);
  CHECK(cancels[0].id == PowEngine::kTemplateTimer);
  const MineAction next = single_job(actions);
  CHECK(next.header.prev_hash == block.hash());
  CHECK(next.header.height == 2);
  // The old job lost the race: its nonce no longer counts.
  CHECK(harness.engine->on_block_mined(first.job, grind_nonce(first.header), harness.now).empty());
  CHECK(harness.engine->head().hash == block.hash());
}

TEST_CASE("pow mining: the timestamp is at least the median time past plus one", "[pow][mining]") {
  Harness harness(mining());
  harness.engine->start(harness.now);
  // Blocks stamped ahead of our clock (within max_future_ms) push the median past now.
  BlockOptions ahead;
  ahead.timestamp_ms = harness.now + 4000;
  const Block b1 = harness.builder.extend(harness.builder.genesis_block().hash(), ahead);
  ahead.timestamp_ms = harness.now + 4500;
  const Block b2 = harness.builder.extend(b1.hash(), ahead);
  harness.deliver(b1);
  const MineAction job = single_job(harness.deliver(b2));
  // Median of b2, b1 and block 0 is b1's time.
  CHECK(job.header.timestamp_ms == harness.now + 4001);
  Actions actions = harness.engine->on_block_mined(job.job, grind_nonce(job.header), harness.now);
  CHECK(count<AppendBlockAction>(actions) == 1);
}

TEST_CASE("pow mining: the template follows the retarget", "[pow][mining]") {
  HarnessOptions options = mining();
  options.retarget_factor = 4;
  Harness harness(options);
  harness.engine->start(harness.now);
  BlockOptions fast;
  fast.timestamp_ms = kGenesisTime + 1;
  const Block b1 = harness.builder.extend(harness.builder.genesis_block().hash(), fast);
  const MineAction job = single_job(harness.deliver(b1));
  CHECK(std::get<PowSeal>(job.header.seal).target == (easy_target() >> 2).to_hash());
  CHECK(harness.engine->next_target() == easy_target() >> 2);
  CHECK(harness.engine->status(harness.now)["difficulty"] == 4.0);
}

TEST_CASE("pow mining: a participant with mine = false never mines", "[pow][mining]") {
  Harness harness;
  CHECK_FALSE(harness.engine->mining());
  CHECK(count<MineAction>(harness.engine->start(harness.now)) == 0);
  harness.submit(transfer(*harness.genesis, alice_key(), bob(), 5, 0));
  CHECK(harness.engine->on_transactions(harness.now).empty());
  CHECK(harness.engine->on_block_mined(1, 0, harness.now).empty());
}
