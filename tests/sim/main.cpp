// synod-sim: runs seeded PBFT or proof-of-work cluster simulations and checks the
// invariants, or runs the proof-of-work attack experiments.
//
//   synod-sim --seeds N [--first-seed S] [--nodes 4|7|10] [--duration-ms D] [--jobs J]
//   synod-sim --seed S [--nodes N] [--duration-ms D] [--verbose]
//             [--trace FILE.json] [--html FILE.html] [--trace-max-events N]
//   synod-sim --consensus pow --seeds N [--nodes M] [--duration-ms D] [--jobs J]
//   synod-sim --consensus pow --seed S [--nodes M] [--duration-ms D] [--verbose]
//             [--trace FILE.json] [--html FILE.html] [--trace-max-events N]
//   synod-sim --consensus pow --experiment double-spend|selfish-mining [--trials T]
//             [--first-seed S] [--jobs J] [--json]
//   synod-sim --consensus pow --experiment double-spend --q Q --z Z --seed S [--verbose]
//   synod-sim --consensus pow --experiment selfish-mining --alpha A --gamma G --seed S
//             [--verbose]
//   synod-sim --consensus pos --seeds N | --seed S  (as pow; N validators)
//   synod-sim --consensus pos --experiment fairness|nothing-at-stake [--trials T]
//             [--first-seed S] [--jobs J] [--seed S [--verbose]]
//   synod-sim --twins --count M [--first N] [--jobs J]   (twins_cli.h)
//   synod-sim --twins --scenario ID [--planted-bug NAME] [--verbose]
//
// A sweep prints one summary line and exits 1 if any seed violated an invariant; every
// failing seed prints the command that replays it. Bad arguments: one line, exit 2.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <vector>

#include "pbft/adversary.h"
#include "tests/sim/parallel.h"
#include "tests/sim/pow_cli.h"
#include "tests/sim/seeds.h"
#include "tests/sim/trace_html.h"
#include "tests/sim/trace_recorder.h"
#include "tests/sim/twins_cli.h"

namespace {

using namespace synod;
using namespace synod::sim;

struct Cli {
  std::uint64_t seeds = 0;
  std::uint64_t seed = 0;
  std::uint64_t first_seed = 1;
  SeedOptions run;
  bool no_twins = false;
  unsigned jobs = 1;
  bool verbose = false;
  std::string trace_file;  // the run as JSON (trace_recorder.h)
  std::string html_file;   // the run as a self-contained message-sequence chart
  std::size_t trace_max_events = TraceRecorder::kDefaultMaxEvents;
};

bool write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    std::cerr << "synod-sim: cannot write " << path << "\n";
    return false;
  }
  return true;
}

// Writes the recorded run where --trace and --html asked; false if a file could not be.
bool write_trace(const Cli& cli, const TraceRecorder& recorder) {
  const nlohmann::json trace = recorder.to_json();
  if (!cli.trace_file.empty() && !write_file(cli.trace_file, trace.dump() + "\n"))
    return false;
  if (!cli.html_file.empty() && !write_file(cli.html_file, render_trace_html(trace)))
    return false;
  std::cout << "synod-sim: recorded " << recorder.size() << " events"
            << (recorder.full() ? " (the cap: raise --trace-max-events for more)" : "") << " to "
            << (cli.trace_file.empty() ? cli.html_file : cli.trace_file)
            << (!cli.trace_file.empty() && !cli.html_file.empty() ? " and " + cli.html_file : "")
            << "\n";
  return true;
}

int run_single(const Cli& cli) {
  const bool recording = !cli.trace_file.empty() || !cli.html_file.empty();
  TraceRecorder recorder(cli.trace_max_events);
  RunResult result = run_seed(cli.seed, cli.run, cli.verbose ? &std::cout : nullptr,
                              recording ? &recorder : nullptr);
  if (recording && !write_trace(cli, recorder))
    return 2;
  if (!result.ok())
    std::cout << failure_report(cli.seed, cli.run, result);
  std::cout << "synod-sim: seed " << cli.seed << ", nodes=" << cli.run.validators << ", "
            << result.violations.size() << " violations, " << result.height << " blocks committed, "
            << result.transactions_committed << "/" << result.transactions_submitted
            << " transactions, " << result.events << " events, ended at " << result.ended_ms
            << " ms, trace " << std::hex << result.trace_hash << std::dec << "\n";
  if (cli.verbose)
    std::cout << "scenario: " << result.scenario << "\n";
  return result.ok() ? 0 : 1;
}

