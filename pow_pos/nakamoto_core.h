// The engine core the Nakamoto-style modes share (proof-of-work, proof-of-stake): the
// block tree with fork choice, the orphan pool, switching the best chain (appends and
// reorgs, invalid branches, the mempool after a switch), locator sync, pruning, the
// chain-work anchor, recovery from the store and rejection records. The mode-specific parts
// come in through ChainRules (checks) and the producer hook (mining, the stake lottery).
// The files nakamoto_*.cpp implement it, one job each. Internal to pow_pos/.
//
// Thread safety: none (one driver thread, through the engine that owns it).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain/genesis.h"
#include "chain/mempool.h"
#include "pow_pos/block_tree.h"
#include "pow_pos/chain_rules.h"
#include "pow_pos/orphan_pool.h"
#include "pow_pos/pow_engine.h"

namespace synod::pow_pos {

// The timer the core's periodic sync runs on; engines number their own timers above it.
inline constexpr std::uint32_t kCoreSyncTimer = 1;
static_assert(PowEngine::kSyncTimer == kCoreSyncTimer);

// Limits and tuning derived from the genesis and the node's setup.
struct PowLimits {
  std::uint64_t sync_interval_ms = 0;
  std::uint64_t fetch_timeout_ms = 0;
  std::uint32_t fetch_batch_blocks = 0;
  std::uint64_t retained_depth = 0;  // blocks kept below the best tip
  std::size_t max_tree_blocks = 0;
  std::size_t max_orphans = 0;
  std::size_t max_orphan_bytes = 0;
  std::size_t max_recent_rejections = 32;
  std::uint64_t anchor_interval = 64;
};

struct RejectionRecord {
  crypto::Hash256 hash;
  std::uint64_t height = 0;
  std::optional<PeerIndex> from;
  std::string reason;  // a Rejection's name, or "error"
  std::string detail;
  TimeMs at_ms = 0;
};

struct WorkAnchor {
  std::uint64_t height = 0;
  crypto::Hash256 hash;
  Uint256 chain_work;
};

// What a block producer of either mode puts in its next block (nakamoto_produce.cpp).
struct BlockBatch {
  std::vector<chain::Transaction> transactions;
  std::vector<crypto::Hash256> tx_hashes;
  chain::Execution execution;  // not ok(): even the shortened batch fails (the reward)
  std::size_t dropped = 0;     // transactions that failed, removed from the mempool
};

// How far apply_branch got: every block of the branch, or up to the one that failed.
struct BranchRun {
  std::size_t applied = 0;         // blocks applied to the state, oldest first
  std::optional<Verdict> failure;  // the verdict of branch[applied], which failed
};

struct NakamotoCore {
  NakamotoCore(chain::EngineSetup& setup, std::unique_ptr<const ChainRules> chain_rules,
               BlockTree block_tree, PowLimits engine_limits);

  // Configuration.
  std::shared_ptr<const chain::Genesis> genesis;
  std::unique_ptr<const ChainRules> rules;
  const ChainShape& shape;
  crypto::KeyPair key;
  std::optional<chain::ReplicaIndex> participant;
  chain::Mempool& mempool;
  chain::SignatureCheck signature_check;
  std::vector<PeerIndex> peers;
  PowLimits limits;
  crypto::Hash256 genesis_block_hash;

  // The chain.
  BlockTree tree;
  OrphanPool orphans;
  crypto::Hash256 active;  // best tip; the state is the state after it
  chain::State state;
  std::optional<WorkAnchor> anchor;

  // Called after the best tip moved (the engine's producer: mine or try the lottery on the
  // new tip), and for every block that joined the tree (the slasher watches headers).
  std::function<void(TimeMs now, Actions& out)> on_tip_changed;
  std::function<void(const TreeEntry& entry, TimeMs now, Actions& out)> on_block_admitted;

  // Sync.
  std::size_t next_peer = 0;
  std::map<PeerIndex, TimeMs> fetch_deadline;  // a fetch in flight per peer

  // Reports.
  PowCounters counters;
  std::deque<RejectionRecord> recent;
  mutable PowCounters noted;  // as of the last progress_note()
  mutable std::uint64_t noted_height = 0;

  const TreeEntry& tip() const { return *tree.find(active); }
  bool on_active_chain(const TreeEntry& entry) const;

