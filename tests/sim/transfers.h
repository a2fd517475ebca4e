// The transactions both simulated client workloads send (workload.h for PBFT,
// pow_workload.h for proof of work and proof of stake): signed transfers of a random
// amount from a random genesis-funded account to another, each account's nonces in order.
#pragma once

#include <cstdint>
#include <vector>

#include "chain/transaction.h"
#include "crypto/ed25519.h"
#include "tests/sim/network.h"

namespace synod::sim {

class TransferSource {
 public:
  // `accounts` (at least two) must outlive the source: they live in the cluster's genesis.
  TransferSource(const std::vector<crypto::KeyPair>& accounts, chain::SigningDomain domain);

  // The next transfer: 1 to `amount_max` paying `fee`, drawn from `rng`.
  chain::Transaction next(Rng& rng, std::uint64_t amount_max, std::uint64_t fee);

 private:
  const std::vector<crypto::KeyPair>& accounts_;
  chain::SigningDomain domain_;            // the genesis': what the transfers are signed in
  std::vector<std::uint64_t> next_nonce_;  // per account
};

}  // namespace synod::sim
