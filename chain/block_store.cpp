#include "chain/block_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cassert>

#include "chain/sqlite_statement.h"

namespace synod::chain {
namespace {

constexpr const char* kIndexedHeightKey = "store/tx_indexed_height";

Bytes encode_height(std::uint64_t height) {
  Writer out;
  out.u64(height);
  return out.take();
}

// balance | nonce | stake, then, only for an account with PoS fields (state.h), unbonding |
// unbonding_height | slashed_height | offence_height: older stores read unchanged.
Bytes encode_account(const Account& account) {
  Writer out;
  out.u64(account.balance);
  out.u64(account.nonce);
  out.u64(account.stake);
  if (account.has_pos_fields()) {
    out.u64(account.unbonding);
    out.u64(account.unbonding_height);
    out.u64(account.slashed_height);
    out.u64(account.offence_height);
  }
  return out.take();
}

Result<Account> decode_account(ByteView bytes) {
  return decode_all<Account>(bytes, "stored account", [](Reader& in) {
    Account account;
    account.balance = in.u64();
    account.nonce = in.u64();
    account.stake = in.u64();
    if (in.ok() && in.remaining() > 0) {
      account.unbonding = in.u64();
      account.unbonding_height = in.u64();
      account.slashed_height = in.u64();
      account.offence_height = in.u64();
      if (in.ok() && !account.has_pos_fields())
        in.fail("PoS fields stored for an account without them (non-canonical)");
    }
    return account;
  });
}

Bytes encode_diff(const StateDiff& diff) {
  Writer out;
  write(out, diff);
  return out.take();
}

// SQLite answers a journal_mode request with the mode it really chose, which is not WAL on
// file systems that cannot share memory between processes. Without WAL a reader blocks the
// block writer and vice versa, so the node refuses to run rather than stall.
Status check_journal_mode(sqlite3* db, const std::string& path) {
  Statement query(db, "PRAGMA journal_mode");
  if (query.step() != SQLITE_ROW)
    return make_error("store: cannot read the journal mode of " + path);
  std::string mode = query.column_text(0);
  // An in-memory database (tests) has no file to log beside.
  if (mode == "wal" || (mode == "memory" && path == ":memory:"))
    return Status::success();
  return make_error("store: " + path +
                    " cannot use write-ahead logging (SQLite chose journal mode '" + mode +
                    "'); put the data directory on a local file system");
}

}  // namespace

Result<std::unique_ptr<BlockStore>> BlockStore::open(const std::string& path) {
  // URI names let tests pick a VFS (see check_journal_mode).
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  auto opened = open_connection(path, flags, "");
  if (!opened)
    return opened.error();
  sqlite3* db = *opened;
  std::unique_ptr<BlockStore> store(new BlockStore(db));
  // A 16 MiB page cache (SQLite's default is 2 MiB) keeps the transaction index's upper
  // levels and recent leaves in memory, and a 16 MiB WAL between checkpoints lets a page
  // that several blocks touch reach the database file once.
  if (auto status = exec(db,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                         "PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=4000;",
                         "pragmas");
      !status) {
    return status.error();
  }
  if (auto status = check_journal_mode(db, path); !status)
    return status.error();
  if (auto status = store->create_schema(); !status)
    return status.error();
  if (auto status = store->load_head(); !status)
    return status.error();
  if (auto status = store->load_index_state(); !status)
    return status.error();
  return store;
}

BlockStore::~BlockStore() {
  sqlite3_close(db_);
}

Status BlockStore::load_head() {
  Statement query(db_,
                  "SELECT height, hash FROM blocks WHERE best = 1 ORDER BY height DESC LIMIT 1");
  int rc = query.step();
  if (rc == SQLITE_DONE) {
    head_height_.reset();
    return Status::success();
  }
  if (rc != SQLITE_ROW)
    return query.failure("read head");
  auto hash = query.column_hash(1);
  if (!hash)
    return make_error("store: corrupt head hash");
  head_height_ = static_cast<std::uint64_t>(query.column_int(0));
  head_hash_ = *hash;
  return Status::success();
}

Status BlockStore::load_index_state() {
  indexed_height_ = 0;
  unindexed_.clear();
  if (!head_height_)
    return Status::success();  // empty: initialize() records height 0
  auto stored = get_meta(kIndexedHeightKey);
  if (!stored)
    return stored.error();
  if (!stored->has_value()) {
    // Written before bulk indexing, when every block was indexed as it was appended.
    indexed_height_ = *head_height_;
    return put_meta(kIndexedHeightKey, encode_height(indexed_height_));
  }
  Reader in(**stored);
  indexed_height_ = in.u64();
  if (auto status = in.finish("indexed height"); !status)
    return make_error("store: corrupt " + std::string(kIndexedHeightKey));
  if (indexed_height_ > *head_height_)
    return make_error("store: transactions indexed above the head");
  for (std::uint64_t height = indexed_height_ + 1; height <= *head_height_; ++height) {
    auto block = block_at(height);
    if (!block)
      return block.error();
    if (!block->has_value())
      return make_error("store: block " + std::to_string(height) + " missing");
    remember_transactions(**block, (*block)->hash(), {});
  }
  return Status::success();
}

Status BlockStore::index_transactions() {
  if (!head_height_ || (unindexed_.empty() && indexed_height_ == *head_height_))
    return Status::success();
  // Sorted by hash, the inserts walk the index once from left to right.
  std::vector<std::pair<crypto::Hash256, TxLocation>> sorted(unindexed_.begin(), unindexed_.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first.data < b.first.data; });
  std::uint64_t through = *head_height_;
  TransactionGuard guard(db_);
  if (auto status = guard.begin(); !status)
    return status;
  Statement insert_tx(db_, "INSERT OR IGNORE INTO transactions(hash, height, idx) VALUES(?, ?, ?)");
  for (const auto& [tx_hash, location] : sorted) {
    insert_tx.bind(1, tx_hash.view());
    insert_tx.bind(2, static_cast<std::int64_t>(location.height));
    insert_tx.bind(3, static_cast<std::int64_t>(location.index));
    if (auto status = insert_tx.run("index transaction"); !status)
      return status;
    insert_tx.reset();
  }
  if (auto status = write_indexed_height(through); !status)
    return status;
  if (auto status = guard.commit(); !status)
    return status;
  indexed_height_ = through;
  unindexed_.clear();
  return Status::success();
}

