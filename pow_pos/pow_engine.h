// The proof-of-work engine: a deterministic, sans-I/O state machine (see chain/engine.h)
// for a Nakamoto chain: longest chain by most cumulative work, reorgs, mining by request.
//
// Receiving a block (a BLOCK message or a fetched batch): the cheap checks come first
// (decoding, its work against its own target, the target its parent chain requires,
// timestamps, height); then the block joins the block tree. A block whose parent is
// unknown waits in the orphan pool and the engine asks its sender for the blocks it
// misses (FetchByLocatorAction with the locator of its own best chain). Transactions are
// executed only when a block's branch has the most work: the in-memory state rolls back to
// the fork point with the undo diffs, the branch executes block by block, and then one
// AppendBlockAction per block (same chain) or ONE ReorgAction (another branch) goes out.
// A branch block that fails is marked invalid with its descendants and the engine stays
// on the best valid chain. After a reorg the abandoned blocks' transactions that are
// still valid go back to the mempool. A heavier branch forking more than max_reorg_depth
// below the best tip is refused for good (and counted). Valid blocks off the best chain go
// out as StoreSideBlockAction so the tree survives a restart.
//
// Mining (a participant with setup.mine): a template on the best tip (mempool batch,
// roots after execution including the block reward, timestamp max(now, MTP + 1), the
// expected target) goes out as MineAction; on_block_mined with the current job's nonce
// makes it a block that is broadcast and appended, and the next job starts. The template is
// rebuilt when the tip changes and, when transactions arrive, at most every
// block_interval_ms / 4 (kTemplateTimer).
//
// Sync: at start, every poll interval (kSyncTimer, rotating over the peers) and when an
// orphan arrives, a FetchByLocatorAction; a full batch in answer asks again at once.
// Peers are the genesis miners other than this node, or 0..setup.upstreams-1 for a full
// node (which follows and never mines).
//
// Recovery: the engine rebuilds its tree from the store (ChainReader): the best chain's
// last blocks (undo diffs for the top max_reorg_depth), the side blocks above the reorg
// horizon, and the cumulative work from a persisted anchor (key kWorkAnchorKey, a block
// deeper than any reorg) or, without one, from block 0.
//
// Thread safety: none (one driver thread).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chain/engine.h"
#include "pow_pos/nakamoto_engine.h"
#include "pow_pos/pow_rules.h"
#include "pow_pos/uint256.h"

namespace synod::pow_pos {

class PowEngine final : public NakamotoEngine {
 public:
  enum Timer : std::uint32_t { kSyncTimer = 1, kTemplateTimer = 2 };
  // PersistAction key of the work anchor: u64 height | 32 hash | 32 cumulative work (BE).
  static constexpr const char* kWorkAnchorKey = "pow/work_anchor";

  // Builds the engine from a PoW genesis and the stored chain. Fails on a genesis of
  // another mode, a missing mempool, a participant index or key that does not match the
  // genesis, a full node without upstreams, Byzantine behaviours (none exist yet), or a
  // store that is inconsistent.
  static Result<std::unique_ptr<PowEngine>> create(chain::EngineSetup setup);
  ~PowEngine() override;

  Actions start(TimeMs now) override;
  Actions on_transactions(TimeMs now) override;
  Actions on_timer(std::uint32_t id, TimeMs now) override;
  Actions on_block_mined(std::uint64_t job, std::uint64_t nonce, TimeMs now) override;

  nlohmann::json status(TimeMs now) const override;
  nlohmann::json consensus_dump(TimeMs now) const override;
  nlohmann::json validator_facts() const override;
  std::vector<chain::MetricSample> metrics() const override;
  std::string progress_note() const override;

  // For tests and tools.
  Uint256 tip_work() const;
  Uint256 next_target() const;        // the target of a block on the best tip
  std::uint64_t current_job() const;  // 0: not mining
  std::size_t orphan_count() const;
  bool mining() const;

  struct Impl;  // the engine's state: pow_engine_impl.h (around nakamoto_core.h)

 private:
  explicit PowEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace synod::pow_pos
