// Shared helpers of the mempool tests: keys, funded states and transfers.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "chain/mempool.h"

using namespace synod;
using chain::AdmitError;
using chain::Mempool;
using chain::MempoolOptions;
using chain::Transaction;

namespace mempool_test {

inline const std::string kChainId = "synod-mempool-test";
// The mempool never checks signatures (the node does, before admission); any genesis hash.
inline const chain::SigningDomain kDomain{kChainId, crypto::Hash256{}};

inline crypto::KeyPair key(std::uint32_t index) {
  crypto::Seed seed;
  seed.data[0] = static_cast<std::uint8_t>(index);
  seed.data[1] = static_cast<std::uint8_t>(index >> 8);
  seed.data[2] = static_cast<std::uint8_t>(index >> 16);
  seed.data[31] = 0x5e;
  return crypto::KeyPair::from_seed(seed);
}

inline chain::Address address(const crypto::KeyPair& key_pair) {
  return chain::address_of(key_pair.public_key());
}

// A fee collector that sends nothing, so it never appears as a sender.
inline const chain::Address kFeeRecipient = chain::address_of(key(0xfffff).public_key());
inline const chain::Address kReceiver = chain::address_of(key(0xffffe).public_key());

struct Funded {
  const crypto::KeyPair* key;
  std::uint64_t balance;
  std::uint64_t nonce = 0;
};

inline chain::State make_state(const std::vector<Funded>& accounts) {
  chain::State state(kDomain);
  chain::StateDiff diff;
  for (const Funded& funded : accounts) {
    diff.changes.push_back(chain::AccountChange{
        address(*funded.key), std::nullopt, {funded.balance, funded.nonce, 0}});
  }
  state.apply(diff);
  return state;
}

inline Transaction transfer(const crypto::KeyPair& sender, std::uint64_t nonce,
                            std::uint64_t amount = 10, std::uint64_t fee = 1) {
  return chain::make_transfer(sender, kDomain, kReceiver, amount, fee, nonce);
}

inline std::optional<AdmitError> admit(Mempool& pool, const Transaction& tx,
                                       const chain::State& state) {
  return pool.add(tx, tx.hash(), state);
}

inline bool executes(const chain::State& state, const std::vector<Transaction>& batch) {
  return state.execute(batch, kFeeRecipient, chain::SignaturePolicy::kVerify).ok();
}

inline std::vector<std::uint64_t> nonces_of(const std::vector<Transaction>& batch) {
  std::vector<std::uint64_t> out;
  for (const auto& tx : batch)
    out.push_back(tx.nonce);
  return out;
}

inline constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

}  // namespace mempool_test

using namespace mempool_test;