  // nakamoto_receive.cpp
  // A BLOCK message from a peer: decoded (a malformed one is recorded) and received.
  void receive_message(chain::ReplicaIndex from, ByteView message, TimeMs now, Actions& out);
  void receive(std::vector<chain::Block> blocks, std::optional<PeerIndex> from, bool relay,
               TimeMs now, Actions& out);
  std::optional<crypto::Hash256> admit(std::shared_ptr<const chain::Block> block,
                                       std::optional<PeerIndex> from, TimeMs now, Actions& out);
  Verdict check_context(const chain::Block& block, std::optional<TimeMs> now) const;
  void connect_orphans(const crypto::Hash256& parent, TimeMs now, Actions& out,
                       std::vector<crypto::Hash256>& inserted);
  void record(const crypto::Hash256& hash, std::uint64_t height, std::optional<PeerIndex> from,
              const Verdict& verdict, TimeMs now);
  // A block this node made, already executed on the tip: into the tree, out to the peers,
  // and onto the best chain.
  void add_own_block(chain::Block block, chain::StateDiff diff,
                     std::vector<crypto::Hash256> tx_hashes, TimeMs now, Actions& out);

  // nakamoto_produce.cpp
  // A mempool batch of at most `max_transactions` and `room_bytes` that executes on
  // `parent_state` at `height`, `reward` minted to this node. A transaction the mempool
  // thought valid may fail (PoS evidence that expired, or whose offender was slashed
  // meanwhile): it leaves the mempool, and the batch stops before it.
  BlockBatch select_block_batch(chain::State& parent_state, std::uint64_t height,
                                std::size_t room_bytes, std::uint64_t max_transactions,
                                std::uint64_t reward);
  // The header of this node's block with `batch` on `parent` (whose state is
  // `parent_state`): all but the timestamp and the seal.
  chain::BlockHeader child_header(const TreeEntry& parent, const BlockBatch& batch,
                                  chain::State& parent_state) const;

  // nakamoto_chain.cpp
  void activate_best(TimeMs now, Actions& out);
  bool switch_to(const TreeEntry& fork, const TreeEntry& target, TimeMs now, Actions& out);
  void refuse_deep_reorg(const TreeEntry& fork, const TreeEntry& target, TimeMs now);
  void emit_switch(const TreeEntry& fork, const std::vector<const TreeEntry*>& undone,
                   const std::vector<const TreeEntry*>& branch, Actions& out);
  void update_mempool(const std::vector<const TreeEntry*>& undone,
                      const std::vector<const TreeEntry*>& branch);
  void after_tip_change(TimeMs now, Actions& out);
  void prune();
  void persist_anchor(Actions& out);
  // The start of an engine: switch to the best stored branch, produce, sync.
  void start(TimeMs now, Actions& out);

  // nakamoto_branch_state.cpp
  // Calls `use` with the state moved to the state after `entry` (the best chain's blocks
  // undone down to the fork point, then `entry`'s branch applied, as a reorg does), then
  // moves it back to the best tip's, exactly. A block of that branch not executed yet is
  // executed with the mode's rules and keeps its diff; one that fails is marked invalid
  // and recorded, as a reorg would. `use` must leave the state as it found it and must not
  // change the tree (it may change the mempool: a producer's batch drops what fails in
  // that state, as select_block_batch says). Returns false, without calling `use`, when `entry` is
  // invalid or not in the tree, a block it would undo has no undo data, or a block on the way
  // fails.
  bool with_state_at(const TreeEntry& entry, TimeMs now,
                     const std::function<void(chain::State&)>& use);
  void revert_newest_first(const std::vector<const TreeEntry*>& entries);
  // Applies `branch` (oldest first), executing each block not executed yet; stops before
  // the first that fails.
  BranchRun apply_branch(const std::vector<const TreeEntry*>& branch);
  // Undoes the first `applied` blocks of `branch`, then re-applies `undone`.
  void unwind_branch(const std::vector<const TreeEntry*>& branch, std::size_t applied,
                     const std::vector<const TreeEntry*>& undone);
  void reject_branch_block(const TreeEntry& bad, const Verdict& failure, TimeMs now);

  // nakamoto_sync.cpp
  void fetch(PeerIndex peer, TimeMs now, Actions& out);
  void sync_tick(TimeMs now, Actions& out);
  void fetched(PeerIndex peer, std::vector<chain::Block> blocks, TimeMs now, Actions& out);
};

// nakamoto_recovery.cpp: the core from the store (see pow_engine.h on recovery).
Result<std::unique_ptr<NakamotoCore>> recover_core(chain::EngineSetup& setup,
                                                   std::unique_ptr<const ChainRules> rules);
Bytes encode_anchor(const WorkAnchor& anchor);
Result<WorkAnchor> decode_anchor(ByteView bytes);

// nakamoto_report.cpp: the reports both modes give.
nlohmann::json counters_json(const PowCounters& counters);
std::uint64_t total_rejected(const PowCounters& counters);
std::size_t live_tips(const BlockTree& tree);
// Chain tips, recent rejections, counters, tree size: the mode-neutral consensus dump.
nlohmann::json core_dump(const NakamotoCore& core);
std::string core_progress_note(const NakamotoCore& core, const std::string& produced_verb);
// The metrics both modes export, named synod_<mode>_...
std::vector<chain::MetricSample> core_metrics(const NakamotoCore& core);

}  // namespace synod::pow_pos
