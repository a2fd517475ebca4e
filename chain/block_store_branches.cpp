// BlockStore's side branches: storing side blocks, switching the best chain to another
// branch (reorg, rollback_head) in one SQLite transaction, and the queries over branches.
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "chain/block_store.h"
#include "chain/sqlite_statement.h"

namespace synod::chain {

struct BlockStore::UndoneBlock {
  std::uint64_t height = 0;
  crypto::Hash256 hash;
  StateDiff undo;
};

namespace {

// A stored block's height and parent, as chain_tips walks them.
struct BlockLink {
  std::uint64_t height = 0;
  crypto::Hash256 prev_hash;
};

}  // namespace

Status BlockStore::store_side_block(const Block& block) {
  if (!head_height_)
    return make_error("store: not initialised with a genesis");
  crypto::Hash256 hash = block.hash();
  TransactionGuard guard(db_);
  if (auto status = guard.begin(); !status)
    return status;
  auto stored = block_by_hash(hash);
  if (!stored)
    return stored.error();
  if (stored->has_value())
    return Status::success();  // already stored, best or side
  Statement parent(db_, "SELECT height FROM blocks WHERE hash = ?");
  parent.bind(1, block.header.prev_hash.view());
  int rc = parent.step();
  if (rc == SQLITE_DONE) {
    return make_error("store: side block " + std::to_string(block.header.height) +
                      " has no stored parent");
  }
  if (rc != SQLITE_ROW)
    return parent.failure("read parent");
  auto parent_height = static_cast<std::uint64_t>(parent.column_int(0));
  if (block.header.height != parent_height + 1) {
    return make_error("store: side block height " + std::to_string(block.header.height) +
                      " does not follow its parent's " + std::to_string(parent_height));
  }
  Statement insert(db_,
                   "INSERT INTO blocks(hash, height, prev_hash, best, block, undo) "
                   "VALUES(?, ?, ?, 0, ?, NULL)");
  insert.bind(1, hash.view());
  insert.bind(2, static_cast<std::int64_t>(block.header.height));
  insert.bind(3, block.header.prev_hash.view());
  insert.bind(4, block.encode());
  if (auto status = insert.run("insert side block"); !status)
    return status;
  return guard.commit();
}

Status BlockStore::reorg(std::uint64_t fork_height, const crypto::Hash256& fork_hash,
                         const std::vector<BranchBlock>& branch) {
  if (!head_height_)
    return make_error("store: not initialised with a genesis");
  // Checked inside the write transaction, so the accounts read are the ones overwritten.
  TransactionGuard guard(db_);
  if (auto status = guard.begin(); !status)
    return status;
  if (auto status = check_branch_links(fork_height, fork_hash, branch); !status)
    return status;
  auto undone = read_undone(fork_height);
  if (!undone)
    return undone.error();
  if (auto status = check_branch_accounts(*undone, branch); !status)
    return status;
  if (auto status = write_switch(fork_height, *undone, branch); !status)
    return status;
  if (auto status = guard.commit(); !status)
    return status;

  forget_undone(fork_height);
  for (const auto& entry : branch)
    remember_transactions(entry.block, entry.block.hash(), entry.tx_hashes);
  head_height_ = branch.back().block.header.height;
  head_hash_ = branch.back().block.hash();
  return Status::success();
}

Result<StateDiff> BlockStore::rollback_head() {
  if (!head_height_ || *head_height_ == 0)
    return make_error("store: nothing to roll back");
  std::uint64_t fork_height = *head_height_ - 1;
  TransactionGuard guard(db_);
  if (auto status = guard.begin(); !status)
    return status.error();
  auto fork_hash = best_hash_at(fork_height);
  if (!fork_hash)
    return fork_hash.error();
  if (!fork_hash->has_value())
    return make_error("store: block " + std::to_string(fork_height) + " missing");
  auto undone = read_undone(fork_height);
  if (!undone)
    return undone.error();
  if (auto status = write_switch(fork_height, *undone, {}); !status)
    return status.error();
  if (auto status = guard.commit(); !status)
    return status.error();

  forget_undone(fork_height);
  head_height_ = fork_height;
  head_hash_ = **fork_hash;
  return std::move(undone->front().undo);
}

Status BlockStore::check_branch_links(std::uint64_t fork_height, const crypto::Hash256& fork_hash,
                                      const std::vector<BranchBlock>& branch) const {
  if (fork_height > *head_height_) {
    return make_error("store: fork height " + std::to_string(fork_height) + " is above the head " +
                      std::to_string(*head_height_));
  }
  auto best = best_hash_at(fork_height);
  if (!best)
    return best.error();
  if (*best != fork_hash) {
    return make_error("store: the fork block is not the best block at height " +
                      std::to_string(fork_height));
  }
  if (branch.empty())
    return make_error("store: a reorg needs at least one branch block");
  std::uint64_t height = fork_height;
  crypto::Hash256 prev_hash = fork_hash;
  for (const auto& entry : branch) {
    const BlockHeader& header = entry.block.header;
    if (header.height != height + 1) {
      return make_error("store: branch block height " + std::to_string(header.height) +
                        " does not follow " + std::to_string(height));
    }
    if (header.prev_hash != prev_hash) {
      return make_error("store: branch block " + std::to_string(header.height) +
                        " does not link to the block before it");
    }
    if (!entry.tx_hashes.empty() && entry.tx_hashes.size() != entry.block.transactions.size()) {
      return make_error("store: branch block " + std::to_string(header.height) +
                        " comes with a wrong number of transaction hashes");
    }
    height = header.height;
    prev_hash = entry.block.hash();
  }
  return Status::success();
}

Result<std::vector<BlockStore::UndoneBlock>> BlockStore::read_undone(
    std::uint64_t fork_height) const {
  Statement query(db_,
                  "SELECT height, hash, undo FROM blocks WHERE best = 1 AND height > ? "
                  "ORDER BY height DESC");
  query.bind(1, static_cast<std::int64_t>(fork_height));
  std::vector<UndoneBlock> undone;
  std::uint64_t expected = *head_height_;
  int rc;
  while ((rc = query.step()) == SQLITE_ROW) {
    UndoneBlock block;
    block.height = static_cast<std::uint64_t>(query.column_int(0));
    auto hash = query.column_hash(1);
    auto undo = decode_state_diff(query.column_blob(2));
    if (block.height != expected || !hash || !undo) {
      return make_error("store: corrupt best block at height " + std::to_string(block.height) +
                        " (expected " + std::to_string(expected) + ")");
    }
    block.hash = *hash;
    block.undo = std::move(*undo);
    undone.push_back(std::move(block));
    --expected;
  }
  if (rc != SQLITE_DONE)
    return query.failure("read undo data");
  if (expected != fork_height)
    return make_error("store: best block " + std::to_string(expected) + " missing");
  return undone;
}

Status BlockStore::check_branch_accounts(const std::vector<UndoneBlock>& undone,
                                         const std::vector<BranchBlock>& branch) const {
  // Accounts as the switch leaves them so far: the stored values overlaid with its changes.
  std::map<Address, std::optional<Account>> overlay;
  auto current = [&](const Address& address) -> Result<std::optional<Account>> {
    if (auto found = overlay.find(address); found != overlay.end())
      return found->second;
    return read_account(address);
  };
  for (const UndoneBlock& block : undone) {
    for (const AccountChange& change : block.undo.changes) {
      auto value = current(change.address);
      if (!value)
        return value.error();
      if (*value != std::optional<Account>(change.after)) {
        return make_error("store: the undo data of block " + std::to_string(block.height) +
                          " does not match the stored accounts");
      }
      overlay[change.address] = change.before;
    }
  }
  for (const BranchBlock& entry : branch) {
    for (const AccountChange& change : entry.diff.changes) {
      auto value = current(change.address);
      if (!value)
        return value.error();
      if (*value != change.before) {
        return make_error("store: the state changes of branch block " +
                          std::to_string(entry.block.header.height) +
                          " do not start from the accounts before it");
      }
      overlay[change.address] = change.after;
    }
  }
  return Status::success();
}

Status BlockStore::write_switch(std::uint64_t fork_height, const std::vector<UndoneBlock>& undone,
                                const std::vector<BranchBlock>& branch) {
  // The undone blocks keep their undo data: it is still right if they become best again.
  Statement to_side(db_, "UPDATE blocks SET best = 0 WHERE hash = ?");
  for (const UndoneBlock& block : undone) {
    if (auto status = write_accounts(block.undo, /*forward=*/false); !status)
      return status;
    to_side.bind(1, block.hash.view());
    if (auto status = to_side.run("undo best block"); !status)
      return status;
    to_side.reset();
  }
  if (fork_height < indexed_height_) {
    Statement unindex(db_, "DELETE FROM transactions WHERE height > ?");
    unindex.bind(1, static_cast<std::int64_t>(fork_height));
    if (auto status = unindex.run("delete transactions"); !status)
      return status;
    if (auto status = write_indexed_height(fork_height); !status)
      return status;
  }
  for (const BranchBlock& entry : branch) {
    if (auto status = write_best_block(entry.block, entry.diff); !status)
      return status;
  }
  return Status::success();
}

void BlockStore::forget_undone(std::uint64_t fork_height) {
  indexed_height_ = std::min(indexed_height_, fork_height);
  std::erase_if(unindexed_,
                [fork_height](const auto& entry) { return entry.second.height > fork_height; });
}

Result<std::optional<std::uint64_t>> BlockStore::best_height_of(const crypto::Hash256& hash) const {
  count_block_read();
  Statement query(db_, "SELECT height FROM blocks WHERE hash = ? AND best = 1");
  query.bind(1, hash.view());
  int rc = query.step();
  if (rc == SQLITE_DONE)
    return std::optional<std::uint64_t>{};
  if (rc != SQLITE_ROW)
    return query.failure("read best height");
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(query.column_int(0)));
}

