// The groups of state Node::Impl keeps, one concern each: a full node's links to its
// upstreams, long-polling get_blocks waiters, best-chain data not yet on disk, the miner,
// and the per-turn batches of submissions and gossip. All are used on the event loop only
// (the full-node pools' clients excepted: each belongs to its pool's one thread).
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "chain/block_store.h"
#include "chain/transaction.h"
#include "client/rpc_client.h"
#include "crypto/keyed_hash.h"
#include "node/block_cell.h"
#include "node/miner.h"
#include "node/rpc/address_slots.h"
#include "node/rpc/http_server.h"
#include "node/rpc/metrics.h"

namespace synod::node {

struct NodeMetrics {
  Gauge* height = nullptr;
  Gauge* stored_height = nullptr;
  Gauge* mempool_size = nullptr;
  Gauge* peers = nullptr;
  Counter* malformed_frames = nullptr;
  Gauge* hash_rate = nullptr;  // proof-of-work: hashes a second over the last second
  Counter* hashes = nullptr;
  Counter* transactions_committed = nullptr;
  Counter* blocks_committed = nullptr;
  Counter* transactions_rejected = nullptr;
  Histogram* commit_latency = nullptr;
  Counter* fetches_refused = nullptr;          // peers' block requests over their serving budget
  Counter* rpc_connections_refused = nullptr;  // the server or the client's address was full
  Counter* rpc_waiters_refused = nullptr;      // long polls not parked: slots taken
  // Consensus messages by type, made on first use.
  std::map<std::string, Counter*> messages_in_by_type;
  std::map<std::string, Counter*> messages_out_by_type;
};

// A full node's upstreams. Each pool has one thread, which alone uses its clients (one per
// upstream): blocking JSON-RPC calls with deadlines, kept off the event loop.
struct FullNodeLinks {
  std::vector<client::Endpoint> upstreams;
  std::vector<bool> reachable;  // as of the last call to each
  std::vector<bool> asked;      // false until the first call to it ends
  std::unique_ptr<boost::asio::thread_pool> fetch_pool;
  std::unique_ptr<boost::asio::thread_pool> relay_pool;
  std::vector<std::unique_ptr<client::RpcClient>> fetch_clients;
  std::vector<std::unique_ptr<client::RpcClient>> relay_clients;
  std::size_t relay_next = 0;  // relay thread only: the upstream tried first
  static constexpr std::size_t kMaxPendingRelays = 1024;
  std::size_t pending_relays = 0;
  // Transactions relayed and not yet seen committed, for get_tx's "pending" (bounded).
  static constexpr std::size_t kMaxRelayedRemembered = 65'536;
  std::unordered_map<crypto::Hash256, chain::TimeMs, crypto::KeyedHash> relayed;
  static constexpr chain::TimeMs kRelayedPendingMs = 10 * 60 * 1000;
};

// get_blocks requests for blocks not committed yet, answered as soon as one commits (or
// empty at their deadline): followers learn of a block without polling for it.
struct BlockWaiter {
  std::uint64_t from_height = 0;
  std::uint64_t max_blocks = 0;
  RpcReply reply;
  std::unique_ptr<boost::asio::steady_timer> deadline;
  AddressSlots::Token slot;  // in BlockWaiters::slots, given back with the waiter
};

struct BlockWaiters {
  static constexpr std::size_t kMaxWaiters = 256;
  static constexpr std::uint64_t kMaxWaitMs = 5000;
  explicit BlockWaiters(std::size_t per_address_max = 32) : slots(kMaxWaiters, per_address_max) {}
  // Keyed by arrival: a deadline handler looks its waiter up rather than holding on to it,
  // because a block can commit and answer the waiter after the deadline expired but before
  // its handler ran (cancel() cannot stop a handler that is already queued).
  std::map<std::uint64_t, BlockWaiter> by_arrival;
  std::uint64_t added = 0;
  // In total and per client address: one address cannot park every waiter.
  AddressSlots slots;
};

// Best-chain data the storage thread has not written yet, which the RPC serves meanwhile.
struct WriteBacklog {
  // Best-chain transactions whose blocks are not yet in the store's transaction index
  // (written in bulk, see chain/block_store.h): those committed since the node started, and
  // those the store found unindexed when it opened. get_tx answers from here, and looks up
  // the index (off the event loop) only for what is not here.
  std::unordered_map<crypto::Hash256, chain::TxLocation, crypto::KeyedHash> unindexed_transactions;
  std::map<std::uint64_t, std::vector<crypto::Hash256>> unindexed_by_height;
  void remember_unindexed(const crypto::Hash256& tx_hash, const chain::TxLocation& location) {
    unindexed_transactions[tx_hash] = location;
    unindexed_by_height[location.height].push_back(tx_hash);
  }
  // Best-chain blocks still queued for the storage thread, each with the sequence number of
  // the storage item that writes it. Their cells are shared with the RPC threads, which
  // encode each at most once for every answer that holds it.
  struct UnstoredBlock {
    std::uint64_t sequence = 0;
    std::shared_ptr<const BlockCell> cell;
  };
  std::map<std::uint64_t, UnstoredBlock> unstored_blocks;
  // Write reports from before the last reorg describe blocks no longer on the best chain.
  std::uint64_t last_reorg_sequence = 0;
};

// Proof-of-work: the nonce search, started by the first MineAction, and its sampled rate.
struct MiningState {
  std::unique_ptr<Miner> miner;
  std::uint64_t sampled_hashes = 0;  // miner->hashes() at the last rate sample
  std::chrono::steady_clock::time_point sampled_at;
  double hash_rate = 0;
  std::unique_ptr<boost::asio::steady_timer> sample_timer;
};

// Client submissions arriving in one turn of the event loop are verified together, and
// the engine is told about new transactions at most once per turn.
struct SubmitBatch {
  using Done = std::function<void(std::optional<std::string> refusal)>;
  std::vector<chain::Transaction> queue;
  std::vector<crypto::Hash256> hashes;
  std::vector<Done> callbacks;
  bool flush_scheduled = false;
  bool engine_poke_scheduled = false;
};

// Admitted transactions go to every peer in batches.
struct GossipBatch {
  std::vector<chain::Transaction> queue;
  bool flush_scheduled = false;
};

// One summary log line per interval of blocks.
struct LogSummary {
  std::uint64_t from_height = 0;
  std::uint64_t transactions = 0;
};

}  // namespace synod::node
