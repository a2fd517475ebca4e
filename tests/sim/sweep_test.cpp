// The seed sweep: hundreds of generated fault schedules (Byzantine wrappers, twins, drops,
// duplicates, jitter, partitions, crashes) across n=4 and n=7, zero violations allowed.
// Split into cases of 50 seeds so CTest runs them in parallel. A failure lists each bad
// seed with its replay command: build/bin/synod-sim --seed S --nodes N ... --verbose.
#include <catch2/catch.hpp>

#include <string>

#include "tests/sim/seeds.h"

using namespace synod;
using namespace synod::sim;

namespace {

constexpr std::uint64_t kSeedsPerCase = 50;

void sweep(std::size_t validators, std::uint64_t first_seed) {
  SeedOptions options;
  options.validators = validators;
  std::string failures;
  std::uint64_t failed = 0;
  std::uint64_t blocks = 0;
  for (std::uint64_t seed = first_seed; seed < first_seed + kSeedsPerCase; ++seed) {
    RunResult result = run_seed(seed, options);
    blocks += result.height;
    if (!result.ok()) {
      ++failed;
      failures += failure_report(seed, options, result);
    }
  }
  INFO(failures);
  CHECK(failed == 0);
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
