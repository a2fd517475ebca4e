// Seeded PBFT runs as synod-sim and the sweep tests perform them: one definition of "seed S
// with these options", so a failing test prints a replay command that reproduces it exactly.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "tests/sim/runner.h"

namespace synod::sim {

struct SeedOptions {
  std::size_t validators = 4;
  TimeMs duration_ms = 8'000;
  std::string adversaries = "all";  // "all", "none" or a comma-separated list of kinds
  bool twins = true;
};

ScenarioOptions scenario_options(const SeedOptions& options);
// `recorder`, when set, records the run (and its seed, nodes and scenario) for a chart.
RunResult run_seed(std::uint64_t seed, const SeedOptions& options, std::ostream* trace = nullptr,
                   TraceRecorder* recorder = nullptr);
// "synod-sim --seed S --nodes N --duration-ms D [--adversaries ..] [--no-twins] --verbose"
std::string replay_command(std::uint64_t seed, const SeedOptions& options);
// The violations of a failed run, its scenario and its replay command, several lines.
std::string failure_report(std::uint64_t seed, const SeedOptions& options, const RunResult& result);

}  // namespace synod::sim
