// Unit tests for chain::BlockStore's side branches: storing side blocks, reorgs (to a longer
// branch and back, across the bulk transaction index, refused ones), locate, chain_tips, the
// ChainReader view, and reopening after a reorg. Every block is made by executing signed
// transfers on the state its parent leaves.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/unit/store_test_chain.h"

using namespace synod;
using namespace synod::chain;
using namespace synod::store_test;

namespace {

// Builds `count` blocks on `from` (advancing it), proposed by validator `proposer`, as a
// reorg branch. Even blocks carry their transaction hashes, odd ones leave them to the store.
std::vector<BranchBlock> grow(TestChain& from, std::size_t count, std::size_t salt,
                              std::size_t proposer = 1, std::size_t tx_count = 6) {
  std::vector<BranchBlock> branch;
  for (std::size_t i = 0; i < count; ++i) {
    Block block = from.build(from.transfers(tx_count, salt + i), proposer);
    StateDiff diff = from.advance(block);
    std::vector<crypto::Hash256> tx_hashes;
    if (i % 2 == 0) {
      for (const auto& tx : block.transactions)
        tx_hashes.push_back(tx.hash());
    }
    branch.push_back(BranchBlock{block, diff, tx_hashes});
  }
  return branch;
}

std::vector<Block> blocks_of(const std::vector<BranchBlock>& branch) {
  std::vector<Block> blocks;
  for (const auto& entry : branch)
    blocks.push_back(entry.block);
  return blocks;
}

// Appends `count` blocks to `store` and returns the chain after each of them (index h is
// the chain at height h; index 0 is the chain at genesis).
std::vector<TestChain> extend_recording(TestChain& chain, BlockStore& store, std::size_t count,
                                        std::size_t salt = 0) {
  std::vector<TestChain> snapshots{chain};
  for (std::size_t i = 0; i < count; ++i) {
    chain.extend(store, 6, salt + i);
    snapshots.push_back(chain);
  }
  return snapshots;
}

std::optional<std::uint64_t> best_height(const BlockStore& store, const crypto::Hash256& hash) {
  auto height = store.best_height_of(hash);
  REQUIRE(height.ok());
  return *height;
}

std::vector<crypto::Hash256> side_hashes(const BlockStore& store, std::uint64_t min_height = 0) {
  auto blocks = store.side_blocks(min_height);
  REQUIRE(blocks.ok());
  std::vector<crypto::Hash256> hashes;
  for (const auto& block : *blocks)
    hashes.push_back(block.hash());
  std::sort(hashes.begin(), hashes.end());
  return hashes;
}

std::vector<crypto::Hash256> sorted(std::vector<crypto::Hash256> hashes) {
  std::sort(hashes.begin(), hashes.end());
  return hashes;
}

std::vector<ChainTip> tips_of(const BlockStore& store) {
  auto tips = store.chain_tips();
  INFO((tips ? std::string() : tips.message()));
  REQUIRE(tips.ok());
  return *tips;
}

// The store's head, best chain, accounts and transaction lookups must be those of `chain`,
// whose blocks 1..head are `best`.
void require_at(const BlockStore& store, const TestChain& chain, const std::vector<Block>& best) {
  REQUIRE(store.head_height() == std::optional<std::uint64_t>(chain.tip.header.height));
  auto head = store.head();
  REQUIRE(head.ok());
  CHECK(*head == chain.tip);
  State state = stored_state(store, chain.genesis);
  CHECK(state.accounts() == chain.state.accounts());
  CHECK(state.root() == chain.tip.header.state_root);
  for (const Block& block : best) {
    CHECK(stored_block(store, block.header.height) == block);
    CHECK(best_height(store, block.hash()) == block.header.height);
  }
  require_found(store, best);
}

}  // namespace

