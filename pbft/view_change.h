// The safety rules of PBFT's view change as small pure functions (Castro & Liskov, TOCS
// 2002, section 4.4), kept apart from the replica's timers so they can be tested alone.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "chain/genesis.h"
#include "pbft/messages.h"

namespace synod::pbft {

inline ReplicaIndex primary_of(std::uint64_t view, std::size_t validator_count) {
  return static_cast<ReplicaIndex>(view % validator_count);
}

// A pre-prepare signed by the primary of its view and 2f prepares from distinct backups of
// that view, all for the same (view, sequence, digest), with the block's own seal agreeing.
Status validate_prepared_certificate(const PreparedCertificate& certificate,
                                     const chain::ValidatorSet& validators,
                                     const chain::SigningDomain& domain);

// 2f+1 matching signed checkpoints for (sequence, digest); empty is valid for sequence 0.
Status validate_checkpoint_proof(std::uint64_t sequence,
                                 const std::vector<Signed<Checkpoint>>& proof,
                                 const chain::ValidatorSet& validators,
                                 const chain::SigningDomain& domain);

// The VIEW-CHANGE's own signature and everything it carries: checkpoint proof, the head's
// commit certificate, prepared certificates above the head and below the new view, whose
// blocks must fit the genesis block limits (checked first: it costs no signature).
Status validate_view_change(const Signed<ViewChange>& message,
                            const chain::ValidatorSet& validators,
                            const chain::SigningDomain& domain, const chain::PbftParams& limits);

// The re-proposal a new primary must make ("O" in the paper) from 2f+1 view-changes.
// With one block in flight, only the sequence just above the highest certified head can
// hold a prepared-but-uncommitted block, and no sequence in between can be empty (every
// lower one is committed), so there are no gaps to fill with null requests: O is either
// that block, re-proposed in the new view, or nothing. Among prepared certificates for that
// sequence the one from the highest view wins.
std::optional<PrePrepare> compute_reproposal(const std::vector<Signed<ViewChange>>& view_changes,
                                             std::uint64_t new_view);
std::uint64_t highest_head(const std::vector<Signed<ViewChange>>& view_changes);

// A NEW-VIEW from the right primary with 2f+1 valid view-changes for its view from distinct
// replicas, whose re-proposals are exactly what compute_reproposal gives, signed by it.
Status validate_new_view(const Signed<NewView>& message, const chain::ValidatorSet& validators,
                         const chain::SigningDomain& domain, const chain::PbftParams& limits);

}  // namespace synod::pbft
