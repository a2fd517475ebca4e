// synod-node's runtime: one Boost.Asio event-loop thread owns the consensus engine (so the
// engine needs no locks; which engine depends on the genesis' mode), the peer transport and the
// JSON-RPC server. Transaction signatures are verified on a small worker pool and reach the event
// loop already verified; committed blocks are written by a storage thread, which reports "block
// stored" back to the engine.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace synod::node {

struct NodeOptions {
  std::string home;  // holds config.json, genesis.json, node_key.json; data goes to data/
  // Byzantine behaviours by name, for tests; the engine's factory checks them. Empty for
  // an honest node.
  // "private-mining" (proof of work) is the node's own: it mines with no peer links at all,
  // keeping its branch secret until restarted without it.
  std::vector<std::string> byzantine;
  std::uint64_t adversary_seed = 1;
  // Overrides config.json's mining.hash_rate_limit when set (tests set hash shares with it).
  std::optional<std::uint64_t> hash_rate_limit;
};

class Node {
 public:
  // Loads and validates every file, opens the store and builds the engine. Every problem
  // is a one-line error.
  static Result<std::unique_ptr<Node>> create(NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Serves until SIGINT or SIGTERM, then stops cleanly (pending blocks written, store
  // closed). Returns the process exit code.
  int run();
  // Makes run() return as SIGTERM does, from any thread (tests run a node in their process).
  void stop();

 private:
  struct Impl;
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace synod::node
