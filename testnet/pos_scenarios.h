// synod-testnet scenario nothing-at-stake: on a proof-of-stake testnet, one validator is
// restarted with --byzantine double-sign and signs blocks on both branches of the forks it
// sees. The scenario shows the offence (two signed headers at one height), the evidence an
// honest node puts in a block, the slash (stake burned, the reporter paid, the reason on the
// offender's account), and the chain going on without the offender: no block it signs
// after the slash is accepted, and the honest nodes agree. Then it restarts the offender
// honestly and ends with "PASS" or "FAIL: reason".
#pragma once

#include <string>

namespace synod::testnet {

inline constexpr const char* kNothingAtStakeScenario = "nothing-at-stake";
inline constexpr const char* kNothingAtStakeDescription =
    "a validator signs on every branch it sees; honest nodes prove it, slash it and go on "
    "without it (pos)";

// Exit code 0 PASS, 1 FAIL, 2 no testnet; `as_json`: one JSON object, as run_scenario.
int run_nothing_at_stake(const std::string& dir, bool as_json);

}  // namespace synod::testnet
