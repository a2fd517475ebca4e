// The block store's SQLite schema and the migration from the schema before side branches.
#include <sqlite3.h>

#include <string>

#include "chain/block_store.h"
#include "chain/sqlite_statement.h"

namespace synod::chain {
namespace {

// Version 2. A block row is best (on the best chain, with undo data) or side (undo data
// optional). The partial unique index `blocks_best_chain` is the best chain's height ->
// block index and lets SQLite refuse two best blocks at one height; `blocks_side` finds the
// side blocks without scanning the best chain.
constexpr const char* kBlockColumns = R"sql(
  hash      BLOB NOT NULL UNIQUE,
  height    INTEGER NOT NULL,
  prev_hash BLOB NOT NULL,
  best      INTEGER NOT NULL CHECK (best IN (0, 1)),
  block     BLOB NOT NULL,
  undo      BLOB CHECK (best = 0 OR undo IS NOT NULL)
)sql";

constexpr const char* kOtherTables = R"sql(
CREATE UNIQUE INDEX IF NOT EXISTS blocks_best_chain ON blocks(height) WHERE best = 1;
CREATE INDEX IF NOT EXISTS blocks_side ON blocks(height) WHERE best = 0;
CREATE TABLE IF NOT EXISTS transactions (
  hash   BLOB PRIMARY KEY,
  height INTEGER NOT NULL,
  idx    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS transactions_by_height ON transactions(height);
CREATE TABLE IF NOT EXISTS accounts (
  address BLOB PRIMARY KEY,
  value   BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
)sql";

// Version 1 kept the best chain only: blocks(height INTEGER PRIMARY KEY, hash UNIQUE, block,
// undo). Its rows become best blocks; prev_hash is read out of the encoded block, which starts
// with the header (u64 height, then the 32-byte prev_hash: bytes 9..40 in SQL's 1-based
// substr). migrate_from_v1 then checks that every best block links to the one below it.
constexpr const char* kCopyV1Blocks = R"sql(
INSERT INTO blocks_v2(hash, height, prev_hash, best, block, undo)
  SELECT hash, height, substr(block, 9, 32), 1, block, undo FROM blocks ORDER BY height;
DROP TABLE blocks;
ALTER TABLE blocks_v2 RENAME TO blocks;
)sql";

constexpr const char* kCountBrokenLinks = R"sql(
SELECT count(*) FROM blocks child
  LEFT JOIN blocks parent ON parent.best = 1 AND parent.height = child.height - 1
  WHERE child.best = 1 AND (length(child.prev_hash) != 32 OR
                            (child.height > 0 AND parent.hash IS NOT child.prev_hash))
)sql";

Status create_blocks_table(sqlite3* db, const char* name) {
  std::string sql = std::string("CREATE TABLE IF NOT EXISTS ") + name + " (" + kBlockColumns + ")";
  return exec(db, sql.c_str(), "create blocks table");
}

Result<std::int64_t> query_number(sqlite3* db, const char* sql, const char* what) {
  Statement query(db, sql);
  if (query.step() != SQLITE_ROW)
    return query.failure(what);
  return query.column_int(0);
}

}  // namespace

Status BlockStore::create_schema() {
  // One transaction with the write lock: two instances opening the same old database do not
  // both migrate it, and a crash mid-migration leaves the old schema.
  TransactionGuard guard(db_);
  if (auto status = guard.begin(); !status)
    return status;
  auto version = query_number(db_, "PRAGMA user_version", "read schema version");
  if (!version)
    return version.error();
  if (*version == kSchemaVersion)
    return guard.commit();
  if (*version != 0) {
    return make_error("store: schema version " + std::to_string(*version) +
                      " is not one this build reads (" + std::to_string(kSchemaVersion) + ")");
  }
  auto old_tables = query_number(
      db_, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'blocks'",
      "read schema");
  if (!old_tables)
    return old_tables.error();
  if (*old_tables != 0) {
    if (auto status = migrate_from_v1(); !status)
      return status;
  }
  if (auto status = create_blocks_table(db_, "blocks"); !status)
    return status;
  if (auto status = exec(db_, kOtherTables, "create schema"); !status)
    return status;
  std::string set_version = "PRAGMA user_version = " + std::to_string(kSchemaVersion);
  if (auto status = exec(db_, set_version.c_str(), "write schema version"); !status)
    return status;
  return guard.commit();
}

// Runs inside create_schema's transaction.
Status BlockStore::migrate_from_v1() {
  if (auto status = create_blocks_table(db_, "blocks_v2"); !status)
    return status;
  if (auto status = exec(db_, kCopyV1Blocks, "migrate blocks"); !status)
    return status;
  auto broken = query_number(db_, kCountBrokenLinks, "check migrated blocks");
  if (!broken)
    return broken.error();
  if (*broken != 0) {
    return make_error("store: cannot migrate: " + std::to_string(*broken) +
                      " stored blocks do not link to the block below them");
  }
  return Status::success();
}

}  // namespace synod::chain
