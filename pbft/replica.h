// The PBFT replica: a deterministic, sans-I/O state machine (see chain/engine.h).
//
// Protocol choices (Castro & Liskov, OSDI 1999 / TOCS 2002, adapted to a hash-chained
// ledger):
// - One PBFT sequence number orders one block, and the sequence number is the block
//   height. The primary of view v is validator v mod n.
// - One block in flight: the primary proposes height h+1 only once h has committed
//   locally, as Tendermint and BFT-SMaRt's ledger mode do. Every proposal therefore
//   extends a committed block, which keeps the hash chain consistent across view changes;
//   throughput comes from batching (a block closes at max transactions / bytes, or after
//   batch_delay_ms).
// - Checkpoints every K blocks; 2f+1 matching signed checkpoints make one stable and let
//   the log below it go. The watermark window L bounds the sequences a replica accepts.
// - View change per the paper: VIEW-CHANGE carries the stable checkpoint proof and the
//   prepared certificates above it; NEW-VIEW carries 2f+1 view-changes and the
//   re-proposals, which every backup recomputes. Timeouts double per consecutive failed
//   view; f+1 view-changes for higher views make a replica join.
// - Crash safety: before any prepare, commit, checkpoint or view-change leaves, a
//   PersistAction records it (key kVotesKey); a restarted replica never signs a message
//   that conflicts with one it signed before.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "chain/engine.h"
#include "chain/genesis.h"
#include "chain/mempool.h"
#include "pbft/planted_bug.h"
#include "pbft/primary_monitor.h"

namespace synod::pbft {

using chain::Actions;
using chain::ReplicaIndex;
using chain::TimeMs;

struct ReplicaConfig {
  std::shared_ptr<const chain::Genesis> genesis;
  crypto::KeyPair key;  // must be one of the genesis validators' keys
  // Timing; zero means "use the genesis parameter".
  std::uint64_t batch_delay_ms = 0;
  std::uint64_t view_change_timeout_ms = 0;
  // Checks a proposed transaction's signature. A driver that verifies transactions
  // elsewhere (the node's worker pool) passes a check that consults what it verified, so
  // each signature is verified once per node. Unset: a transaction in the mempool counts
  // as verified (admission verified it), any other is verified here.
  std::function<bool(const chain::Transaction& tx, const crypto::Hash256& tx_hash)> signature_check;
  // Primary monitoring (pbft/primary_monitor.h): a backup asks for a view change after
  // `slow_primary_strikes` blocks in a row for which transactions waited longer than
  // `max_block_gap_ms`. Zero gap: half the view-change timeout. Zero strikes: off.
  std::uint64_t max_block_gap_ms = 0;
  std::uint32_t slow_primary_strikes = 3;
  // Committed blocks executed ahead of the driver's storage (on_block_stored) at most; the
  // replica waits for the store beyond it. Zero: 256, the most allowed.
  std::uint64_t max_unstored_blocks = 0;
  // Tests only (pbft/planted_bug.h): the node never sets it.
  PlantedBug planted_bug = PlantedBug::kNone;
};

// What a replica is rebuilt from after a (re)start: the store's head and the state after
// it, and whatever it last persisted under kVotesKey.
struct ReplicaRecovery {
  chain::State state;
  chain::Block head;  // block 0 (no certificate) on a fresh chain
  std::optional<Bytes> votes;
};

// Why messages were dropped; counted per reason (metrics, tests).
enum class DropReason : std::uint8_t {
  kMalformed,
  kNotValidator,
  kBadSignature,
  kWrongView,
  kOutsideWatermarks,
  kConflictingPrePrepare,
  kInvalidProposal,
  kNotPrimary,
  kInvalidViewChange,
  kInvalidNewView,
  kInvalidCheckpoint,
  kStale,
  kOverBudget,  // a sender's share of the messages held for later is full
  kCount_,
};
const char* to_string(DropReason reason);

struct ReplicaCounters {
  std::uint64_t dropped[static_cast<int>(DropReason::kCount_)] = {};
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t view_changes = 0;
  std::uint64_t blocks_committed = 0;
  std::uint64_t transactions_committed = 0;
  std::uint64_t invalid_proposals = 0;
  std::uint64_t blocks_fetched = 0;
  std::uint64_t slow_primary_view_changes = 0;  // view changes asked for by the monitor
};

// A snapshot of the replica for operators (dump_consensus_state) and tests.
struct ConsensusSnapshot {
  ReplicaIndex index = 0;
  std::uint64_t view = 0;
  ReplicaIndex primary = 0;
  bool in_view_change = false;
  std::uint64_t view_change_target = 0;  // view being changed to, when in_view_change
  std::uint64_t head_height = 0;
  crypto::Hash256 head_hash;
  std::uint64_t stable_checkpoint = 0;
  std::uint64_t low_watermark = 0;
  std::uint64_t high_watermark = 0;
  struct Instance {
    std::uint64_t sequence = 0;
    std::uint64_t view = 0;
    crypto::Hash256 digest;
    std::size_t transactions = 0;
    bool pre_prepared = false;  // a pre-prepare was accepted (view, digest, transactions)
    std::size_t prepares = 0;
    std::size_t commits = 0;
    bool prepared = false;
  };
  std::vector<Instance> instances;  // in-flight sequences
  // The head's instance as it stood when it committed (absent after a restart or when the
  // head came by state transfer): what a live view shows between blocks.
  std::optional<Instance> last_committed;
  // (target view, distinct senders asking for it), by view
  std::vector<std::pair<std::uint64_t, std::uint64_t>> view_change_votes;
  std::uint64_t consecutive_view_changes = 0;
  std::optional<TimeMs> progress_deadline_ms;
  bool syncing = false;             // fetching blocks from peers
  std::uint64_t stored_height = 0;  // the highest block the driver reported stored
  // Messages held for later (for the view being entered, or above the head), all senders.
  std::size_t buffered_messages = 0;
  std::size_t buffered_bytes = 0;
  std::size_t buffered_transactions = 0;
};

class Replica final : public chain::Engine {
 public:
  // Key under which PersistActions store the replica's signed votes.
  static constexpr const char* kVotesKey = "pbft/votes";
  // Timer ids (drivers treat them as opaque).
  enum Timer : std::uint32_t {
    kBatchTimer = 1,
    kProgressTimer = 2,
    kViewChangeTimer = 3,
    kFetchTimer = 4
  };

