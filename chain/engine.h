// The interface every consensus engine (PBFT, PoW, PoS) presents to its driver — the node
// runtime or the deterministic simulator.
//
// An engine is a sans-I/O state machine: each input is a method call with the current time
// passed in, each returns the actions the driver must carry out, in order. Engines never
// touch sockets, clocks, threads or storage; the driver does, which is what lets the
// simulator run the very code the node runs. Read-only queries (head, state, status,
// metrics, consensus dump) let the driver report on any engine without knowing which one
// it runs: a driver never casts an Engine to a concrete type.
//
// Ordering contract for drivers: actions are executed in the order returned. A Persist
// action must be durable before any later action in the same list is carried out (this is
// how a replica never sends a vote it could forget in a crash).
//
// The best chain can move backwards (proof-of-work and proof-of-stake reorgs): besides
// appending a block, an engine may ask the driver to replace the top of its best chain by
// another branch (ReorgAction). A PBFT engine only ever appends, and what it appends is
// final (finality() == kCertificate).
//
// Thread safety: none. One driver thread calls an engine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "chain/block.h"
#include "chain/state.h"

namespace synod::chain {

class Mempool;
struct Genesis;

// A participant of the network: an index into the genesis `validators` list (PBFT
// validators, PoW miners, PoS stakers). For a full node's engine it numbers its upstreams.
using ReplicaIndex = std::uint32_t;
using PeerIndex = ReplicaIndex;
using TimeMs = std::uint64_t;

// ---- actions --------------------------------------------------------------------------------

// Send one protocol message (canonically encoded, signed) to one participant.
struct SendAction {
  ReplicaIndex to = 0;
  Bytes message;
};
// Send one protocol message to every other participant.
struct BroadcastAction {
  Bytes message;
};
// Extend the best chain by `block`, whose parent is the best head as of the actions before
// this one: store it with the state changes it made, then report on_block_stored(height).
// `tx_hashes` holds the hash of each of the block's transactions, in order (the engine
// computed them when it checked the block), so the driver need not hash them again.
struct AppendBlockAction {
  Block block;
  StateDiff diff;
  std::vector<crypto::Hash256> tx_hashes;
};
// Replace the top of the best chain: undo every block above `fork_height` (whose block has
// hash `fork_hash` and must be on the best chain), then append `branch` in order. The
// undone blocks stay stored as a side branch. The driver makes the whole switch atomic (a
// crash leaves either the old best chain or the new one) and then reports
// on_block_stored(height of the branch's last block).
struct ReorgAction {
  std::uint64_t fork_height = 0;
  crypto::Hash256 fork_hash;
  std::vector<AppendBlockAction> branch;  // non-empty, starting at fork_height + 1
};
// Keep a valid block that is not on the best chain (by hash), so that a restarted engine
// still knows the branch and peers can fetch it.
struct StoreSideBlockAction {
  Block block;
};
// Durably record `value` under `key` before carrying out any later action.
struct PersistAction {
  std::string key;
  Bytes value;
};
// Arm (or re-arm) timer `id` to fire at absolute time `at_ms`; cancel disarms it.
struct SetTimerAction {
  std::uint32_t id = 0;
  TimeMs at_ms = 0;
};
struct CancelTimerAction {
  std::uint32_t id = 0;
};
// Ask `peer` for up to `max_blocks` blocks of its best chain from `from_height` (with their
// certificates); the driver answers with on_blocks_fetched.
struct FetchBlocksAction {
  ReplicaIndex peer = 0;
  std::uint64_t from_height = 0;
  std::uint32_t max_blocks = 0;
};
// Ask `peer` for up to `max_blocks` blocks of its best chain that follow the first hash of
// `locator` (newest first, as in Bitcoin's getblocks) that is on the peer's best chain; if
// none is, from its block 1. The driver answers with on_blocks_fetched.
struct FetchByLocatorAction {
  ReplicaIndex peer = 0;
  std::vector<crypto::Hash256> locator;
  std::uint32_t max_blocks = 0;
};
// Start (or replace) a proof-of-work job: search nonces for `header` (its seal is a PowSeal
// whose target the block hash must not exceed), off the driver's event loop, and report a
// hit with on_block_mined(job, nonce). A new MineAction replaces any earlier job; a report
// for an old job is ignored by the engine.
struct MineAction {
  std::uint64_t job = 0;
  BlockHeader header;
};
struct StopMiningAction {};
// Relay `tx` to the other participants as the driver relays what clients submit: the
// engine made it and put it into the mempool itself (PoS slashing evidence), and it must
// reach whoever produces the next block, not wait for this node to win a slot.
struct GossipTransactionAction {
  Transaction tx;
};
// Something an operator should read in the node's log (a rejected block, a refused reorg).
// Engines emit few of these: one per event worth a human's attention, never per message.
struct LogAction {
  enum class Level : std::uint8_t { kInfo, kWarn };
  Level level = Level::kInfo;
  std::string line;
};

using Action = std::variant<SendAction, BroadcastAction, AppendBlockAction, ReorgAction,
                            StoreSideBlockAction, PersistAction, SetTimerAction, CancelTimerAction,
                            FetchBlocksAction, FetchByLocatorAction, MineAction, StopMiningAction,
                            GossipTransactionAction, LogAction>;
using Actions = std::vector<Action>;

// ---- queries --------------------------------------------------------------------------------

struct ChainHead {
  std::uint64_t height = 0;
  crypto::Hash256 hash;
  bool operator==(const ChainHead&) const = default;
};

// How a block on the best chain becomes irreversible.
enum class Finality : std::uint8_t {
  kCertificate,    // at once, proven by a commit certificate (PBFT)
  kProbabilistic,  // as blocks pile up on it: clients count confirmations (PoW, PoS)
};
const char* to_string(Finality finality);

// One value for the Prometheus endpoint. Counters only grow during an engine's life.
struct MetricSample {
  enum class Kind : std::uint8_t { kCounter, kGauge };
  std::string name;  // "synod_..."
  std::string help;
  Kind kind = Kind::kGauge;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

// ---- the engine -----------------------------------------------------------------------------

class Engine {
 public:
  virtual ~Engine() = default;

