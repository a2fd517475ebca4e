// One best-chain block as the JSON-RPC serves it (get_block, get_blocks and their long polls):
// its hash and its parent's, its canonical bytes and their hex. A block the storage thread has
// not written yet is shared from memory and encoded on first use; one read from the store
// comes with its bytes as stored. Bytes and hex are each made at most once, on whichever
// thread needs them first (an RPC thread, never the event loop), and every answer holding the
// cell shares them: 256 long polls answered with one new block encode it once.
//
// Thread safety: immutable but for the bytes and hex, which are made under std::call_once;
// any thread may use a cell.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "base/bytes.h"
#include "chain/block.h"
#include "crypto/sha256.h"

namespace synod::node {

class BlockCell {
 public:
  // A block in memory, with its hash (which the caller computed already).
  BlockCell(std::shared_ptr<const chain::Block> block, const crypto::Hash256& hash);
  // A block read from the store: its height, hashes and canonical bytes.
  BlockCell(std::uint64_t height, const crypto::Hash256& hash, const crypto::Hash256& prev_hash,
            Bytes bytes);
  BlockCell(const BlockCell&) = delete;
  BlockCell& operator=(const BlockCell&) = delete;

  std::uint64_t height() const { return height_; }
  const crypto::Hash256& hash() const { return hash_; }
  const crypto::Hash256& prev_hash() const { return prev_hash_; }
  // The block itself when it is in memory; null for one read from the store.
  const std::shared_ptr<const chain::Block>& block() const { return block_; }

  const Bytes& bytes() const;
  std::size_t hex_size() const { return 2 * bytes().size(); }
  const std::string& hex() const;

  // Blocks encoded for answers on the calling thread, and in the whole process: tests check
  // that the event loop encodes none and that shared answers encode each block once.
  static std::uint64_t encodes_on_this_thread();
  static std::uint64_t encodes_total();

 private:
  const std::shared_ptr<const chain::Block> block_;
  const std::uint64_t height_;
  const crypto::Hash256 hash_;
  const crypto::Hash256 prev_hash_;
  mutable std::once_flag encoded_;
  mutable Bytes bytes_;  // written once, under encoded_ (at construction for a stored block)
  mutable std::once_flag hexed_;
  mutable std::string hex_;  // written once, under hexed_
};

}  // namespace synod::node
