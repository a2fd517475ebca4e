// The proof-of-stake experiments behind `synod-sim --consensus pos --experiment NAME`
// (pos_experiments.h), printed as tables next to their expected values.
#pragma once

#include <string>

#include "tests/sim/pow_cli.h"

namespace synod::sim {

std::string validate_pos_experiment_cli(const PowCli& cli);
int run_pos_experiment_cli(const PowCli& cli);

}  // namespace synod::sim