Status BlockStore::initialize(const Genesis& genesis) {
  Block genesis_block = make_genesis_block(genesis);
  if (head_height_) {
    auto stored = block_at(0);
    if (!stored)
      return stored.error();
    if (!stored->has_value() || (*stored)->hash() != genesis_block.hash()) {
      return make_error("store: the data directory belongs to a different genesis");
    }
    return Status::success();
  }
  State initial = State::from_genesis(genesis);
  StateDiff diff;
  for (const auto& [address, account] : initial.accounts()) {
    diff.changes.push_back(AccountChange{address, std::nullopt, account});
  }
  TransactionGuard guard(db_);
  if (auto status = guard.begin(); !status)
    return status;
  if (auto status = write_best_block(genesis_block, diff); !status)
    return status;
  if (auto status = write_indexed_height(0); !status)
    return status;
  if (auto status = guard.commit(); !status)
    return status;
  indexed_height_ = 0;
  head_height_ = 0;
  head_hash_ = genesis_block.hash();
  return Status::success();
}

Status BlockStore::write_best_block(const Block& block, const StateDiff& diff) {
  // A block stored as a side block before keeps its row and becomes best; the block bytes
  // written last win (a certificate may have been added since).
  Statement upsert(db_,
                   "INSERT INTO blocks(hash, height, prev_hash, best, block, undo) "
                   "VALUES(?, ?, ?, 1, ?, ?) ON CONFLICT(hash) DO UPDATE SET "
                   "best = 1, block = excluded.block, undo = excluded.undo");
  upsert.bind(1, block.hash().view());
  upsert.bind(2, static_cast<std::int64_t>(block.header.height));
  upsert.bind(3, block.header.prev_hash.view());
  upsert.bind(4, block.encode());
  upsert.bind(5, encode_diff(diff));
  if (auto status = upsert.run("insert block"); !status)
    return status;
  return write_accounts(diff, /*forward=*/true);
}

Status BlockStore::write_accounts(const StateDiff& diff, bool forward) {
  Statement upsert(db_, "INSERT OR REPLACE INTO accounts(address, value) VALUES(?, ?)");
  Statement erase(db_, "DELETE FROM accounts WHERE address = ?");
  if (!upsert.prepared() || !erase.prepared())
    return upsert.failure("prepare accounts");
  for (const auto& change : diff.changes) {
    std::optional<Account> value = forward ? std::optional<Account>(change.after) : change.before;
    Statement& statement = value ? upsert : erase;
    statement.bind(1, change.address.view());
    if (value)
      statement.bind(2, encode_account(*value));
    if (auto status = statement.run("write account"); !status)
      return status;
    statement.reset();
  }
  return Status::success();
}

