// The proof-of-work seed sweep: generated schedules (hash rates, latency near the block
// interval, drops, duplicates, partitions, crashes, retargeting) for 3 to 6 miners, zero
// violations allowed. A failure lists each bad seed with its replay command:
// build/bin/synod-sim --consensus pow --seed S --nodes N --duration-ms D --verbose.
#include <catch2/catch.hpp>

#include <string>

#include "tests/sim/pow_seeds.h"
#include "tests/sim/seed_sweep.h"

using namespace synod;
using namespace synod::sim;

namespace {

constexpr std::uint64_t kSeedsPerCase = 25;

void sweep(std::size_t miners, std::uint64_t first_seed) {
  PowSeedOptions options;
  options.miners = miners;
  std::uint64_t blocks = 0;
  std::uint64_t reorgs = 0;
  const SweepFailures failures = sweep_seeds(first_seed, kSeedsPerCase, options, run_pow_seed,
                                             pow_failure_report, [&](const PowRunResult& result) {
                                               blocks += result.height;
                                               reorgs += result.reorgs;
                                             });
  INFO(failures.reports);
  CHECK(failures.count == 0);
  CHECK(blocks > kSeedsPerCase * 20);  // the runs did real work
  CHECK(reorgs > 0);                   // and the faults forked the chain
}

}  // namespace

TEST_CASE("pow seed sweep 3 miners, seeds 1-25", "[pow][sweep]") {
  sweep(3, 1);
}
TEST_CASE("pow seed sweep 4 miners, seeds 1-25", "[pow][sweep]") {
  sweep(4, 1);
}
TEST_CASE("pow seed sweep 4 miners, seeds 26-50", "[pow][sweep]") {
  sweep(4, 26);
}
TEST_CASE("pow seed sweep 6 miners, seeds 1-25", "[pow][sweep]") {
  sweep(6, 1);
}