TEST_CASE("block store keeps side blocks and refuses ones it cannot link", "[store][reorg]") {
  TestChain chain;
  auto store = open_initialized(":memory:", chain);
  auto at = extend_recording(chain, *store, 3);
  TestChain side = at[1];
  Block side2 = grow(side, 1, 50).front().block;
  Block side3 = grow(side, 1, 60).front().block;

  require_ok(store->store_side_block(side2));
  require_ok(store->store_side_block(side3));
  require_ok(store->store_side_block(side2));      // again: nothing changes
  require_ok(store->store_side_block(at[2].tip));  // a best block: nothing changes
  CHECK(side_hashes(*store) == sorted({side2.hash(), side3.hash()}));
  CHECK(side_hashes(*store, 3) == std::vector<crypto::Hash256>{side3.hash()});
  CHECK(side_hashes(*store, 4).empty());
  auto by_hash = store->block_by_hash(side3.hash());
  REQUIRE(by_hash.ok());
  REQUIRE(by_hash->has_value());
  CHECK(**by_hash == side3);
  CHECK_FALSE(best_height(*store, side2.hash()).has_value());
  CHECK(best_height(*store, at[2].tip.hash()) == 2u);
  auto no_undo = store->undo_at(4);
  REQUIRE(no_undo.ok());
  CHECK_FALSE(no_undo->has_value());

  Block orphan = side3;
  orphan.header.prev_hash = crypto::sha256(as_bytes("not stored"));
  Status refused = store->store_side_block(orphan);
  CHECK_FALSE(refused.ok());
  CHECK(refused.message().find("parent") != std::string::npos);
  Block too_high = side3;
  too_high.header.height = 4;
  refused = store->store_side_block(too_high);
  CHECK_FALSE(refused.ok());
  CHECK(refused.message().find("height") != std::string::npos);
  Block at_genesis = side2;
  at_genesis.header.height = 0;
  CHECK_FALSE(store->store_side_block(at_genesis).ok());
  CHECK_FALSE(open_store(":memory:")->store_side_block(side2).ok());  // not initialised

  // None of that touched the best chain, and the side blocks survive a reopen.
  require_at(*store, chain, {at[1].tip, at[2].tip, at[3].tip});
  CHECK(side_hashes(*store) == sorted({side2.hash(), side3.hash()}));
}

TEST_CASE("block store side blocks survive a reopen, and append promotes one", "[store][reorg]") {
  TempDir dir;
  std::string path = dir.file("chain.db");
  TestChain chain;
  auto at = [&] {
    auto store = open_initialized(path, chain);
    return extend_recording(chain, *store, 2);
  }();
  TestChain next = chain;
  std::vector<BranchBlock> ahead = grow(next, 1, 7);
  {
    auto store = open_store(path);
    require_ok(store->store_side_block(ahead[0].block));  // a child of the head
    auto tips = tips_of(*store);
    REQUIRE(tips.size() == 2);
    CHECK(tips[0] == ChainTip{3, ahead[0].block.hash(), 1, false});
    CHECK(tips[1] == ChainTip{2, chain.tip.hash(), 0, true});
  }
  auto store = open_store(path);
  CHECK(side_hashes(*store) == std::vector<crypto::Hash256>{ahead[0].block.hash()});
  require_ok(store->append(ahead[0].block, ahead[0].diff));
  CHECK(side_hashes(*store).empty());
  auto undo = store->undo_at(3);
  REQUIRE(undo.ok());
  REQUIRE(undo->has_value());
  CHECK(**undo == ahead[0].diff);
  require_at(*store, next, {at[1].tip, at[2].tip, ahead[0].block});
  CHECK(tips_of(*store) == std::vector<ChainTip>{{3, ahead[0].block.hash(), 0, true}});

  // Rolled back, it is a side block again; appended again, best again.
  REQUIRE(store->rollback_head().ok());
  CHECK(side_hashes(*store) == std::vector<crypto::Hash256>{ahead[0].block.hash()});
  require_ok(store->append(ahead[0].block, ahead[0].diff));
  require_at(*store, next, {at[1].tip, at[2].tip, ahead[0].block});
}

