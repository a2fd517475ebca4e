// Private state of node::Node, shared by node.cpp (setup, engine actions, timers),
// node_peers.cpp (peer frames, gossip, block serving), node_follow.cpp (a full node's
// upstreams) and node_rpc.cpp (JSON-RPC methods).
//
// A node is either a participant (its key is in the genesis: a PBFT validator, a PoW
// miner; its engine talks to the other participants through `peers`) or a full node (its
// engine reads blocks from `upstreams` over JSON-RPC). The node knows its engine only as a
// chain::Engine, built by make_engine (engine_factory.h) for the genesis' mode.
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/thread_name.h"
#include "chain/block_store.h"
#include "chain/mempool.h"
#include "chain/signing_domain.h"
#include "client/rpc_client.h"
#include "crypto/keyed_hash.h"
#include "node/block_reads.h"
#include "node/config.h"
#include "node/engine_metrics.h"
#include "node/miner.h"
#include "node/node.h"
#include "node/node_parts.h"
#include "node/rpc/http_server.h"
#include "node/rpc/metrics.h"
#include "node/rpc_detail.h"
#include "node/serve_budget.h"
#include "node/slash_log.h"
#include "node/storage_worker.h"
#include "node/store_readers.h"
#include "node/transport/peer_manager.h"
#include "node/verified_signatures.h"
#include "node/wire.h"

namespace synod::node {

struct NodeEvents;  // node_events.cpp

struct Node::Impl {
  NodeOptions options;
  NodeConfig config;
  std::shared_ptr<chain::Genesis> genesis;
  chain::SigningDomain domain;  // of `genesis`: what transaction signatures are checked in
  std::optional<crypto::KeyPair> key;
  chain::ReplicaIndex index = 0;
  std::string name;

  // The JSON-RPC server's own threads: HTTP, request parsing, rendering answers. Declared
  // before `io` so that it outlives the RPC replies `io` may still hold when destroyed.
  boost::asio::io_context rpc_io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> rpc_work;
  std::vector<std::thread> rpc_threads;
  boost::asio::io_context io;
  boost::asio::signal_set signals{io, SIGINT, SIGTERM};
  std::unique_ptr<boost::asio::thread_pool> verify_pool;
  VerifiedSignatures verified;
  // Transactions handed to the pool and not yet back: bounded, so a flood of gossip or
  // submissions cannot queue unbounded work (beyond it, gossip is dropped and clients are
  // told the node is busy).
  static constexpr std::size_t kMaxPendingVerifications = 65'536;
  std::size_t pending_verifications = 0;

  // The event loop's own store connection: startup, serving blocks to peers. Blocks are
  // written through `storage`, on its own connection and thread; get_block, get_blocks,
  // get_chain_tips and get_tx read on the RPC threads, each through its own connection.
  std::unique_ptr<chain::BlockStore> reader;
  std::shared_ptr<StoreReaders> store_readers;
  std::unique_ptr<StorageWorker> storage;
  // The replica's persisted votes, in a database of their own (data/votes.db; only its
  // meta table is used): a vote's write must not wait for chain.db's write lock while the
  // storage thread writes a block, since the vote is on the path to sending it.
  std::unique_ptr<chain::BlockStore> vote_store;
  std::uint64_t stored_height = 0;

  std::unique_ptr<chain::Mempool> mempool;
  bool full_node = false;
  bool private_mining = false;  // --byzantine private-mining: peers never started
  std::unique_ptr<chain::Engine> engine;
  std::unique_ptr<PeerManager> peers;  // participants only

  FullNodeLinks follow;  // full nodes only

  BlockWaiters block_waiters;  // re-made with the configured per-address limit in open()
  std::unique_ptr<HttpServer> rpc;
  std::shared_ptr<NodeEvents> events;  // the wait_events push stream

  Metrics metrics;
  NodeMetrics gauges;
  std::unique_ptr<EngineMetrics> engine_metrics;

