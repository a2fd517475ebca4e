// Reading a store from threads other than its writer's: read-only connections, block bytes
// by height range, read transactions, and the per-thread count of block reads.
#include <sqlite3.h>

#include "chain/block_store.h"
#include "chain/sqlite_statement.h"

namespace synod::chain {
namespace {

thread_local std::uint64_t block_reads_here = 0;

}  // namespace

void BlockStore::count_block_read() {
  ++block_reads_here;
}

std::uint64_t BlockStore::block_reads_on_this_thread() {
  return block_reads_here;
}

Result<std::unique_ptr<BlockStore>> BlockStore::open_reader(const std::string& path) {
  // No SQLITE_OPEN_CREATE: a reader never makes the file it reads. Read-write at the file
  // level so that WAL's shared-memory index works as for any connection; query_only below
  // makes the connection refuse every write.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  auto opened = open_connection(path, flags, " for reading");
  if (!opened)
    return opened.error();
  sqlite3* db = *opened;
  std::unique_ptr<BlockStore> store(new BlockStore(db));
  if (auto status = exec(db, "PRAGMA query_only = 1;", "pragmas"); !status)
    return status.error();
  Statement version(db, "PRAGMA user_version");
  if (version.step() != SQLITE_ROW)
    return version.failure("read schema version");
  if (version.column_int(0) != kSchemaVersion) {
    return make_error("store: " + path + " has schema version " +
                      std::to_string(version.column_int(0)) + ", not " +
                      std::to_string(kSchemaVersion));
  }
  return store;
}

Result<std::vector<StoredBlockBytes>> BlockStore::best_block_bytes(std::uint64_t from_height,
                                                                   std::uint64_t to_height,
                                                                   std::size_t max_bytes) const {
  std::vector<StoredBlockBytes> blocks;
  if (from_height > to_height || to_height > static_cast<std::uint64_t>(INT64_MAX))
    return blocks;
  count_block_read();
  Statement query(db_,
                  "SELECT height, hash, prev_hash, block FROM blocks "
                  "WHERE best = 1 AND height BETWEEN ? AND ? ORDER BY height");
  query.bind(1, static_cast<std::int64_t>(from_height));
  query.bind(2, static_cast<std::int64_t>(to_height));
  std::size_t bytes = 0;
  int rc = SQLITE_DONE;
  while (bytes < max_bytes && (rc = query.step()) == SQLITE_ROW) {
    auto height = static_cast<std::uint64_t>(query.column_int(0));
    if (height != from_height + blocks.size())
      return blocks;  // a gap: the best chain ends below it
    auto hash = query.column_hash(1);
    auto prev_hash = query.column_hash(2);
    if (!hash || !prev_hash)
      return make_error("store: corrupt block hashes at height " + std::to_string(height));
    blocks.push_back(StoredBlockBytes{height, *hash, *prev_hash, query.column_blob(3)});
    bytes += blocks.back().bytes.size();
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return query.failure("read blocks");
  return blocks;
}

BlockStore::ReadTransaction::~ReadTransaction() {
  if (begun_)
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status BlockStore::ReadTransaction::begin() {
  auto status = exec(db_, "BEGIN", "begin read");
  begun_ = status.ok();
  return status;
}

}  // namespace synod::chain
