#include "tests/sim/pow_experiment_cli.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/sim/pow_double_spend.h"
#include "tests/sim/pow_selfish.h"

namespace synod::sim {
namespace {

constexpr std::uint64_t kDefaultDoubleSpendTrials = 1000;
constexpr std::uint64_t kDefaultSelfishRuns = 8;
constexpr std::uint64_t kCellSeedStride = 1'000'000;  // cells draw from disjoint seed ranges

const std::vector<double> kAttackerShares = {0.1, 0.2, 0.3, 0.4, 0.5};
constexpr int kMaxConfirmations = 10;
const std::vector<double> kPoolShares = {0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45};
const std::vector<double> kGammas = {0.0, 0.5};

std::string format(const char* pattern, double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// An experiment's grid, cell by cell: each cell draws its seeds from a range of its own,
// prints its row (or, with --json, adds its object) and counts when it agrees with theory.
class Grid {
 public:
  explicit Grid(const PowCli& cli) : cli_(cli), start_(std::chrono::steady_clock::now()) {}

  std::uint64_t next_seed_base() const { return cli_.first_seed + total_ * kCellSeedStride; }

  template <typename Json, typename Print>
  void add(bool agrees, Json json, Print print) {
    ++total_;
    agreeing_ += agrees ? 1 : 0;
    if (cli_.json)
      cells_.push_back(json());
    else
      print();
  }

  // The closing lines: `summary` with the cells under `cells_key`, the count that agree
  // and the seconds taken (--json), or "A of T <agree_text>, S s". Exit status 0 when
  // every cell agrees.
  int finish(nlohmann::json summary, const std::string& cells_key,
             const std::string& agree_text) const {
    const double elapsed = seconds_since(start_);
    if (cli_.json) {
      summary[cells_key] = cells_;
      summary["agreeing"] = agreeing_;
      summary["seconds"] = elapsed;
      std::cout << summary.dump(2) << "\n";
    } else {
      std::cout << "\n"
                << agreeing_ << " of " << total_ << " " << agree_text << ", "
                << format("%.0f", elapsed) << " s\n";
    }
    return agreeing_ == total_ ? 0 : 1;
  }

 private:
  const PowCli& cli_;
  std::chrono::steady_clock::time_point start_;
  nlohmann::json cells_ = nlohmann::json::array();
  std::uint64_t agreeing_ = 0;
  std::uint64_t total_ = 0;
};

void print_double_spend_header(const PowCli& cli, std::uint64_t trials) {
  const DoubleSpendOptions options;
  std::cout << "double spend against z confirmations, real PowEngines: an attacker with hash "
               "share q, "
            << options.honest_miners << " honest miners sharing p = 1 - q\n"
            << "  " << options.expected_hashes << " hashes per block, "
            << options.block_interval_ms / 1000
            << " s blocks, honest latency 2 ms + exp(3 ms); the attacker publishes once its "
               "branch is strictly longer after z confirmations and gives up D blocks behind\n"
            << "  (D: least with (q/p)^(D+1) < " << options.neglect << ", at most "
            << options.deficit_cap << "); " << trials << " trials per cell, seeds from "
            << cli.first_seed << "\n"
            << "  exact: this process (negative binomial, then gambler's ruin to +1 or -D); "
               "level: negative binomial with Nakamoto's rule (draw level, never give up); "
               "nakamoto: section 11's Poisson formula\n\n"
            << "     q   z   D  measured    sigma     exact    level  nakamoto  agrees\n";
}

void print_double_spend_cell(const DoubleSpendCell& cell) {
  std::cout << format("%6.2f", cell.q) << format("%4.0f", cell.z)
            << format("%4.0f", cell.give_up_deficit) << format("%10.4f", cell.measured)
            << format("%9.4f", cell.sigma) << format("%10.4f", cell.exact)
            << format("%9.4f", cell.level) << format("%10.4f", cell.nakamoto)
            << (cell.agrees ? "  yes" : "  NO");
  if (cell.anomalies > 0)
    std::cout << "  (" << cell.anomalies << " anomalies: " << cell.first_anomaly << ")";
  std::cout << "\n" << std::flush;
  if (cell.anomalies > 0) {
    std::cout << "    replay: synod-sim --consensus pow --experiment double-spend --q " << cell.q
              << " --z " << cell.z << " --seed (the seed above) --verbose\n";
  }
}

nlohmann::json double_spend_json(const DoubleSpendCell& cell) {
  return {{"q", cell.q},
          {"z", cell.z},
          {"give_up_deficit", cell.give_up_deficit},
          {"trials", cell.trials},
          {"successes", cell.successes},
          {"measured", cell.measured},
          {"sigma", cell.sigma},
          {"exact", cell.exact},
          {"level_catch_up", cell.level},
          {"nakamoto", cell.nakamoto},
          {"agrees", cell.agrees},
          {"anomalies", cell.anomalies}};
}

int run_double_spend(const PowCli& cli) {
  const std::uint64_t trials = cli.trials ? cli.trials : kDefaultDoubleSpendTrials;
  const DoubleSpendOptions options;
  Grid grid(cli);
  if (!cli.json)
    print_double_spend_header(cli, trials);
  for (double q : kAttackerShares) {
    for (int z = 0; z <= kMaxConfirmations; ++z) {
      const DoubleSpendCell cell =
          run_double_spend_cell(q, z, trials, grid.next_seed_base(), options, cli.jobs);
      grid.add(
          cell.agrees, [&] { return double_spend_json(cell); },
          [&] { print_double_spend_cell(cell); });
    }
  }
  std::ostringstream agree_text;
  agree_text << "cells agree with the exact probability (an exact binomial test at the 4 "
                "sigma level, allowing "
             << options.epsilon << " of bias)";
  return grid.finish({{"experiment", "double-spend"},
                      {"trials", trials},
                      {"first_seed", cli.first_seed},
                      {"epsilon", options.epsilon}},
                     "cells", agree_text.str());
}

void print_selfish_header(const PowCli& cli, std::uint64_t runs) {
  const SelfishOptions options;
  std::cout << "selfish mining (Eyal & Sirer 2014), real PowEngines: a pool with hash share "
               "alpha, "
            << options.honest_miners
            << " honest miners; gamma: honest power mining on the "
               "pool's block in a race\n"
            << "  " << runs << " runs of " << options.blocks
            << " main-chain blocks per point, seeds from " << cli.first_seed
            << "; sigma: standard error of the mean of the runs\n\n"
            << "  alpha  gamma   revenue    sigma  closed-form  honest  agrees\n";
}

void print_selfish_point(const SelfishPoint& point) {
  std::cout << format("%7.2f", point.alpha) << format("%7.2f", point.gamma)
            << format("%10.4f", point.revenue) << format("%9.4f", point.sigma)
            << format("%13.4f", point.closed_form) << format("%8.2f", point.alpha)
            << (point.agrees ? "  yes" : "  NO");
  if (point.anomalies > 0)
    std::cout << "  (" << point.anomalies << " anomalies: " << point.first_anomaly << ")";
  std::cout << "\n" << std::flush;
  if (point.anomalies > 0) {
    std::cout << "    replay: synod-sim --consensus pow --experiment selfish-mining --alpha "
              << point.alpha << " --gamma " << point.gamma << " --seed (the seed above)\n";
  }
}

nlohmann::json selfish_json(const SelfishPoint& point) {
  return {{"alpha", point.alpha},
          {"gamma", point.gamma},
          {"runs", point.runs},
          {"blocks", point.blocks},
          {"revenue", point.revenue},
          {"sigma", point.sigma},
          {"closed_form", point.closed_form},
          {"agrees", point.agrees},
          {"anomalies", point.anomalies}};
}

int run_selfish(const PowCli& cli) {
  SelfishOptions options;
  options.runs = cli.trials ? cli.trials : kDefaultSelfishRuns;
  Grid grid(cli);
  if (!cli.json)
    print_selfish_header(cli, options.runs);
  for (double gamma : kGammas) {
    for (double alpha : kPoolShares) {
      const SelfishPoint point =
          run_selfish_point(alpha, gamma, grid.next_seed_base(), options, cli.jobs);
      grid.add(
          point.agrees, [&] { return selfish_json(point); }, [&] { print_selfish_point(point); });
    }
  }
  std::ostringstream agree_text;
  agree_text << "points agree with the closed form (|revenue - R| <= 4 sigma + " << options.epsilon
             << ")";
  return grid.finish({{"experiment", "selfish-mining"},
                      {"runs", options.runs},
                      {"blocks_per_run", options.blocks},
                      {"first_seed", cli.first_seed},
                      {"epsilon", options.epsilon}},
                     "points", agree_text.str());
}

// One trial of a grid point, with a trace when --verbose (a failing point names its seed).
int replay_trial(const PowCli& cli) {
  std::ostream* trace = cli.verbose ? &std::cout : nullptr;
  if (cli.experiment == "double-spend") {
    DoubleSpendTrial trial = run_double_spend_trial(*cli.share, *cli.confirmations, cli.seed,
                                                    DoubleSpendOptions(), trace);
    std::cout << "synod-sim: double spend q=" << *cli.share << " z=" << *cli.confirmations
              << " seed " << cli.seed << ": " << (trial.success ? "success" : "failure")
              << ", honest chain at " << trial.honest_height << ", attacker at "
              << trial.attacker_height << (trial.anomaly ? ", ANOMALY: " + trial.note : "") << "\n";
    return trial.anomaly ? 1 : 0;
  }
  SelfishRun run = run_selfish_mining(*cli.share, *cli.gamma, cli.seed, SelfishOptions(), trace);
  std::cout << "synod-sim: selfish mining alpha=" << *cli.share << " gamma=" << *cli.gamma
            << " seed " << cli.seed << ": " << run.pool_blocks << " of " << run.counted
            << " main-chain blocks are the pool's, " << run.races << " races"
            << (run.anomaly.empty() ? "" : ", ANOMALY: " + run.anomaly) << "\n";
  return run.anomaly.empty() ? 0 : 1;
}

}  // namespace

std::string validate_experiment_cli(const PowCli& cli) {
  const bool double_spend = cli.experiment == "double-spend";
  if (!double_spend && cli.experiment != "selfish-mining")
    return "--experiment must be double-spend or selfish-mining";
  if (cli.seeds > 0)
    return "--experiment runs its own seeds: leave out --seeds (see --trials)";
  if (cli.trials > 1'000'000)
    return "--trials must be at most 1000000";
  if (!double_spend && cli.trials == 1)
    return "--trials must be at least 2 for selfish-mining (the spread of runs is the error)";
  const bool knobs = cli.share || cli.confirmations || cli.gamma;
  if (!cli.single)
    return knobs ? "--q, --z, --alpha and --gamma replay one trial: they need --seed" : "";
  if (double_spend && (!cli.share || !cli.confirmations || cli.gamma))
    return "replaying a double-spend trial takes --seed, --q and --z";
  if (!double_spend && (!cli.share || !cli.gamma || cli.confirmations))
    return "replaying a selfish-mining run takes --seed, --alpha and --gamma";
  if (*cli.share <= 0 || *cli.share >= (double_spend ? 1.0 : 0.5))
    return double_spend ? "--q must be in (0, 1)" : "--alpha must be in (0, 0.5)";
  if (double_spend && (*cli.confirmations < 0 || *cli.confirmations > 100))
    return "--z must be between 0 and 100";
  if (!double_spend && (*cli.gamma < 0 || *cli.gamma > 0.5))
    return "--gamma must be between 0 and 0.5 (two honest miners)";
  return "";
}

int run_experiment_cli(const PowCli& cli) {
  if (cli.single)
    return replay_trial(cli);
  return cli.experiment == "double-spend" ? run_double_spend(cli) : run_selfish(cli);
}

}  // namespace synod::sim