Status BlockStore::write_indexed_height(std::uint64_t height) {
  return put_meta(kIndexedHeightKey, encode_height(height));
}

Result<std::optional<Account>> BlockStore::read_account(const Address& address) const {
  Statement query(db_, "SELECT value FROM accounts WHERE address = ?");
  query.bind(1, address.view());
  int rc = query.step();
  if (rc == SQLITE_DONE)
    return std::optional<Account>{};
  if (rc != SQLITE_ROW)
    return query.failure("read account");
  auto account = decode_account(query.column_blob(0));
  if (!account)
    return make_error("store: " + account.message());
  return std::optional<Account>(*account);
}

void BlockStore::remember_transactions(const Block& block, const crypto::Hash256& block_hash,
                                       const std::vector<crypto::Hash256>& tx_hashes) {
  assert(tx_hashes.empty() || tx_hashes.size() == block.transactions.size());
  std::uint64_t height = block.header.height;
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    crypto::Hash256 tx_hash = tx_hashes.empty() ? block.transactions[i].hash() : tx_hashes[i];
    unindexed_.emplace(tx_hash, TxLocation{height, static_cast<std::uint32_t>(i), block_hash});
  }
}

Status BlockStore::append(const Block& block, const StateDiff& diff) {
  std::vector<crypto::Hash256> tx_hashes;
  tx_hashes.reserve(block.transactions.size());
  for (const auto& tx : block.transactions)
    tx_hashes.push_back(tx.hash());
  return append(block, diff, tx_hashes);
}

Status BlockStore::append(const Block& block, const StateDiff& diff,
                          const std::vector<crypto::Hash256>& tx_hashes) {
  assert(tx_hashes.size() == block.transactions.size());
  if (!head_height_)
    return make_error("store: not initialised with a genesis");
  if (block.header.height != *head_height_ + 1) {
    return make_error("store: block height " + std::to_string(block.header.height) +
                      " does not extend head " + std::to_string(*head_height_));
  }
  if (block.header.prev_hash != head_hash_) {
    return make_error("store: block " + std::to_string(block.header.height) +
                      " does not link to the head's hash");
  }
  TransactionGuard guard(db_);
  if (auto status = guard.begin(); !status)
    return status;
  if (auto status = write_best_block(block, diff); !status)
    return status;
  if (auto status = guard.commit(); !status)
    return status;
  head_height_ = block.header.height;
  head_hash_ = block.hash();
  remember_transactions(block, head_hash_, tx_hashes);
  return Status::success();
}

Result<std::optional<Block>> BlockStore::read_block_where(const char* sql, ByteView key,
                                                          std::int64_t number) const {
  count_block_read();
  Statement query(db_, sql);
  if (key.empty()) {
    query.bind(1, number);
  } else {
    query.bind(1, key);
  }
  int rc = query.step();
  if (rc == SQLITE_DONE)
    return std::optional<Block>{};
  if (rc != SQLITE_ROW)
    return query.failure("read block");
  Bytes bytes = query.column_blob(0);
  auto block = decode_block(bytes);
  if (!block)
    return make_error("store: corrupt block: " + block.message());
  return std::optional<Block>(std::move(*block));
}

Result<Block> BlockStore::head() const {
  if (!head_height_)
    return make_error("store: empty");
  auto block = block_at(*head_height_);
  if (!block)
    return block.error();
  if (!block->has_value())
    return make_error("store: head block missing");
  return std::move(**block);
}

Result<std::optional<Block>> BlockStore::block_at(std::uint64_t height) const {
  if (height > static_cast<std::uint64_t>(INT64_MAX))
    return std::optional<Block>{};
  return read_block_where("SELECT block FROM blocks WHERE height = ? AND best = 1", {},
                          static_cast<std::int64_t>(height));
}

Result<std::optional<Block>> BlockStore::block_by_hash(const crypto::Hash256& hash) const {
  return read_block_where("SELECT block FROM blocks WHERE hash = ?", hash.view(), 0);
}

