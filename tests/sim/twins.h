// Twins at scale (Bano, Sonnino, Chursin, Perelman, Li, Ching, Malkhi: "Twins: BFT Systems
// Made Robust", OPODIS 2022) for PBFT with n = 4.
//
// A Twins scenario runs one validator twice: two honest replicas share its key, so together
// they behave like a Byzantine node that equivocates, without anyone writing Byzantine code.
// For each round the scenario names a partition of the five slots (the four validators and
// the twin's second copy) into one, two or three groups, and a message only reaches slots in
// its sender's group for the message's round. Rounds are PBFT views: PRE-PREPARE, PREPARE,
// COMMIT and NEW-VIEW belong to their view, a VIEW-CHANGE to the view it asks for, and a
// CHECKPOINT or a block fetch to the sender's current view. The leader of round v is PBFT's
// primary v mod 4, so the leader schedule follows from the partitions and from which
// validator is twinned. Views from kRounds on, and everything from gst_ms on, are fully
// connected, so every scenario must also end live.
//
// The space is every twin (4) times every partition (41) for each of the six rounds:
// 4 * 41^6 = 19,000,416,964 scenarios. Scenario id i is the element (a * i + b) mod size of
// that space in mixed radix (a is coprime to the size), so consecutive ids cover the space
// evenly and distinct ids below the size are distinct scenarios.
#pragma once

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "pbft/planted_bug.h"
#include "tests/sim/runner.h"

namespace synod::sim {

using SlotGroups = std::vector<std::vector<SlotId>>;

struct TwinsScenario {
  static constexpr std::size_t kValidators = 4;
  static constexpr std::size_t kSlots = kValidators + 1;  // slot 4 is the twin's second copy
  static constexpr std::size_t kRounds = 6;               // views 0-5

  std::uint64_t id = 0;
  ReplicaIndex twin = 0;
  std::array<SlotGroups, kRounds> rounds;  // partition of the slots for each view's messages

  // Whether a message of `view` from slot `from` may reach slot `to`.
  bool connected(std::uint64_t view, SlotId from, SlotId to) const;
  std::string describe() const;
};

// Every partition of the five slots into 1, 2 or 3 non-empty groups, in a fixed order.
const std::vector<SlotGroups>& twins_partitions();
std::uint64_t twins_space_size();
TwinsScenario twins_scenario(std::uint64_t id);

struct TwinsOptions {
  pbft::PlantedBug bug = pbft::PlantedBug::kNone;  // the protocol bug every replica runs
  std::ostream* trace = nullptr;                   // per-event trace when set
};

// What a scenario did beyond the checkers' verdict.
struct TwinsStats {
  // The two copies of the twinned validator signed conflicting messages (the attack
  // happened; honest_votes.h applied to the pair).
  bool twin_equivocated = false;
};

// Runs scenario `id` with a small workload; safety is checked throughout (plus the honest
// replicas' signatures, honest_votes.h), liveness from gst_ms on. `stats` is filled if set.
RunResult run_twins(std::uint64_t id, const TwinsOptions& options, TwinsStats* stats = nullptr);
// "synod-sim --twins --scenario ID [--planted-bug NAME] --verbose"
std::string twins_replay_command(std::uint64_t id, const TwinsOptions& options);

}  // namespace synod::sim
