// Protocol bugs planted on purpose, for tests only: each one breaks a rule of PBFT that the
// simulator's invariant checkers must catch (tests/sim/planted_bugs_test.cpp). A replica
// runs the bug named in ReplicaConfig::planted_bug; the node never sets it, so production
// replicas always run with kNone.
//
// Each bug is a one-line switch at the place the rule lives (`if (planted(...))` in the
// replica), so the honest code path stays exactly as it is.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace synod::pbft {

enum class PlantedBug : std::uint8_t {
  kNone,
  kCommitQuorumTooSmall,         // commits a block with 2f COMMITs instead of 2f+1
  kExecuteBeforeCommitted,       // executes a block once prepared (not committed-local)
  kAcceptConflictingPrePrepare,  // a second PRE-PREPARE for an assigned sequence replaces the
                                 // first, and the replica prepares that one too
  kCountDuplicateVotes,          // every copy of a vote counts toward a quorum, not one per sender
  kIgnorePreparedCertificates,   // the new primary re-proposes nothing from the view changes'
                                 // prepared certificates, and backups take its NEW-VIEW
                                 // without recomputing it
  kAcceptBadSignatures,          // messages are accepted without checking their signature
  kSkipPersistBeforeSend,        // votes are sent without persisting them first
  kLowWatermarkAhead,            // the low watermark rounds the head up to the next checkpoint
  kSkipTransactionSignatures,    // a proposal's transaction signatures are not verified
  kAcceptOldViewVotes,           // PREPAREs and COMMITs of earlier views count in the current one
};

inline constexpr std::uint8_t kPlantedBugCount = 11;  // kNone included

// "none", "commit-quorum-too-small", ... (the enumerator's name in kebab case).
const char* to_string(PlantedBug bug);
std::optional<PlantedBug> parse_planted_bug(std::string_view name);

}  // namespace synod::pbft
