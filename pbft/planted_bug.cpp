#include "pbft/planted_bug.h"

namespace synod::pbft {

const char* to_string(PlantedBug bug) {
  switch (bug) {
    case PlantedBug::kNone:
      return "none";
    case PlantedBug::kCommitQuorumTooSmall:
      return "commit-quorum-too-small";
    case PlantedBug::kExecuteBeforeCommitted:
      return "execute-before-committed";
    case PlantedBug::kAcceptConflictingPrePrepare:
      return "accept-conflicting-pre-prepare";
    case PlantedBug::kCountDuplicateVotes:
      return "count-duplicate-votes";
    case PlantedBug::kIgnorePreparedCertificates:
      return "ignore-prepared-certificates";
    case PlantedBug::kAcceptBadSignatures:
      return "accept-bad-signatures";
    case PlantedBug::kSkipPersistBeforeSend:
      return "skip-persist-before-send";
    case PlantedBug::kLowWatermarkAhead:
      return "low-watermark-ahead";
    case PlantedBug::kSkipTransactionSignatures:
      return "skip-transaction-signatures";
    case PlantedBug::kAcceptOldViewVotes:
      return "accept-old-view-votes";
  }
  return "unknown";
}

std::optional<PlantedBug> parse_planted_bug(std::string_view name) {
  for (std::uint8_t i = 0; i < kPlantedBugCount; ++i) {
    auto bug = static_cast<PlantedBug>(i);
    if (name == to_string(bug))
      return bug;
  }
  return std::nullopt;
}

}  // namespace synod::pbft