TEST_CASE("block store reorgs to a longer branch and back", "[store][reorg]") {
  TestChain chain;
  auto store = open_initialized(":memory:", chain);
  auto at = extend_recording(chain, *store, 4);
  std::vector<Block> main_blocks;
  for (std::size_t h = 1; h <= 4; ++h)
    main_blocks.push_back(at[h].tip);

  // Branch B forks after block 2 and is one block longer.
  TestChain b_chain = at[2];
  std::vector<BranchBlock> b = grow(b_chain, 3, 100);
  require_ok(store->reorg(2, at[2].tip.hash(), b));
  require_at(*store, b_chain, {at[1].tip, at[2].tip, b[0].block, b[1].block, b[2].block});
  for (std::size_t i = 0; i < b.size(); ++i) {
    auto undo = store->undo_at(3 + i);
    REQUIRE(undo.ok());
    REQUIRE(undo->has_value());
    CHECK(**undo == b[i].diff);
  }
  require_not_at(*store, main_blocks[2]);
  require_not_at(*store, main_blocks[3]);
  CHECK(side_hashes(*store) == sorted({main_blocks[2].hash(), main_blocks[3].hash()}));
  CHECK_FALSE(best_height(*store, main_blocks[3].hash()).has_value());
  CHECK(tips_of(*store) == std::vector<ChainTip>{{5, b[2].block.hash(), 0, true},
                                                 {4, main_blocks[3].hash(), 2, false}});

  // The main chain grows two more blocks and takes over again: its blocks 3 and 4 were
  // stored as side blocks (with their undo data) and become best once more.
  std::vector<BranchBlock> main_branch;
  TestChain replay = at[2];
  for (std::size_t h = 3; h <= 4; ++h)
    main_branch.push_back(BranchBlock{at[h].tip, replay.advance(at[h].tip), {}});
  for (const auto& entry : grow(chain, 2, 200, 0))
    main_branch.push_back(entry);
  require_ok(store->reorg(2, at[2].tip.hash(), main_branch));
  std::vector<Block> best{at[1].tip, at[2].tip};
  for (const auto& entry : main_branch)
    best.push_back(entry.block);
  require_at(*store, chain, best);
  for (const auto& entry : b)
    require_not_at(*store, entry.block);
  CHECK(side_hashes(*store) == sorted({b[0].block.hash(), b[1].block.hash(), b[2].block.hash()}));
  CHECK(tips_of(*store) ==
        std::vector<ChainTip>{{6, chain.tip.hash(), 0, true}, {5, b[2].block.hash(), 3, false}});
}

TEST_CASE("block store reorgs across the bulk transaction index and reopens at the new branch",
          "[store][reorg]") {
  TempDir dir;
  std::string path = dir.file("chain.db");
  TestChain chain;
  std::vector<TestChain> at;
  TestChain b_chain;
  std::vector<Block> best;
  {
    auto store = open_initialized(path, chain);
    at = extend_recording(chain, *store, 5);
    require_ok(store->index_transactions());
    for (std::size_t i = 0; i < 2; ++i) {
      chain.extend(*store, 6, 10 + i);
      at.push_back(chain);
    }
    REQUIRE(store->indexed_height() == 5);
    REQUIRE(store->unindexed_count() == 12);

    // Blocks 4 and 5 are indexed, 6 and 7 are not; the branch replaces all four.
    b_chain = at[3];
    std::vector<BranchBlock> branch = grow(b_chain, 5, 300);
    require_ok(store->reorg(3, at[3].tip.hash(), branch));
    CHECK(store->indexed_height() == 3);
    CHECK(store->unindexed_count() == 30);
    best = {at[1].tip, at[2].tip, at[3].tip};
    for (const auto& block : blocks_of(branch))
      best.push_back(block);
    require_at(*store, b_chain, best);
    for (std::size_t h = 4; h <= 7; ++h)
      require_not_at(*store, at[h].tip);
  }
  {
    // Reopened before indexing: the branch's transactions are read back from its blocks.
    auto store = open_store(path);
    CHECK(store->indexed_height() == 3);
    CHECK(store->unindexed_count() == 30);
    require_at(*store, b_chain, best);
    for (std::size_t h = 4; h <= 7; ++h)
      require_not_at(*store, at[h].tip);
    require_ok(store->index_transactions());
  }
  auto store = open_initialized(path, b_chain);
  CHECK(store->indexed_height() == 8);
  CHECK(store->unindexed_count() == 0);
  require_at(*store, b_chain, best);
  for (std::size_t h = 4; h <= 7; ++h)
    require_not_at(*store, at[h].tip);
  CHECK(tips_of(*store) ==
        std::vector<ChainTip>{{8, b_chain.tip.hash(), 0, true}, {7, at[7].tip.hash(), 4, false}});
}

