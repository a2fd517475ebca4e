#include "tests/sim/pow_cli.h"

#include <iostream>
#include <vector>

#include "tests/sim/parallel.h"
#include "tests/sim/pos_experiment_cli.h"
#include "tests/sim/pow_experiment_cli.h"

namespace synod::sim {
namespace {

const char* mode_name(const PowCli& cli) {
  return cli.run.pos ? "pos" : "pow";
}

const char* nodes_name(const PowCli& cli) {
  return cli.run.pos ? "validators" : "miners";
}

int run_single(const PowCli& cli) {
  PowRunResult result =
      run_pow_seed(cli.seed, cli.run, cli.verbose ? &std::cout : nullptr, cli.recorder);
  if (!result.ok())
    std::cout << pow_failure_report(cli.seed, cli.run, result);
  std::cout << "synod-sim: " << mode_name(cli) << " seed " << cli.seed << ", " << nodes_name(cli)
            << "=" << cli.run.miners << ", " << result.violations.size()
            << " violations, best chain at " << result.height << ", ";
  if (cli.run.pos)
    std::cout << result.slashes_checked << " slashes checked, ";
  else
    std::cout << result.blocks_mined << " blocks mined, ";
  std::cout << result.reorgs << " reorgs (deepest " << result.deepest_reorg << "), "
            << result.transactions_submitted << " transactions, " << result.events
            << " events, ended at " << result.ended_ms << " ms, trace " << std::hex
            << result.trace_hash << std::dec << "\n";
  if (cli.verbose)
    std::cout << "scenario: " << result.scenario << "\n";
  return result.ok() ? 0 : 1;
}

int run_sweep(const PowCli& cli) {
  std::vector<PowRunResult> results(cli.seeds);
  for_each_index(cli.seeds, cli.jobs,
                 [&](std::uint64_t i) { results[i] = run_pow_seed(cli.first_seed + i, cli.run); });
  std::uint64_t violations = 0, failed = 0, blocks = 0, reorgs = 0, deepest = 0;
  for (std::uint64_t i = 0; i < cli.seeds; ++i) {
    blocks += results[i].height;
    reorgs += results[i].reorgs;
    deepest = std::max(deepest, results[i].deepest_reorg);
    violations += results[i].violations.size();
    if (!results[i].ok()) {
      ++failed;
      std::cout << pow_failure_report(cli.first_seed + i, cli.run, results[i]);
    }
  }
  std::cout << "synod-sim: " << cli.seeds << " " << mode_name(cli) << " seeds, " << nodes_name(cli)
            << "=" << cli.run.miners << ", " << violations << " violations";
  if (failed > 0)
    std::cout << " in " << failed << " seeds";
  std::cout << ", " << blocks << " blocks on the final chains, " << reorgs << " reorgs (deepest "
            << deepest << ")\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace

std::string validate_pow_cli(const PowCli& cli) {
  const std::string mode = mode_name(cli);
  if (cli.run.miners < 2 || cli.run.miners > 16)
    return "--nodes must be between 2 and 16 " + std::string(nodes_name(cli)) +
           " with --consensus " + mode;
  if (cli.run.duration_ms < 10'000 || cli.run.duration_ms > 3'600'000)
    return "--duration-ms must be between 10000 and 3600000 with --consensus " + mode;
  if (cli.jobs < 1 || cli.jobs > 256)
    return "--jobs must be between 1 and 256";
  if (!cli.experiment.empty()) {
    if (cli.recorder != nullptr)
      return "--trace and --html record a seed's run, not an experiment";
    return cli.run.pos ? validate_pos_experiment_cli(cli) : validate_experiment_cli(cli);
  }
  if (cli.seeds == 0 && !cli.single)
    return "one of --seeds N, --seed S or --experiment NAME is required (see --help)";
  if (cli.json || cli.trials != 0 || cli.share || cli.confirmations || cli.gamma)
    return "--json, --trials, --q, --z, --alpha and --gamma go with --experiment";
  if (cli.recorder != nullptr && !cli.single)
    return "--trace, --html and --trace-max-events record one seed (--seed S)";
  return "";
}

int run_pow_cli(const PowCli& cli) {
  if (!cli.experiment.empty())
    return cli.run.pos ? run_pos_experiment_cli(cli) : run_experiment_cli(cli);
  return cli.seeds > 0 ? run_sweep(cli) : run_single(cli);
}

}  // namespace synod::sim
