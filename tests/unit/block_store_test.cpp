// Unit tests for chain::BlockStore: genesis initialisation, appending blocks made by really
// executing signed transfers, reads by height, hash and transaction, rollback, the meta
// table, and reopening from disk.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/store_test_chain.h"

using namespace synod;
using namespace synod::chain;
using namespace synod::store_test;

TEST_CASE("block store initialise stores block 0 and the genesis accounts", "[store]") {
  TestChain chain;
  auto store = open_store(":memory:");
  CHECK_FALSE(store->head_height().has_value());
  CHECK_FALSE(store->head().ok());
  REQUIRE(store->initialize(chain.genesis).ok());

  Block genesis_block = make_genesis_block(chain.genesis);
  REQUIRE(store->head_height() == std::optional<std::uint64_t>(0));
  auto head = store->head();
  REQUIRE(head.ok());
  CHECK(*head == genesis_block);
  CHECK(head->header.prev_hash == chain.genesis.hash());
  State state = stored_state(*store, chain.genesis);
  CHECK(state.accounts() == chain.state.accounts());
  CHECK(state.root() == genesis_block.header.state_root);

  // Initialising again with the same genesis is a no-op.
  REQUIRE(store->initialize(chain.genesis).ok());
  CHECK(store->head_height() == std::optional<std::uint64_t>(0));
}

TEST_CASE("block store refuses a different genesis, also after reopening", "[store]") {
  TempDir dir;
  std::string path = dir.file("chain.db");
  TestChain chain;
  {
    auto store = open_initialized(path, chain);
    chain.extend(*store);
  }
  TestChain other("another-chain");
  Genesis richer = chain.genesis;
  richer.accounts.front().balance += 1;

  auto store = open_store(path);
  REQUIRE(store->head_height() == std::optional<std::uint64_t>(1));
  Status refused = store->initialize(other.genesis);
  CHECK_FALSE(refused.ok());
  CHECK(refused.message().find("different genesis") != std::string::npos);
  CHECK_FALSE(store->initialize(richer).ok());
  // The refusals changed nothing, and the right genesis is accepted.
  CHECK(store->head_height() == std::optional<std::uint64_t>(1));
  REQUIRE(store->initialize(chain.genesis).ok());
  CHECK(store->head_height() == std::optional<std::uint64_t>(1));
}

TEST_CASE("block store appends executed blocks and reads them by height and hash", "[store]") {
  TestChain chain;
  auto store = open_initialized(":memory:", chain);
  std::vector<Block> blocks{make_genesis_block(chain.genesis)};
  std::vector<StateDiff> diffs{StateDiff{}};
  for (std::size_t i = 0; i < 5; ++i) {
    Block block = chain.build(chain.transfers(10 + i, i));
    diffs.push_back(chain.advance(block));
    REQUIRE(store->append(block, diffs.back()).ok());
    blocks.push_back(block);
  }

  REQUIRE(store->head_height() == std::optional<std::uint64_t>(5));
  auto head = store->head();
  REQUIRE(head.ok());
  CHECK(*head == blocks.back());
  for (std::uint64_t h = 0; h < blocks.size(); ++h) {
    CHECK(stored_block(*store, h) == blocks[h]);
    auto by_hash = store->block_by_hash(blocks[h].hash());
    REQUIRE(by_hash.ok());
    REQUIRE(by_hash->has_value());
    CHECK(**by_hash == blocks[h]);
  }
  // The certificate is stored with the block and still verifies.
  CHECK(verify_block_certificate(stored_block(*store, 3), chain.genesis.validators,
                                 chain::SigningDomain::of(chain.genesis))
            .ok());
  for (std::uint64_t h = 1; h < blocks.size(); ++h) {
    auto undo = store->undo_at(h);
    REQUIRE(undo.ok());
    REQUIRE(undo->has_value());
    CHECK(**undo == diffs[h]);
  }

  auto missing = store->block_at(6);
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
  auto huge = store->block_at(UINT64_MAX);
  REQUIRE(huge.ok());
  CHECK_FALSE(huge->has_value());
  auto unknown = store->block_by_hash(crypto::sha256(as_bytes("no such block")));
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->has_value());
  auto no_undo = store->undo_at(6);
  REQUIRE(no_undo.ok());
  CHECK_FALSE(no_undo->has_value());
}

