// The one place where node/ meets the consensus engines: builds the engine a genesis'
// mode calls for. Everything else in node/ knows an engine only as a chain::Engine.
#pragma once

#include <memory>

#include "base/result.h"
#include "chain/engine.h"

namespace synod::node {

Result<std::unique_ptr<chain::Engine>> make_engine(chain::EngineSetup setup);

}  // namespace synod::node
