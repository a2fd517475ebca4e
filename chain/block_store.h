// The block store: one SQLite database per node (WAL mode, synchronous=FULL).
//
// Every stored block is kept by hash with its height and prev_hash, whether it is on the
// best chain or on a side branch; a flag marks the best chain, and a unique index on the
// height of best blocks is the best chain's height -> hash index. Best blocks carry undo
// data (their state changes, applied backwards to undo them); a side block has none until
// it becomes best, and a best block that is undone stays stored as a side block. No block
// is ever deleted, and every stored block's parent is stored (block 0 excepted).
//
// append() writes a block, its certificate, its state changes and its undo data in one
// SQLite transaction, so after a crash (kill -9, power loss) the store reopens at exactly its
// last committed block, with the accounts table matching it. reorg() replaces the top of the
// best chain by another branch for proof-of-work / proof-of-stake reorgs, also in one SQLite
// transaction: after a crash the store is entirely at the old best chain or entirely at the
// new one. rollback_head() undoes the newest block alone.
//
// The transaction index (hash -> height, position) covers the best chain only and is written
// in bulk: transaction hashes are random, so indexing each block as it comes dirtied about
// one B-tree page per transaction, the largest cost of a store at full load. Transactions of
// blocks above indexed_height() are kept in memory and go into the index kIndexBatch at a
// time, sorted, in one SQLite transaction with the new indexed height. After a restart they
// are read back from the blocks. A reorg or rollback takes the undone blocks' transactions
// out of the index (and lowers the indexed height to the fork point). find_transaction()
// reports best-chain locations only; it sees indexed blocks, the blocks that were not indexed
// when this instance opened, and the blocks this instance wrote itself.
//
// A database written before side branches were kept (schema version 1: blocks keyed by
// height) is migrated in place by open(), in one SQLite transaction.
//
// A small key-value table (`meta`) holds what the consensus engines must persist beyond
// blocks, such as the PBFT votes a replica has signed.
//
// Not thread-safe: one owner uses a BlockStore at a time. Several BlockStore instances may
// open the same file (SQLite serialises their writes); an instance's head and unindexed
// transactions reflect what it read at open() and what it wrote itself. Readers on other
// threads open their own connection with open_reader() (block_store_reads.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "chain/block.h"
#include "chain/engine.h"
#include "chain/state.h"
#include "crypto/keyed_hash.h"

struct sqlite3;

namespace synod::chain {

struct TxLocation {
  std::uint64_t height = 0;
  std::uint32_t index = 0;
  crypto::Hash256 block_hash;
};

// A block of a reorg's new branch with the state changes it made and its transactions'
// hashes: the triple an engine's ReorgAction carries. An empty `tx_hashes` for a block that
// has transactions means "not computed": the store hashes them itself.
using BranchBlock = AppendBlockAction;

// A best-chain block as stored: its canonical bytes and the hashes that link it.
struct StoredBlockBytes {
  std::uint64_t height = 0;
  crypto::Hash256 hash;
  crypto::Hash256 prev_hash;
  Bytes bytes;
};

// The tip of a stored branch, as in Bitcoin's getchaintips.
struct ChainTip {
  std::uint64_t height = 0;
  crypto::Hash256 hash;
  // Blocks from the tip down to the branch's fork point with the best chain; 0 for the
  // active tip.
  std::uint64_t branch_length = 0;
  bool active = false;  // the best chain's head
  bool operator==(const ChainTip&) const = default;
};

class BlockStore final : public ChainReader {
 public:
  // Opens (creating if needed) the database at `path`; ":memory:" works for tests. Migrates
  // a database in the previous schema; refuses one written by a newer version.
  static Result<std::unique_ptr<BlockStore>> open(const std::string& path);
  // Another connection to the store at `path`, made by open() before, for reads only
  // (PRAGMA query_only): no schema work, and neither the head nor the transaction index's
  // state is loaded (head_height() is nullopt; use the block reads). Refuses a file whose
  // schema is not this build's.
  static Result<std::unique_ptr<BlockStore>> open_reader(const std::string& path);
  ~BlockStore() override;
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  // The schema this build writes, kept in SQLite's user_version.
  static constexpr int kSchemaVersion = 2;