TEST_CASE("block store finds a transaction of both branches in the new branch after a reorg",
          "[store][reorg]") {
  TestChain chain;
  auto store = open_initialized(":memory:", chain);
  auto at = extend_recording(chain, *store, 2);
  // The main block 3 and a rival with the same transfers from another proposer.
  TestChain rival = chain;
  Block main3 = chain.build(chain.transfers(6, 40));
  StateDiff main_diff = chain.advance(main3);
  require_ok(store->append(main3, main_diff));
  Block rival3 = rival.build(rival.transfers(6, 40), 2);
  StateDiff rival_diff = rival.advance(rival3);
  REQUIRE(rival3.transactions == main3.transactions);
  REQUIRE(rival3.hash() != main3.hash());

  bool indexed = GENERATE(false, true);
  INFO("main block indexed: " << indexed);
  if (indexed)
    require_ok(store->index_transactions());
  require_ok(store->reorg(2, at[2].tip.hash(), {BranchBlock{rival3, rival_diff, {}}}));
  require_at(*store, rival, {at[1].tip, at[2].tip, rival3});
  require_ok(store->index_transactions());
  require_at(*store, rival, {at[1].tip, at[2].tip, rival3});

  // And back: the main block is found again, the rival's location is gone.
  require_ok(store->reorg(2, at[2].tip.hash(), {BranchBlock{main3, main_diff, {}}}));
  require_at(*store, chain, {at[1].tip, at[2].tip, main3});
}

TEST_CASE("block store reorg at the head extends the best chain", "[store][reorg]") {
  TestChain chain;
  auto store = open_initialized(":memory:", chain);
  auto at = extend_recording(chain, *store, 2);
  std::vector<BranchBlock> branch = grow(chain, 2, 70);
  require_ok(store->reorg(2, at[2].tip.hash(), branch));
  require_at(*store, chain, {at[1].tip, at[2].tip, branch[0].block, branch[1].block});
  CHECK(side_hashes(*store).empty());
}

TEST_CASE("block store locate finds the first locator hash on the best chain", "[store][reorg]") {
  TestChain chain;
  auto store = open_initialized(":memory:", chain);
  auto at = extend_recording(chain, *store, 5);
  TestChain side = at[2];
  std::vector<BranchBlock> s = grow(side, 2, 80);
  for (const auto& entry : s)
    require_ok(store->store_side_block(entry.block));
  crypto::Hash256 unknown = crypto::sha256(as_bytes("unknown"));
  auto locate = [&](const std::vector<crypto::Hash256>& locator) {
    auto height = store->locate(locator);
    INFO((height ? std::string() : height.message()));
    REQUIRE(height.ok());
    return *height;
  };

  CHECK_FALSE(locate({}).has_value());
  CHECK_FALSE(locate({unknown}).has_value());
  CHECK(locate({at[5].tip.hash(), at[4].tip.hash()}) == 5u);
  CHECK(locate({unknown, at[3].tip.hash(), at[1].tip.hash()}) == 3u);
  CHECK(locate({s[1].block.hash(), s[0].block.hash(), at[2].tip.hash(), at[0].tip.hash()}) == 2u);
  CHECK(locate({at[0].tip.hash()}) == 0u);
  CHECK_FALSE(locate(std::vector<crypto::Hash256>(BlockStore::kLocatorMax, unknown)).has_value());
  CHECK_FALSE(
      store->locate(std::vector<crypto::Hash256>(BlockStore::kLocatorMax + 1, at[1].tip.hash()))
          .ok());

  // After a reorg onto the side branch (its stored blocks become best), the old main blocks
  // above the fork no longer match.
  std::vector<BranchBlock> branch = s;
  for (const auto& entry : grow(side, 2, 90))
    branch.push_back(entry);
  require_ok(store->reorg(2, at[2].tip.hash(), branch));
  CHECK(locate({at[5].tip.hash(), at[4].tip.hash(), at[2].tip.hash()}) == 2u);
  CHECK(locate({s[1].block.hash(), at[2].tip.hash()}) == 4u);
  CHECK(side_hashes(*store) == sorted({at[3].tip.hash(), at[4].tip.hash(), at[5].tip.hash()}));
}

