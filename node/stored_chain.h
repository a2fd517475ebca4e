// What a node has stored, as the read-only chain::ChainReader an engine is rebuilt from:
// blocks and undo data from chain.db, persisted engine records from votes.db.
//
// Lifetime: borrows both stores; used only while the engine is built.
#pragma once

#include "chain/block_store.h"
#include "chain/engine.h"

namespace synod::node {

class StoredChain final : public chain::ChainReader {
 public:
  StoredChain(const chain::BlockStore& blocks, const chain::BlockStore& records)
      : blocks_(blocks), records_(records) {}

  Result<std::optional<chain::Block>> block_at(std::uint64_t height) const override {
    return blocks_.block_at(height);
  }
  Result<std::optional<chain::Block>> block_by_hash(const crypto::Hash256& hash) const override {
    return blocks_.block_by_hash(hash);
  }
  Result<std::optional<chain::StateDiff>> undo_at(std::uint64_t height) const override {
    return blocks_.undo_at(height);
  }
  Result<std::vector<chain::Block>> side_blocks(std::uint64_t min_height) const override;
  Result<std::optional<Bytes>> persisted(const std::string& key) const override {
    return records_.get_meta(key);
  }

 private:
  const chain::BlockStore& blocks_;
  const chain::BlockStore& records_;
};

}  // namespace synod::node
