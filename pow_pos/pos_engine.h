// The proof-of-stake engine: a deterministic, sans-I/O state machine (chain/engine.h) for
// a chain whose blocks are signed by stake-lottery winners (pos_rules.h), with the
// nothing-at-stake slasher.
//
// It shares the Nakamoto core with the PoW engine (nakamoto_core.h): the block tree with
// longest-chain fork choice (ties to the lowest hash), orphans, reorgs with undo, the
// mempool after a switch (so evidence of an abandoned branch goes back to the mempool),
// locator sync and recovery. What it adds:
//
// - Proposing (a validator): every second (kSlotTimer) and whenever the best tip moves it
//   draws its ticket for the current second on the best tip, once per (tip, second); a win
//   makes a block (mempool batch, block reward, roots, the difficulty the chain requires)
//   that it signs, broadcasts and appends.
// - The slasher (every node): each block that joins the tree is a signed header; a second,
//   different header by the same proposer at the same height is the offence, and the node
//   puts an evidence transaction signed by its own key into its mempool, so its next block
//   carries it. Headers are remembered for evidence_window blocks.
// - `--byzantine double-sign`: the validator also draws tickets on the best tip's parent
//   and on every other leaf of its block tree within kSideLeafMaxLag (2) blocks of the
//   tip, each in that block's state (NakamotoCore::with_state_at), so it signs on every
//   branch it sees near the tip — siblings of its own blocks included, which is exactly
//   what the slasher catches — and keeps losing branches growing.
//
// Thread safety: none (one driver thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chain/engine.h"
#include "pow_pos/nakamoto_engine.h"
#include "pow_pos/uint256.h"

namespace synod::pow_pos {

struct PosCounters {
  std::uint64_t tickets_drawn = 0;
  std::uint64_t slots_won = 0;
  std::uint64_t double_signs_seen = 0;       // offences the slasher detected
  std::uint64_t evidence_submitted = 0;      // evidence transactions it put in the mempool
  std::uint64_t evidence_not_submitted = 0;  // the mempool refused them
  std::uint64_t dropped_transactions = 0;    // mempool transactions a block could not execute
  std::uint64_t byzantine_blocks = 0;        // blocks signed off the best tip (double-sign)
};

class PosEngine final : public NakamotoEngine {
 public:
  enum Timer : std::uint32_t { kSyncTimer = 1, kSlotTimer = 2 };
  static constexpr const char* kDoubleSign = "double-sign";
  // How far below the best tip a double-signer still extends a side branch's leaf. Signing
  // costs it nothing, so it signs wherever its block could still win: a leaf level with the
  // tip (a tie the lowest hash decides), one block behind (a branch a reorg just abandoned),
  // or two behind, which two of its blocks bring level again. Each such leaf costs it one
  // state move a second; a branch three behind would need three of its blocks in a row,
  // before the best chain's next one, merely to tie, which seldom happens.
  static constexpr std::uint64_t kSideLeafMaxLag = 2;
  static_assert(kSideLeafMaxLag >= 1, "the tip's parent keeps its tickets");

  // Builds the engine from a PoS genesis and the stored chain. Fails on a genesis of
  // another mode, a missing mempool, a participant index or key that does not match the
  // genesis, a full node without upstreams, an unknown Byzantine behaviour, or a store
  // that is inconsistent.
  static Result<std::unique_ptr<PosEngine>> create(chain::EngineSetup setup);
  ~PosEngine() override;

  Actions start(TimeMs now) override;
  Actions on_transactions(TimeMs now) override;
  Actions on_timer(std::uint32_t id, TimeMs now) override;

  nlohmann::json status(TimeMs now) const override;
  nlohmann::json consensus_dump(TimeMs now) const override;
  nlohmann::json validator_facts() const override;
  std::vector<chain::MetricSample> metrics() const override;
  std::string progress_note() const override;

  // For tests and tools.
  const PosCounters& pos_counters() const;
  Uint256 next_difficulty() const;  // of a block on the best tip

  struct Impl;  // pos_engine_impl.h

 private:
  explicit PosEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace synod::pow_pos
