// Byzantine behaviours for tests, the simulator and `synod-node --byzantine`.
//
// An adversary is a wrapper around an honest engine: it forwards every input to the honest
// engine and rewrites only the protocol messages in the returned actions (SendAction and
// BroadcastAction). Commits, persists, fetches and the honest engine's timers pass through
// untouched, so the Byzantine node still keeps its own chain; what it tells the others is
// what changes. Messages the wrapper builds are re-signed with the node's own key, so only
// the protocol rules (not a signature check) can catch them — except where a behaviour
// corrupts the signature on purpose.
//
// Kinds compose in list order: each kind sees the messages the previous kinds produced. A
// kind that re-signs a message (wrong-digest, equivocate, ...) replaces whatever signature
// an earlier kind put on it, so "forge-signature" is best listed last. Kinds only rewrite
// messages whose sender is this node; relayed messages and bytes that do not decode pass
// through (forge-signature and silent apply to everything). Only standalone PRE-PREPAREs
// are equivocated, made invalid or delayed; re-proposals inside a NEW-VIEW are not.
//
// Extra traffic (replay, flood, double-vote) is only added in calls where the honest engine
// itself sent something: garbage makes an honest engine send nothing, so two adversaries
// cannot feed each other an ever-growing stream.
//
// Determinism: every random choice comes from a std::mt19937_64 seeded with
// AdversaryOptions::seed; the same inputs and seed give the same outputs.
//
// Thread safety: none, like every engine (see chain/engine.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "chain/engine.h"
#include "chain/genesis.h"
#include "crypto/ed25519.h"

namespace synod::pbft {

enum class AdversaryKind : std::uint8_t {
  kSilent,            // drops every outgoing protocol message
  kEquivocate,        // primary: two valid blocks for one slot, one per half; votes split too
  kForgeSignature,    // every outgoing message carries a corrupted signature
  kWrongDigest,       // PREPARE and COMMIT carry a random digest (validly signed)
  kReplay,            // also re-sends old messages of its own (bounded ring)
  kDoubleVote,        // every PREPARE/COMMIT is followed by a conflicting one, to everyone
  kInvalidBlock,      // primary: proposes invalid blocks (cycling through five defects)
  kSlowPrimary,       // holds its PRE-PREPAREs for slow_delay_ms before sending them
  kFlood,             // also sends bounded bursts of garbage and unsigned messages
  kTamperViewChange,  // VIEW-CHANGEs carry prepared blocks with other transactions
};

// "silent", "equivocate", "forge-signature", "wrong-digest", "replay", "double-vote",
// "invalid-block", "slow-primary", "flood", "tamper-view-change".
const char* to_string(AdversaryKind kind);

// Parses a comma-separated list of kind names (spaces around names allowed). Fails on an
// empty list, an empty item, an unknown name (the error names it and lists the valid ones)
// or a repeated name.
Result<std::vector<AdversaryKind>> parse_adversary_kinds(std::string_view comma_list);

// The wrapper's own timers (slow-primary) use ids from here up; the wrapped engine's timer
// ids must stay below it.
inline constexpr std::uint32_t kAdversaryTimerBase = 1000;

struct AdversaryOptions {
  std::vector<AdversaryKind> kinds;  // applied in this order; may be empty (honest)
  std::uint64_t seed = 0;
  std::shared_ptr<const chain::Genesis> genesis;  // required
  crypto::KeyPair key;                            // this node's validator key
  chain::ReplicaIndex index = 0;                  // this node's validator index
  // slow-primary: how long a PRE-PREPARE is held. Zero means 9/10 of the genesis
  // view_change_timeout_ms (just before the backups give up on the primary).
  std::uint64_t slow_delay_ms = 0;
};

// Wraps `honest` (required) in the behaviours of `options`. `options.key` must be the key of
// validator `options.index` of the genesis. The result owns `honest`. When `honest` is a
// pbft::Replica, equivocation reads its ledger state to build a second block over fewer
// transactions; any other engine gets a second block with a different timestamp.
std::unique_ptr<chain::Engine> wrap_adversary(std::unique_ptr<chain::Engine> honest,
                                              AdversaryOptions options);

}  // namespace synod::pbft
