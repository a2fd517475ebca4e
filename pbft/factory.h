// Builds the PBFT-mode engine a node runs: a Replica for a genesis validator (wrapped in
// the adversary behaviours it names, for tests and `synod-node --byzantine`), or a Follower
// for a full node that reads certified blocks from upstreams.
#pragma once

#include <memory>

#include "base/result.h"
#include "chain/engine.h"

namespace synod::pbft {

// Fails (with a one-line reason) on a genesis of another mode, a missing mempool, unknown
// or misplaced adversary kinds, persisted votes that do not decode, or a full node with no
// upstreams.
Result<std::unique_ptr<chain::Engine>> make_pbft_engine(chain::EngineSetup setup);

}  // namespace synod::pbft
