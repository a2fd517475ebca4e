// A local testnet on disk:
//
//   D/genesis.json                 the chain's genesis (every node has a copy)
//   D/node-i/config.json           validator settings (RPC on 127.0.0.1:base+2i+1)
//   D/node-i/genesis.json
//   D/node-i/node_key.json         the validator key (mode 0600)
//   D/node-i/node.log, node.pid    written by `up`
//   D/node-i/data/                 the node's store
//   D/full-j/...                   the same for full node j (non-validating; its
//                                  node_key.json is not in the genesis, and its
//                                  config.json lists the validators' RPC as "upstreams":
//                                  all of them, or 16 when there are more)
//   D/accounts/account-j.json      funded account keys
//
// Ports: the n validators and then the full nodes take consecutive slots; slot s uses
// base+2s (peers) and base+2s+1 (RPC). Validator i is slot i; full node j is slot n+j and
// uses only its RPC port (full nodes open no peer port). The default base, 26656, puts
// node-0's RPC on 127.0.0.1:26657, where synod-wallet looks by default. With a hosts file
// (InitOptions::hosts, testnet/hosts.h) each node listens on its own host's address instead.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "chain/genesis.h"
#include "client/rpc_client.h"

namespace synod::testnet {

inline constexpr std::uint16_t kDefaultBasePort = 26656;
inline constexpr std::uint64_t kAccountBalance = 1'000'000'000'000;

// Proof-of-work testnets: each miner's hash-rate cap (node config "mining") and the block
// interval the genesis aims at. One block a second keeps a demo lively, and on loopback a
// block reaches every miner within milliseconds, so forks at the tip stay rare.
inline constexpr std::uint64_t kDefaultPowBlockIntervalMs = 1000;
inline constexpr std::uint64_t kDefaultPowHashRate = 20'000;

struct PowInitOptions {
  std::uint64_t block_interval_ms = kDefaultPowBlockIntervalMs;
  std::uint64_t hash_rate = kDefaultPowHashRate;  // per miner, hashes a second
};

// Proof-of-stake testnets: each validator's stake and the block interval the lottery's
// difficulty aims at (total stake * interval in seconds, so about one winner per interval).
inline constexpr std::uint64_t kDefaultPosBlockIntervalMs = 2000;
inline constexpr std::uint64_t kPosValidatorStake = 1000;

struct PosInitOptions {
  std::uint64_t block_interval_ms = kDefaultPosBlockIntervalMs;
};

struct InitOptions {
  std::string dir;
  std::size_t nodes = 4;       // validators
  std::size_t full_nodes = 0;  // non-validating nodes that follow the validators
  chain::ConsensusMode mode = chain::ConsensusMode::kPbft;
  std::size_t accounts = 8;
  std::uint32_t base_port = kDefaultBasePort;
  // One IPv4 address per node, validators then full nodes (testnet/hosts.h); empty: every
  // node on 127.0.0.1.
  std::vector<std::string> hosts;
  bool force = false;
  PowInitOptions pow;  // mode kPow only
  PosInitOptions pos;  // mode kPos only
};

// The genesis initial target for `miners` miners of `hash_rate` hashes a second each, so
// that together they find a block every `block_interval_ms` on average: a block takes
// 2^256 / (target + 1) hashes, so target = 2^256 / (total rate * interval) - 1, at least 1
// and at most 2^256 - 1.
crypto::Hash256 pow_initial_target(std::uint64_t miners, std::uint64_t hash_rate,
                                   std::uint64_t block_interval_ms);

enum class NodeRole { kValidator, kFull };
// "validator" or "full".
const char* to_string(NodeRole role);

struct NodeInfo {
  std::size_t index = 0;  // position in Testnet::nodes
  NodeRole role = NodeRole::kValidator;
  std::string name;  // "node-2" (the validator name in the genesis) or "full-0"
  std::string home;  // D/node-2, D/full-0
  client::Endpoint rpc;
  std::string peer_address;            // validators only; full nodes open no peer port
  std::vector<std::string> upstreams;  // full nodes only: the RPC endpoints they follow
  std::string netns;                   // the network namespace it runs in (up --netns), or empty
  bool is_validator() const { return role == NodeRole::kValidator; }
  // Whom the node's "peers_connected" counts: the other validators, or its upstreams.
  std::size_t possible_peers(std::size_t validators) const {
    return is_validator() ? validators - 1 : upstreams.size();
  }
  // How many of them a node that is fully up reports: a validator is connected to every
  // other validator; a full node asks one upstream at a time and moves on only when that
  // one fails, so one that answers is all it needs.
  std::size_t peers_when_up(std::size_t validators) const {
    return is_validator() ? validators - 1 : std::min<std::size_t>(1, upstreams.size());
  }
  std::string log_file() const { return home + "/node.log"; }
  std::string pid_file() const { return home + "/node.pid"; }
};

struct Testnet {
  std::string dir;
  chain::Genesis genesis;
  std::string genesis_hash_hex;
  std::vector<NodeInfo> nodes;  // the validators node-0.. in genesis order, then full-0..
  std::vector<std::string> account_files;
  std::size_t validator_count() const { return genesis.validators.size(); }
  std::size_t full_node_count() const { return nodes.size() - validator_count(); }
};

// Checks the options (PBFT needs n >= 4, ports in range, D empty unless force) and writes
// the testnet. With force, the testnet files of an earlier init in D are replaced; other
// files in D are left alone.
Result<Testnet> init_testnet(const InitOptions& options);

// Reads a testnet written by init_testnet.
Result<Testnet> load_testnet(const std::string& dir);

// The testnet without its full nodes: what bench and scenarios drive, so that node
// indices there are validator indices.
Testnet validators_only(Testnet testnet);

// A node named on the command line, as an index into Testnet::nodes: "2" or "node-2" is
// validator 2; "full-1" is full node 1, at index `validators` + 1. Checked against both
// counts; with `full_nodes` = 0 only validators are accepted.
Result<std::size_t> parse_node(std::string_view text, std::size_t validators,
                               std::size_t full_nodes = 0);

}  // namespace synod::testnet
