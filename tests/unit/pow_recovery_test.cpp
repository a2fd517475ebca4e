// PowEngine recovery from a store (a fake ChainReader): forks survive a restart, the work
// anchor, pruning, and a store the engine cannot trust.
#include <catch2/catch.hpp>

#include "chain/codec.h"
#include "pow_engine_util.h"

using namespace pow_test;
using namespace synod::pow_pos;

namespace {

// What a driver's store would hold: the best chain by height with undo data, side blocks
// and persisted values.
class FakeStore final : public ChainReader {
 public:
  std::vector<Block> best;  // best[h] is the block at height h
  std::map<std::uint64_t, StateDiff> undo;
  std::vector<Block> side;
  std::map<std::string, Bytes> values;
  std::vector<std::uint64_t> side_queries;

  Result<std::optional<Block>> block_at(std::uint64_t height) const override {
    if (height >= best.size())
      return std::optional<Block>();
    return std::optional<Block>(best[height]);
  }
  Result<std::optional<Block>> block_by_hash(const crypto::Hash256& hash) const override {
    for (const auto& block : best) {
      if (block.hash() == hash)
        return std::optional<Block>(block);
    }
    for (const auto& block : side) {
      if (block.hash() == hash)
        return std::optional<Block>(block);
    }
    return std::optional<Block>();
  }
  Result<std::optional<StateDiff>> undo_at(std::uint64_t height) const override {
    auto it = undo.find(height);
    if (it == undo.end())
      return std::optional<StateDiff>();
    return std::optional<StateDiff>(it->second);
  }
  Result<std::vector<Block>> side_blocks(std::uint64_t min_height) const override {
    const_cast<FakeStore*>(this)->side_queries.push_back(min_height);
    std::vector<Block> out;
    for (const auto& block : side) {
      if (block.header.height >= min_height)
        out.push_back(block);
    }
    return out;
  }
  Result<std::optional<Bytes>> persisted(const std::string& key) const override {
    auto it = values.find(key);
    if (it == values.end())
      return std::optional<Bytes>();
    return std::optional<Bytes>(it->second);
  }
};

// Fills `store` with the builder's chain ending at `tip` as the best chain.
void store_best(FakeStore& store, const ChainBuilder& builder, const crypto::Hash256& tip) {
  std::vector<Block> chain;
  for (crypto::Hash256 at = tip;; at = builder.block(at).header.prev_hash) {
    chain.insert(chain.begin(), builder.block(at));
    if (chain.front().header.height == 0)
      break;
  }
  store.best = chain;
  for (std::size_t h = 1; h < chain.size(); ++h)
    store.undo[h] = builder.diff(chain[h].hash());
}

EngineSetup restart_setup(Harness& harness, FakeStore& store) {
  EngineSetup setup = harness.setup();
  setup.head = store.best.back();
  setup.state = harness.builder.state(setup.head.hash());
  setup.stored = &store;
  return setup;
}

Bytes anchor_bytes(std::uint64_t height, const crypto::Hash256& hash, const Uint256& work) {
  Writer out;
  out.u64(height);
  out.fixed(hash);
  out.fixed(work.to_hash());
  return out.take();
}

}  // namespace

TEST_CASE("pow restart keeps a fork from the store and can reorg to it", "[pow][recovery]") {
  Harness harness;
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  auto a = harness.builder.chain(genesis_hash, 3, 1);
  BlockOptions side_options;
  side_options.miner = 2;
  side_options.timestamp_ms = a[0].header.timestamp_ms + 500;
  const Block b2 = harness.builder.extend(a[0].hash(), side_options);
  const Block b3 = harness.builder.extend(b2.hash());
  FakeStore store;
  store_best(store, harness.builder, a[2].hash());
  store.side = {b3, b2};  // any order

  auto engine = Harness::create(restart_setup(harness, store));
  CHECK(engine->head() == ChainHead{3, a[2].hash()});
  CHECK(engine->tip_work() == Uint256(45));
  CHECK(engine->tree_size() == 6);
  CHECK(store.side_queries == std::vector<std::uint64_t>{0});  // head 3 - depth 6, floored
  CHECK(engine->status(harness.now)["tips"] == 2);
  // Equal work: the stored best chain stays (it is the first seen after a restart).
  CHECK(count<ReorgAction>(engine->start(harness.now)) == 0);
  CHECK(engine->head().hash == a[2].hash());

  const Block b4 = harness.builder.extend(b3.hash());
  Actions actions = engine->on_message(2, encode_block_message(b4), harness.now);
  auto reorgs = only<ReorgAction>(actions);
  REQUIRE(reorgs.size() == 1);
  CHECK(reorgs[0].fork_height == 1);
  CHECK(reorgs[0].fork_hash == a[0].hash());
  REQUIRE(reorgs[0].branch.size() == 3);
  CHECK(reorgs[0].branch[0].block == b2);
  CHECK(reorgs[0].branch[2].block == b4);
  CHECK(reorgs[0].branch[0].diff == harness.builder.diff(b2.hash()));
  CHECK(engine->state().root() == b4.header.state_root);
}