Result<std::optional<std::uint64_t>> BlockStore::locate(
    const std::vector<crypto::Hash256>& locator) const {
  if (locator.size() > kLocatorMax) {
    return make_error("store: a locator of " + std::to_string(locator.size()) +
                      " hashes is longer than " + std::to_string(kLocatorMax));
  }
  for (const auto& hash : locator) {
    auto height = best_height_of(hash);
    if (!height || height->has_value())
      return height;
  }
  return std::optional<std::uint64_t>{};
}

Result<std::vector<Block>> BlockStore::side_blocks(std::uint64_t min_height) const {
  std::vector<Block> blocks;
  if (min_height > static_cast<std::uint64_t>(INT64_MAX))
    return blocks;
  Statement query(db_,
                  "SELECT block FROM blocks WHERE best = 0 AND height >= ? ORDER BY height, hash");
  query.bind(1, static_cast<std::int64_t>(min_height));
  int rc;
  while ((rc = query.step()) == SQLITE_ROW) {
    auto block = decode_block(query.column_blob(0));
    if (!block)
      return make_error("store: corrupt side block: " + block.message());
    blocks.push_back(std::move(*block));
  }
  if (rc != SQLITE_DONE)
    return query.failure("read side blocks");
  return blocks;
}

Result<std::vector<ChainTip>> BlockStore::chain_tips() const {
  std::vector<ChainTip> tips;
  // One snapshot for every query below, and the head read from it rather than from this
  // instance's cache: another connection (the node's storage thread) may have moved it.
  TransactionGuard snapshot(db_);
  if (auto status = snapshot.begin_read(); !status)
    return status.error();
  Statement head(db_,
                 "SELECT height, hash FROM blocks WHERE best = 1 ORDER BY height DESC LIMIT 1");
  int head_rc = head.step();
  if (head_rc == SQLITE_DONE)
    return tips;
  if (head_rc != SQLITE_ROW)
    return head.failure("read head");
  auto head_hash = head.column_hash(1);
  if (!head_hash)
    return make_error("store: corrupt head hash");
  tips.push_back(ChainTip{static_cast<std::uint64_t>(head.column_int(0)), *head_hash, 0, true});
  // Every child of a side block is a side block, so the side tips are the side blocks that
  // no side block names as its parent.
  std::map<crypto::Hash256, BlockLink> side;
  Statement query(db_, "SELECT hash, height, prev_hash FROM blocks WHERE best = 0");
  int rc;
  while ((rc = query.step()) == SQLITE_ROW) {
    auto hash = query.column_hash(0);
    auto prev_hash = query.column_hash(2);
    if (!hash || !prev_hash)
      return make_error("store: corrupt side block hashes");
    side[*hash] = BlockLink{static_cast<std::uint64_t>(query.column_int(1)), *prev_hash};
  }
  if (rc != SQLITE_DONE)
    return query.failure("read side blocks");
  std::set<crypto::Hash256> parents;
  for (const auto& [hash, link] : side)
    parents.insert(link.prev_hash);
  for (const auto& [hash, link] : side) {
    if (parents.count(hash) != 0)
      continue;
    std::uint64_t length = 0;
    crypto::Hash256 cursor = hash;
    for (auto found = side.find(cursor); found != side.end() && length <= side.size();
         found = side.find(cursor)) {
      ++length;
      cursor = found->second.prev_hash;
    }
    auto fork_height = best_height_of(cursor);
    if (!fork_height)
      return fork_height.error();
    if (!fork_height->has_value() || **fork_height + length != link.height) {
      return make_error("store: side block " + std::to_string(link.height) +
                        " does not descend from the best chain");
    }
    tips.push_back(ChainTip{link.height, hash, length, false});
  }
  std::sort(tips.begin(), tips.end(), [](const ChainTip& a, const ChainTip& b) {
    if (a.height != b.height)
      return a.height > b.height;
    if (a.active != b.active)
      return a.active;
    return a.hash < b.hash;
  });
  return tips;
}

}  // namespace synod::chain
