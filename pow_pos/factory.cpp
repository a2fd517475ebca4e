#include "pow_pos/factory.h"

#include "pow_pos/pos_engine.h"
#include "pow_pos/pow_engine.h"

namespace synod::pow_pos {

Result<std::unique_ptr<chain::Engine>> make_pow_engine(chain::EngineSetup setup) {
  auto engine = PowEngine::create(std::move(setup));
  if (!engine)
    return engine.error();
  return std::unique_ptr<chain::Engine>(std::move(*engine));
}

Result<std::unique_ptr<chain::Engine>> make_pos_engine(chain::EngineSetup setup) {
  auto engine = PosEngine::create(std::move(setup));
  if (!engine)
    return engine.error();
  return std::unique_ptr<chain::Engine>(std::move(*engine));
}

}  // namespace synod::pow_pos
