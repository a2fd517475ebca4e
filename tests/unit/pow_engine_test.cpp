// PowEngine: construction, receiving blocks (append, relay, rejections by reason), the
// orphan pool and locator fetches, sync and the read-only reports.
#include <catch2/catch.hpp>

#include "pow_engine_util.h"
#include "pow_pos/factory.h"

using namespace pow_test;
using namespace synod::pow_pos;

TEST_CASE("pow engine factory refuses what it cannot run", "[pow][engine]") {
  Harness harness;
  auto error = [](EngineSetup setup) {
    auto engine = make_pow_engine(std::move(setup));
    REQUIRE_FALSE(engine.ok());
    return engine.message();
  };
  EngineSetup setup = harness.setup();
  auto pbft = std::make_shared<Genesis>(*harness.genesis);
  pbft->mode = ConsensusMode::kPbft;
  setup.genesis = pbft;
  CHECK_THAT(error(setup), Catch::Contains("not a proof-of-work genesis"));
  setup = harness.setup();
  setup.genesis = nullptr;
  CHECK_THAT(error(setup), Catch::Contains("not a proof-of-work genesis"));
  setup = harness.setup();
  setup.mempool = nullptr;
  CHECK_THAT(error(setup), Catch::Contains("mempool"));
  setup = harness.setup();
  setup.byzantine = {"equivocate"};
  CHECK_THAT(error(setup), Catch::Contains("Byzantine"));
  setup = harness.setup();
  setup.key = miner_key(1);  // participant 0's slot
  CHECK_THAT(error(setup), Catch::Contains("not miner 0's key"));
  setup = harness.setup();
  setup.participant = 7;
  CHECK_THAT(error(setup), Catch::Contains("not a miner"));
  setup = harness.setup();
  setup.participant.reset();
  setup.upstreams = 0;
  CHECK_THAT(error(setup), Catch::Contains("at least one upstream"));
  setup = harness.setup();
  setup.state = State(SigningDomain{"other-chain", {}});
  CHECK_THAT(error(setup), Catch::Contains("state root"));
  auto engine = make_pow_engine(harness.setup());
  REQUIRE(engine.ok());
  CHECK((*engine)->finality() == Finality::kProbabilistic);
  CHECK((*engine)->head().hash == harness.builder.genesis_block().hash());
}

TEST_CASE("pow engine start asks a peer for blocks and arms the sync timer", "[pow][engine]") {
  Harness harness;
  Actions actions = harness.engine->start(harness.now);
  auto fetches = only<FetchByLocatorAction>(actions);
  REQUIRE(fetches.size() == 1);
  CHECK(fetches[0].peer == 1);  // the miners other than ourselves
  CHECK(fetches[0].locator == std::vector<crypto::Hash256>{harness.builder.genesis_block().hash()});
  CHECK(fetches[0].max_blocks == 4);
  auto timers = only<SetTimerAction>(actions);
  REQUIRE(timers.size() == 1);
  CHECK(timers[0].id == PowEngine::kSyncTimer);
  CHECK(timers[0].at_ms == harness.now + kInterval);
  CHECK(count<MineAction>(actions) == 0);  // mine = false
  // The timer rotates over the peers: 2, then 1 again.
  harness.now += kInterval;
  auto next =
      only<FetchByLocatorAction>(harness.engine->on_timer(PowEngine::kSyncTimer, harness.now));
  REQUIRE(next.size() == 1);
  CHECK(next[0].peer == 2);
  harness.now += kInterval;
  next = only<FetchByLocatorAction>(harness.engine->on_timer(PowEngine::kSyncTimer, harness.now));
  REQUIRE(next.size() == 0);  // peer 1's request is still in flight (no answer yet)
  harness.engine->on_blocks_fetched(1, {}, harness.now);
  harness.now += 3 * kInterval;
  harness.engine->on_timer(PowEngine::kSyncTimer, harness.now);  // peer 2: in flight too
  harness.now += kInterval;
  next = only<FetchByLocatorAction>(harness.engine->on_timer(PowEngine::kSyncTimer, harness.now));
  REQUIRE(next.size() == 1);
  CHECK(next[0].peer == 1);
}