  // Fails when the key is not a validator's or the persisted votes cannot be decoded.
  // `mempool` must outlive the replica; the replica reads batches from it and removes
  // committed transactions.
  static Result<std::unique_ptr<Replica>> create(ReplicaConfig config, chain::Mempool& mempool,
                                                 ReplicaRecovery recovery);
  ~Replica() override;

  Actions start(TimeMs now) override;
  Actions on_message(ReplicaIndex from, ByteView message, TimeMs now) override;
  Actions on_transactions(TimeMs now) override;
  Actions on_timer(std::uint32_t id, TimeMs now) override;
  Actions on_block_stored(std::uint64_t height, TimeMs now) override;
  Actions on_blocks_fetched(ReplicaIndex peer, std::vector<chain::Block> blocks,
                            TimeMs now) override;

  // Queries (replica_report.cpp).
  chain::ChainHead head() const override;
  const chain::State& state() const override;  // after the head block
  chain::Finality finality() const override { return chain::Finality::kCertificate; }
  nlohmann::json status(TimeMs now) const override;
  nlohmann::json consensus_dump(TimeMs now) const override;
  nlohmann::json validator_facts() const override;
  std::vector<chain::MetricSample> metrics() const override;
  std::string message_type(ByteView message) const override;
  std::string progress_note() const override;

  ReplicaIndex index() const;
  std::uint64_t view() const;
  ReplicaIndex primary() const;  // of the current view
  bool in_view_change() const;
  std::uint64_t head_height() const;
  const crypto::Hash256& head_hash() const;
  const chain::Genesis& genesis() const;
  const crypto::KeyPair& key() const;
  const ReplicaCounters& counters() const;
  const PrimaryMonitor& primary_monitor() const;
  ConsensusSnapshot snapshot(TimeMs now) const;

 private:
  struct Impl;
  explicit Replica(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace synod::pbft
