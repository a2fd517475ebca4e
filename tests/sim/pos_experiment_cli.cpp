#include "tests/sim/pos_experiment_cli.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "pow_pos/pos_engine.h"
#include "tests/sim/pos_experiments.h"
#include "tests/sim/pos_sim.h"

namespace synod::sim {
namespace {

constexpr std::uint64_t kDefaultFairnessTrials = 40;
constexpr std::uint64_t kDefaultNothingAtStakeTrials = 20;

std::string format(const char* pattern, double value) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

std::string join(const std::vector<std::uint64_t>& values, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i)
    out += (i ? separator : "") + std::to_string(values[i]);
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run_fairness_table(const PowCli& cli) {
  const FairnessOptions options;
  const std::uint64_t trials = cli.trials ? cli.trials : kDefaultFairnessTrials;
  const chain::PosParams params = sim_pos_params();
  const auto start = std::chrono::steady_clock::now();
  FairnessResult result = run_fairness(trials, cli.first_seed, options, cli.jobs);
  std::uint64_t total_stake = 0;
  for (std::uint64_t stake : options.stakes)
    total_stake += stake;
  const std::uint64_t difficulty = total_stake * params.block_interval_ms / 1000;
  std::cout << "fairness of the stake lottery, real PosEngines: stakes "
            << join(options.stakes, "/") << ", fixed difficulty " << difficulty
            << " (each second a validator wins with p = "
            << "stake / " << difficulty << "), latency 5 ms + exp(20 ms)\n  " << trials
            << " seeds of " << options.duration_ms / 1000 << " s from " << cli.first_seed
            << "; counted: node 0's final chain without its last " << options.unsettled_blocks
            << " blocks; expected: the lottery's exact share (same-second ties split evenly)\n\n"
            << "  validator  stake  stake share  expected share  measured share  blocks\n";
  for (std::size_t j = 0; j < options.stakes.size(); ++j) {
    std::cout << format("%11.0f", static_cast<double>(j))
              << format("%7.0f", static_cast<double>(options.stakes[j]))
              << format("%13.3f", result.stake_shares[j])
              << format("%16.3f", result.expected_shares[j])
              << format("%16.3f", result.measured_shares[j])
              << format("%8.0f", static_cast<double>(result.blocks[j])) << "\n";
  }
  std::cout << "\nchi-square " << format("%.2f", result.chi_square_model) << " over "
            << result.total << " blocks (" << options.stakes.size() - 1 << " degrees of freedom; "
            << format("%.2f", result.critical)
            << " is the 0.1% critical value): " << (result.agrees ? "agrees" : "DISAGREES")
            << "\nagainst equal shares (a lottery blind to stake): "
            << format("%.1f", result.chi_square_equal) << "\n";
  if (result.anomalies > 0) {
    std::cout << result.anomalies << " seeds violated an invariant; first: " << result.first_anomaly
              << "\n  replay: synod-sim --consensus pos --experiment fairness --seed S --verbose\n";
  }
  std::cout << format("%.0f", seconds_since(start)) << " s\n";
  return result.agrees ? 0 : 1;
}

void print_row(const char* name, const std::string& off, const std::string& on,
               const std::string& expected) {
  char line[160];
  std::snprintf(line, sizeof line, "  %-40s %12s %12s   %s\n", name, off.c_str(), on.c_str(),
                expected.c_str());
  std::cout << line;
}

std::string per_trial(std::uint64_t sum, std::uint64_t trials) {
  return format("%.1f", trials ? static_cast<double>(sum) / trials : 0);
}

void print_nothing_at_stake(const NothingAtStakeOptions& options, const NothingAtStakeSide& off,
                            const NothingAtStakeSide& on) {
  const chain::PosParams params = sim_pos_params();
  std::uint64_t total = 0, start_stake = 0;
  std::vector<std::uint64_t> honest;
  for (SlotId slot = 0; slot < options.stakes.size(); ++slot) {
    total += options.stakes[slot];
    const bool byzantine = std::find(options.double_signers.begin(), options.double_signers.end(),
                                     slot) != options.double_signers.end();
    if (byzantine)
      start_stake += options.stakes[slot];
    else
      honest.push_back(options.stakes[slot]);
  }
  const std::uint64_t difficulty = total * params.block_interval_ms / 1000;
  const std::uint64_t slashed_stake = start_stake - start_stake * params.slash_percent / 100;
  const auto n = static_cast<std::uint64_t>(options.double_signers.size());
  print_row("", "slashing off", "slashing on", "expected");
  print_row("heights with a double-sign, per run", per_trial(off.total.double_signs, off.trials),
            per_trial(on.total.double_signs, on.trials), "> 0 (the attack happens)");
  print_row(
      "double-signers slashed, per run", per_trial(off.total.double_signers_slashed, off.trials),
      per_trial(on.total.double_signers_slashed, on.trials), "off 0, on " + std::to_string(n));
  print_row("double-signers' stake at the end, per run",
            per_trial(off.total.double_signer_stake_end, off.trials),
            per_trial(on.total.double_signer_stake_end, on.trials),
            "off " + std::to_string(start_stake) + ", on " + std::to_string(slashed_stake) + " (" +
                std::to_string(params.slash_percent) + "% slashed)");
  print_row("fork rate, 2nd half (side blocks/block)", format("%.3f", off.fork_rate_late()),
            format("%.3f", on.fork_rate_late()),
            "on " + format("%.3f", honest_tie_fork_rate(honest, difficulty)) +
                " (honest same-second ties); off higher");
  print_row("reorgs at honest nodes per 100 blocks",
            format("%.1f", off.reorgs_per_100_blocks_late()),
            format("%.1f", on.reorgs_per_100_blocks_late()), "off higher");
  print_row("mean reorg depth, 2nd half", format("%.2f", off.mean_reorg_depth_late()),
            format("%.2f", on.mean_reorg_depth_late()), "off deeper");
  print_row("deepest reorg, 2nd half", std::to_string(off.total.deepest_reorg_late),
            std::to_string(on.total.deepest_reorg_late), "off deeper");
  print_row("longest side branch, 2nd half", std::to_string(off.total.longest_side_branch_late),
            std::to_string(on.total.longest_side_branch_late), "off longer");
  print_row(
      "final-chain blocks in the 2nd half, per run", per_trial(off.total.blocks_late, off.trials),
      per_trial(on.total.blocks_late, on.trials), "on fewer: the slashed stake no longer draws");
}

// Slashing on: every double-signer slashed, forks at least halved; off: nobody slashed,
// and forks last longer (deeper reorgs on average and at most).
bool nothing_at_stake_holds(const NothingAtStakeOptions& options, const NothingAtStakeSide& off,
                            const NothingAtStakeSide& on) {
  const std::uint64_t all = options.double_signers.size() * on.trials;
  return off.anomalies == 0 && on.anomalies == 0 && off.total.double_signs > 0 &&
         off.total.double_signers_slashed == 0 && on.total.double_signers_slashed == all &&
         off.total.double_signer_stake_end == off.total.double_signer_stake_start &&
         on.fork_rate_late() * 2 < off.fork_rate_late() &&
         on.total.reorgs_late < off.total.reorgs_late &&
         off.mean_reorg_depth_late() > on.mean_reorg_depth_late() &&
         off.total.deepest_reorg_late > on.total.deepest_reorg_late;
}

int run_nothing_at_stake_table(const PowCli& cli) {
  const NothingAtStakeOptions options;
  const std::uint64_t trials = cli.trials ? cli.trials : kDefaultNothingAtStakeTrials;
  const auto start = std::chrono::steady_clock::now();
  const NothingAtStakeSide off =
      run_nothing_at_stake(false, trials, cli.first_seed, options, cli.jobs);
  const NothingAtStakeSide on =
      run_nothing_at_stake(true, trials, cli.first_seed, options, cli.jobs);
  std::cout << "nothing-at-stake, real PosEngines: stakes " << join(options.stakes, "/")
            << ", validators "
            << join(std::vector<std::uint64_t>(options.double_signers.begin(),
                                               options.double_signers.end()),
                    " and ")
            << " run --byzantine double-sign (tickets on the tip's parent and on every side "
               "leaf within "
            << pow_pos::PosEngine::kSideLeafMaxLag << " blocks of the tip too)\n  " << trials
            << " seeds of " << options.duration_ms / 1000 << " s from " << cli.first_seed
            << ", each run with the honest slashers off and on; forks and reorgs counted in the "
               "second half of a run, at node 0 (honest)\n\n";
  print_nothing_at_stake(options, off, on);
  const bool holds = nothing_at_stake_holds(options, off, on);
  std::cout << "\n"
            << (holds ? "holds" : "DOES NOT HOLD")
            << ": with slashing the double-signers lose their stake and the forks they cause "
               "stop; without, they keep it and fork on, deeper\n";
  for (const NothingAtStakeSide* side : {&off, &on}) {
    if (side->anomalies > 0) {
      std::cout << side->anomalies << " seeds violated an invariant (slashing "
                << (side->slashing ? "on" : "off") << "); first: " << side->first_anomaly
                << "\n  replay: synod-sim --consensus pos --experiment nothing-at-stake --seed S "
                   "--verbose\n";
    }
  }
  std::cout << format("%.0f", seconds_since(start)) << " s\n";
  return holds ? 0 : 1;
}

// One seed of an experiment, with a trace when --verbose.
int replay_trial(const PowCli& cli) {
  std::ostream* trace = cli.verbose ? &std::cout : nullptr;
  if (cli.experiment == "fairness") {
    FairnessTrial trial = run_fairness_trial(cli.seed, FairnessOptions(), trace);
    std::cout << "synod-sim: pos fairness seed " << cli.seed << ": blocks per validator "
              << join(trial.blocks, "/") << (trial.anomaly.empty() ? "" : ", VIOLATION: ")
              << trial.anomaly << "\n";
    return trial.anomaly.empty() ? 0 : 1;
  }
  bool ok = true;
  for (bool slashing : {false, true}) {
    NothingAtStakeTrial trial =
        run_nothing_at_stake_trial(cli.seed, slashing, NothingAtStakeOptions(), trace);
    std::cout << "synod-sim: pos nothing-at-stake seed " << cli.seed << " slashing "
              << (slashing ? "on" : "off") << ": " << trial.double_signs << " double-signs, "
              << trial.double_signers_slashed << " double-signers slashed, their stake "
              << trial.double_signer_stake_start << " -> " << trial.double_signer_stake_end
              << ", 2nd half: " << trial.side_blocks_late << " side blocks / " << trial.blocks_late
              << " blocks, " << trial.reorgs_late << " reorgs undoing " << trial.blocks_undone_late
              << " blocks (deepest " << trial.deepest_reorg_late << "), longest side branch "
              << trial.longest_side_branch_late
              << (trial.anomaly.empty() ? "" : ", VIOLATION: " + trial.anomaly) << "\n";
    ok = ok && trial.anomaly.empty();
  }
  return ok ? 0 : 1;
}

}  // namespace

std::string validate_pos_experiment_cli(const PowCli& cli) {
  if (cli.experiment != "fairness" && cli.experiment != "nothing-at-stake")
    return "--experiment must be fairness or nothing-at-stake with --consensus pos";
  if (cli.seeds > 0)
    return "--experiment runs its own seeds: leave out --seeds (see --trials)";
  if (cli.trials > 100'000)
    return "--trials must be at most 100000";
  if (cli.share || cli.confirmations || cli.gamma || cli.json)
    return "--q, --z, --alpha, --gamma and --json go with the pow experiments";
  return "";
}

int run_pos_experiment_cli(const PowCli& cli) {
  if (cli.single)
    return replay_trial(cli);
  return cli.experiment == "fairness" ? run_fairness_table(cli) : run_nothing_at_stake_table(cli);
}

}  // namespace synod::sim