TEST_CASE("pow engine appends a valid block with its diff and relays it", "[pow][engine]") {
  Harness harness;
  BlockOptions options;
  options.transactions = {transfer(*harness.genesis, alice_key(), bob(), 100, 0)};
  const Block block = harness.builder.extend(harness.builder.genesis_block().hash(), options);
  Actions actions = harness.deliver(block);
  auto appends = only<AppendBlockAction>(actions);
  REQUIRE(appends.size() == 1);
  CHECK(appends[0].block == block);
  CHECK(appends[0].diff == harness.builder.diff(block.hash()));
  CHECK(appends[0].tx_hashes == std::vector<crypto::Hash256>{block.transactions[0].hash()});
  auto relays = only<BroadcastAction>(actions);
  REQUIRE(relays.size() == 1);
  CHECK(relays[0].message == encode_block_message(block));
  CHECK(count<StoreSideBlockAction>(actions) == 0);
  CHECK(count<ReorgAction>(actions) == 0);
  CHECK(harness.engine->head() == ChainHead{1, block.hash()});
  CHECK(harness.engine->state().root() == block.header.state_root);
  CHECK(harness.engine->state().account(address_of(miner_key(1).public_key())).balance == 51);
  CHECK(harness.engine->counters().blocks_accepted == 1);
  CHECK(harness.engine->tip_work() == Uint256(15));
  // The same block again is a duplicate: nothing happens.
  CHECK(harness.deliver(block).empty());
  CHECK(harness.engine->counters().duplicates == 1);
}

TEST_CASE("pow engine appends a fetched batch in order and asks again after a full batch",
          "[pow][engine]") {
  Harness harness;
  harness.engine->start(harness.now);
  auto blocks = harness.builder.chain(harness.builder.genesis_block().hash(), 4);
  Actions actions = harness.engine->on_blocks_fetched(1, blocks, harness.now);
  auto appends = only<AppendBlockAction>(actions);
  REQUIRE(appends.size() == 4);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(appends[i].block == blocks[i]);
  CHECK(count<BroadcastAction>(actions) == 0);  // fetched blocks are not relayed
  auto again = only<FetchByLocatorAction>(actions);
  REQUIRE(again.size() == 1);  // a full batch (4): more may be waiting
  CHECK(again[0].peer == 1);
  CHECK(again[0].locator.front() == blocks[3].hash());
  CHECK(again[0].locator.back() == harness.builder.genesis_block().hash());
  // A short batch does not ask again.
  auto more = harness.builder.chain(blocks[3].hash(), 1);
  actions = harness.engine->on_blocks_fetched(1, more, harness.now);
  CHECK(count<AppendBlockAction>(actions) == 1);
  CHECK(count<FetchByLocatorAction>(actions) == 0);
  CHECK(harness.engine->head().height == 5);
}

TEST_CASE("pow engine keeps an orphan, asks its sender, and connects it later", "[pow][engine]") {
  Harness harness;
  auto blocks = harness.builder.chain(harness.builder.genesis_block().hash(), 3);
  Actions actions = harness.deliver(blocks[2], 2);
  CHECK(count<AppendBlockAction>(actions) == 0);
  CHECK(harness.engine->orphan_count() == 1);
  auto fetches = only<FetchByLocatorAction>(actions);
  REQUIRE(fetches.size() == 1);
  CHECK(fetches[0].peer == 2);
  CHECK(fetches[0].locator == std::vector<crypto::Hash256>{harness.builder.genesis_block().hash()});
  actions = harness.deliver(blocks[1], 2);  // still an orphan; its fetch is in flight
  CHECK(harness.engine->orphan_count() == 2);
  CHECK(count<FetchByLocatorAction>(actions) == 0);
  actions = harness.engine->on_blocks_fetched(2, {blocks[0]}, harness.now);
  auto appends = only<AppendBlockAction>(actions);
  REQUIRE(appends.size() == 3);
  CHECK(appends[0].block == blocks[0]);
  CHECK(appends[1].block == blocks[1]);
  CHECK(appends[2].block == blocks[2]);
  CHECK(harness.engine->orphan_count() == 0);
  CHECK(harness.engine->counters().orphans_connected == 2);
  CHECK(harness.engine->head().hash == blocks[2].hash());
}