TEST_CASE("pow restart reorgs at start when a stored side branch is heavier", "[pow][recovery]") {
  Harness harness;
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  auto a = harness.builder.chain(genesis_hash, 1, 1);
  BlockOptions side_options;
  side_options.miner = 2;
  side_options.timestamp_ms = kGenesisTime + 700;
  const Block b1 = harness.builder.extend(genesis_hash, side_options);
  const Block b2 = harness.builder.extend(b1.hash());
  FakeStore store;
  store_best(store, harness.builder, a[0].hash());
  store.side = {b1, b2};  // e.g. a crash between storing b2 and switching to it
  auto engine = Harness::create(restart_setup(harness, store));
  Actions actions = engine->start(harness.now);
  auto reorgs = only<ReorgAction>(actions);
  REQUIRE(reorgs.size() == 1);
  CHECK(reorgs[0].fork_height == 0);
  CHECK(reorgs[0].branch.size() == 2);
  CHECK(engine->head().hash == b2.hash());
}

TEST_CASE("pow restart of a long chain keeps a bounded window and the full work",
          "[pow][recovery]") {
  Harness harness;
  const crypto::Hash256 genesis_hash = harness.builder.genesis_block().hash();
  auto chain = harness.builder.chain(genesis_hash, 25);
  FakeStore store;
  store_best(store, harness.builder, chain.back().hash());
  // Undo data is needed only for the top max_reorg_depth (6) blocks.
  for (std::uint64_t h = 1; h <= 19; ++h)
    store.undo.erase(h);

  auto engine = Harness::create(restart_setup(harness, store));
  CHECK(engine->tip_work() == Uint256(25 * 15));  // summed from block 0: no anchor
  // Kept: 2 * 6 + max(window 1, median 3) + 1 = 16 blocks below the head, and the head.
  CHECK(engine->tree_size() == 17);
  CHECK(store.side_queries == std::vector<std::uint64_t>{19});
  auto fetches = only<FetchByLocatorAction>(engine->start(harness.now));
  REQUIRE(fetches.size() == 1);
  CHECK(fetches[0].locator.front() == chain.back().hash());
  CHECK(fetches[0].locator.back() == genesis_hash);

  SECTION("a persisted anchor on the best chain is where the work is summed from") {
    store.values[PowEngine::kWorkAnchorKey] = anchor_bytes(5, chain[4].hash(), Uint256(1000));
    engine = Harness::create(restart_setup(harness, store));
    CHECK(engine->tip_work() == Uint256(1000 + 20 * 15));
  }
  SECTION("an anchor above the oldest block kept counts backwards from it") {
    store.values[PowEngine::kWorkAnchorKey] = anchor_bytes(20, chain[19].hash(), Uint256(1000));
    engine = Harness::create(restart_setup(harness, store));
    CHECK(engine->tip_work() == Uint256(1000 + 5 * 15));
  }
  SECTION("an anchor with less work than its blocks hold is ignored") {
    store.values[PowEngine::kWorkAnchorKey] = anchor_bytes(20, chain[19].hash(), Uint256(100));
    engine = Harness::create(restart_setup(harness, store));
    CHECK(engine->tip_work() == Uint256(25 * 15));
  }
  SECTION("an anchor off the best chain is ignored") {
    store.values[PowEngine::kWorkAnchorKey] = anchor_bytes(5, chain[3].hash(), Uint256(1000));
    engine = Harness::create(restart_setup(harness, store));
    CHECK(engine->tip_work() == Uint256(25 * 15));
  }
  SECTION("an undecodable anchor is ignored") {
    store.values[PowEngine::kWorkAnchorKey] = Bytes{1, 2, 3};
    engine = Harness::create(restart_setup(harness, store));
    CHECK(engine->tip_work() == Uint256(25 * 15));
  }
}

