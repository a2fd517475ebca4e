#include "testnet/scenarios.h"

#include <algorithm>
#include <cstdio>

#include "testnet/scenario_catalog.h"

namespace synod::testnet {
namespace {

std::vector<Scenario> all_scenarios() {
  std::vector<Scenario> out = pbft_scenarios();
  for (auto& scenario : pow_scenarios())
    out.push_back(std::move(scenario));
  for (auto& scenario : pos_scenarios())
    out.push_back(std::move(scenario));
  return out;
}

// The scenario runs on the testnet it was written for, with at least 4 nodes.
Status check_testnet(const Scenario& scenario, const Testnet& testnet) {
  if (testnet.genesis.mode == scenario.mode && testnet.validator_count() >= 4)
    return Status::success();
  const char* kind = scenario.mode == chain::ConsensusMode::kPbft  ? "PBFT"
                     : scenario.mode == chain::ConsensusMode::kPow ? "proof-of-work"
                                                                   : "proof-of-stake";
  return make_error("the " + scenario.name + " scenario needs a " + kind +
                    " testnet of at least 4 nodes");
}

int run_checked(const Scenario& scenario, Testnet testnet, bool as_json) {
  // Faults are injected into validators (miners); full nodes keep following on their own.
  Cluster cluster(validators_only(std::move(testnet)));
  ScenarioRun run(cluster, as_json);
  run.say("scenario " + scenario.name + ": " + scenario.description);
  Status result = scenario.run(run);
  Status restored = run.restore();
  std::string failure;
  if (!result)
    failure = result.message();
  else if (!restored)
    failure = "could not restore the testnet afterwards: " + restored.message();
  // The verdict is one line; details that span lines (log tails) go just above it.
  std::string details;
  if (auto newline = failure.find('\n'); newline != std::string::npos) {
    details = failure.substr(newline + 1);
    failure = failure.substr(0, newline);
  }
  return run.verdict(scenario.name, failure, details);
}

}  // namespace

std::vector<std::string> scenario_names() {
  std::vector<std::string> out;
  for (const auto& scenario : all_scenarios())
    out.push_back(scenario.name);
  return out;
}

int run_scenario(const std::string& name, const std::string& dir, bool as_json) {
  auto scenarios = all_scenarios();
  auto found = std::find_if(scenarios.begin(), scenarios.end(),
                            [&](const Scenario& scenario) { return scenario.name == name; });
  if (found == scenarios.end()) {
    std::string names;
    for (const auto& known : scenario_names())
      names += (names.empty() ? "" : ", ") + known;
    std::fprintf(stderr, "synod-testnet: error: unknown scenario \"%s\" (one of: %s)\n",
                 name.c_str(), names.c_str());
    return 2;
  }
  auto testnet = load_testnet(dir);
  if (!testnet) {
    std::fprintf(stderr, "synod-testnet: error: %s\n", testnet.message().c_str());
    return 2;
  }
  if (auto fits = check_testnet(*found, *testnet); !fits) {
    std::printf("FAIL: %s\n", fits.message().c_str());
    return 1;
  }
  return run_checked(*found, std::move(*testnet), as_json);
}

}  // namespace synod::testnet
