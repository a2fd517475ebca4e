// Feeds a WebHub from the running testnet: one thread per node long-polls the node's
// `wait_events` stream (so a node is asked once per change, not many times a second) and
// fetches the blocks its new head brings (walking back to a known block: forks and reorgs
// show up as branches); one more thread reads the node processes' states from /proc once a
// second and follows the transfers the page sent until they commit.
//
// Thread safety: start() and stop() from one thread; the hub is shared.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/rpc_client.h"
#include "testnet/layout.h"
#include "testnet/web_hub.h"

namespace synod::testnet {

class WebRelay {
 public:
  WebRelay(Testnet testnet, WebHub& hub);
  ~WebRelay();
  WebRelay(const WebRelay&) = delete;
  WebRelay& operator=(const WebRelay&) = delete;

  void start();
  // Asks every thread to stop and joins them (a long poll in flight ends within seconds).
  void stop();

 private:
  void follow_node(std::size_t index);
  void watch_processes();
  // Adds the blocks from `head_hash` back to the first one the hub knows (at most a few).
  void fetch_branch(client::RpcClient& rpc, std::string head_hash);
  // Whether this thread may fetch `hash`: false while another one fetches it. Every node
  // reports the same new head at about the same time, and a block fetch costs the node
  // (get_block reads the block and encodes every transaction as JSON): one per block.
  bool claim_fetch(const std::string& hash);
  void release_fetch(const std::string& hash);
  void check_transfers(client::RpcClient& rpc);

  Testnet testnet_;
  WebHub& hub_;
  std::atomic<bool> stopping_{false};
  std::mutex fetching_mutex_;
  std::set<std::string> fetching_;  // guarded by fetching_mutex_
  std::vector<std::thread> threads_;
};

}  // namespace synod::testnet
