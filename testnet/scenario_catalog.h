// The scenarios synod-testnet knows, by consensus mode; each mode's live in its own file.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "chain/genesis.h"
#include "testnet/scenario_run.h"

namespace synod::testnet {

struct Scenario {
  std::string name;
  chain::ConsensusMode mode;  // the testnet it runs on
  std::function<Status(ScenarioRun&)> run;
  std::string description;  // one line for `scenario --help` and the narration
};

std::vector<Scenario> pbft_scenarios();
std::vector<Scenario> pow_scenarios();
std::vector<Scenario> pos_scenarios();  // pos_scenarios.cpp

}  // namespace synod::testnet
