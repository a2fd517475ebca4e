// A cluster of real synod-node processes on 127.0.0.1 for end-to-end tests: homes in a
// temporary directory (removed afterwards), ports chosen free at run time, processes
// started as children (client::spawn_process) and stopped with signals, and a small
// synchronous JSON-RPC client. Every wait is bounded.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chain/genesis.h"
#include "crypto/ed25519.h"

namespace synod::e2e {

// One JSON-RPC call; nullopt when the node cannot be reached. Throws nothing.
struct RpcResult {
  bool transport_ok = false;
  int http_status = 0;
  nlohmann::json body;  // the whole JSON-RPC response object
};
RpcResult rpc_call(std::uint16_t port, const std::string& method,
                   const nlohmann::json& params = nlohmann::json::object(), int timeout_ms = 2000);
// A raw HTTP exchange (for bad-request tests): sends `request` bytes, returns what came back.
std::string http_raw(std::uint16_t port, const std::string& request, int timeout_ms = 2000);
// Sends `bytes` to a TCP port and closes; false if the connection failed.
bool send_raw(std::uint16_t port, const std::string& bytes);
// GET `target` (e.g. "/metrics"); the response body, or "" when the node cannot be reached.
std::string http_get(std::uint16_t port, const std::string& target, int timeout_ms = 2000);

// A port free right now, outside the range the kernel hands out to outgoing connections.
std::uint16_t free_port();

// Deadlines the e2e tests share: nodes answering after a start, and a block committing.
inline constexpr int kStartMs = 20'000;
inline constexpr int kCommitMs = 30'000;

class LocalCluster {
 public:
  struct NodeHandle {
    std::string home;
    std::uint16_t peer_port = 0;
    std::uint16_t rpc_port = 0;
    int pid = -1;
  };

  // Writes n homes; accounts are funded with `balance` each.
  LocalCluster(std::size_t n, std::size_t accounts, std::uint64_t balance = 1'000'000'000);
  ~LocalCluster();  // SIGKILLs whatever still runs, removes the directory

  // Writes the home of a node whose key is not a genesis validator's: a full node following
  // `upstreams` ("HOST:PORT" JSON-RPC endpoints; none: its config lists no "upstreams").
  // Returns its index for start(), kill(), status() and the rest; wait_healthy_all() counts
  // validators only.
  std::size_t add_full_node(const std::vector<std::string>& upstreams);
  // Sets (overwrites) fields of node i's config.json; takes effect at the next start.
  void set_config(std::size_t i, const nlohmann::json& fields);
  // "127.0.0.1:PORT" of node i's JSON-RPC server, as a full node's upstream.
  std::string rpc_endpoint(std::size_t i) const;

  void start(std::size_t i, const std::string& byzantine = "");
  void start_all();
  void kill(std::size_t i);       // SIGKILL
  bool terminate(std::size_t i);  // SIGTERM, wait; true on exit code 0
  bool running(std::size_t i) const;
  // Waits up to timeout_ms for node i to exit; its exit code (128 + signal when killed by
  // one), or nullopt when it is still running or was not started.
  std::optional<int> wait_exit(std::size_t i, int timeout_ms);

  // Polls until pred(status of node i) holds or the deadline passes.
  bool wait_for(std::size_t i, const std::function<bool(const nlohmann::json&)>& pred,
                int timeout_ms);
  bool wait_healthy_all(int timeout_ms);
  std::optional<nlohmann::json> status(std::size_t i);
  // Node i's committed height; 0 when it does not answer.
  std::uint64_t height(std::size_t i);

  // Submits a signed transfer from account `from` to account `to`; returns the tx hash or
  // the error message.
  std::pair<bool, std::string> transfer(std::size_t node, std::size_t from, std::size_t to,
                                        std::uint64_t amount, std::uint64_t fee = 1);
  std::uint64_t next_nonce(std::size_t account);

  const chain::Genesis& genesis() const { return genesis_; }
  const std::vector<crypto::KeyPair>& accounts() const { return accounts_; }
  std::vector<NodeHandle>& nodes() { return nodes_; }
  std::string log_tail(std::size_t i, std::size_t lines = 20) const;

 private:
  std::string dir_;
  chain::Genesis genesis_;
  std::vector<crypto::KeyPair> accounts_;
  std::vector<std::uint64_t> nonces_;
  std::vector<NodeHandle> nodes_;
  // The kernel may hand the same free port out twice in a row: never give one to two nodes.
  std::set<std::uint16_t> ports_taken_;
  std::uint16_t distinct_port();
};

}  // namespace synod::e2e
