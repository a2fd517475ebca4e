#include "node/engine_factory.h"

#include "chain/genesis.h"
#include "pbft/factory.h"
#include "pow_pos/factory.h"

namespace synod::node {

Result<std::unique_ptr<chain::Engine>> make_engine(chain::EngineSetup setup) {
  switch (setup.genesis->mode) {
    case chain::ConsensusMode::kPbft:
      return pbft::make_pbft_engine(std::move(setup));
    case chain::ConsensusMode::kPow:
      return pow_pos::make_pow_engine(std::move(setup));
    case chain::ConsensusMode::kPos:
      return pow_pos::make_pos_engine(std::move(setup));
  }
  return make_error(std::string("consensus mode ") + chain::to_string(setup.genesis->mode) +
                    " is not supported by this node yet");
}

}  // namespace synod::node
