// Unit tests for BlockStore's schema migration: a database written before side branches were
// kept (schema version 1, blocks keyed by height) is built here with raw SQL, opened, and must
// come out as the same chain in the current schema, in one SQLite transaction.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <string>
#include <variant>
#include <vector>

#include "tests/unit/store_test_chain.h"

using namespace synod;
using namespace synod::chain;
using namespace synod::store_test;

namespace {

// The version 1 schema, as chain/block_store.cpp wrote it.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE blocks (
  height INTEGER PRIMARY KEY,
  hash   BLOB NOT NULL UNIQUE,
  block  BLOB NOT NULL,
  undo   BLOB NOT NULL
);
CREATE TABLE transactions (
  hash   BLOB PRIMARY KEY,
  height INTEGER NOT NULL,
  idx    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX transactions_by_height ON transactions(height);
CREATE TABLE accounts (
  address BLOB PRIMARY KEY,
  value   BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
)sql";

// A raw SQLite connection for writing and inspecting a database behind the store's back.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const char* sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
    INFO((message ? message : ""));
    sqlite3_free(message);
    REQUIRE(rc == SQLITE_OK);
  }
  // Runs `sql` with `values` bound in order: blobs, or integers when given as int64.
  void run(const char* sql, const std::vector<std::variant<Bytes, std::int64_t>>& values) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) == SQLITE_OK);
    for (std::size_t i = 0; i < values.size(); ++i) {
      int index = static_cast<int>(i + 1);
      if (const auto* blob = std::get_if<Bytes>(&values[i])) {
        sqlite3_bind_blob(statement, index, blob->data(), static_cast<int>(blob->size()),
                          SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_int64(statement, index, std::get<std::int64_t>(values[i]));
      }
    }
    CHECK(sqlite3_step(statement) == SQLITE_DONE);
    sqlite3_finalize(statement);
  }
  std::int64_t number(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
    std::int64_t value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

Bytes encode(const StateDiff& diff) {
  Writer out;
  write(out, diff);
  return out.take();
}

Bytes encode(const Account& account) {
  Writer out;
  out.u64(account.balance);
  out.u64(account.nonce);
  out.u64(account.stake);
  return out.take();
}

Bytes encode_u64(std::uint64_t value) {
  Writer out;
  out.u64(value);
  return out.take();
}

Bytes bytes_of(const crypto::Hash256& hash) {
  return Bytes(hash.data.begin(), hash.data.end());
}

// A version 1 database holding `blocks` (block 0 first) with their undo data `diffs`, the
// accounts of `chain`, and the transactions of blocks up to `indexed_height` in the index.
void write_v1(const std::string& path, const TestChain& chain, const std::vector<Block>& blocks,
              const std::vector<StateDiff>& diffs, std::uint64_t indexed_height) {
  RawDb db(path);
  db.exec(kSchemaV1);
  db.exec("BEGIN");
  for (std::size_t h = 0; h < blocks.size(); ++h) {
    db.run("INSERT INTO blocks(height, hash, block, undo) VALUES(?, ?, ?, ?)",
           {static_cast<std::int64_t>(h), bytes_of(blocks[h].hash()), blocks[h].encode(),
            encode(diffs[h])});
    for (std::size_t i = 0; h <= indexed_height && i < blocks[h].transactions.size(); ++i) {
      db.run("INSERT INTO transactions(hash, height, idx) VALUES(?, ?, ?)",
             {bytes_of(blocks[h].transactions[i].hash()), static_cast<std::int64_t>(h),
              static_cast<std::int64_t>(i)});
    }
  }
  for (const auto& [address, account] : chain.state.accounts()) {
    db.run("INSERT INTO accounts(address, value) VALUES(?, ?)",
           {Bytes(address.data.begin(), address.data.end()), encode(account)});
  }
  db.run("INSERT INTO meta(key, value) VALUES('store/tx_indexed_height', ?)",
         {encode_u64(indexed_height)});
  db.run("INSERT INTO meta(key, value) VALUES('pbft/votes', ?)", {Bytes{7, 7, 7}});
  db.exec("COMMIT");
}

// A chain of `count` blocks after block 0, with each block's diff (block 0's creates the
// genesis accounts, as BlockStore::initialize writes it) and the chain at each height.
struct BuiltChain {
  TestChain chain;
  std::vector<Block> blocks;
  std::vector<StateDiff> diffs;
  std::vector<TestChain> at;
};

BuiltChain build_chain(std::size_t count) {
  BuiltChain built;
  StateDiff genesis_diff;
  for (const auto& [address, account] : built.chain.state.accounts())
    genesis_diff.changes.push_back(AccountChange{address, std::nullopt, account});
  built.blocks.push_back(built.chain.tip);
  built.diffs.push_back(genesis_diff);
  built.at.push_back(built.chain);
  for (std::size_t i = 0; i < count; ++i) {
    Block block = built.chain.build(built.chain.transfers(5, i));
    built.diffs.push_back(built.chain.advance(block));
    built.blocks.push_back(block);
    built.at.push_back(built.chain);
  }
  return built;
}

}  // namespace