int run_sweep(const Cli& cli) {
  std::vector<RunResult> results(cli.seeds);
  for_each_index(cli.seeds, cli.jobs,
                 [&](std::uint64_t i) { results[i] = run_seed(cli.first_seed + i, cli.run); });

  std::uint64_t violations = 0;
  std::uint64_t blocks = 0;
  std::uint64_t failed = 0;
  for (std::uint64_t i = 0; i < cli.seeds; ++i) {
    blocks += results[i].height;
    violations += results[i].violations.size();
    if (!results[i].ok()) {
      ++failed;
      std::cout << failure_report(cli.first_seed + i, cli.run, results[i]);
    }
  }
  std::cout << "synod-sim: " << cli.seeds << " seeds, nodes=" << cli.run.validators << ", "
            << violations << " violations";
  if (failed > 0)
    std::cout << " in " << failed << " seeds";
  std::cout << ", " << blocks << " blocks committed\n";
  return failed == 0 ? 0 : 1;
}

// Checks CLI11 cannot express; returns an error message or "".
std::string validate(const Cli& cli) {
  const std::size_t nodes = cli.run.validators;
  if (nodes < 4 || (nodes - 1) % 3 != 0 || nodes > 31)
    return "--nodes must be 3f+1 validators between 4 and 31 (4, 7, 10, ...)";
  if (cli.run.duration_ms < 1000 || cli.run.duration_ms > 3'600'000)
    return "--duration-ms must be between 1000 and 3600000";
  if (cli.jobs < 1 || cli.jobs > 256)
    return "--jobs must be between 1 and 256";
  if (cli.run.adversaries != "all" && cli.run.adversaries != "none") {
    auto kinds = pbft::parse_adversary_kinds(cli.run.adversaries);
    if (!kinds.ok())
      return "--adversaries: " + kinds.message();
  }
  return "";
}

// The --consensus pow options, taken from what the shared flags parsed.
struct PowFlags {
  std::string experiment;
  std::uint64_t trials = 0;
  bool json = false;
  double share = 0;
  int confirmations = 0;
  double gamma = 0;
};

int run_pow(const Cli& cli, const PowFlags& flags, const CLI::App& app, bool pos) {
  PowCli pow;
  pow.run.pos = pos;
  pow.seeds = cli.seeds;
  pow.seed = cli.seed;
  pow.single = app.count("--seed") > 0;
  pow.first_seed = cli.first_seed;
  if (app.count("--nodes") > 0)
    pow.run.miners = cli.run.validators;
  if (app.count("--duration-ms") > 0)
    pow.run.duration_ms = cli.run.duration_ms;
  pow.jobs = cli.jobs;
  pow.verbose = cli.verbose;
  pow.experiment = flags.experiment;
  pow.trials = flags.trials;
  pow.json = flags.json;
  if (app.count("--q") > 0 || app.count("--alpha") > 0)
    pow.share = flags.share;
  if (app.count("--z") > 0)
    pow.confirmations = flags.confirmations;
  if (app.count("--gamma") > 0)
    pow.gamma = flags.gamma;
  if (app.count("--adversaries") > 0 || cli.no_twins) {
    std::cerr << "synod-sim: --adversaries and --no-twins are PBFT options\n";
    return 2;
  }
  const bool recording = !cli.trace_file.empty() || !cli.html_file.empty();
  TraceRecorder recorder(cli.trace_max_events);
  if (recording)
    pow.recorder = &recorder;
  if (std::string problem = validate_pow_cli(pow); !problem.empty()) {
    std::cerr << "synod-sim: " << problem << "\n";
    return 2;
  }
  const int code = run_pow_cli(pow);
  if (recording && !write_trace(cli, recorder))
    return 2;
  return code;
}

// The flags of the PoW and PoS experiments and of their one-seed replays.
void add_pow_options(CLI::App& app, PowFlags& pow) {
  app.add_option("--experiment", pow.experiment,
                 "pow: double-spend or selfish-mining; pos: fairness or nothing-at-stake");
  app.add_option("--trials", pow.trials,
                 "Experiment seeds: per grid point (pow), in all (pos fairness), per slashing "
                 "setting (pos nothing-at-stake)");
  app.add_flag("--json", pow.json, "pow experiments: print the table as JSON");
  auto* q = app.add_option("--q", pow.share, "double-spend replay (--seed): attacker share");
  auto* alpha = app.add_option("--alpha", pow.share, "selfish-mining replay (--seed): pool share");
  q->excludes(alpha);
  alpha->excludes(q);
  app.add_option("--z", pow.confirmations, "double-spend replay (--seed): confirmations");
  app.add_option("--gamma", pow.gamma, "selfish-mining replay (--seed): gamma");
}