  // Called once, after construction from persisted state and the store's head.
  virtual Actions start(TimeMs now) = 0;
  // A protocol message from participant `from` (authenticated by the transport as coming
  // from that participant's connection, but its content is untrusted).
  virtual Actions on_message(ReplicaIndex from, ByteView message, TimeMs now) = 0;
  // New transactions were admitted to the mempool.
  virtual Actions on_transactions(TimeMs now) = 0;
  virtual Actions on_timer(std::uint32_t id, TimeMs now) = 0;
  // The driver finished storing the best chain up to `height` (after an AppendBlockAction
  // or a ReorgAction).
  virtual Actions on_block_stored(std::uint64_t height, TimeMs now) = 0;
  // Blocks a peer returned for a FetchBlocksAction or FetchByLocatorAction (untrusted: the
  // engine verifies them). An empty list also stands for "the peer could not be reached".
  virtual Actions on_blocks_fetched(ReplicaIndex peer, std::vector<Block> blocks, TimeMs now) = 0;
  // The driver found `nonce` for MineAction `job`. Engines that never mine ignore it.
  virtual Actions on_block_mined(std::uint64_t job, std::uint64_t nonce, TimeMs now) {
    (void)job, (void)nonce, (void)now;
    return {};
  }

  // The best chain's head and the ledger state after it.
  virtual ChainHead head() const = 0;
  virtual const State& state() const = 0;
  virtual Finality finality() const = 0;
  // Mode-specific fields for the status RPC (merged into the node's own), e.g. PBFT's view
  // and primary, PoW's cumulative work and hash rate. Always a JSON object.
  virtual nlohmann::json status(TimeMs now) const = 0;
  // Everything an operator debugging consensus wants (dump_consensus_state). An object.
  virtual nlohmann::json consensus_dump(TimeMs now) const = 0;
  // Mode-specific facts for get_validators: {"primary": i, "view": v, ...}. An object.
  virtual nlohmann::json validator_facts() const = 0;
  virtual std::vector<MetricSample> metrics() const = 0;
  // A short name for a protocol message's type ("prepare", "block", ...), for per-type
  // message counters; "unknown" when the bytes are not one of this engine's messages.
  virtual std::string message_type(ByteView message) const = 0;
  // One line on what happened since the last call, for the node's periodic log summary
  // (e.g. "view 2 (primary node-2), 1 view changes, 0 invalid proposals").
  virtual std::string progress_note() const = 0;
};

// ---- construction ---------------------------------------------------------------------------

// Read-only access to what the driver has stored, used only while an engine is built.
class ChainReader {
 public:
  virtual ~ChainReader() = default;
  // Blocks of the best chain by height.
  virtual Result<std::optional<Block>> block_at(std::uint64_t height) const = 0;
  // Any stored block, on the best chain or a side branch.
  virtual Result<std::optional<Block>> block_by_hash(const crypto::Hash256& hash) const = 0;
  // The undo data of the best chain's block at `height` (its diff applied backwards).
  virtual Result<std::optional<StateDiff>> undo_at(std::uint64_t height) const = 0;
  // Stored blocks not on the best chain with a height of at least `min_height`.
  virtual Result<std::vector<Block>> side_blocks(std::uint64_t min_height) const = 0;
  // What a PersistAction stored under `key`, if anything.
  virtual Result<std::optional<Bytes>> persisted(const std::string& key) const = 0;
};

// Checks a transaction's signature; a driver that verifies elsewhere answers from what it
// verified. Unset: engines verify themselves.
using SignatureCheck = std::function<bool(const Transaction& tx, const crypto::Hash256& tx_hash)>;

// Everything a factory needs to build (or rebuild after a restart) a mode's engine.
struct EngineSetup {
  EngineSetup(std::shared_ptr<const Genesis> genesis_, crypto::KeyPair key_, State state_,
              Block head_)
      : genesis(std::move(genesis_)),
        key(std::move(key_)),
        state(std::move(state_)),
        head(std::move(head_)) {}