TEST_CASE("block store chain_tips lists the head and every side block without a child",
          "[store][reorg]") {
  TestChain chain;
  CHECK(tips_of(*open_store(":memory:")).empty());
  auto store = open_initialized(":memory:", chain);
  CHECK(tips_of(*store) == std::vector<ChainTip>{{0, chain.tip.hash(), 0, true}});
  auto at = extend_recording(chain, *store, 5);
  // Side branch A forks after block 1 (blocks 2, 3, 4), B after block 3 (block 4).
  TestChain a_chain = at[1];
  std::vector<BranchBlock> a = grow(a_chain, 3, 500);
  TestChain b_chain = at[3];
  std::vector<BranchBlock> b = grow(b_chain, 1, 600);
  for (const auto& entry : a)
    require_ok(store->store_side_block(entry.block));
  require_ok(store->store_side_block(b[0].block));

  auto by_height_then_hash = [](std::vector<ChainTip> tips) {
    std::sort(tips.begin(), tips.end(), [](const ChainTip& x, const ChainTip& y) {
      if (x.height != y.height)
        return x.height > y.height;
      if (x.active != y.active)
        return x.active;
      return x.hash < y.hash;
    });
    return tips;
  };
  CHECK(tips_of(*store) == by_height_then_hash({{5, at[5].tip.hash(), 0, true},
                                                {4, a[2].block.hash(), 3, false},
                                                {4, b[0].block.hash(), 1, false}}));

  // Branch A wins with one more block: the old main blocks 2..5 now hang off block 1, and
  // B forks from the old main block 3, also a side block now.
  std::vector<BranchBlock> branch = a;
  for (const auto& entry : grow(a_chain, 1, 700))
    branch.push_back(entry);
  require_ok(store->reorg(1, at[1].tip.hash(), branch));
  CHECK(tips_of(*store) == by_height_then_hash({{5, a_chain.tip.hash(), 0, true},
                                                {5, at[5].tip.hash(), 4, false},
                                                {4, b[0].block.hash(), 3, false}}));
}

namespace {

// What a refused reorg must leave exactly as it was.
struct Snapshot {
  std::optional<std::uint64_t> head_height;
  crypto::Hash256 head_hash;
  std::map<Address, Account> accounts;
  std::vector<crypto::Hash256> side;
  std::vector<ChainTip> tips;
  std::uint64_t indexed_height = 0;
  std::size_t unindexed_count = 0;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const BlockStore& store, const Genesis& genesis) {
  auto head = store.head();
  REQUIRE(head.ok());
  return Snapshot{store.head_height(),    head->hash(),   stored_state(store, genesis).accounts(),
                  side_hashes(store),     tips_of(store), store.indexed_height(),
                  store.unindexed_count()};
}

}  // namespace

