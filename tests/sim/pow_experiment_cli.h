// The attack experiments behind `synod-sim --consensus pow --experiment NAME`.
#pragma once

#include <string>

#include "tests/sim/pow_cli.h"

namespace synod::sim {

std::string validate_experiment_cli(const PowCli& cli);
int run_experiment_cli(const PowCli& cli);

}  // namespace synod::sim