  std::map<std::uint32_t, std::unique_ptr<boost::asio::steady_timer>> timers;

  WriteBacklog backlog;
  std::uint64_t reorgs_seen = 0;
  SlashLog slashes;  // PoS: the slashes on the best chain, for the push stream

  MiningState mining;
  // Block serving to peers: 32 MiB/s each, 64 MiB saved up at most.
  ServeBudget serve_budget{32u << 20, 64u << 20};
  static constexpr std::size_t kServeQueueLimitBytes = 16u << 20;
  // Submission times of transactions this node admitted, for the commit-latency histogram.
  std::unordered_map<crypto::Hash256, chain::TimeMs, crypto::KeyedHash> admitted_at;

  SubmitBatch submissions;
  GossipBatch gossip;
  LogSummary summary;

  bool stopping = false;
  int exit_code = 0;

  // ---- node.cpp ----
  Status open(NodeOptions node_options);
  Status take_node_behaviours();
  // Reads config, genesis and key, and decides the node's role and name.
  Status load_identity(const std::string& home);
  Status open_stores(const std::string& home);
  // Builds the engine for the genesis' mode from what the stores hold.
  Status open_engine(chain::State state, chain::Block head);
  Status open_peers();
  void register_metrics();
  Status open_rpc();
  void start_rpc_threads();
  void join_rpc_threads();
  bool is_full_node() const { return full_node; }
  // The ledger as this node knows it, whichever engine runs.
  std::uint64_t head_height() const { return engine->head().height; }
  crypto::Hash256 head_hash() const { return engine->head().hash; }
  const chain::State& ledger() const { return engine->state(); }
  std::size_t peers_connected() const;  // a full node: upstreams that answered last time
  // Opens data/votes.db, moving records a data directory from before it kept in chain.db.
  Status open_vote_store(const std::string& path);
  static chain::TimeMs now_ms();
  void execute(const chain::Actions& actions);
  void set_timer(std::uint32_t id, chain::TimeMs at_ms);

  // ---- node_chain.cpp ----
  void on_append(const chain::AppendBlockAction& append);
  void on_reorg(const chain::ReorgAction& reorg);
  // Records a new best-chain block for the RPC until it is written (and indexed).
  void note_best_block(const chain::Block& block, const std::vector<crypto::Hash256>& tx_hashes,
                       std::uint64_t sequence);
  // Drops what the node remembers of best-chain blocks above `fork_height`.
  void forget_above(std::uint64_t fork_height);
  void on_written(const WriteReport& report);

  // ---- node_mining.cpp ----
  void start_mining(const chain::MineAction& mine);
  void sample_hash_rate();
  void refresh_metrics();
  // Counts a consensus message by its type byte, in or out.
  void count_message(ByteView message, bool incoming, std::size_t copies = 1);
  void log_summary(const chain::Block& block);
  void fatal(const std::string& message);
  void shutdown();

  // ---- node_peers.cpp ----
  void on_peer_frame(chain::ReplicaIndex from, Bytes payload);
  void serve_blocks(chain::ReplicaIndex to, std::uint64_t from_height, std::uint32_t max_blocks);
  // Blocks of the best chain after the first locator hash on it (from block 1 if none is).
  void serve_locator(chain::ReplicaIndex to, const std::vector<crypto::Hash256>& locator,
                     std::uint32_t max_blocks);
  void fetch_by_locator(const chain::FetchByLocatorAction& fetch);
  // Verifies signatures off the event loop, then admits on it; `done` gets one result per
  // transaction (nullopt = admitted) on the event loop. `hashes` are the transactions'.
  using AdmitResults = std::vector<std::optional<std::string>>;
  void admit(std::vector<chain::Transaction> transactions, std::vector<crypto::Hash256> hashes,
             bool from_peer, std::function<void(AdmitResults)> done);
  void submit(chain::Transaction tx, const crypto::Hash256& tx_hash, SubmitBatch::Done done);
  void flush_submissions();
  void poke_engine();
  void queue_gossip(const chain::Transaction& tx);
  void flush_gossip();
  // A transaction the engine made and put into the mempool (GossipTransactionAction): to
  // the peers, or from a full node to an upstream.
  void spread_own_transaction(const chain::Transaction& tx);

