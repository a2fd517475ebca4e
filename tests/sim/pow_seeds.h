// Seeded proof-of-work runs as `synod-sim --consensus pow` and the sweep tests perform them:
// one definition of "seed S with these options", so a failing test prints a replay command
// that reproduces it exactly.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "tests/sim/pow_runner.h"

namespace synod::sim {

struct PowSeedOptions {
  bool pos = false;  // proof-of-stake scenarios (generate_pos_scenario)
  std::size_t miners = 4;
  TimeMs duration_ms = 60'000;
};

// `recorder`, when set, records the run (and its seed, miners and scenario) for a chart.
PowRunResult run_pow_seed(std::uint64_t seed, const PowSeedOptions& options,
                          std::ostream* trace = nullptr, TraceRecorder* recorder = nullptr);
// "synod-sim --consensus pow|pos --seed S --nodes N --duration-ms D --verbose"
std::string pow_replay_command(std::uint64_t seed, const PowSeedOptions& options);
// The violations of a failed run, its scenario and its replay command, several lines.
std::string pow_failure_report(std::uint64_t seed, const PowSeedOptions& options,
                               const PowRunResult& result);

}  // namespace synod::sim
