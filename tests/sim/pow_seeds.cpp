#include "tests/sim/pow_seeds.h"

namespace synod::sim {
namespace {

std::string mode_name(const PowSeedOptions& options) {
  return options.pos ? "pos" : "pow";
}

}  // namespace

PowRunResult run_pow_seed(std::uint64_t seed, const PowSeedOptions& options, std::ostream* trace,
                          TraceRecorder* recorder) {
  const PowScenarioOptions scenario_options{options.miners, options.duration_ms};
  PowScenario scenario = options.pos ? generate_pos_scenario(seed, scenario_options)
                                     : generate_pow_scenario(seed, scenario_options);
  PowRunOptions run;
  run.trace = trace;
  run.recorder = recorder;
  if (recorder != nullptr) {
    recorder->set_run({{"seed", seed},
                       {"consensus", mode_name(options)},
                       {"nodes", options.miners},
                       {"duration_ms", options.duration_ms},
                       {"scenario", scenario.describe()},
                       {"replay", pow_replay_command(seed, options)}});
  }
  return run_pow_scenario(scenario, run);
}

std::string pow_replay_command(std::uint64_t seed, const PowSeedOptions& options) {
  return "synod-sim --consensus " + mode_name(options) + " --seed " + std::to_string(seed) +
         " --nodes " + std::to_string(options.miners) + " --duration-ms " +
         std::to_string(options.duration_ms) + " --verbose";
}

std::string pow_failure_report(std::uint64_t seed, const PowSeedOptions& options,
                               const PowRunResult& result) {
  return failure_report_text(mode_name(options) + " seed " + std::to_string(seed),
                             result.violations, result.scenario, pow_replay_command(seed, options));
}

}  // namespace synod::sim