  // ---- node_events.cpp ----
  void register_event_stream();
  void arm_event_sampler();
  void rpc_wait_events(const nlohmann::json& params, RpcReply reply);
  nlohmann::json event_snapshot() const;

  // ---- node_follow.cpp ----
  // Reads the upstreams from the config and starts the fetch and relay threads.
  Status open_upstreams();
  // Carries out a follower's FetchBlocksAction: get_blocks from `upstream`, off the loop.
  // `request`: {"from_height": N} or {"locator": [hex, ...]} (see get_blocks).
  void fetch_from_upstream(chain::ReplicaIndex upstream, nlohmann::json request,
                           std::uint32_t max_blocks);
  void preverify_signatures(const std::vector<chain::Block>& blocks);
  // Hands a client's transaction to an upstream validator; `done` gets the upstream's
  // answer (or why it could not be relayed) on the event loop.
  void relay(chain::Transaction tx, std::function<void(client::RpcOutcome)> done);
  // Relayed within kRelayedPendingMs and not seen committed since: get_tx says "pending"
  // (after that, "unknown", as a validator says once a transaction left its mempool).
  bool relayed_recently(const crypto::Hash256& tx_hash) const;

  // ---- node_rpc.cpp, node_rpc_tx.cpp, node_rpc_blocks.cpp ----
  void register_rpc_methods();
  void rpc_status(const nlohmann::json& params, RpcReply reply);
  void rpc_dump_consensus_state(const nlohmann::json& params, RpcReply reply);
  void rpc_submit_tx(const nlohmann::json& params, RpcReply reply);
  std::optional<chain::TxRejection> dry_run_stake_kind(const chain::Transaction& tx);
  void rpc_get_tx(const nlohmann::json& params, RpcReply reply);
  void rpc_get_block(const nlohmann::json& params, RpcReply reply);
  void rpc_get_blocks(const nlohmann::json& params, RpcReply reply);
  void park_block_waiter(std::uint64_t from_height, std::uint64_t max_blocks, std::uint64_t wait_ms,
                         RpcReply reply, AddressSlots::Token slot);
  void rpc_get_chain_tips(const nlohmann::json& params, RpcReply reply);
  void rpc_get_account(const nlohmann::json& params, RpcReply reply);
  void rpc_get_genesis(const nlohmann::json& params, RpcReply reply);
  void rpc_get_validators(const nlohmann::json& params, RpcReply reply);
  nlohmann::json status_json() const;
  const char* role_name() const;
  nlohmann::json consensus_json() const;
  nlohmann::json upstreams_json() const;  // each upstream with whether it answered last time
  // Block answers (node/block_reads.h): the loop takes a snapshot, an RPC thread reads the
  // store and encodes.
  std::uint64_t first_unstored_height() const;
  // The head, and the unstored blocks from `from_height` (or the first unstored one) on,
  // at most `max_blocks` of them.
  ChainSnapshot chain_snapshot(std::uint64_t from_height, std::uint64_t max_blocks) const;
  void answer_blocks(BlocksQuery query, const RpcReply& reply) const;
  void answer_block_waiters();
  // The height and hash of the first locator hash that is the head or an unstored block.
  std::optional<std::pair<std::uint64_t, crypto::Hash256>> locate_recent(
      const std::vector<crypto::Hash256>& locator) const;
  // The unstored block get_block asks for, if it is one.
  std::shared_ptr<const BlockCell> unstored_cell(const BlockQuery& query) const;
  void answer_block(const BlockQuery& query, RpcReply reply) const;
};

}  // namespace synod::node
