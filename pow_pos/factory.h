// The proof-of-work and proof-of-stake modes' engine factories (chain::EngineFactory).
#pragma once

#include <memory>

#include "base/result.h"
#include "chain/engine.h"

namespace synod::pow_pos {

// Builds a PowEngine (pow_engine.h) from `setup`. Fails with a one-line error for a genesis
// that is not "pow", a missing mempool, Byzantine behaviours (none exist for proof-of-work
// yet), a participant whose key is not that miner's, a full node without upstreams, or a
// stored chain it cannot read back.
Result<std::unique_ptr<chain::Engine>> make_pow_engine(chain::EngineSetup setup);

// Builds a PosEngine (pos_engine.h): the same failures, and Byzantine behaviours other than
// "double-sign".
Result<std::unique_ptr<chain::Engine>> make_pos_engine(chain::EngineSetup setup);

}  // namespace synod::pow_pos