TEST_CASE("block store finds every stored transaction", "[store]") {
  TestChain chain;
  auto store = open_initialized(":memory:", chain);
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < 3; ++i)
    blocks.push_back(chain.extend(*store, 7, i));

  for (const Block& block : blocks) {
    for (std::uint32_t i = 0; i < block.transactions.size(); ++i) {
      auto found = store->find_transaction(block.transactions[i].hash());
      REQUIRE(found.ok());
      REQUIRE(found->has_value());
      CHECK((*found)->height == block.header.height);
      CHECK((*found)->index == i);
      CHECK((*found)->block_hash == block.hash());
    }
  }
  // A transaction that was signed but never included.
  Transaction pending = chain.transfers(1).front();
  auto absent = store->find_transaction(pending.hash());
  REQUIRE(absent.ok());
  CHECK_FALSE(absent->has_value());
}

TEST_CASE("block store refuses a block at the wrong height or with the wrong prev_hash",
          "[store]") {
  TestChain chain;
  auto empty = open_store(":memory:");
  Block first = chain.build(chain.transfers(3));
  State scratch = chain.state;
  auto first_diff = scratch.apply_block(first);
  REQUIRE(first_diff.ok());
  CHECK_FALSE(empty->append(first, *first_diff).ok());  // not initialised

  auto store = open_initialized(":memory:", chain);
  Block genesis_block = make_genesis_block(chain.genesis);

  Block skipping = first;
  skipping.header.height = 2;
  Status status = store->append(skipping, *first_diff);
  CHECK_FALSE(status.ok());
  CHECK(status.message().find("height") != std::string::npos);

  Block repeating = first;
  repeating.header.height = 0;
  CHECK_FALSE(store->append(repeating, *first_diff).ok());

  Block unlinked = first;
  unlinked.header.prev_hash = crypto::sha256(as_bytes("elsewhere"));
  status = store->append(unlinked, *first_diff);
  CHECK_FALSE(status.ok());
  CHECK(status.message().find("link") != std::string::npos);

  // Nothing was written by the refusals.
  CHECK(store->head_height() == std::optional<std::uint64_t>(0));
  CHECK(stored_state(*store, chain.genesis).root() == genesis_block.header.state_root);
  auto lost = store->find_transaction(first.transactions.front().hash());
  REQUIRE(lost.ok());
  CHECK_FALSE(lost->has_value());

  // The right block still goes in, and the same block cannot go in twice.
  StateDiff diff = chain.advance(first);
  REQUIRE(store->append(first, diff).ok());
  CHECK_FALSE(store->append(first, diff).ok());
  CHECK(store->head_height() == std::optional<std::uint64_t>(1));
}

TEST_CASE(
    "block store rollback_head restores accounts, removes the transaction index and keeps "
    "the block as a side block",
    "[store]") {
  TestChain chain;
  auto store = open_initialized(":memory:", chain);
  Block genesis_block = make_genesis_block(chain.genesis);
  std::vector<crypto::Hash256> roots{genesis_block.header.state_root};
  std::vector<Block> blocks{genesis_block};
  std::vector<StateDiff> diffs{StateDiff{}};
  for (std::size_t i = 0; i < 3; ++i) {
    Block block = chain.build(chain.transfers(9, i, 3));  // also creates accounts
    diffs.push_back(chain.advance(block));
    REQUIRE(store->append(block, diffs.back()).ok());
    blocks.push_back(block);
    roots.push_back(block.header.state_root);
  }
  REQUIRE(stored_state(*store, chain.genesis).root() == roots[3]);

  for (std::uint64_t h = 3; h >= 1; --h) {
    auto undo = store->rollback_head();
    INFO((undo ? std::string() : undo.message()));
    REQUIRE(undo.ok());
    CHECK(*undo == diffs[h]);
    REQUIRE(store->head_height() == std::optional<std::uint64_t>(h - 1));
    auto head = store->head();
    REQUIRE(head.ok());
    CHECK(*head == blocks[h - 1]);
    State state = stored_state(*store, chain.genesis);
    CHECK(state.root() == roots[h - 1]);
    chain.state.revert(diffs[h]);
    CHECK(state.accounts() == chain.state.accounts());
    for (const auto& tx : blocks[h].transactions) {
      auto found = store->find_transaction(tx.hash());
      REQUIRE(found.ok());
      CHECK_FALSE(found->has_value());
    }
    // The block left the best chain but stays stored, as a side block.
    auto off_best = store->block_at(h);
    REQUIRE(off_best.ok());
    CHECK_FALSE(off_best->has_value());
    auto kept = store->block_by_hash(blocks[h].hash());
    REQUIRE(kept.ok());
    REQUIRE(kept->has_value());
    CHECK(**kept == blocks[h]);
  }

  // Block 0 never goes, and a refused rollback changes nothing.
  CHECK_FALSE(store->rollback_head().ok());
  CHECK(store->head_height() == std::optional<std::uint64_t>(0));
  CHECK(stored_state(*store, chain.genesis).root() == roots[0]);

  // A different block 1 (a reorg) can follow.
  chain.tip = genesis_block;
  Block replacement = chain.extend(*store, 4, 5);
  CHECK(replacement.hash() != blocks[1].hash());
  CHECK(store->head_height() == std::optional<std::uint64_t>(1));
  CHECK(stored_state(*store, chain.genesis).root() == replacement.header.state_root);
}

