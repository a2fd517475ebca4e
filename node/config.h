// The node's own settings, from DIR/config.json. Consensus-critical parameters live in the
// genesis; this file holds what each operator may choose for their node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "chain/mempool.h"

namespace synod::node {

struct NodeConfig {
  std::string moniker;                         // a name for logs; defaults to the validator name
  std::string rpc_listen = "127.0.0.1:26657";  // JSON-RPC, /health, /metrics
  std::string peer_listen;                     // empty: the genesis peer_address of this node
  std::size_t verify_threads = 2;              // signature-verification worker pool
  std::uint64_t batch_delay_ms = 0;            // 0: the genesis value
  std::uint64_t view_change_timeout_ms = 0;    // 0: the genesis value
  // Primary monitoring (pbft/primary_monitor.h): a view change after this many blocks in a
  // row that kept transactions waiting longer than max_block_gap_ms (0: half the view-change
  // timeout). 0 strikes: off.
  std::uint64_t max_block_gap_ms = 0;
  std::uint32_t slow_primary_strikes = 3;
  std::size_t rpc_max_body_bytes = 1 << 20;
  // JSON-RPC: threads that read, parse, render and write, and read blocks from the store
  // (methods run on the event loop);
  // open connections in total and per client address; get_blocks long polls per address.
  std::size_t rpc_threads = 2;
  std::size_t rpc_max_connections = 256;
  std::size_t rpc_max_connections_per_address = 64;
  std::size_t rpc_max_waiters_per_address = 32;
  // Peer handshakes: threads for their cryptography, and inbound ones a second (in total
  // and per remote address) with their bursts; see node/transport/handshake_throttle.h.
  std::size_t peer_handshake_threads = 1;
  std::uint32_t peer_handshakes_per_second = 64;
  std::uint32_t peer_handshake_burst = 128;
  std::uint32_t peer_handshakes_per_second_per_address = 8;
  std::uint32_t peer_handshake_burst_per_address = 16;
  std::uint64_t summary_interval_blocks = 100;  // one INFO summary line per N blocks
  std::string log_level = "info";               // trace, debug, info, warn, error
  chain::MempoolOptions mempool;
  // Full nodes only (a node_key.json that is not a genesis validator): the JSON-RPC
  // endpoints ("HOST:PORT") of the nodes it follows, and how often it asks them for new
  // blocks once caught up.
  std::vector<std::string> upstreams;
  std::uint64_t follow_poll_ms = 200;
  // Proof-of-work miners only ("mining": {"enabled": true, "hash_rate_limit": N}): whether
  // this node mines, and at most how many hashes a second (0: as fast as one core goes).
  // A limit makes each node's share of the hash power exact on a shared machine.
  bool mining_enabled = true;
  std::uint64_t hash_rate_limit = 0;
};

inline constexpr std::size_t kMaxUpstreams = 16;

// Parses config JSON; unknown fields and wrong types are errors naming the field.
Result<NodeConfig> parse_config(const std::string& json_text);
Result<NodeConfig> load_config(const std::string& path);
std::string config_to_json(const NodeConfig& config);

}  // namespace synod::node