  // Stores block 0 and the genesis accounts if the store is empty; otherwise checks that
  // the stored block 0 is this genesis' block.
  Status initialize(const Genesis& genesis);

  // Appends the block at head+1 whose prev_hash is the head's hash, with the state changes
  // it made (the diff from State::apply_block). A block stored as a side block before
  // becomes best.
  Status append(const Block& block, const StateDiff& diff);
  // The same, with the hashes of the block's transactions already computed by the caller
  // (one per transaction, in order; a mismatch in count is a programming error).
  Status append(const Block& block, const StateDiff& diff,
                const std::vector<crypto::Hash256>& tx_hashes);
  // Undoes the newest block (never block 0), restoring the accounts it changed; the block
  // stays stored as a side block. Returns the undo diff that was applied.
  Result<StateDiff> rollback_head();

  // Keeps a block that is not on the best chain. Refused when its parent is not stored or
  // its height is not its parent's + 1; storing a block already stored does nothing.
  Status store_side_block(const Block& block);
  // Undoes every best-chain block above `fork_height` (newest first), then appends `branch`
  // in order, in one SQLite transaction. Checked before anything is written: the best block
  // at `fork_height` has hash `fork_hash`; `branch` is non-empty, starts at fork_height + 1
  // with prev_hash `fork_hash`, and each block links to the one before; every state change's
  // `before` value is the account as the undone blocks and the branch blocks before it leave
  // it. A refused reorg changes nothing. The undone blocks stay stored as side blocks; branch
  // blocks stored as side blocks before become best.
  Status reorg(std::uint64_t fork_height, const crypto::Hash256& fork_hash,
               const std::vector<BranchBlock>& branch);
  Status reorg(const ReorgAction& action) {
    return reorg(action.fork_height, action.fork_hash, action.branch);
  }

  std::optional<std::uint64_t> head_height() const { return head_height_; }
  Result<Block> head() const;
  // Blocks of the best chain by height.
  Result<std::optional<Block>> block_at(std::uint64_t height) const override;
  // Any stored block, best or side.
  Result<std::optional<Block>> block_by_hash(const crypto::Hash256& hash) const override;
  // The height of the block `hash` if it is on the best chain; nullopt otherwise.
  Result<std::optional<std::uint64_t>> best_height_of(const crypto::Hash256& hash) const;
  // The height of the first hash of `locator` (newest first, as in Bitcoin's getblocks) that
  // is on the best chain; nullopt if none is. A locator longer than kLocatorMax is refused.
  Result<std::optional<std::uint64_t>> locate(const std::vector<crypto::Hash256>& locator) const;
  static constexpr std::size_t kLocatorMax = 101;  // Bitcoin's MAX_LOCATOR_SZ
  // Best-chain blocks from `from_height` through `to_height` as stored (not decoded), by
  // height. Stops at the first height without a best block, and after the block that brings
  // the bytes read to `max_bytes` or more.
  Result<std::vector<StoredBlockBytes>> best_block_bytes(std::uint64_t from_height,
                                                         std::uint64_t to_height,
                                                         std::size_t max_bytes) const;
  // Block reads (block_at, block_by_hash, best_block_bytes, best_height_of, so locate too)
  // and transaction lookups (find_transaction) that any store made on the calling thread:
  // tests check which threads read the store.
  static std::uint64_t block_reads_on_this_thread();

  // One SQLite read transaction on a store's connection: while it is open, every read through
  // that store sees one snapshot of the database (WAL mode), whatever another connection
  // commits meanwhile. Ended when destroyed; one at a time per store.
  class ReadTransaction {
   public:
    explicit ReadTransaction(const BlockStore& store) : db_(store.db_) {}
    ~ReadTransaction();
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;
    Status begin();

