// The simulated clients: signed transfers between the genesis-funded accounts, submitted at
// a steady random rate to random live nodes (the cluster then gossips each one to every
// other node). Like a PBFT client that times out, the workload resubmits a transaction that
// has not committed after resubmit_after_ms to another random live node.
//
// Every transaction is tracked (hash -> submit time, first commit time at an honest node),
// which is what the validity and liveness checks compare against.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "tests/sim/cluster.h"
#include "tests/sim/resend_queue.h"
#include "tests/sim/transfers.h"

namespace synod::sim {

struct WorkloadOptions {
  double transactions_per_s = 40.0;
  TimeMs start_ms = 0;
  TimeMs stop_ms = 10'000;  // no new transactions from here; retries go on
  TimeMs resubmit_after_ms = 2'000;
  std::size_t resubmit_batch_max = 128;  // per retry round
  std::uint64_t amount_max = 100;
  std::uint64_t fee = 1;
};

struct SubmittedTx {
  chain::Transaction tx;
  TimeMs submitted_ms = 0;
  TimeMs last_sent_ms = 0;
  std::uint32_t attempts = 0;
  std::optional<TimeMs> committed_ms;  // first commit at an honest node
};

class Workload {
 public:
  // `cluster` must outlive the workload.
  Workload(Cluster& cluster, std::uint64_t seed, WorkloadOptions options);

  // Schedules the submissions (from options.start_ms) and the retry rounds.
  void start();
  // An honest node committed `block` (the first such commit of a transaction counts).
  void on_committed(const chain::Block& block, TimeMs now);

  const std::map<crypto::Hash256, SubmittedTx>& submitted() const { return submitted_; }
  bool was_submitted(const crypto::Hash256& hash) const { return submitted_.count(hash) != 0; }
  std::size_t uncommitted() const { return pending_.size(); }
  const WorkloadOptions& options() const { return options_; }

 private:
  void submit_next();
  void resubmit_round();
  void send(const SubmittedTx& entry);

  Cluster& cluster_;
  Rng rng_;
  WorkloadOptions options_;
  TransferSource transfers_;
  std::map<crypto::Hash256, SubmittedTx> submitted_;
  ResendQueue pending_;  // submitted, not committed yet (by the time last sent)
};

}  // namespace synod::sim
