// A simulated proof-of-work network: n miner slots running the real PowEngine (built by
// pow_pos::make_pow_engine, as node/ builds it) over the virtual network of network.h.
// Given a proof-of-stake genesis and pow_pos::make_pos_engine (pos_sim.h), the same
// cluster runs the PosEngine: both are Nakamoto engines with the same actions, and a PoS
// validator's lottery runs on the engine's one-second slot timers, which fire on the
// virtual clock like every other timer.
//
// The cluster is the simulator's version of node/ in PoW mode. Per slot it keeps what a
// node keeps — a mempool, a PowStore (best chain, side branches, undo data, persisted
// records), the armed timers — and carries out every action a PoW engine emits, in order:
// - Send / Broadcast of block messages go through the Network (latency, drops, duplicates,
//   partitions), or with a fixed latency where the PowLinkPolicy says so;
// - AppendBlock / Reorg / StoreSideBlock change the PowStore (refused contract breaches are
//   faults), then on_block_stored is reported;
// - FetchByLocator asks the peer's slot over the network; it answers from its best chain
//   after the first locator hash it has there (from block 1 if none), and the blocks come
//   back with on_blocks_fetched;
// - the engines' signature checks are answered from one cache of verified transactions;
// - Persist writes the store's records; Set/CancelTimer arm virtual timers; Log is traced;
// - Mine: the miner is simulated (pow_grind.h). The cluster grinds the job's nonces with real
//   hashes at once, counting the k hashes the first hit takes, and reports the nonce with
//   on_block_mined (k - 1 + a random phase) / hash_rate virtual seconds later (the k-th
//   hash of a miner hashing at hash_rate), unless a newer MineAction, a
//   StopMiningAction or a crash cancelled the job first. A slot with hash rate 0 follows
//   the chain without mining.
// A crash destroys the engine, its mempool, its timers and its mining job; the store
// survives and a restart rebuilds the engine from it (the engine's recovery path).
//
// Experiments bend the network around an attacker with a PowLinkPolicy (withhold its
// blocks, serve only what it published, choose link latencies) and publish() blocks
// themselves. Lifetime: engines reference their slot's mempool and store; both live in the
// slot and the engine is destroyed first. Thread safety: none.
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
#include "tests/sim/cluster_core.h"
#include "tests/sim/network.h"
#include "tests/sim/pow_store.h"
#include "tests/sim/trace_recorder.h"

namespace synod::sim {

using chain::ReplicaIndex;

struct PowSimGenesis {
  std::shared_ptr<const chain::Genesis> genesis;
  std::vector<crypto::KeyPair> miner_keys;    // miner i is slot i
  std::vector<crypto::KeyPair> account_keys;  // funded accounts, for workloads
};

// Parameters for simulation: a 2 s block interval, a target of 256 expected hashes, a
// fixed difficulty (max_retarget_factor 1), reorgs up to 100 blocks.
chain::PowParams sim_pow_params();
PowSimGenesis make_pow_sim_genesis(std::size_t miners, std::size_t accounts,
                                   const chain::PowParams& params);
// `genesis` (mode and parameters set) with `validators` validators and `accounts` funded
// accounts, all keys derived from "synod/sim/<label>/..."; validator i gets an account
// holding stakes[i] as stake when that is above 0 (proof-of-stake).
PowSimGenesis make_sim_genesis(chain::Genesis genesis, const std::string& label,
                               std::size_t validators, std::size_t accounts,
                               const std::vector<std::uint64_t>& stakes);

struct PowNode {
  PowNode(SlotId slot_, const chain::Genesis& genesis) : slot(slot_), store(genesis) {}

  SlotId slot = 0;  // also the miner index in the genesis
  bool honest = true;
  std::string role = "honest";
  double hash_rate = 0;  // virtual hashes per second; 0: follows without mining
  PowStore store;
  std::unique_ptr<chain::Mempool> mempool;
  std::unique_ptr<chain::Engine> engine;          // null while crashed; declared after mempool
  std::map<std::uint32_t, std::uint64_t> timers;  // armed timer id -> arming token
  std::uint64_t incarnation = 0;                  // bumped by every crash
  std::uint64_t restarts = 0;
  std::uint64_t mining_token = 0;           // the pending job's token; 0: none
  std::uint64_t hashes = 0;                 // hashes ground for this slot's jobs
  std::uint64_t blocks_mined = 0;           // hits the engine turned into its best block
  std::vector<chain::Transaction> preload;  // admitted when the mempool is (re)created
  std::vector<std::string> byzantine;       // behaviours its engine runs (EngineSetup)
  bool report_evidence = true;              // PoS: its slasher submits evidence