// A PBFT sweep (--seeds) or replay (--seed), once the flags that need PoW or PoS are out.
int run_pbft(Cli& cli, const PowFlags& pow, const CLI::App& app, const CLI::Option& seeds_flag,
             const CLI::Option& seed_flag) {
  if (!pow.experiment.empty() || app.count("--trials") > 0 || pow.json ||
      app.count("--q") + app.count("--alpha") + app.count("--z") + app.count("--gamma") > 0) {
    std::cerr << "synod-sim: --experiment, --trials, --json, --q, --alpha, --z and --gamma "
                 "need --consensus pow or pos\n";
    return 2;
  }
  if (seeds_flag.count() == 0 && seed_flag.count() == 0) {
    std::cerr << "synod-sim: one of --seeds N or --seed S is required (see --help)\n";
    return 2;
  }
  if (seeds_flag.count() == 0 && (app.count("--first-seed") > 0 || app.count("--jobs") > 0)) {
    std::cerr << "synod-sim: --first-seed and --jobs go with --seeds (see --help)\n";
    return 2;
  }
  if (std::string problem = validate(cli); !problem.empty()) {
    std::cerr << "synod-sim: " << problem << "\n";
    return 2;
  }
  cli.run.twins = !cli.no_twins;
  return seed_flag.count() > 0 ? run_single(cli) : run_sweep(cli);
}

}  // namespace

int main(int argc, char** argv) {
  Cli cli;
  PowFlags pow;
  std::string consensus = "pbft";
  CLI::App app{
      "Deterministic PBFT, proof-of-work or proof-of-stake cluster simulation with seeded faults",
      "synod-sim"};
  app.add_option("--consensus", consensus, "pbft (the default), pow or pos")
      ->check(CLI::IsMember({"pbft", "pow", "pos"}));
  auto* seeds = app.add_option("--seeds", cli.seeds, "Run this many seeds (a sweep)");
  auto* seed = app.add_option("--seed", cli.seed, "Replay this one seed");
  seeds->excludes(seed);
  seed->excludes(seeds);
  app.add_option("--first-seed", cli.first_seed, "First seed of a sweep or an experiment");
  app.add_option("--nodes", cli.run.validators,
                 "Validators (3f+1: 4, 7, 10, ...); with pow: miners, with pos: validators "
                 "(2-16, default 4)");
  app.add_option("--duration-ms", cli.run.duration_ms,
                 "Virtual milliseconds of client load; faults fall in the first half");
  app.add_option("--adversaries", cli.run.adversaries,
                 "Adversary kinds to draw from: all, none, or a comma-separated list");
  app.add_flag("--no-twins", cli.no_twins, "Never run a validator twice");
  app.add_option("--jobs", cli.jobs, "Seeds run in parallel in a sweep or an experiment");
  app.add_flag("--verbose", cli.verbose, "Print every event of a single seed");
  auto* trace = app.add_option("--trace", cli.trace_file,
                               "Record the seed's run (messages, faults, view changes, commits) "
                               "to this JSON file");
  auto* html = app.add_option("--html", cli.html_file,
                              "Write the seed's run as a self-contained message-sequence chart");
  auto* trace_cap = app.add_option("--trace-max-events", cli.trace_max_events,
                                   "Stop recording after this many events (default 20000)")
                        ->check(CLI::Range(std::size_t{1}, TraceRecorder::kMaxEventsLimit));
  add_pow_options(app, pow);
  TwinsFlags twins;
  add_twins_options(app, twins);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& error) {
    std::cerr << "synod-sim: " << error.what() << " (see --help)\n";
    return 2;
  }
  if (auto code = run_twins_flags(twins, app, cli.jobs, cli.verbose))
    return *code;
  if (trace->count() + html->count() + trace_cap->count() > 0) {
    if (seed->count() == 0) {
      std::cerr << "synod-sim: --trace, --html and --trace-max-events record one seed "
                   "(--seed S)\n";
      return 2;
    }
  }
  if (consensus != "pbft")
    return run_pow(cli, pow, app, consensus == "pos");
  return run_pbft(cli, pow, app, *seeds, *seed);
}