TEST_CASE("pow engine bounds its orphan pool", "[pow][engine]") {
  Harness harness;
  // 300 orphans (the pool keeps 256 by default), each on a parent the engine never sees.
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  auto base = harness.builder.chain(genesis_hash, 1);
  for (std::uint64_t i = 0; i < 300; ++i) {
    BlockOptions options;
    options.tamper = [i](Block& block) {
      block.header.prev_hash.data[0] = static_cast<std::uint8_t>(i);
      block.header.prev_hash.data[1] = static_cast<std::uint8_t>(i >> 8);
      block.header.prev_hash.data[2] = 0xee;
    };
    harness.deliver(harness.builder.extend(base[0].hash(), options), 1);
  }
  CHECK(harness.engine->orphan_count() == 256);
  CHECK(harness.engine->counters().orphans_evicted == 44);
  CHECK(harness.engine->consensus_dump(harness.now)["orphans"] == 256);
}

TEST_CASE("pow engine rejects bad blocks by reason and never stores them", "[pow][engine]") {
  Harness harness;
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  auto rejects = [&](BlockOptions options, Rejection reason) {
    const Block block = harness.builder.extend(genesis_hash, options);
    const std::uint64_t before = harness.rejected(reason);
    Actions actions = harness.deliver(block);
    INFO(to_string(reason));
    CHECK(harness.rejected(reason) == before + 1);
    CHECK(count<AppendBlockAction>(actions) == 0);
    CHECK(count<StoreSideBlockAction>(actions) == 0);
    CHECK(harness.engine->head().height == 0);
  };
  BlockOptions options;
  options.target = easy_target() >> 1;  // harder than required: still the wrong target
  rejects(options, Rejection::kWrongTarget);
  options = {};
  options.timestamp_ms = kGenesisTime;  // not above the median time past (block 0's)
  rejects(options, Rejection::kTimeTooOld);
  options = {};
  options.timestamp_ms = kNow + 5001;  // more than max_future_ms ahead of now
  rejects(options, Rejection::kTimeTooNew);
  options = {};
  options.tamper = [](Block& block) { block.header.height = 2; };
  rejects(options, Rejection::kBadHeight);
  Block pbft_sealed = harness.builder.extend(genesis_hash);
  pbft_sealed.header.seal = PbftSeal{};
  harness.engine->on_message(1, encode_block_message(pbft_sealed), harness.now);
  CHECK(harness.rejected(Rejection::kMalformed) == 1);
  harness.engine->on_message(1, Bytes{0x21, 0x00}, harness.now);
  harness.engine->on_message(1, Bytes{0x01, 0x00}, harness.now);
  CHECK(harness.rejected(Rejection::kMalformed) == 3);
  Block unworked = harness.builder.extend(genesis_hash);
  for (auto& seal = std::get<PowSeal>(unworked.header.seal);
       meets_target(unworked.hash(), easy_target()); ++seal.nonce) {
  }
  harness.deliver(unworked);
  CHECK(harness.rejected(Rejection::kBadWork) == 1);
  auto dump = harness.engine->consensus_dump(harness.now);
  CHECK(dump["recent_rejections"].size() == 8);
  CHECK(dump["recent_rejections"].back()["reason"] == "bad_work");
  CHECK(dump["recent_rejections"].back()["from"] == 1);
}

TEST_CASE("pow engine accepts a block from the future once its time has come", "[pow][engine]") {
  Harness harness;
  BlockOptions options;
  options.timestamp_ms = kNow + 9000;
  const Block block = harness.builder.extend(harness.builder.genesis_block().hash(), options);
  harness.deliver(block);
  CHECK(harness.rejected(Rejection::kTimeTooNew) == 1);
  harness.now += 4000;  // 9000 - 4000 <= max_future_ms
  CHECK(count<AppendBlockAction>(harness.deliver(block)) == 1);
}

