// A simulated cluster: n validator nodes (plus optional twins) driving real engines over
// the virtual network of network.h.
//
// The cluster is the simulator's version of the node runtime. Per slot it keeps what a
// node keeps: a mempool, a store (committed blocks with certificates, the state after
// them, and the records of PersistActions), and the engine's armed timers. It carries out
// engine actions the way node/ does — in order, persists synchronously — except that
// sockets, timers and disk are virtual:
// - Send / Broadcast go through the Network (latency, drops, duplicates, partitions);
// - SetTimer / CancelTimer arm virtual timers that call on_timer(id) when due;
// - CommitBlock appends to the store and, store_delay_ms later, calls on_block_stored;
// - FetchBlocks asks the named peer's slot over the network and returns its stored blocks
//   with on_blocks_fetched.
// A crash destroys the engine, its mempool and its timers; the store (blocks, state, persisted
// records) survives, and a restart rebuilds the engine from it through the EngineFactory.
//
// Twins: a twin is an extra slot that runs a second engine with the same validator index
// and key as another slot. Messages addressed to that validator reach every copy the
// sender can reach under the current partition.
//
// Lifetime: engines hold a reference to their slot's mempool; both live in the slot and the
// engine is always destroyed first. Thread safety: none.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "chain/engine.h"
#include "chain/genesis.h"
#include "chain/mempool.h"
#include "chain/state.h"
#include "tests/sim/cluster_core.h"
#include "tests/sim/network.h"
#include "tests/sim/trace_recorder.h"

namespace synod::sim {

using chain::ReplicaIndex;

// The generated chain every simulated node starts from; keys come from fixed seeds, so a
// validator's key depends only on its index.
struct SimGenesis {
  std::shared_ptr<const chain::Genesis> genesis;
  std::vector<crypto::KeyPair> validator_keys;
  std::vector<crypto::KeyPair> account_keys;  // funded accounts, for the workload
};

// PBFT parameters scaled for simulation: small timeouts and checkpoint intervals, so view
// changes, checkpoints and state transfer all happen within seconds of virtual time.
chain::PbftParams sim_pbft_params();
SimGenesis make_sim_genesis(std::size_t validators, std::size_t accounts,
                            const chain::PbftParams& params);

struct NodeStore {
  std::vector<chain::Block> blocks;  // blocks[h] has height h; blocks[0] is block 0
  chain::State state;                // after blocks.back()
  std::map<std::string, Bytes> kv;   // PersistAction records: survive crashes

  const chain::Block& head() const { return blocks.back(); }
  std::uint64_t height() const { return blocks.back().header.height; }
};

struct SimNode {
  SlotId slot = 0;
  ReplicaIndex validator = 0;
  bool honest = true;  // not an adversary and not a twin: the invariants cover it
  std::string role;    // "honest", "twin", or the adversary kind
  NodeStore store;
  std::unique_ptr<chain::Mempool> mempool;
  std::unique_ptr<chain::Engine> engine;          // null while crashed; declared after mempool
  std::map<std::uint32_t, std::uint64_t> timers;  // armed timer id -> arming token
  std::uint64_t incarnation = 0;                  // bumped by every crash
  std::uint64_t restarts = 0;

  bool up() const { return engine != nullptr; }
  // What mempool admission checks a transaction against: the committed state.
  const chain::State& admission_state() const { return store.state; }
};

// Everything an engine factory may use to build (or rebuild, after a crash) one slot's
// engine. `node.store` holds what survived; `mempool` is the slot's fresh mempool.
struct NodeContext {
  const SimNode& node;
  const SimGenesis& genesis;
  const crypto::KeyPair& key;
  chain::Mempool& mempool;
  TimeMs now = 0;
};
using EngineFactory = std::function<Result<std::unique_ptr<chain::Engine>>(const NodeContext&)>;

struct ClusterOptions {
  std::size_t validators = 4;
  std::size_t accounts = 8;
  std::vector<ReplicaIndex> twins;  // each adds a slot sharing that validator's index and key
  std::map<SlotId, std::string> adversaries;  // slot -> adversary kind (the factory reads it)
  chain::PbftParams pbft = sim_pbft_params();
  NetworkOptions network;
  std::uint64_t seed = 1;
  TimeMs store_delay_ms = 1;
  std::uint32_t fetch_blocks_max = 32;  // a peer serves at most this many blocks per fetch
  chain::MempoolOptions mempool;
  std::ostream* trace = nullptr;  // one line per event when set
  // Renders a protocol message for the trace (optional).
  std::function<std::string(ByteView)> describe_message;
  // Records the run for a message-sequence chart when set (must outlive the cluster).
  TraceRecorder* recorder = nullptr;
};

// Observers the invariant checker and the workload attach to.
struct ClusterHooks {
  // A slot stored a block: `before` is its state before, the store already holds the block.
  std::function<void(const SimNode&, const chain::Block&, const chain::StateDiff&,
                     const chain::State& before, TimeMs)>
      on_commit;
  // The driver saw an engine do something no correct engine does (or could not build one).
  std::function<void(const SimNode&, const std::string&, TimeMs)> on_fault;
};

// Sees every copy of a protocol message (or, with an empty message, a block fetch) that
// slot `from` sends to slot `to`, and decides whether the copy may go: Twins' per-round
// partitions (twins.h) and directed tests that cut one message type. Transaction gossip
// between mempools is not filtered.
using LinkFilter = std::function<bool(SlotId from, SlotId to, ByteView message)>;

class Cluster final : public ClusterCore<SimNode> {
 public:
  Cluster(ClusterOptions options, EngineFactory factory);

  void set_hooks(ClusterHooks hooks) { hooks_ = std::move(hooks); }
  void set_link_filter(LinkFilter filter) { link_filter_ = std::move(filter); }
  // Builds and starts every slot's engine at the current time.
  void start();
  void crash(SlotId slot);
  void restart(SlotId slot);

  const SimGenesis& genesis() const { return genesis_; }
  std::size_t validators() const { return options_.validators; }
  const ClusterOptions& options() const { return options_; }

 private:
  void execute(SlotId slot, chain::Actions actions);
  void send_message(SlotId from, ReplicaIndex to, const std::shared_ptr<const Bytes>& message);
  void deliver_message(SlotId to, ReplicaIndex from, const std::shared_ptr<const Bytes>& message);
  void commit_block(SlotId slot, chain::AppendBlockAction action);
  void fetch_blocks(SlotId slot, const chain::FetchBlocksAction& action);
  void drive(SlotId slot, const std::function<chain::Actions(chain::Engine&)>& input) override;
  std::optional<SlotId> route(SlotId from, ReplicaIndex to) const;
  void fault(SlotId slot, const std::string& what);
  // The recorder wants this slot's view after an input (PBFT view changes).
  void record_status(SlotId slot);
  std::string label_of(ByteView message) const;

  ClusterOptions options_;
  EngineFactory factory_;
  SimGenesis genesis_;
  ClusterHooks hooks_;
  LinkFilter link_filter_;
};

}  // namespace synod::sim