  std::shared_ptr<const Genesis> genesis;
  crypto::KeyPair key;                      // this node's key
  std::optional<ReplicaIndex> participant;  // index in genesis.validators; nullopt: full node
  Mempool* mempool = nullptr;               // outlives the engine
  State state;                              // after the stored head
  Block head;                               // the stored best chain's head
  const ChainReader* stored = nullptr;      // valid during creation only
  SignatureCheck signature_check;
  // Node tuning; zero means "the genesis' or the engine's default".
  std::uint64_t batch_delay_ms = 0;
  std::uint64_t view_change_timeout_ms = 0;
  std::uint64_t max_block_gap_ms = 0;
  std::uint32_t slow_primary_strikes = 3;  // 0: no primary monitoring
  std::uint64_t poll_interval_ms = 0;
  std::uint32_t upstreams = 0;  // full node: how many upstreams it may fetch from
  std::uint32_t fetch_batch_blocks = 0;
  bool mine = true;  // PoW: whether this participant mines
  // PoS: whether this node's slasher submits evidence of the double-signs it sees (off: it
  // only counts them, as a chain without slashing would; the simulator's nothing-at-stake
  // experiment compares the two).
  bool report_evidence = true;
  // Byzantine behaviours by name (validated by the factory) and their seed.
  std::vector<std::string> byzantine;
  std::uint64_t adversary_seed = 0;
};

using EngineFactory = std::function<Result<std::unique_ptr<Engine>>(EngineSetup setup)>;

}  // namespace synod::chain
