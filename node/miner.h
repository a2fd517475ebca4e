// Proof-of-work search on a thread of its own, so hashing never stalls the event loop that
// runs consensus. The engine asks for work with a MineAction (a header whose PowSeal holds
// the target); the miner tries nonces until the header's hash is at most the target, then
// reports the nonce and waits for the next job. A new job replaces the current one at once.
//
// The hash rate can be capped (hashes per second): tests and demos share two cores among
// many nodes, and a cap is what makes each node's share of the total hash power exact.
//
// Thread safety: start(), stop_job() and shutdown() from one thread (the event loop);
// `found` is called on the miner thread; hashes() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "chain/block.h"

namespace synod::node {

class Miner {
 public:
  using Found = std::function<void(std::uint64_t job, std::uint64_t nonce)>;

  // `hashes_per_second_max` 0: as fast as one core goes.
  Miner(std::uint64_t hashes_per_second_max, Found found);
  ~Miner();
  Miner(const Miner&) = delete;
  Miner& operator=(const Miner&) = delete;

  // Replaces the current job. `header.seal` must be a PowSeal.
  void start(std::uint64_t job, const chain::BlockHeader& header);
  void stop_job();
  void shutdown();  // idempotent; joins the thread
  std::uint64_t hashes() const { return hashes_.load(std::memory_order_relaxed); }

 private:
  struct Job {
    std::uint64_t id = 0;
    chain::BlockHeader header;
  };
  void loop();
  // Grinds `job` until a hit, a newer job or shutdown; returns the winning nonce.
  std::optional<std::uint64_t> grind(Job& job, std::uint64_t generation);
  void pace(std::uint64_t batch_hashes);

  const std::uint64_t hashes_per_second_max_;
  const std::uint64_t batch_hashes_;
  Found found_;
  std::mutex mutex_;  // guards job_, generation_ and stopping_
  std::condition_variable wake_;
  std::optional<Job> job_;
  std::uint64_t generation_ = 0;  // bumped by every start/stop_job
  bool stopping_ = false;
  std::atomic<std::uint64_t> hashes_{0};
  std::atomic<std::uint64_t> current_generation_{0};
  std::chrono::steady_clock::time_point pace_start_;
  std::uint64_t paced_hashes_ = 0;
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace synod::node
