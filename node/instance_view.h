// Where the PBFT instance after the head stands, as the live page shows it: read from the
// engine's dump_consensus_state (its "instances"), so node/ needs nothing from pbft/.
#pragma once

#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace synod::node {

// The lowest in-flight instance above `height`, or, when none is in flight, the head's own
// instance as it committed (the dump's "last_committed"): a page samples a few times a
// second while a block commits in milliseconds, so it would otherwise show nothing between
// blocks. Its "phase" is
//   "pre-prepare": votes arrived but no pre-prepare yet;
//   "prepare":     pre-prepared, collecting prepares;
//   "commit":      prepared, collecting commits;
//   "committed":   `quorum` commits, or the head's own.
// Null when there is neither (after a restart, or a head that came by state transfer).
nlohmann::json instance_view(const nlohmann::json& dump, std::uint64_t height, std::size_t quorum);

}  // namespace synod::node