TEST_CASE("pow engine rejects the children of an invalid block", "[pow][engine]") {
  Harness harness;
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  auto good = harness.builder.chain(genesis_hash, 1);
  harness.deliver(good[0]);
  // A side block with a bad state root is marked invalid only when its branch could win.
  BlockOptions options;
  options.miner = 2;
  options.tamper = [](Block& block) { block.header.state_root.data[0] ^= 1; };
  const Block bad = harness.builder.extend(genesis_hash, options);
  Actions actions = harness.deliver(bad);
  CHECK(count<StoreSideBlockAction>(actions) == 1);  // a tie: kept as a side block
  const Block child = harness.builder.extend(bad.hash(), options);
  actions = harness.deliver(child);
  CHECK(count<ReorgAction>(actions) == 0);
  CHECK(harness.rejected(Rejection::kBadStateRoot) == 1);
  CHECK(harness.engine->head().hash == good[0].hash());
  // Now known invalid: a grandchild is refused at once.
  harness.deliver(harness.builder.extend(child.hash()));
  CHECK(harness.rejected(Rejection::kInvalidAncestor) == 1);
}

TEST_CASE("pow engine reports status, dump, facts, metrics and progress", "[pow][engine]") {
  Harness harness;
  auto blocks = harness.builder.chain(harness.builder.genesis_block().hash(), 2);
  harness.deliver_all(blocks);
  nlohmann::json status = harness.engine->status(harness.now);
  CHECK(status["mode"] == "pow");
  CHECK(status["tip_work"] == "30");
  CHECK(status["target"] == easy_target().to_hex());
  CHECK(status["difficulty"] == 1.0);
  CHECK(status["tips"] == 1);
  CHECK(status["orphans"] == 0);
  CHECK(status["mining"] == false);
  nlohmann::json dump = harness.engine->consensus_dump(harness.now);
  REQUIRE(dump["chain_tips"].size() == 1);
  CHECK(dump["chain_tips"][0]["status"] == "active");
  CHECK(dump["chain_tips"][0]["height"] == 2);
  CHECK(dump["chain_tips"][0]["chain_work"] == "30");
  CHECK(dump["chain_tips"][0]["branch_length"] == 0);
  CHECK(dump["head"]["height"] == 2);
  CHECK(dump["counters"]["blocks_accepted"] == 2);
  CHECK(harness.engine->validator_facts() == nlohmann::json{{"miners", 3}, {"self", 0}});
  CHECK(harness.engine->message_type(encode_block_message(blocks[0])) == "block");
  CHECK(harness.engine->message_type(Bytes{0x03}) == "unknown");
  bool found = false;
  for (const auto& sample : harness.engine->metrics()) {
    if (sample.name == "synod_pow_blocks_accepted_total") {
      CHECK(sample.value == 2);
      CHECK(sample.kind == MetricSample::Kind::kCounter);
      found = true;
    }
    if (sample.name == "synod_pow_blocks_rejected_total") {
      REQUIRE(sample.labels.size() == 1);
      CHECK(sample.labels[0].first == "reason");
    }
  }
  CHECK(found);
  CHECK(harness.engine->progress_note() ==
        "pow: height 2 (+2), 0 mined, 0 reorgs, 0 rejected, 0 orphans");
  CHECK(harness.engine->progress_note() ==
        "pow: height 2 (+0), 0 mined, 0 reorgs, 0 rejected, 0 orphans");
}

TEST_CASE("pow full node follows its upstreams and never mines", "[pow][engine]") {
  HarnessOptions options;
  options.participant.reset();
  options.upstreams = 2;
  options.mine = true;
  Harness harness(options);
  CHECK_FALSE(harness.engine->mining());
  Actions actions = harness.engine->start(harness.now);
  CHECK(count<MineAction>(actions) == 0);
  auto fetches = only<FetchByLocatorAction>(actions);
  REQUIRE(fetches.size() == 1);
  CHECK(fetches[0].peer == 0);
  auto blocks = harness.builder.chain(harness.builder.genesis_block().hash(), 2);
  actions = harness.engine->on_blocks_fetched(0, blocks, harness.now);
  CHECK(count<AppendBlockAction>(actions) == 2);
  CHECK(count<MineAction>(actions) == 0);
  harness.submit(transfer(*harness.genesis, alice_key(), bob(), 1, 0));
  CHECK(harness.engine->on_transactions(harness.now).empty());
  CHECK(harness.engine->validator_facts() == nlohmann::json{{"miners", 3}});
}
