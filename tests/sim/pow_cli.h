// `synod-sim --consensus pow` and `--consensus pos` (run.pos): seed sweeps and replays of
// proof-of-work or proof-of-stake scenarios, and the experiments (pow: double-spend,
// selfish-mining; pos: fairness, nothing-at-stake). main.cpp parses; this runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tests/sim/pow_seeds.h"

namespace synod::sim {

struct PowCli {
  std::uint64_t seeds = 0;  // a sweep of this many seeds
  std::uint64_t seed = 0;   // or one seed, when `single`
  bool single = false;
  std::uint64_t first_seed = 1;
  PowSeedOptions run;
  unsigned jobs = 1;
  bool verbose = false;
  std::string experiment;    // "", or an experiment of the mode
  std::uint64_t trials = 0;  // per grid cell; 0: the experiment's default
  bool json = false;
  // One trial of an experiment, replayed with `seed` (single): the attacker's share (q or
  // alpha), the confirmations z (double-spend) or gamma (selfish-mining).
  std::optional<double> share;
  std::optional<int> confirmations;
  std::optional<double> gamma;
  TraceRecorder* recorder = nullptr;  // a single seed's run is recorded here when set
};

// Checks what the parser cannot; returns a one-line problem or "".
std::string validate_pow_cli(const PowCli& cli);
// Runs it; the exit code: 0 when every seed held its invariants (or the experiment agreed
// with its exact numbers), 1 otherwise.
int run_pow_cli(const PowCli& cli);

}  // namespace synod::sim
