// get_block and get_blocks answers (long polls included), made off the event loop.
//
// The event loop, which runs consensus, only takes a snapshot that costs it next to nothing:
// the head height, the lowest height the storage thread has not written, and shared cells of
// the blocks from there on (node/block_cell.h). An RPC thread makes the rest from it: the
// SQLite reads, on its own read-only connection (node/store_readers.h) and inside one read
// transaction, and the encoding.
//
// Consistency. Heights from `first_unstored` up come from the snapshot's cells only (the store
// may still hold an older branch there, or nothing); heights below it from the store, as the
// read transaction sees it, so all of them from one best chain. Between the snapshot and the
// read the storage thread may write a proof-of-work or proof-of-stake reorg, after which the
// two parts need not join. So an answer keeps only blocks that link: each block's prev_hash is
// the hash of the one before it, and the first one's the hash of the locator block it follows
// (when located by a locator); the answer is cut where they stop linking. A client always gets
// one chain segment and, as ever, checks where it joins its own chain by the first block's
// prev_hash; an answer cut short is completed by its next request. PBFT blocks are final:
// there the two parts always join.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/result.h"
#include "chain/block_store.h"
#include "node/block_cell.h"

namespace synod::node {

using BlockCells = std::vector<std::shared_ptr<const BlockCell>>;

// What the event loop knows of the best chain when a request comes.
struct ChainSnapshot {
  std::uint64_t head_height = 0;
  // The lowest height the storage thread has not written yet (head_height + 1 when none).
  std::uint64_t first_unstored = 0;
  // The not-yet-written blocks the answer may need, by height from their first one, each
  // following the one before.
  BlockCells unstored;
};

// get_blocks: from a height, or after the first locator hash on the best chain.
struct BlocksQuery {
  ChainSnapshot chain;
  std::uint64_t max_blocks = 0;
  std::uint64_t from_height = 0;  // when the loop located the request
  // The hash of block from_height - 1 when the loop located it by a locator hash.
  std::optional<crypto::Hash256> anchor;
  // Otherwise the locator, none of whose hashes the loop found from first_unstored up: the
  // store is searched below it (nothing found: from block 1).
  std::vector<crypto::Hash256> locator;
};

// Whether the answer needs the store (a long poll's new blocks are all in memory).
bool reads_store(const BlocksQuery& query);
// The answer's blocks, in height order, stopping once their hex reaches `allowance` bytes
// (the block that crosses it included) and where they stop linking. `store`: the calling
// thread's connection, or null when !reads_store(query).
Result<BlockCells> read_blocks(const chain::BlockStore* store, const BlocksQuery& query,
                               std::size_t allowance);

// get_block of a block the loop did not find among the unstored ones: by height (below
// first_unstored) or by hash, on the best chain or a side branch.
struct BlockQuery {
  std::uint64_t head_height = 0;
  std::uint64_t first_unstored = 0;
  std::optional<std::uint64_t> height;
  std::optional<crypto::Hash256> hash;
};

struct FoundBlock {
  std::shared_ptr<const chain::Block> block;
  std::uint64_t confirmations = 0;  // 0 off the best chain
  bool in_best_chain() const { return confirmations != 0; }
};

// nullopt: no such block.
Result<std::optional<FoundBlock>> read_block(const chain::BlockStore& store,
                                             const BlockQuery& query);

}  // namespace synod::node
