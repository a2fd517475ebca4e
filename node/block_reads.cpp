#include "node/block_reads.h"

#include <algorithm>
#include <cassert>

namespace synod::node {
namespace {

struct Located {
  std::uint64_t height = 0;
  crypto::Hash256 hash;
};

// The first locator hash on the store's best chain below `below`; nullopt if none is.
Result<std::optional<Located>> locate_below(const chain::BlockStore& store,
                                            const std::vector<crypto::Hash256>& locator,
                                            std::uint64_t below) {
  for (const auto& hash : locator) {
    auto height = store.best_height_of(hash);
    if (!height)
      return height.error();
    // At or above `below` the loop's snapshot, not the store, says what is best.
    if (height->has_value() && **height < below)
      return std::optional<Located>(Located{**height, hash});
  }
  return std::optional<Located>{};
}

// Appends the stored blocks from `from` to `to` (inclusive), up to `allowance` bytes of hex.
Status append_stored(const chain::BlockStore& store, std::uint64_t from, std::uint64_t to,
                     std::size_t allowance, BlockCells& cells) {
  // The store counts raw bytes: hex is twice as long.
  auto rows = store.best_block_bytes(from, to, allowance / 2 + allowance % 2);
  if (!rows)
    return rows.error();
  for (auto& row : *rows) {
    cells.push_back(std::make_shared<const BlockCell>(row.height, row.hash, row.prev_hash,
                                                      std::move(row.bytes)));
  }
  return Status::success();
}

// Keeps the longest prefix of `cells` in which every block follows the one before it (the
// first follows `anchor` when there is one).
void cut_where_unlinked(BlockCells& cells, const std::optional<crypto::Hash256>& anchor) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const BlockCell& cell = *cells[i];
    bool links = i == 0 ? !anchor || cell.prev_hash() == *anchor
                        : cell.prev_hash() == cells[i - 1]->hash() &&
                              cell.height() == cells[i - 1]->height() + 1;
    if (!links) {
      cells.resize(i);
      return;
    }
  }
}

}  // namespace

bool reads_store(const BlocksQuery& query) {
  return !query.locator.empty() || query.from_height < query.chain.first_unstored;
}

Result<BlockCells> read_blocks(const chain::BlockStore* store, const BlocksQuery& query,
                               std::size_t allowance) {
  const ChainSnapshot& chain = query.chain;
  std::optional<chain::BlockStore::ReadTransaction> snapshot;
  if (reads_store(query)) {
    assert(store != nullptr);
    snapshot.emplace(*store);
    if (auto status = snapshot->begin(); !status)
      return status.error();
  }
  std::uint64_t from_height = query.from_height;
  std::optional<crypto::Hash256> anchor = query.anchor;
  if (!query.locator.empty()) {
    auto located = locate_below(*store, query.locator, chain.first_unstored);
    if (!located)
      return located.error();
    from_height = located->has_value() ? (*located)->height + 1 : 1;
    if (located->has_value())
      anchor = (*located)->hash;
  }
  BlockCells cells;
  if (query.max_blocks == 0 || from_height > chain.head_height)
    return cells;
  const std::uint64_t last = std::min(chain.head_height, from_height + query.max_blocks - 1);
  const std::uint64_t stored_last = std::min(last, chain.first_unstored - 1);
  if (from_height <= stored_last) {
    if (auto status = append_stored(*store, from_height, stored_last, allowance, cells); !status)
      return status.error();
  }
  std::size_t bytes = 0;
  for (const auto& cell : cells)
    bytes += cell->hex_size();
  for (const auto& cell : chain.unstored) {
    if (bytes >= allowance || cell->height() > last)
      break;
    if (cell->height() < from_height)
      continue;
    bytes += cell->hex_size();
    cells.push_back(cell);
  }
  cut_where_unlinked(cells, anchor);
  return cells;
}

Result<std::optional<FoundBlock>> read_block(const chain::BlockStore& store,
                                             const BlockQuery& query) {
  chain::BlockStore::ReadTransaction snapshot(store);
  if (auto status = snapshot.begin(); !status)
    return status.error();
  auto block = query.height ? store.block_at(*query.height) : store.block_by_hash(*query.hash);
  if (!block)
    return block.error();
  if (!block->has_value())
    return std::optional<FoundBlock>{};
  FoundBlock found;
  const std::uint64_t height = (*block)->header.height;
  bool best = query.height.has_value();
  if (!best && height < query.first_unstored) {
    // Above it, the best block is the loop's unstored one, which the loop compared already.
    auto best_height = store.best_height_of(*query.hash);
    if (!best_height)
      return best_height.error();
    best = *best_height == height;
  }
  if (best && height <= query.head_height)
    found.confirmations = query.head_height - height + 1;
  found.block = std::make_shared<const chain::Block>(std::move(**block));
  return std::optional<FoundBlock>(std::move(found));
}

}  // namespace synod::node
