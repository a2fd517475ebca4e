#include "tests/sim/twins_cli.h"

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <vector>

#include "crypto/signature_memo.h"
#include "tests/sim/parallel.h"
#include "tests/sim/twins.h"

namespace synod::sim {
namespace {

std::string failure_report(std::uint64_t id, const TwinsOptions& options, const RunResult& result) {
  std::string out = "synod-sim: twins scenario " + std::to_string(id) + " FAILED with " +
                    std::to_string(result.violations.size()) +
                    " violation(s)\n  scenario: " + result.scenario + "\n";
  for (const auto& violation : result.violations)
    out += "  t=" + std::to_string(violation.at_ms) + "ms " + violation.what + "\n";
  return out + "  replay: " + twins_replay_command(id, options) + "\n";
}

int run_one(const TwinsCli& cli) {
  TwinsOptions options{cli.bug, cli.verbose ? &std::cout : nullptr};
  crypto::SignatureMemo memo;
  RunResult result = run_twins(*cli.scenario, options);
  if (!result.ok())
    std::cout << failure_report(*cli.scenario, options, result);
  std::cout << "synod-sim: twins scenario " << *cli.scenario << ", " << result.violations.size()
            << " violations, " << result.height << " blocks committed, "
            << result.transactions_committed << "/" << result.transactions_submitted
            << " transactions, " << result.events << " events, ended at " << result.ended_ms
            << " ms\n  " << result.scenario << "\n";
  return result.ok() ? 0 : 1;
}

int run_chunk(const TwinsCli& cli) {
  const TwinsOptions options{cli.bug, nullptr};
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> blocks{0};
  std::atomic<std::uint64_t> violations{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> equivocated{0};
  std::mutex output;
  const auto started = std::chrono::steady_clock::now();
  auto worker = [&] {
    crypto::SignatureMemo memo;  // this thread's; results are the same without it
    for (std::uint64_t i = next++; i < cli.count; i = next++) {
      const std::uint64_t id = cli.first + i;
      TwinsStats stats;
      RunResult result = run_twins(id, options, &stats);
      blocks += result.height;
      equivocated += stats.twin_equivocated ? 1 : 0;
      if (result.ok())
        continue;
      violations += result.violations.size();
      ++failed;
      std::lock_guard<std::mutex> lock(output);
      std::cout << failure_report(id, options, result) << std::flush;
    }
  };
  run_on_threads(cli.jobs, worker);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "synod-sim: twins scenarios " << cli.first << "-" << cli.first + cli.count - 1
            << ": " << cli.count << " run";
  if (cli.bug != pbft::PlantedBug::kNone)
    std::cout << " with planted bug " << pbft::to_string(cli.bug);
  std::cout << ", " << violations << " violations";
  if (failed > 0)
    std::cout << " in " << failed << " scenarios";
  std::cout << ", " << blocks << " blocks committed, the twin pair signed conflicting messages in "
            << equivocated << ", " << static_cast<std::uint64_t>(seconds) << " s ("
            << static_cast<std::uint64_t>(static_cast<double>(cli.count) / seconds)
            << " scenarios/s, jobs=" << cli.jobs << ")\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace

void add_twins_options(CLI::App& app, TwinsFlags& flags) {
  app.add_flag("--twins", flags.twins,
               "Run Twins scenarios: n = 4, one validator twinned, a partition per view");
  app.add_option("--first", flags.cli.first, "--twins: first scenario id of the chunk");
  app.add_option("--count", flags.cli.count, "--twins: scenarios in the chunk");
  app.add_option("--scenario", flags.scenario, "--twins: replay this one scenario");
  app.add_option("--planted-bug", flags.planted_bug,
                 "--twins: a protocol bug every replica runs (pbft/planted_bug.h; tests only)");
}

std::optional<int> run_twins_flags(TwinsFlags& flags, const CLI::App& app, unsigned jobs,
                                   bool verbose) {
  const std::size_t twins_only = app.count("--first") + app.count("--count") +
                                 app.count("--scenario") + app.count("--planted-bug");
  if (!flags.twins) {
    if (twins_only == 0)
      return std::nullopt;
    std::cerr << "synod-sim: --first, --count, --scenario and --planted-bug go with --twins\n";
    return 2;
  }
  if (app.count("--seeds") + app.count("--seed") + app.count("--consensus") > 0) {
    std::cerr << "synod-sim: --twins runs its own scenarios: no --seeds, --seed or --consensus\n";
    return 2;
  }
  flags.cli.jobs = jobs;
  flags.cli.verbose = verbose;
  if (app.count("--scenario") > 0)
    flags.cli.scenario = flags.scenario;
  auto bug = pbft::parse_planted_bug(flags.planted_bug);
  if (!bug) {
    std::cerr << "synod-sim: --planted-bug: unknown bug '" << flags.planted_bug << "' (one of";
    for (std::uint8_t i = 0; i < pbft::kPlantedBugCount; ++i)
      std::cerr << " " << pbft::to_string(static_cast<pbft::PlantedBug>(i));
    std::cerr << ")\n";
    return 2;
  }
  flags.cli.bug = *bug;
  if (std::string problem = validate_twins_cli(flags.cli); !problem.empty()) {
    std::cerr << "synod-sim: " << problem << "\n";
    return 2;
  }
  return run_twins_cli(flags.cli);
}

std::string validate_twins_cli(const TwinsCli& cli) {
  if (cli.scenario && cli.count > 0)
    return "--twins takes --scenario ID or --count M, not both";
  if (!cli.scenario && cli.count == 0)
    return "--twins needs --count M (a chunk) or --scenario ID (a replay)";
  if (cli.jobs < 1 || cli.jobs > 256)
    return "--jobs must be between 1 and 256";
  if (!cli.scenario &&
      (cli.count > twins_space_size() || cli.first > twins_space_size() - cli.count))
    return "--first + --count run past the " + std::to_string(twins_space_size()) +
           " scenarios of the space";
  return "";
}

int run_twins_cli(const TwinsCli& cli) {
  return cli.scenario ? run_one(cli) : run_chunk(cli);
}

}  // namespace synod::sim