  bool up() const { return engine != nullptr; }
  // What mempool admission checks a transaction against: the state at the engine's best
  // chain (only while up).
  const chain::State& admission_state() const { return engine->state(); }
};

struct PowClusterOptions {
  std::size_t miners = 4;
  std::vector<double> hash_rates;  // per slot, hashes per virtual second (size == miners)
  std::size_t accounts = 8;
  chain::PowParams pow = sim_pow_params();
  NetworkOptions network;
  std::uint64_t seed = 1;
  std::uint32_t fetch_blocks_max = 64;  // a peer serves at most this many blocks per fetch
  std::uint64_t poll_interval_ms = 0;   // the engines' sync poll; 0: the block interval
  chain::MempoolOptions mempool;
  std::uint64_t max_grind_hashes = 1ULL << 26;  // a job that needs more is a fault
  std::ostream* trace = nullptr;                // one line per event when set
  // Set: the cluster runs on this genesis (a PoS one, pos_sim.h), slot i being its
  // validator i. Unset: a PoW genesis of `miners` miners and `accounts` accounts.
  std::optional<PowSimGenesis> genesis;
  // Records the run for a chart when set (pow_cluster_trace.cpp); must outlive the cluster.
  TraceRecorder* recorder = nullptr;
};

// How an experiment shapes the links around an attacker. Every member is optional.
struct PowLinkPolicy {
  // A fixed latency for traffic from -> to (blocks, fetches): reliable, no random draw.
  // Nullopt: the Network's random latency, drops and duplicates.
  std::function<std::optional<TimeMs>(SlotId from, SlotId to)> latency;
  // Whether a block message the engine of `from` sends to `to` goes out; false withholds
  // (drops) it. publish() is not subject to it.
  std::function<bool(SlotId from, SlotId to)> forward;
  // Whether `server` serves `block` to a locator request (its answer stops before the
  // first block refused).
  std::function<bool(SlotId server, const chain::Block& block)> serve;
};

struct PowClusterHooks {
  // A slot's best chain changed (an append or a reorg).
  std::function<void(const PowNode&, const StoreChange&, TimeMs)> on_change;
  // A slot's mining hit became its best block.
  std::function<void(const PowNode&, const chain::Block&, TimeMs)> on_mined;
  // A slot's engine handled blocks from a peer (a message or a fetch answer).
  std::function<void(const PowNode&, SlotId from, const std::vector<chain::Block>&, TimeMs)>
      on_received;
  // The driver saw an engine do something no correct engine does (or could not build one).
  std::function<void(const PowNode&, const std::string&, TimeMs)> on_fault;
};

class PowCluster final : public ClusterCore<PowNode> {
 public:
  explicit PowCluster(PowClusterOptions options, chain::EngineFactory factory = {});

  void set_hooks(PowClusterHooks hooks) { hooks_ = std::move(hooks); }
  const PowClusterHooks& hooks() const { return hooks_; }  // to chain onto them
  void set_policy(PowLinkPolicy policy) { policy_ = std::move(policy); }
  // Builds and starts every slot's engine at the current time.
  void start();
  void crash(SlotId slot);
  void restart(SlotId slot);

  // Sends `block` as a block message from `from` to `to` after `latency_ms` (what an
  // attacker's node does when it publishes).
  void publish(SlotId from, SlotId to, const chain::Block& block, TimeMs latency_ms);
  // Off: pending hits are dropped and new jobs are not ground (the end of a run, when the
  // network must settle). Mining does not resume when switched on again until engines emit
  // new jobs.
  void set_mining(bool enabled) { mining_enabled_ = enabled; }
  // One miner stops for good: its pending hit is dropped and its hash rate becomes 0.
  void stop_miner(SlotId slot) {
    nodes_.at(slot)->hash_rate = 0;
    nodes_.at(slot)->mining_token = 0;
  }

  const PowSimGenesis& genesis() const { return genesis_; }
  const PowClusterOptions& options() const { return options_; }
  // The end of a recorded run: mined blocks off the final best chain become orphans.
  void finish_recording();

 private:
  void execute(SlotId slot, chain::Actions actions);
  bool execute_chain_action(SlotId slot, chain::Action& action);
  void drive(SlotId slot, const std::function<chain::Actions(chain::Engine&)>& input) override;
  Result<std::unique_ptr<chain::Engine>> build_engine(PowNode& node);
  void record_change(SlotId slot, Result<StoreChange> change);
  void send_block_message(SlotId from, SlotId to, const std::shared_ptr<const Bytes>& message);
  void transmit(SlotId from, SlotId to, std::uint64_t tag, Network::Delivery delivery,
                std::function<void()> deliver, std::string label = {});
  void deliver_message(SlotId to, SlotId from, const std::shared_ptr<const Bytes>& message);
  void fetch_by_locator(SlotId slot, const chain::FetchByLocatorAction& action);
  void answer_locator(SlotId server, SlotId client, std::uint64_t incarnation,
                      const chain::FetchByLocatorAction& action);
  void start_job(SlotId slot, const chain::MineAction& action);
  void deliver_hit(SlotId slot, std::uint64_t job, const chain::BlockHeader& header);
  void fault(SlotId slot, const std::string& what);
  bool signature_valid(const chain::Transaction& tx, const crypto::Hash256& tx_hash);
  // The recorder's side (pow_cluster_trace.cpp); each is a no-op when nothing records.
  bool recording() const { return options_.recorder != nullptr && !options_.recorder->full(); }
  void record_nodes();
  std::string message_label(ByteView message) const;
  void record_mined(SlotId slot, const chain::Block& block);
  void record_store_change(SlotId slot, const StoreChange& change);
  std::optional<SlotId> miner_of(const chain::BlockHeader& header) const;

  PowClusterOptions options_;
  chain::EngineFactory factory_;
  PowSimGenesis genesis_;
  chain::SigningDomain domain_;  // of genesis_: what transaction signatures are checked in
  Rng mining_rng_;               // first nonces of jobs; apart from the network's draws
  PowClusterHooks hooks_;
  PowLinkPolicy policy_;
  // Transactions whose signature was checked, valid or not: the engines' SignatureCheck, as
  // node/ answers it from what admission verified. The verdict is a function of the
  // transaction's bytes (its hash covers the signature), so one cache serves every slot.
  std::map<crypto::Hash256, bool> signatures_;
  bool mining_enabled_ = true;
  std::uint64_t next_mining_token_ = 0;
};

}  // namespace synod::sim
