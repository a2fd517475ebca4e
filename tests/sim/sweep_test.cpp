// The seed sweep: hundreds of generated fault schedules (Byzantine wrappers, twins, drops,
// duplicates, jitter, partitions, crashes) across n=4 and n=7, zero violations allowed.
// Split into cases of 50 seeds so CTest runs them in parallel. A failure lists each bad
// seed with its replay command: build/bin/synod-sim --seed S --nodes N ... --verbose.
#include <catch2/catch.hpp>

#include <string>

#include "tests/sim/seed_sweep.h"
#include "tests/sim/seeds.h"

using namespace synod;
using namespace synod::sim;

namespace {

constexpr std::uint64_t kSeedsPerCase = 50;

void sweep(std::size_t validators, std::uint64_t first_seed) {
  SeedOptions options;
  options.validators = validators;
  std::uint64_t blocks = 0;
  const SweepFailures failures =
      sweep_seeds(first_seed, kSeedsPerCase, options, run_seed, failure_report,
                  [&](const RunResult& result) { blocks += result.height; });
  INFO(failures.reports);
  CHECK(failures.count == 0);
  CHECK(blocks > kSeedsPerCase * 10);  // the runs did real work
}

}  // namespace

TEST_CASE("seed sweep n=4, seeds 1-50", "[sim][sweep]") {
  sweep(4, 1);
}
TEST_CASE("seed sweep n=4, seeds 51-100", "[sim][sweep]") {
  sweep(4, 51);
}
TEST_CASE("seed sweep n=4, seeds 101-150", "[sim][sweep]") {
  sweep(4, 101);
}
TEST_CASE("seed sweep n=4, seeds 151-200", "[sim][sweep]") {
  sweep(4, 151);
}
TEST_CASE("seed sweep n=7, seeds 1-50", "[sim][sweep]") {
  sweep(7, 1);
}
TEST_CASE("seed sweep n=7, seeds 51-100", "[sim][sweep]") {
  sweep(7, 51);
}
