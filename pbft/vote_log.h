// What a replica persists before it sends a vote, so that after a crash it never signs a
// message conflicting with one it signed before (PBFT's "amnesia" hazard).
//
// The record holds the current view and view-change target, every pre-prepare / prepare /
// commit the replica signed for sequences above its head, and its best prepared
// certificate (which a VIEW-CHANGE must report even after a restart), and the last view
// it proposed in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <tuple>

#include "pbft/messages.h"

namespace synod::pbft {

enum class VoteKind : std::uint8_t { kPrePrepare = 1, kPrepare = 2, kCommit = 3 };

struct VoteLog {
  std::uint64_t view = 0;
  bool in_view_change = false;
  std::uint64_t last_checkpoint = 0;  // highest sequence whose checkpoint was signed
  // Highest certified head named by the NEW-VIEW of `view`: no new block at or below it
  // may be proposed or accepted in this view.
  std::uint64_t view_floor = 0;
  // (kind, view, sequence) -> digest signed
  std::map<std::tuple<VoteKind, std::uint64_t, std::uint64_t>, crypto::Hash256> signed_votes;
  std::optional<PreparedCertificate> prepared;
  // The latest view in which this replica proposed. A primary records it once per view,
  // before its first pre-prepare there, not once per block: after a restart it proposes
  // nothing more in that view (it cannot know at which sequences it did), which is as safe
  // and spares every block a durable write on the primary.
  std::optional<std::uint64_t> proposed_in_view;

  // False when this replica already signed a different digest for (kind, view, sequence).
  bool allows(VoteKind kind, std::uint64_t view_number, std::uint64_t sequence,
              const crypto::Hash256& digest) const;
  void record(VoteKind kind, std::uint64_t view_number, std::uint64_t sequence,
              const crypto::Hash256& digest);
  // Forgets votes at or below `height` (committed: they can no longer conflict).
  void prune(std::uint64_t height);

  Bytes encode() const;
};

Result<VoteLog> decode_vote_log(ByteView bytes);

}  // namespace synod::pbft
