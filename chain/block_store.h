// The block store: one SQLite database per node (WAL mode, synchronous=FULL).
//
// append() writes a block, its certificate, its state changes and its undo data in one
// SQLite transaction, so after a crash (kill -9, power loss) the store reopens at exactly its
// last committed block, with the accounts table matching it. rollback_head() undoes the
// newest block for proof-of-work / proof-of-stake reorgs.
//
// The transaction index (hash -> height, position) is written in bulk: transaction hashes
// are random, so indexing each block as it comes dirtied about one B-tree page per
// transaction, the largest cost of a store at full load. Transactions of blocks above
// indexed_height() are kept in memory and go into the index kIndexBatch at a time, sorted,
// in one SQLite transaction with the new indexed height. After a restart they are read
// back from the blocks. find_transaction() sees indexed blocks, the blocks that were not
// indexed when this instance opened, and the blocks it appended itself.
//
// A small key-value table (`meta`) holds what the consensus engines must persist beyond
// blocks, such as the PBFT votes a replica has signed.
//
// Not thread-safe: one owner uses a BlockStore at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/result.h"
#include "chain/block.h"
#include "chain/state.h"
#include "crypto/keyed_hash.h"

struct sqlite3;

namespace synod::chain {

struct TxLocation {
  std::uint64_t height = 0;
  std::uint32_t index = 0;
  crypto::Hash256 block_hash;
};

class BlockStore {
 public:
  // Opens (creating if needed) the database at `path`; ":memory:" works for tests.
  static Result<std::unique_ptr<BlockStore>> open(const std::string& path);
  ~BlockStore();
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  // Stores block 0 and the genesis accounts if the store is empty; otherwise checks that
  // the stored block 0 is this genesis' block.
  Status initialize(const Genesis& genesis);

  // Appends the block at head+1 whose prev_hash is the head's hash, with the state changes
  // it made (the diff from State::apply_block).
  Status append(const Block& block, const StateDiff& diff);
  // The same, with the hashes of the block's transactions already computed by the caller
  // (one per transaction, in order; a mismatch in count is a programming error).
  Status append(const Block& block, const StateDiff& diff,
                const std::vector<crypto::Hash256>& tx_hashes);
  // Removes the newest block (never block 0) and restores the accounts it changed.
  // Returns the undo diff that was applied.
  Result<StateDiff> rollback_head();

  std::optional<std::uint64_t> head_height() const { return head_height_; }
  Result<Block> head() const;
  Result<std::optional<Block>> block_at(std::uint64_t height) const;
  Result<std::optional<Block>> block_by_hash(const crypto::Hash256& hash) const;
  Result<std::optional<TxLocation>> find_transaction(const crypto::Hash256& tx_hash) const;

  // Blocks up to this height have their transactions in the SQL index.
  std::uint64_t indexed_height() const { return indexed_height_; }
  // Transactions appended (or found at open) above indexed_height().
  std::size_t unindexed_count() const { return unindexed_.size(); }
  std::uint64_t unindexed_blocks() const { return head_height_.value_or(0) - indexed_height_; }
  // Writes every unindexed transaction into the index and records the head as indexed, in
  // one SQLite transaction (also when no transaction waits: a reopen reads back only the
  // blocks above the indexed height).
  Status index_transactions();
  // A writer indexes when either many transactions or many blocks wait.
  bool index_due() const {
    return unindexed_count() >= kIndexBatch || unindexed_blocks() >= kIndexBlocks;
  }
  static constexpr std::size_t kIndexBatch = 32'768;
  static constexpr std::uint64_t kIndexBlocks = 1'024;
  // Undo data stored with the block at `height`.
  Result<std::optional<StateDiff>> undo_at(std::uint64_t height) const;

  // The accounts table as a State.
  Result<State> load_state(const std::string& chain_id) const;

  Status put_meta(const std::string& key, ByteView value);
  Result<std::optional<Bytes>> get_meta(const std::string& key) const;
  Status delete_meta(const std::string& key);

 private:
  explicit BlockStore(sqlite3* db) : db_(db) {}
  Status create_schema();
  Status load_head();
  // Reads the indexed height (an index from before bulk indexing covers every block) and
  // collects the transactions of the blocks above it.
  Status load_index_state();
  Status write_block(const Block& block, const StateDiff& diff,
                     const std::vector<crypto::Hash256>& tx_hashes);
  Result<std::optional<Block>> read_block_where(const char* sql, ByteView key,
                                                std::int64_t number) const;

  sqlite3* db_;
  std::optional<std::uint64_t> head_height_;
  crypto::Hash256 head_hash_;
  std::uint64_t indexed_height_ = 0;
  std::unordered_map<crypto::Hash256, TxLocation, crypto::KeyedHash> unindexed_;
};

}  // namespace synod::chain
