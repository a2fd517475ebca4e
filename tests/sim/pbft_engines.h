// The simulator's bridge to pbft/: engine factories for honest replicas, Byzantine wrappers
// (pbft/adversary.h) and twins, and a one-line rendering of PBFT messages for traces.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pbft/planted_bug.h"
#include "tests/sim/cluster.h"

namespace synod::sim {

// A factory building pbft::Replica from each slot's store (state, head block and the
// persisted kVotesKey record). A slot with an adversary role (ClusterOptions::adversaries:
// a comma-separated list of pbft adversary kind names) gets its replica wrapped with
// pbft::wrap_adversary, seeded from `seed`, the slot and its restart count. Twins are plain
// replicas: the duplicated identity is the fault.
// Every replica runs `bug` (pbft/planted_bug.h; kNone outside the planted-bug tests).
EngineFactory pbft_engine_factory(std::uint64_t seed,
                                  pbft::PlantedBug bug = pbft::PlantedBug::kNone);

// Adversary kinds the seed sweep draws from (pbft::to_string names).
std::vector<std::string> pbft_adversary_kinds();

// "PREPARE v=1 s=5 from 2" and the like; "undecodable (N bytes)" otherwise.
std::string describe_pbft_message(ByteView message);

}  // namespace synod::sim
