// synod-testnet soak: a crash soak of a local PBFT testnet. Under a steady stream of
// transfers (testnet/soak_load.h, every acknowledgement in a receipt log), it kills -9 a
// validator chosen at random every few seconds, starts it again after a short while and
// times how long it takes to catch up; one validator is down at a time (f = 1 at n = 4).
// At the end it lets the load drain and checks that every acknowledged transaction is in
// the final ledger, that all validators hold the same blocks and state root, and that
// each restarted validator was back within kMaxCatchUp. The schedule comes from a seed,
// printed, so a failing run can be replayed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"

namespace synod::testnet {

struct SoakOptions {
  std::string dir;
  std::uint64_t duration_s = 600;
  double rate_per_s = 50;  // transfers offered per second
  std::uint64_t kill_every_min_s = 5;
  std::uint64_t kill_every_max_s = 30;
  std::optional<std::uint64_t> seed;  // none: a random one
  bool json = false;
};

// The receipt log's name inside the testnet directory.
inline constexpr const char* kSoakReceiptsFile = "soak-receipts.log";

// Exit code: 0 PASS, 1 FAIL, 130 interrupted; an error (no testnet, a PoW testnet, ...)
// is returned as one.
Result<int> cmd_soak(const SoakOptions& options);

}  // namespace synod::testnet