Result<std::optional<TxLocation>> BlockStore::find_transaction(
    const crypto::Hash256& tx_hash) const {
  count_block_read();
  if (auto pending = unindexed_.find(tx_hash); pending != unindexed_.end()) {
    // Another instance may have undone the block since this one remembered it.
    auto best = best_hash_at(pending->second.height);
    if (!best)
      return best.error();
    if (*best == pending->second.block_hash)
      return std::optional<TxLocation>(pending->second);
  }
  Statement query(db_,
                  "SELECT t.height, t.idx, b.hash FROM transactions t JOIN blocks b "
                  "ON b.height = t.height AND b.best = 1 WHERE t.hash = ?");
  query.bind(1, tx_hash.view());
  int rc = query.step();
  if (rc == SQLITE_DONE)
    return std::optional<TxLocation>{};
  if (rc != SQLITE_ROW)
    return query.failure("find transaction");
  TxLocation location;
  location.height = static_cast<std::uint64_t>(query.column_int(0));
  location.index = static_cast<std::uint32_t>(query.column_int(1));
  auto block_hash = query.column_hash(2);
  if (!block_hash)
    return make_error("store: corrupt block hash");
  location.block_hash = *block_hash;
  return std::optional<TxLocation>(location);
}

Result<std::optional<crypto::Hash256>> BlockStore::best_hash_at(std::uint64_t height) const {
  if (height > static_cast<std::uint64_t>(INT64_MAX))
    return std::optional<crypto::Hash256>{};
  Statement query(db_, "SELECT hash FROM blocks WHERE height = ? AND best = 1");
  query.bind(1, static_cast<std::int64_t>(height));
  int rc = query.step();
  if (rc == SQLITE_DONE)
    return std::optional<crypto::Hash256>{};
  if (rc != SQLITE_ROW)
    return query.failure("read best hash");
  auto hash = query.column_hash(0);
  if (!hash)
    return make_error("store: corrupt block hash");
  return std::optional<crypto::Hash256>(*hash);
}

Result<std::optional<StateDiff>> BlockStore::undo_at(std::uint64_t height) const {
  if (height > static_cast<std::uint64_t>(INT64_MAX))
    return std::optional<StateDiff>{};
  Statement query(db_, "SELECT undo FROM blocks WHERE height = ? AND best = 1");
  query.bind(1, static_cast<std::int64_t>(height));
  int rc = query.step();
  if (rc == SQLITE_DONE)
    return std::optional<StateDiff>{};
  if (rc != SQLITE_ROW)
    return query.failure("read undo data");
  auto diff = decode_state_diff(query.column_blob(0));
  if (!diff)
    return make_error("store: corrupt undo data: " + diff.message());
  return std::optional<StateDiff>(std::move(*diff));
}

Result<State> BlockStore::load_state(const SigningDomain& domain) const {
  State state(domain);
  StateDiff all;
  Statement query(db_, "SELECT address, value FROM accounts ORDER BY address");
  int rc;
  while ((rc = query.step()) == SQLITE_ROW) {
    Bytes address = query.column_blob(0);
    if (address.size() != Address::kSize)
      return make_error("store: corrupt account address");
    auto account = decode_account(query.column_blob(1));
    if (!account)
      return make_error("store: " + account.message());
    all.changes.push_back(AccountChange{Address::from(address), std::nullopt, *account});
  }
  if (rc != SQLITE_DONE)
    return query.failure("read accounts");
  state.apply(all);
  return state;
}

Status BlockStore::put_meta(const std::string& key, ByteView value) {
  Statement statement(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
  statement.bind(1, key);
  // SQLite binds a null data pointer as NULL, which the NOT NULL column refuses; an empty
  // value (an empty vector's data() is null) must be bound as a zero-length blob instead.
  static constexpr std::uint8_t kNoBytes[1] = {0};
  statement.bind(2, value.empty() ? ByteView(kNoBytes, 0) : value);
  return statement.run("put meta");
}

Result<std::optional<Bytes>> BlockStore::get_meta(const std::string& key) const {
  Statement query(db_, "SELECT value FROM meta WHERE key = ?");
  query.bind(1, key);
  int rc = query.step();
  if (rc == SQLITE_DONE)
    return std::optional<Bytes>{};
  if (rc != SQLITE_ROW)
    return query.failure("get meta");
  return std::optional<Bytes>(query.column_blob(0));
}

Status BlockStore::delete_meta(const std::string& key) {
  Statement statement(db_, "DELETE FROM meta WHERE key = ?");
  statement.bind(1, key);
  return statement.run("delete meta");
}

}  // namespace synod::chain
