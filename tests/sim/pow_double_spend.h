// The 51% attack, measured: a double spend against z confirmations, with real engines.
//
// One trial: slot 0 is the attacker (hash share q), slots 1..honest_miners the honest
// network (p = 1 - q, split evenly). Before anyone mines, the attacker's payment to the
// merchant sits in every honest mempool, and a conflicting transaction (same sender and
// nonce, paying the attacker's own second address) in the attacker's alone. The attacker
// is partitioned off from block 0 on (it withholds everything and hears nothing) and mines
// its private branch on the block before the payment's. When the payment has z
// confirmations on the honest chain (its block and z - 1 on it) and the private branch is
// strictly longer than the honest chain (fixed difficulty: longer = more work), the
// attacker heals the partition and sends its branch to every honest node; success = every
// honest node reorganised onto it, so the conflicting transfer is applied and the payment
// can never be. It gives up when, after z confirmations, it is `give_up_deficit(q)` blocks
// behind. (Should an honest block cross the published branch in flight, ~1e-5 of the
// time, the race simply goes on in the open.)
//
// The honest network's propagation delay (2 ms + exponential jitter, mean 3 ms) is about
// 1e-5 of the block interval (600 s): honest forks, which the model has none of, are
// negligible. The attacker publishes with 1 ms links. Blocks take 256 hashes on average;
// a miner's k-th hash lands (k - 1 + a random phase) / hash_rate after its job started, so
// next-block races are decided with probability q to within ~0.002 (discrete hashes). The
// nodes' max_reorg_depth is raised to 8000, beyond any trial (the model has no reorg limit;
// with the default of 100 a long race at q = 1/2 ends in a refused reorg, as it would on a
// real node).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "chain/engine.h"

namespace synod::sim {

struct DoubleSpendOptions {
  std::uint64_t expected_hashes = 256;  // per block (a power of two)
  chain::TimeMs block_interval_ms = 600'000;
  std::size_t honest_miners = 2;
  double neglect = 1e-4;   // give up when the chance to come back is below this ...
  int deficit_cap = 30;    // ... or at this deficit (q near 1/2, where it never is)
  double epsilon = 0.005;  // tolerance beyond 4 sigma (discrete hashes, see above)
};

struct DoubleSpendTrial {
  bool success = false;
  bool anomaly = false;  // a driver fault, a broken invariant, no decision in 5000 intervals
  std::string note;      // what, for an anomaly
  std::uint64_t honest_height = 0;
  std::uint64_t attacker_height = 0;
};

DoubleSpendTrial run_double_spend_trial(double q, int z, std::uint64_t seed,
                                        const DoubleSpendOptions& options,
                                        std::ostream* trace = nullptr);

struct DoubleSpendCell {
  double q = 0;
  int z = 0;
  int give_up_deficit = 0;
  std::uint64_t trials = 0;
  std::uint64_t successes = 0;
  std::uint64_t anomalies = 0;
  std::string first_anomaly;
  double measured = 0;
  double exact = 0;     // the simulated process (attack_math.h exact_double_spend)
  double level = 0;     // negative binomial, Nakamoto's success rule
  double nakamoto = 0;  // section 11
  double sigma = 0;     // sqrt(exact (1 - exact) / trials)
  bool agrees = false;  // within sampling error of `exact` (attack_math.h), no anomaly
};

// `trials` seeded trials of (q, z); seeds seed_base, seed_base + 1, ...
DoubleSpendCell run_double_spend_cell(double q, int z, std::uint64_t trials,
                                      std::uint64_t seed_base, const DoubleSpendOptions& options,
                                      unsigned jobs = 1);

}  // namespace synod::sim
