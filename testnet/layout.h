// A local testnet on disk:
//
//   D/genesis.json                 the chain's genesis (every node has a copy)
//   D/node-i/config.json           node settings (RPC on 127.0.0.1:base+2i+1)
//   D/node-i/genesis.json
//   D/node-i/node_key.json         the validator key (mode 0600)
//   D/node-i/node.log, node.pid    written by `up`
//   D/node-i/data/                 the node's store
//   D/accounts/account-j.json      funded account keys
//
// Ports: node i listens for peers on base+2i and for RPC on base+2i+1. The default base,
// 26656, puts node-0's RPC on 127.0.0.1:26657, where synod-wallet looks by default.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "chain/genesis.h"
#include "node/rpc/rpc_client.h"

namespace synod::testnet {

inline constexpr std::uint16_t kDefaultBasePort = 26656;
inline constexpr std::uint64_t kAccountBalance = 1'000'000'000'000;

struct InitOptions {
  std::string dir;
  std::size_t nodes = 4;
  chain::ConsensusMode mode = chain::ConsensusMode::kPbft;
  std::size_t accounts = 8;
  std::uint32_t base_port = kDefaultBasePort;
  bool force = false;
};

struct NodeInfo {
  std::size_t index = 0;
  std::string name;  // "node-2": the validator name in the genesis
  std::string home;  // D/node-2
  client::Endpoint rpc;
  std::string peer_address;
  std::string log_file() const { return home + "/node.log"; }
  std::string pid_file() const { return home + "/node.pid"; }
};

struct Testnet {
  std::string dir;
  chain::Genesis genesis;
  std::string genesis_hash_hex;
  std::vector<NodeInfo> nodes;
  std::vector<std::string> account_files;
};

// Checks the options (PBFT needs n >= 4, ports in range, D empty unless force) and writes
// the testnet. With force, the testnet files of an earlier init in D are replaced; other
// files in D are left alone.
Result<Testnet> init_testnet(const InitOptions& options);

// Reads a testnet written by init_testnet.
Result<Testnet> load_testnet(const std::string& dir);

// "2" or "node-2" -> 2 (checked against the node count).
Result<std::size_t> parse_node(std::string_view text, std::size_t count);

}  // namespace synod::testnet
