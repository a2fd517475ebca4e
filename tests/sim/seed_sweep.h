// The loop of the seed-sweep tests (sweep_test.cpp, pow_sweep_test.cpp, pos_sim_test.cpp):
// run every seed of a range, let the test tally what each run did, and gather the failure
// reports (with replay commands) of the runs that broke an invariant.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace synod::sim {

class TraceRecorder;

struct SweepFailures {
  std::uint64_t count = 0;
  std::string reports;  // one report per failed seed, in seed order
};

// `run` and `report` are a seeds module's pair: run_seed and failure_report (seeds.h), or
// run_pow_seed and pow_failure_report (pow_seeds.h). `tally(result)` sees every result.
template <typename Options, typename Result, typename Tally>
SweepFailures sweep_seeds(std::uint64_t first_seed, std::uint64_t seeds, const Options& options,
                          Result (*run)(std::uint64_t, const Options&, std::ostream*,
                                        TraceRecorder*),
                          std::string (*report)(std::uint64_t, const Options&, const Result&),
                          Tally tally) {
  SweepFailures failures;
  for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    const Result result = run(seed, options, nullptr, nullptr);
    tally(result);
    if (!result.ok()) {
      ++failures.count;
      failures.reports += report(seed, options, result);
    }
  }
  return failures;
}

}  // namespace synod::sim
