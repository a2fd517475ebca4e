// A running (or stopped) testnet seen from outside: its node processes and their RPC
// endpoints, plus the checks the commands and scenarios share — waiting until nodes are
// healthy, sending transfers and waiting for their commit, comparing blocks across nodes.
//
// Thread safety: none; one Cluster per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "client/rpc_client.h"
#include "crypto/ed25519.h"
#include "testnet/layout.h"
#include "testnet/process.h"

namespace synod::testnet {

class Cluster {
 public:
  explicit Cluster(Testnet testnet);

  const Testnet& testnet() const { return testnet_; }
  std::size_t size() const { return testnet_.nodes.size(); }
  const NodeInfo& node(std::size_t index) const { return testnet_.nodes.at(index); }
  NodeProcess process(std::size_t index) const { return find_process(node(index)); }
  // Indices of nodes whose process is running (not down, not paused).
  std::vector<std::size_t> running() const;

  // A JSON-RPC call to one node, with short deadlines (a stuck node is an error, not a hang).
  Result<nlohmann::json> call(std::size_t index, const std::string& method,
                              const nlohmann::json& params = nlohmann::json::object());
  client::RpcClient& rpc(std::size_t index);

  // Starts a node that is down (with `byzantine` kinds, comma-separated, or honest), with
  // `extra_args` for synod-node after them.
  Status start(std::size_t index, const std::string& byzantine = "",
               const std::vector<std::string>& extra_args = {});
  // SIGTERM, then SIGKILL after `grace`.
  Status stop(std::size_t index, std::chrono::milliseconds grace = std::chrono::seconds(10));

  // Waits until every node in `indices` answers /health with status ok, is connected to
  // its peers (when `all_peers`: a validator to all other validators, a full node to an
  // upstream that answers) and has committed at least `min_height`. Fails early,
  // with the node's last log lines, when one of them exits.
  Status wait_healthy(const std::vector<std::size_t>& indices, std::uint64_t min_height,
                      bool all_peers, std::chrono::seconds timeout, const std::string& label);

  // Waits until node `index` has stored at least `height`.
  Status wait_height(std::size_t index, std::uint64_t height, std::chrono::seconds timeout,
                     const std::string& label);

  // Stored height of each node in `indices` that answers (others are left out).
  std::map<std::size_t, std::uint64_t> heights(const std::vector<std::size_t>& indices);

  // Signs `count` transfers between the funded accounts (each account sends to the next,
  // nonces from `via`'s committed state) and submits them to node `via`. Returns the hashes.
  Result<std::vector<std::string>> submit_transfers(std::size_t via, std::size_t count);

  // Waits until every hash is committed on node `index`; returns the heights they landed at.
  Result<std::vector<std::uint64_t>> wait_committed(std::size_t index,
                                                    const std::vector<std::string>& hashes,
                                                    std::chrono::seconds timeout,
                                                    const std::string& label);

  // The last log lines of a node, indented, for error messages.
  std::string log_tail(std::size_t index, std::size_t lines = 15) const;

  // The funded accounts' keys (the testnet's accounts/ folder), loaded once.
  Result<std::vector<crypto::KeyPair>> account_keys();

 private:
  Testnet testnet_;
  std::vector<std::unique_ptr<client::RpcClient>> clients_;
  std::optional<std::vector<crypto::KeyPair>> accounts_;
  std::optional<std::string> binary_;
};

struct Agreement {
  bool agree = false;
  bool any_block = false;  // false: no common block to compare yet
  std::uint64_t height = 0;
  std::string hash_hex;
  std::size_t nodes = 0;       // how many nodes were compared
  std::size_t signatures = 0;  // of the verified certificate at `height`
  std::string message;         // one line for people
};

// Compares the block at the lowest common stored height of the nodes in `indices` that
// answer, and verifies its commit certificate against the testnet's genesis.
Agreement check_agreement(Cluster& cluster, const std::vector<std::size_t>& indices);

}  // namespace synod::testnet
