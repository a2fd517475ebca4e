// Clients of a simulated proof-of-work network: signed transfers between the genesis-funded
// accounts at a steady random rate, each submitted to a random live node (which gossips it
// to the others). A transaction can fall out of every mempool (a crash empties one) or off
// a chain (a reorg; the engine gives it back to the mempool, but a crash may lose it), so,
// as a wallet rebroadcasts, the workload resends every transaction that is not on the best
// chain of a random live node resubmit_after_ms after it last sent it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "tests/sim/pow_cluster.h"
#include "tests/sim/resend_queue.h"
#include "tests/sim/transfers.h"

namespace synod::sim {

struct PowWorkloadOptions {
  double transactions_per_s = 10.0;
  TimeMs stop_ms = 30'000;  // no new transactions from here; resends go on
  TimeMs resubmit_after_ms = 5'000;
  std::size_t resubmit_batch_max = 256;  // per round
  std::uint64_t amount_max = 100;
  std::uint64_t fee = 1;
};

class PowWorkload {
 public:
  // Whether a transaction is on a slot's best chain (the invariant checker knows).
  using OnChain = std::function<bool(SlotId, const crypto::Hash256&)>;

  // `cluster` must outlive the workload.
  PowWorkload(PowCluster& cluster, std::uint64_t seed, PowWorkloadOptions options,
              OnChain on_chain);

  void start();
  // Resends stop from now on (the end of a run).
  void stop() { stopped_ = true; }
  const std::vector<crypto::Hash256>& submitted() const { return order_; }

 private:
  void submit_next();
  void resubmit_round();

  PowCluster& cluster_;
  Rng rng_;
  PowWorkloadOptions options_;
  OnChain on_chain_;
  bool stopped_ = false;
  TransferSource transfers_;
  std::map<crypto::Hash256, chain::Transaction> transactions_;
  std::vector<crypto::Hash256> order_;  // submission order
  ResendQueue resend_;
};

}  // namespace synod::sim