TEST_CASE("block store migrates a version 1 database in place", "[store][migration]") {
  TempDir dir;
  std::string path = dir.file("chain.db");
  BuiltChain built = build_chain(4);
  write_v1(path, built.chain, built.blocks, built.diffs, 2);

  {
    auto store = open_initialized(path, built.chain);
    REQUIRE(store->head_height() == std::optional<std::uint64_t>(4));
    for (std::uint64_t h = 0; h <= 4; ++h) {
      CHECK(stored_block(*store, h) == built.blocks[h]);
      auto by_hash = store->block_by_hash(built.blocks[h].hash());
      REQUIRE(by_hash.ok());
      CHECK(*by_hash == std::optional<Block>(built.blocks[h]));
      auto undo = store->undo_at(h);
      REQUIRE(undo.ok());
      CHECK(*undo == std::optional<StateDiff>(built.diffs[h]));
    }
    CHECK(store->indexed_height() == 2);
    CHECK(store->unindexed_count() == 10);
    require_found(*store, {built.blocks.begin() + 1, built.blocks.end()});
    State state = stored_state(*store, built.chain.genesis);
    CHECK(state.accounts() == built.chain.state.accounts());
    CHECK(state.root() == built.blocks.back().header.state_root);
    auto votes = store->get_meta("pbft/votes");
    REQUIRE(votes.ok());
    CHECK(*votes == std::optional<Bytes>(Bytes{7, 7, 7}));
    auto tips = store->chain_tips();
    REQUIRE(tips.ok());
    CHECK(*tips == std::vector<ChainTip>{{4, built.blocks.back().hash(), 0, true}});
  }
  {
    RawDb raw(path);
    CHECK(raw.number("PRAGMA user_version") == BlockStore::kSchemaVersion);
    CHECK(raw.number("SELECT count(*) FROM sqlite_master WHERE name = 'blocks_v2'") == 0);
    CHECK(raw.number("SELECT count(*) FROM blocks WHERE best = 1") == 5);
  }

  // The migrated store reorgs like any other (undoing indexed block 2 and unindexed 3 and 4),
  // and reopens without migrating again.
  TestChain branch_chain = built.at[1];
  std::vector<BranchBlock> branch;
  for (std::size_t i = 0; i < 4; ++i) {
    Block block = branch_chain.build(branch_chain.transfers(5, 50 + i), 1);
    branch.push_back(BranchBlock{block, branch_chain.advance(block), {}});
  }
  require_ok(open_store(path)->reorg(1, built.blocks[1].hash(), branch));
  auto store = open_store(path);
  REQUIRE(store->head_height() == std::optional<std::uint64_t>(5));
  CHECK(stored_state(*store, built.chain.genesis).accounts() == branch_chain.state.accounts());
  CHECK(store->indexed_height() == 1);
  for (std::size_t h = 2; h <= 4; ++h)
    require_not_at(*store, built.blocks[h]);
  std::vector<Block> best{built.blocks[1]};
  for (const auto& entry : branch)
    best.push_back(entry.block);
  require_found(*store, best);
  auto tips = store->chain_tips();
  REQUIRE(tips.ok());
  CHECK(*tips == std::vector<ChainTip>{{5, branch.back().block.hash(), 0, true},
                                       {4, built.blocks[4].hash(), 3, false}});
}

TEST_CASE("block store leaves a version 1 database it cannot migrate as it was",
          "[store][migration]") {
  TempDir dir;
  std::string path = dir.file("chain.db");
  BuiltChain built = build_chain(3);
  // Block 2 in the old table does not link to block 1.
  built.blocks[2].header.prev_hash = crypto::sha256(as_bytes("elsewhere"));
  write_v1(path, built.chain, built.blocks, built.diffs, 0);

  auto opened = BlockStore::open(path);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.message().find("migrate") != std::string::npos);
  RawDb raw(path);
  CHECK(raw.number("PRAGMA user_version") == 0);
  CHECK(raw.number("SELECT count(*) FROM pragma_table_info('blocks') WHERE name = 'best'") == 0);
  CHECK(raw.number("SELECT count(*) FROM sqlite_master WHERE name = 'blocks_v2'") == 0);
  CHECK(raw.number("SELECT count(*) FROM blocks") == 4);
}

TEST_CASE("block store writes its schema version and refuses an unknown one",
          "[store][migration]") {
  TempDir dir;
  std::string path = dir.file("chain.db");
  {
    TestChain chain;
    open_initialized(path, chain);
  }
  {
    RawDb raw(path);
    CHECK(raw.number("PRAGMA user_version") == BlockStore::kSchemaVersion);
    raw.exec("PRAGMA user_version = 3");
  }
  auto opened = BlockStore::open(path);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.message().find("schema version 3") != std::string::npos);
}