TEST_CASE("block store refuses a bad reorg and changes nothing", "[store][reorg]") {
  TestChain chain;
  auto store = open_initialized(":memory:", chain);
  auto at = extend_recording(chain, *store, 2);
  require_ok(store->index_transactions());  // a refused reorg to block 1 keeps the index
  for (std::size_t i = 0; i < 2; ++i) {
    chain.extend(*store, 6, 20 + i);
    at.push_back(chain);
  }
  TestChain side = at[3];
  require_ok(store->store_side_block(grow(side, 1, 30).front().block));
  TestChain b_chain = at[1];
  const std::vector<BranchBlock> b = grow(b_chain, 4, 400);  // heights 2..5
  const crypto::Hash256 fork = at[1].tip.hash();
  const Snapshot before = snapshot(*store, chain.genesis);

  auto refused = [&](std::uint64_t fork_height, const crypto::Hash256& fork_hash,
                     const std::vector<BranchBlock>& branch, const std::string& reason) {
    Status status = store->reorg(fork_height, fork_hash, branch);
    INFO("expected a refusal for: " << reason);
    REQUIRE_FALSE(status.ok());
    INFO(status.message());
    CHECK(status.message().find(reason) != std::string::npos);
    CHECK(snapshot(*store, chain.genesis) == before);
    require_at(*store, chain, {at[1].tip, at[2].tip, at[3].tip, at[4].tip});
  };
  refused(5, fork, b, "above the head");
  refused(1, at[2].tip.hash(), b, "not the best block");
  refused(1, crypto::sha256(as_bytes("elsewhere")), b, "not the best block");
  refused(1, fork, {}, "at least one");
  refused(0, at[0].tip.hash(), b, "height");
  refused(1, fork, {b[0], b[2], b[3]}, "height");
  auto unlinked = b;
  unlinked[2].block.header.prev_hash = b[0].block.hash();
  refused(1, fork, unlinked, "link");
  auto wrong_before = b;  // the last block's diff does not start where the one before ends
  auto& change = wrong_before[3].diff.changes.front();
  change.before = change.before ? std::optional<Account>() : std::optional<Account>(Account{});
  refused(1, fork, wrong_before, "state changes");
  auto swapped = b;  // each diff is right, but for the other block
  std::swap(swapped[0].diff, swapped[1].diff);
  refused(1, fork, swapped, "state changes");
  auto from_head = b;  // a diff computed on the head's state, not on the fork's
  TestChain head_chain = at[4];
  from_head[0].diff = grow(head_chain, 1, 400).front().diff;
  refused(1, fork, from_head, "state changes");
  auto miscounted = b;
  miscounted[1].tx_hashes = {crypto::sha256(as_bytes("one hash"))};
  refused(1, fork, miscounted, "transaction hashes");
  CHECK_FALSE(open_store(":memory:")->reorg(1, fork, b).ok());  // not initialised

  require_ok(store->reorg(1, fork, b));
  require_at(*store, b_chain, {at[1].tip, b[0].block, b[1].block, b[2].block, b[3].block});
}

TEST_CASE("block store is the ChainReader an engine is rebuilt from", "[store][reorg]") {
  TestChain chain;
  auto store = open_initialized(":memory:", chain);
  auto at = extend_recording(chain, *store, 2);
  TestChain side = at[1];
  Block side2 = grow(side, 1, 5).front().block;
  require_ok(store->store_side_block(side2));
  require_ok(store->put_meta("pbft/votes", Bytes{1, 2, 3}));

  const ChainReader& reader = *store;
  auto block = reader.block_at(2);
  REQUIRE(block.ok());
  CHECK(*block == std::optional<Block>(at[2].tip));
  auto by_hash = reader.block_by_hash(side2.hash());
  REQUIRE(by_hash.ok());
  CHECK(*by_hash == std::optional<Block>(side2));
  auto undo = reader.undo_at(2);
  REQUIRE(undo.ok());
  REQUIRE(undo->has_value());
  CHECK((*undo)->changes.size() > 0);
  auto side_blocks = reader.side_blocks(2);
  REQUIRE(side_blocks.ok());
  CHECK(*side_blocks == std::vector<Block>{side2});
  auto persisted = reader.persisted("pbft/votes");
  REQUIRE(persisted.ok());
  CHECK(*persisted == std::optional<Bytes>(Bytes{1, 2, 3}));
}
