// A proof-of-work node's store, in memory: every stored block by hash (the best chain and
// side branches), the best chain by height with each block's state diff (its undo data),
// the state after the best head, and the PersistAction records.
//
// It carries out AppendBlockAction, ReorgAction and StoreSideBlockAction as node/'s SQLite
// store does, and refuses (with a one-line error, changing nothing) what the engine
// contract forbids: an append that does not extend the head, a reorg whose fork block is
// not on the best chain or whose branch does not link up, transaction hashes that are not
// the block's. Whether the blocks are *valid* is the invariant checker's business
// (pow_invariants.h). Every change is reported as a StoreChange so checkers can follow it.
//
// It reads back as the chain::ChainReader a restarted engine is built from, and answers a
// peer's locator from its best chain. Blocks are never deleted (simulations are short).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chain/engine.h"
#include "chain/genesis.h"
#include "pow_pos/pow_rules.h"

namespace synod::sim {

// One block that joined the best chain, with the state it was applied to.
struct AppliedBlock {
  chain::Block block;
  chain::StateDiff diff;
  chain::State before;
};

// What one append or reorg did to the best chain.
struct StoreChange {
  std::uint64_t fork_height = 0;     // the highest block kept (the old head for an append)
  std::vector<chain::Block> undone;  // blocks taken off the best chain, lowest first
  std::vector<AppliedBlock> applied;
};

class PowStore final : public chain::ChainReader {
 public:
  explicit PowStore(const chain::Genesis& genesis);

  Result<StoreChange> append(chain::AppendBlockAction action);
  Result<StoreChange> reorg(chain::ReorgAction action);
  // Keeps a block off the best chain (a no-op for a block already stored).
  void store_side(chain::Block block);
  void persist(const std::string& key, Bytes value) { kv_[key] = std::move(value); }

  const chain::Block& head() const { return at(height()); }
  std::uint64_t height() const { return best_.size() - 1; }
  const chain::State& state() const { return state_; }
  const chain::Block& at(std::uint64_t height) const;  // best chain; height <= height()
  const chain::Block* find(const crypto::Hash256& hash) const;
  bool on_best_chain(const crypto::Hash256& hash) const;
  std::size_t stored_blocks() const { return blocks_.size(); }

  // The height of the first hash of `locator` on the best chain; nullopt if none is.
  std::optional<std::uint64_t> locate(const std::vector<crypto::Hash256>& locator) const;
  // Up to `max_blocks` best-chain blocks from `from_height` on, stopping before the first
  // one `may_serve` refuses (a withholding attacker serves only what it published).
  std::vector<chain::Block> serve(std::uint64_t from_height, std::uint32_t max_blocks,
                                  const std::function<bool(const chain::Block&)>& may_serve) const;

  // The best chain's blocks below `height`, newest first, at most `count`, as difficulty
  // adjustment and the timestamp rule read them: each with its PoW seal's target or its
  // PoS seal's difficulty (zero for block 0).
  std::vector<pow_pos::ChainPoint> points_below(std::uint64_t height, std::size_t count) const;

  // chain::ChainReader
  Result<std::optional<chain::Block>> block_at(std::uint64_t height) const override;
  Result<std::optional<chain::Block>> block_by_hash(const crypto::Hash256& hash) const override;
  Result<std::optional<chain::StateDiff>> undo_at(std::uint64_t height) const override;
  Result<std::vector<chain::Block>> side_blocks(std::uint64_t min_height) const override;
  Result<std::optional<Bytes>> persisted(const std::string& key) const override;

 private:
  struct Stored {
    chain::Block block;
    std::optional<chain::StateDiff> diff;  // set once the block was on the best chain
  };

  Status check_append(const chain::AppendBlockAction& action, const crypto::Hash256& parent,
                      std::uint64_t parent_height) const;
  void apply(chain::AppendBlockAction action, StoreChange& change);

  std::map<crypto::Hash256, Stored> blocks_;
  std::vector<crypto::Hash256> best_;  // best_[h]: the best chain's block at height h
  chain::State state_;
  std::map<std::string, Bytes> kv_;
};

}  // namespace synod::sim
