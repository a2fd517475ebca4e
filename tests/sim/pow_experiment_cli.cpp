#include "tests/sim/pow_experiment_cli.h"

#include <iostream>

namespace synod::sim {

std::string validate_experiment_cli(const PowCli& cli) {
  if (cli.experiment != "double-spend" && cli.experiment != "selfish-mining")
    return "--experiment must be double-spend or selfish-mining";
  if (cli.seeds > 0 || cli.single)
    return "--experiment runs its own seeds: leave out --seeds and --seed (see --trials)";
  return "";
}

int run_experiment_cli(const PowCli& cli) {
  std::cerr << "synod-sim: " << cli.experiment << " is not built yet\n";
  return 2;
}

}  // namespace synod::sim
