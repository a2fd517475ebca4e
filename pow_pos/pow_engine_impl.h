// The PowEngine's state and its parts, shared by the pow_engine_*.cpp files (one job each:
// receiving blocks, choosing and switching the best chain, mining, sync, recovery,
// reports). Internal to pow_pos/.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain/genesis.h"
#include "chain/mempool.h"
#include "pow_pos/block_tree.h"
#include "pow_pos/orphan_pool.h"
#include "pow_pos/pow_engine.h"

namespace synod::pow_pos {

// Limits and tuning derived from the genesis and the node's setup.
struct PowLimits {
  std::uint64_t sync_interval_ms = 0;
  std::uint64_t fetch_timeout_ms = 0;
  std::uint32_t fetch_batch_blocks = 0;
  std::uint64_t retarget_delay_ms = 0;  // least time between templates for new transactions
  std::uint64_t retained_depth = 0;     // blocks kept below the best tip
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

struct MiningJob {
  std::uint64_t job = 0;
  chain::Block block;  // nonce 0
  chain::StateDiff diff;
  std::vector<crypto::Hash256> tx_hashes;
  Uint256 target;
};

struct WorkAnchor {
  std::uint64_t height = 0;
  crypto::Hash256 hash;
  Uint256 chain_work;
};

struct PowEngine::Impl {
  Impl(chain::EngineSetup& setup, BlockTree block_tree, PowLimits engine_limits);

  // Configuration.
  std::shared_ptr<const chain::Genesis> genesis;
  const chain::PowParams& params;
  crypto::KeyPair key;
  std::optional<chain::ReplicaIndex> participant;
  chain::Mempool& mempool;
  chain::SignatureCheck signature_check;
  bool mine = false;
  std::vector<PeerIndex> peers;
  PowLimits limits;
  crypto::Hash256 genesis_block_hash;

  // The chain.
  BlockTree tree;
  OrphanPool orphans;
  crypto::Hash256 active;  // best tip; the state is the state after it
  chain::State state;
  std::optional<WorkAnchor> anchor;

  // Mining.
  std::optional<MiningJob> job;
  std::uint64_t last_job = 0;
  bool template_timer_armed = false;
  TimeMs last_template_ms = 0;

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
  bool mining_enabled() const { return mine && participant.has_value(); }

  // pow_engine_receive.cpp
  void receive(std::vector<chain::Block> blocks, std::optional<PeerIndex> from, bool relay,
               TimeMs now, Actions& out);
  std::optional<crypto::Hash256> admit(std::shared_ptr<const chain::Block> block,
                                       std::optional<PeerIndex> from, TimeMs now, Actions& out);
  Verdict check_context(const chain::Block& block, std::optional<TimeMs> now) const;
  void connect_orphans(const crypto::Hash256& parent, TimeMs now, Actions& out,
                       std::vector<crypto::Hash256>& inserted);
  void record(const crypto::Hash256& hash, std::uint64_t height, std::optional<PeerIndex> from,
              const Verdict& verdict, TimeMs now);

  // pow_engine_chain.cpp
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

  // pow_engine_mining.cpp
  void new_template(TimeMs now, Actions& out);
  void mined(std::uint64_t job_id, std::uint64_t nonce, TimeMs now, Actions& out);
  void schedule_template(TimeMs now, Actions& out);

  // pow_engine_sync.cpp
  void fetch(PeerIndex peer, TimeMs now, Actions& out);
  void sync_tick(TimeMs now, Actions& out);
  void fetched(PeerIndex peer, std::vector<chain::Block> blocks, TimeMs now, Actions& out);

  // The next block's target and median time past on `parent`; nullopt without ancestry.
  std::optional<Uint256> target_after(const crypto::Hash256& parent) const;
  std::optional<std::uint64_t> median_time_after(const crypto::Hash256& parent) const;
};

// pow_engine_recovery.cpp
Result<std::unique_ptr<PowEngine::Impl>> recover_engine(chain::EngineSetup& setup);
Bytes encode_anchor(const WorkAnchor& anchor);
Result<WorkAnchor> decode_anchor(ByteView bytes);

}  // namespace synod::pow_pos