TEST_CASE("block store rollback_head is refused on an empty store", "[store]") {
  auto store = open_store(":memory:");
  CHECK_FALSE(store->rollback_head().ok());
}

TEST_CASE("block store meta values can be put, read, replaced and deleted", "[store]") {
  TempDir dir;
  std::string path = dir.file("meta.db");
  Bytes vote{1, 2, 3, 4, 5};
  {
    auto store = open_store(path);  // meta does not need a genesis
    auto missing = store->get_meta("pbft/vote");
    REQUIRE(missing.ok());
    CHECK_FALSE(missing->has_value());

    REQUIRE(store->put_meta("pbft/vote", Bytes{9}).ok());
    REQUIRE(store->put_meta("pbft/vote", vote).ok());  // replaces
    REQUIRE(store->put_meta("other", Bytes(1000, 0xab)).ok());
    auto got = store->get_meta("pbft/vote");
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK(**got == vote);
  }
  auto store = open_store(path);
  auto got = store->get_meta("pbft/vote");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK(**got == vote);

  REQUIRE(store->delete_meta("pbft/vote").ok());
  auto deleted = store->get_meta("pbft/vote");
  REQUIRE(deleted.ok());
  CHECK_FALSE(deleted->has_value());
  REQUIRE(store->delete_meta("pbft/vote").ok());  // deleting nothing is fine
  auto other = store->get_meta("other");
  REQUIRE(other.ok());
  REQUIRE(other->has_value());
  CHECK(**other == Bytes(1000, 0xab));
}

TEST_CASE("block store meta accepts an empty value", "[store]") {
  auto store = open_store(":memory:");
  Status status = store->put_meta("marker", Bytes{});
  INFO(status.message());
  REQUIRE(status.ok());
  auto got = store->get_meta("marker");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->empty());
}

TEST_CASE("block store load_state equals the in-memory state after many blocks", "[store]") {
  TestChain chain;
  auto store = open_initialized(":memory:", chain);
  for (std::size_t i = 0; i < 20; ++i) {
    chain.extend(*store, 5 + i, i);
    State state = stored_state(*store, chain.genesis);
    REQUIRE(state.accounts() == chain.state.accounts());
    REQUIRE(state.root() == chain.state.root());
    REQUIRE(state.root() == chain.tip.header.state_root);
  }
  CHECK(chain.state.size() > kFundedCount + 1);  // fresh recipients and the fee collector
}

TEST_CASE("block store reopens from disk at its head and keeps going", "[store]") {
  TempDir dir;
  std::string path = dir.file("chain.db");
  TestChain chain;
  std::vector<Block> blocks{make_genesis_block(chain.genesis)};
  {
    auto store = open_initialized(path, chain);
    for (std::size_t i = 0; i < 6; ++i)
      blocks.push_back(chain.extend(*store, 8, i));
  }
  {
    auto store = open_store(path);
    REQUIRE(store->head_height() == std::optional<std::uint64_t>(6));
    REQUIRE(store->initialize(chain.genesis).ok());
    auto head = store->head();
    REQUIRE(head.ok());
    CHECK(*head == blocks.back());
    for (std::uint64_t h = 0; h < blocks.size(); ++h)
      CHECK(stored_block(*store, h) == blocks[h]);
    auto found = store->find_transaction(blocks[4].transactions[2].hash());
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->height == 4);
    CHECK((*found)->index == 2);

    // Replaying the stored blocks from genesis reproduces the stored state.
    State replayed = State::from_genesis(chain.genesis);
    for (std::uint64_t h = 1; h < blocks.size(); ++h)
      REQUIRE(replayed.apply_block(stored_block(*store, h)).ok());
    State loaded = stored_state(*store, chain.genesis);
    CHECK(loaded.root() == replayed.root());
    CHECK(loaded.accounts() == chain.state.accounts());

    // A node restarts from load_state and appends on top.
    chain.state = std::move(loaded);
    blocks.push_back(chain.extend(*store, 8, 99));
  }
  auto store = open_initialized(path, chain);
  REQUIRE(store->head_height() == std::optional<std::uint64_t>(7));
  auto head = store->head();
  REQUIRE(head.ok());
  CHECK(*head == blocks.back());
  CHECK(stored_state(*store, chain.genesis).accounts() == chain.state.accounts());
}

