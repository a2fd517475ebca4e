// The machine's own Ed25519 verification rate, measured, and the throughput ceiling it
// implies for a testnet on this machine: every node verifies every transfer's signature
// once (at admission, on its worker pool), and all the nodes share this machine's cores,
// so n nodes on c cores commit at most c * rate / n transfers a second. The ceiling leaves
// out everything else a node does (consensus messages, execution, storage), so a run
// reaches some fraction of it; the bench prints that fraction.
#pragma once

#include <chrono>
#include <cstddef>

namespace synod::testnet {

struct VerifyRate {
  double per_core_per_s = 0;  // verifications per second of one core's time
  unsigned cores = 1;
  double ceiling_tps(std::size_t nodes) const {
    return nodes == 0 ? 0 : per_core_per_s * cores / static_cast<double>(nodes);
  }
};

// Verifies signatures on this thread for about `budget` of its CPU time; the rate is per
// second of CPU time, so a machine busy with other work does not lower it.
VerifyRate measure_verify_rate(std::chrono::milliseconds budget = std::chrono::milliseconds(1000));

}  // namespace synod::testnet
