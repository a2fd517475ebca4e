// What `synod-testnet web` knows about the testnet, gathered from the nodes' push streams
// (web_relay.h) and the actions it started (web_actions.h), and handed to every browser as
// one JSON state (web_server.h). Browsers wait for the next version rather than poll.
//
// Bounded: the block tree keeps the newest kBlocksKept blocks, the action and transfer
// logs their newest kLogKept entries.
//
// Thread safety: every member may be called from any thread (one mutex guards all).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "testnet/layout.h"

namespace synod::testnet {

class WebHub {
 public:
  static constexpr std::size_t kBlocksKept = 160;
  static constexpr std::size_t kLogKept = 20;

  explicit WebHub(const Testnet& testnet);

  // A node's latest pushed state (the `state` of its newest wait_events event).
  void set_node_state(std::size_t index, nlohmann::json state);
  // Whether its RPC answered the last request; "running", "paused" or "down" for its process.
  void set_node_reachable(std::size_t index, bool reachable);
  void set_node_process(std::size_t index, const std::string& process);

  // A block seen on some node: {"hash", "height", "prev", "txs", "seal", "evidence",
  // "signatures"?}.
  void add_block(nlohmann::json block);
  bool knows_block(const std::string& hash) const;

  // Appends or updates (same "id") an entry of the action log / the transfer log.
  void log_action(nlohmann::json action);
  void log_transfer(nlohmann::json transfer);
  std::vector<nlohmann::json> pending_transfers() const;

  // {"version", "testnet", "nodes", "blocks", "actions", "transfers"}.
  nlohmann::json snapshot() const;
  // The same, encoded: once per version however many browsers ask for it.
  std::shared_ptr<const std::string> snapshot_text() const;
  std::uint64_t version() const;
  // Blocks until the version differs from `seen` or `timeout` passes; returns the version.
  std::uint64_t wait_change(std::uint64_t seen, std::chrono::milliseconds timeout) const;

 private:
  void changed();  // with mutex_ held
  nlohmann::json snapshot_locked() const;
  static void upsert(std::deque<nlohmann::json>& log, nlohmann::json entry);

  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::uint64_t version_ = 1;                           // guarded by mutex_
  nlohmann::json testnet_;                              // fixed after construction
  std::vector<nlohmann::json> nodes_;                   // guarded by mutex_
  std::map<std::string, nlohmann::json> blocks_;        // by hash; guarded by mutex_
  std::deque<nlohmann::json> actions_;                  // guarded by mutex_
  std::deque<nlohmann::json> transfers_;                // guarded by mutex_
  mutable std::shared_ptr<const std::string> encoded_;  // guarded by mutex_
  mutable std::uint64_t encoded_version_ = 0;           // guarded by mutex_
};

}  // namespace synod::testnet
