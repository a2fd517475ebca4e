// Shared helpers of the pow_* unit tests: the PoW genesis and chain builder of
// tests/support/pow_chain.h, and the action filters of tests/support/engine_actions.h.
#pragma once

#include <cstddef>
#include <vector>

#include "chain/engine.h"
#include "tests/support/engine_actions.h"
#include "tests/support/pow_chain.h"

namespace pow_test {

using synod::testing::count;
using synod::testing::only;

}  // namespace pow_test
