// Selfish mining, measured: Eyal & Sirer's revenue curve with real engines.
//
// One run: slot 0 is a SelfishPool (selfish_pool.h) with hash share alpha, slots 1..n the
// honest miners (equal shares of 1 - alpha), links of fixed latency (100 ms between honest
// nodes, 1 ms to and from the pool: a well-connected attacker, which is how gamma is
// realised) and a 600 s block interval at 256 hashes per block, so honest nodes fork
// among themselves about once in 6000 blocks. The run ends when the honest chain is
// `blocks` + kTail long; revenue = the pool's share of the first `blocks` blocks of an
// honest node's best chain (the top kTail may still change).
//
// A point runs `runs` seeds; the sampling error is the standard error of their mean (the
// blocks of one run are correlated, so the spread of runs, not a binomial, measures it).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "chain/engine.h"

namespace synod::sim {

struct SelfishOptions {
  std::uint64_t expected_hashes = 256;
  chain::TimeMs block_interval_ms = 600'000;
  std::size_t honest_miners = 2;  // gamma <= (n - 1) / n
  std::uint64_t blocks = 2000;    // main-chain blocks counted per run
  std::uint64_t runs = 8;         // seeds per point
  double epsilon = 0.01;          // tolerance beyond 4 standard errors
};

struct SelfishRun {
  std::uint64_t counted = 0;      // main-chain blocks counted
  std::uint64_t pool_blocks = 0;  // of those, the pool's
  std::uint64_t races = 0;
  std::string anomaly;  // empty: none
};

SelfishRun run_selfish_mining(double alpha, double gamma, std::uint64_t seed,
                              const SelfishOptions& options, std::ostream* trace = nullptr);

struct SelfishPoint {
  double alpha = 0;
  double gamma = 0;
  std::uint64_t runs = 0;
  std::uint64_t blocks = 0;  // counted, over all runs
  double revenue = 0;        // mean over runs
  double sigma = 0;          // standard error of that mean
  double closed_form = 0;    // attack_math.h selfish_revenue
  std::uint64_t anomalies = 0;
  std::string first_anomaly;
  bool agrees = false;  // |revenue - closed_form| <= 4 sigma + epsilon, no anomaly
};

SelfishPoint run_selfish_point(double alpha, double gamma, std::uint64_t seed_base,
                               const SelfishOptions& options, unsigned jobs = 1);

}  // namespace synod::sim