TEST_CASE("block store indexes transactions in bulk and finds them before and after", "[store]") {
  TempDir dir;
  std::string path = dir.file("chain.db");
  TestChain chain;
  auto writer = open_initialized(path, chain);
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < 4; ++i)
    blocks.push_back(chain.extend(*writer, 9, i));
  CHECK(writer->indexed_height() == 0);
  CHECK(writer->unindexed_count() == 36);
  require_found(*writer, blocks);  // from memory

  // Another connection reads the unindexed blocks back when it opens.
  auto early_reader = open_store(path);
  CHECK(early_reader->unindexed_count() == 36);
  require_found(*early_reader, blocks);

  REQUIRE(writer->index_transactions().ok());
  CHECK(writer->indexed_height() == 4);
  CHECK(writer->unindexed_count() == 0);
  require_found(*writer, blocks);  // from the index now
  auto late_reader = open_store(path);
  CHECK(late_reader->indexed_height() == 4);
  CHECK(late_reader->unindexed_count() == 0);
  require_found(*late_reader, blocks);

  // Appended after early_reader opened: it sees them once they are indexed.
  blocks.push_back(chain.extend(*writer, 5, 9));
  require_absent(*early_reader, blocks.back());
  REQUIRE(writer->index_transactions().ok());
  require_found(*early_reader, blocks);
}

TEST_CASE("block store rolls back unindexed and indexed blocks and reopens consistent", "[store]") {
  TempDir dir;
  std::string path = dir.file("chain.db");
  TestChain chain;
  auto store = open_initialized(path, chain);
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < 3; ++i)
    blocks.push_back(chain.extend(*store, 6, i));
  REQUIRE(store->index_transactions().ok());
  for (std::size_t i = 3; i < 5; ++i)
    blocks.push_back(chain.extend(*store, 6, i));
  REQUIRE(store->indexed_height() == 3);

  REQUIRE(store->rollback_head().ok());  // block 5, never indexed
  require_absent(*store, blocks[4]);
  CHECK(store->unindexed_count() == 6);
  REQUIRE(store->rollback_head().ok());  // block 4
  REQUIRE(store->rollback_head().ok());  // block 3, indexed
  require_absent(*store, blocks[2]);
  CHECK(store->indexed_height() == 2);
  CHECK(store->unindexed_count() == 0);
  blocks.resize(2);
  require_found(*store, blocks);

  store.reset();
  auto reopened = open_store(path);
  CHECK(reopened->head_height() == 2u);
  CHECK(reopened->indexed_height() == 2);
  require_found(*reopened, blocks);
}

TEST_CASE("block store reopens a store whose every block was indexed as it was appended",
          "[store]") {
  TempDir dir;
  std::string path = dir.file("chain.db");
  TestChain chain;
  std::vector<Block> blocks;
  {
    auto store = open_initialized(path, chain);
    for (std::size_t i = 0; i < 3; ++i)
      blocks.push_back(chain.extend(*store, 4, i));
    REQUIRE(store->index_transactions().ok());
    // Such a store has the index and no indexed height recorded.
    REQUIRE(store->delete_meta("store/tx_indexed_height").ok());
  }
  auto reopened = open_store(path);
  CHECK(reopened->indexed_height() == 3);
  CHECK(reopened->unindexed_count() == 0);
  require_found(*reopened, blocks);
  auto again = open_store(path);  // the height is recorded now
  CHECK(again->indexed_height() == 3);
}

TEST_CASE("block store records empty blocks as indexed, so a reopen does not reread them",
          "[store]") {
  TempDir dir;
  std::string path = dir.file("chain.db");
  TestChain chain;
  {
    auto store = open_initialized(path, chain);
    for (std::size_t i = 0; i < 3; ++i)
      chain.extend(*store, 0, i);
    CHECK(store->unindexed_blocks() == 3);
    CHECK(store->unindexed_count() == 0);
    REQUIRE(store->index_transactions().ok());
    CHECK(store->indexed_height() == 3);
    CHECK(store->unindexed_blocks() == 0);
    CHECK_FALSE(store->index_due());
  }
  auto reopened = open_store(path);
  CHECK(reopened->indexed_height() == 3);
}

TEST_CASE("block store refuses a database that cannot use write-ahead logging", "[store]") {
  TempDir dir;
  // The dot-file locking VFS has no shared memory, so SQLite keeps the rollback journal.
  auto refused = BlockStore::open("file:" + dir.file("chain.db") + "?vfs=unix-dotfile");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.message().find("cannot use write-ahead logging") != std::string::npos);
  CHECK(refused.message().find("'delete'") != std::string::npos);
  auto accepted = BlockStore::open(dir.file("other.db"));
  CHECK(accepted.ok());
}
