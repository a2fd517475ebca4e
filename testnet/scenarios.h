// synod-testnet scenario NAME: narrated fault demonstrations on a running testnet.
//
// Each scenario injects one fault (crash, Byzantine behaviour, a stalled replica, a secret
// mining branch) on a testnet of its consensus mode, checks what the mode promises, puts the
// testnet back as it found it (honest nodes, all running) and ends with exactly one verdict
// line: "PASS" or "FAIL: reason".
#pragma once

#include <string>
#include <vector>

namespace synod::testnet {

std::vector<std::string> scenario_names();

// Runs scenario `name` on the testnet in `dir`; returns the exit code (0 PASS, 1 FAIL,
// 2 unknown scenario or no testnet). With `as_json` the narration and verdict come as one
// JSON object {"scenario", "pass", "verdict", "steps": [{"t_s", "text"}]}.
int run_scenario(const std::string& name, const std::string& dir, bool as_json);

}  // namespace synod::testnet