   private:
    sqlite3* db_;
    bool begun_ = false;
  };

  // Stored blocks not on the best chain with a height of at least `min_height`, by height.
  Result<std::vector<Block>> side_blocks(std::uint64_t min_height) const override;
  // The active tip (the head) and every side block with no stored child, highest first
  // (the active tip first among equals, then by hash). Scans the side blocks.
  Result<std::vector<ChainTip>> chain_tips() const;
  Result<std::optional<TxLocation>> find_transaction(const crypto::Hash256& tx_hash) const;

  // Blocks up to this height have their transactions in the SQL index.
  std::uint64_t indexed_height() const { return indexed_height_; }
  // Transactions appended (or found at open) above indexed_height().
  std::size_t unindexed_count() const { return unindexed_.size(); }
  const std::unordered_map<crypto::Hash256, TxLocation, crypto::KeyedHash>& unindexed() const {
    return unindexed_;
  }
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
  // Undo data of the best chain's block at `height`.
  Result<std::optional<StateDiff>> undo_at(std::uint64_t height) const override;

  // The accounts table as a State of the chain `domain` names (its genesis's).
  Result<State> load_state(const SigningDomain& domain) const;

  Status put_meta(const std::string& key, ByteView value);
  Result<std::optional<Bytes>> get_meta(const std::string& key) const;
  Status delete_meta(const std::string& key);
  // ChainReader: what a PersistAction stored is a meta value.
  Result<std::optional<Bytes>> persisted(const std::string& key) const override {
    return get_meta(key);
  }

 private:
  // A best-chain block a reorg undoes (block_store_branches.cpp).
  struct UndoneBlock;
  // Counts a block read for block_reads_on_this_thread().
  static void count_block_read();

  explicit BlockStore(sqlite3* db) : db_(db) {}
  // Creates the schema or migrates an older one (block_store_schema.cpp).
  Status create_schema();
  Status migrate_from_v1();
  Status load_head();
  // Reads the indexed height (an index from before bulk indexing covers every block) and
  // collects the transactions of the blocks above it.
  Status load_index_state();
  // Inserts `block` as the best block at its height (or marks the stored side block best),
  // with `diff` as its undo data, and applies `diff` to the accounts.
  Status write_best_block(const Block& block, const StateDiff& diff);
  Status write_accounts(const StateDiff& diff, bool forward);
  Status write_indexed_height(std::uint64_t height);
  Result<std::optional<Account>> read_account(const Address& address) const;
  Result<std::optional<Block>> read_block_where(const char* sql, ByteView key,
                                                std::int64_t number) const;
  Result<std::optional<crypto::Hash256>> best_hash_at(std::uint64_t height) const;
  void remember_transactions(const Block& block, const crypto::Hash256& block_hash,
                             const std::vector<crypto::Hash256>& tx_hashes);

  // Reorg steps (block_store_branches.cpp).
  Status check_branch_links(std::uint64_t fork_height, const crypto::Hash256& fork_hash,
                            const std::vector<BranchBlock>& branch) const;
  Result<std::vector<UndoneBlock>> read_undone(std::uint64_t fork_height) const;
  Status check_branch_accounts(const std::vector<UndoneBlock>& undone,
                               const std::vector<BranchBlock>& branch) const;
  // Undoes `undone` (newest first) and writes `branch` as best blocks, inside the caller's
  // SQLite transaction. An empty branch is a rollback.
  Status write_switch(std::uint64_t fork_height, const std::vector<UndoneBlock>& undone,
                      const std::vector<BranchBlock>& branch);
  // After a switch committed: the undone blocks' transactions leave the in-memory index.
  void forget_undone(std::uint64_t fork_height);

  sqlite3* db_;
  std::optional<std::uint64_t> head_height_;
  crypto::Hash256 head_hash_;
  std::uint64_t indexed_height_ = 0;
  std::unordered_map<crypto::Hash256, TxLocation, crypto::KeyedHash> unindexed_;
};

}  // namespace synod::chain
