// synod-sim --twins: runs a chunk of Twins scenarios (twins.h) or replays one.
//
//   synod-sim --twins --count M [--first N] [--jobs J] [--planted-bug NAME]
//   synod-sim --twins --scenario ID [--planted-bug NAME] [--verbose]
//
// A chunk prints every failing scenario with its replay command and one summary line (runs,
// violations, blocks, scenarios per second of wall time); exit 1 on any violation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pbft/planted_bug.h"

namespace CLI {
class App;
}

namespace synod::sim {

struct TwinsCli {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
  std::optional<std::uint64_t> scenario;  // replay this one instead of a chunk
  unsigned jobs = 1;
  pbft::PlantedBug bug = pbft::PlantedBug::kNone;
  bool verbose = false;
};

// Adds --twins, --first, --count, --scenario and --planted-bug to synod-sim's parser; after
// parsing, run_twins_flags runs them when --twins was given (jobs and verbose are the
// shared flags) and returns the exit code, or nullopt without --twins.
struct TwinsFlags {
  bool twins = false;
  TwinsCli cli;
  std::uint64_t scenario = 0;
  std::string planted_bug = "none";
};
void add_twins_options(CLI::App& app, TwinsFlags& flags);
std::optional<int> run_twins_flags(TwinsFlags& flags, const CLI::App& app, unsigned jobs,
                                   bool verbose);

// Checks CLI11 cannot express; returns an error message or "".
std::string validate_twins_cli(const TwinsCli& cli);
int run_twins_cli(const TwinsCli& cli);

}  // namespace synod::sim
