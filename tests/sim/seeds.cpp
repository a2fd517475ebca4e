#include "tests/sim/seeds.h"

#include <sstream>

#include "tests/sim/pbft_engines.h"

namespace synod::sim {

ScenarioOptions scenario_options(const SeedOptions& options) {
  ScenarioOptions out;
  out.validators = options.validators;
  out.duration_ms = options.duration_ms;
  out.twins = options.twins;
  if (options.adversaries == "all") {
    out.adversary_kinds = pbft_adversary_kinds();
  } else if (options.adversaries != "none") {
    std::stringstream list(options.adversaries);
    for (std::string kind; std::getline(list, kind, ',');)
      out.adversary_kinds.push_back(kind);
  }
  return out;
}

RunResult run_seed(std::uint64_t seed, const SeedOptions& options, std::ostream* trace,
                   TraceRecorder* recorder) {
  Scenario scenario = generate_scenario(seed, scenario_options(options));
  RunOptions run;
  run.factory = pbft_engine_factory(seed);
  run.describe_message = describe_pbft_message;
  run.trace = trace;
  run.recorder = recorder;
  if (recorder != nullptr) {
    recorder->set_run({{"seed", seed},
                       {"consensus", "pbft"},
                       {"validators", options.validators},
                       {"duration_ms", options.duration_ms},
                       {"scenario", scenario.describe()},
                       {"replay", replay_command(seed, options)}});
  }
  return run_scenario(scenario, run);
}

std::string replay_command(std::uint64_t seed, const SeedOptions& options) {
  std::string out = "synod-sim --seed " + std::to_string(seed) + " --nodes " +
                    std::to_string(options.validators) + " --duration-ms " +
                    std::to_string(options.duration_ms);
  if (options.adversaries != "all")
    out += " --adversaries " + options.adversaries;
  if (!options.twins)
    out += " --no-twins";
  return out + " --verbose";
}

std::string failure_report(std::uint64_t seed, const SeedOptions& options,
                           const RunResult& result) {
  return failure_report_text("seed " + std::to_string(seed), result.violations, result.scenario,
                             replay_command(seed, options));
}

}  // namespace synod::sim