TEST_CASE("pow engine persists a work anchor max_reorg_depth below its tip", "[pow][recovery]") {
  Harness harness;
  auto chain = harness.builder.chain(harness.builder.genesis_block().hash(), 7);
  Actions actions = harness.deliver_all(chain);
  auto persists = only<PersistAction>(actions);
  REQUIRE(persists.size() == 1);  // at height 7: block 1 can no longer be undone
  CHECK(persists[0].key == PowEngine::kWorkAnchorKey);
  CHECK(persists[0].value == anchor_bytes(1, chain[0].hash(), Uint256(15)));
  // The next one comes 64 blocks later.
  auto middle = harness.builder.chain(chain.back().hash(), 63);  // heights 8..70
  CHECK(count<PersistAction>(harness.deliver_all(middle)) == 0);
  auto last = harness.builder.chain(middle.back().hash(), 1);  // height 71
  persists = only<PersistAction>(harness.deliver_all(last));
  REQUIRE(persists.size() == 1);
  CHECK(persists[0].value == anchor_bytes(65, middle[57].hash(), Uint256(65 * 15)));
}

TEST_CASE("pow engine prunes its tree to a window below the tip", "[pow][recovery]") {
  Harness harness;
  auto chain = harness.builder.chain(harness.builder.genesis_block().hash(), 120);
  harness.engine->on_blocks_fetched(1, chain, harness.now);
  CHECK(harness.engine->head().height == 120);
  // 16 kept below the tip, pruned in steps of 64.
  CHECK(harness.engine->tree_size() <= 16 + 64 + 1);
  CHECK(harness.engine->tip_work() == Uint256(120 * 15));
  // A block on a pruned ancestor can never connect: stale, not an orphan.
  BlockOptions old;
  old.timestamp_ms = chain[2].header.timestamp_ms + 1;
  harness.deliver(harness.builder.extend(chain[2].hash(), old));
  CHECK(harness.rejected(Rejection::kStale) == 1);
  CHECK(harness.engine->orphan_count() == 0);
}

TEST_CASE("pow restart refuses a store it cannot trust", "[pow][recovery]") {
  Harness harness;
  auto chain = harness.builder.chain(harness.builder.genesis_block().hash(), 3);
  FakeStore store;
  store_best(store, harness.builder, chain.back().hash());
  auto error = [&](EngineSetup setup) {
    auto engine = PowEngine::create(std::move(setup));
    REQUIRE_FALSE(engine.ok());
    return engine.message();
  };
  EngineSetup setup = restart_setup(harness, store);
  setup.stored = nullptr;
  CHECK_THAT(error(setup), Catch::Contains("ChainReader"));
  FakeStore missing = store;
  missing.best.erase(missing.best.begin() + 2);
  missing.best.push_back(store.best.back());
  CHECK_THAT(error(restart_setup(harness, missing)), Catch::Contains("does not extend"));
  FakeStore no_undo = store;
  no_undo.undo.erase(3);
  CHECK_THAT(error(restart_setup(harness, no_undo)), Catch::Contains("undo data of block 3"));
  setup = restart_setup(harness, store);
  setup.state = harness.builder.state(chain[1].hash());
  CHECK_THAT(error(setup), Catch::Contains("state root"));
  FakeStore other = store;
  other.best.pop_back();  // the head is not the end of the stored best chain
  setup = restart_setup(harness, other);
  setup.head = store.best.back();
  setup.state = harness.builder.state(store.best.back().hash());
  CHECK_THAT(error(setup), Catch::Contains("missing"));
}
