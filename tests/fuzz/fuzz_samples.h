// Deterministic, valid sample values that fuzz targets use as seeds.
#pragma once

#include <string>
#include <vector>

#include "chain/block.h"
#include "chain/genesis.h"
#include "chain/state.h"
#include "chain/transaction.h"
#include "crypto/ed25519.h"

namespace synod::fuzz {

crypto::KeyPair sample_key(std::uint8_t fill);

std::vector<chain::Transaction> sample_transactions();
std::vector<chain::BlockHeader> sample_headers();  // one per seal kind
// The validator set sample certificates are signed by, and the chain id they sign for.
chain::ValidatorSet sample_validators();
inline constexpr const char* kSampleChainId = "synod-fuzz";
// A genesis over sample_validators() (PBFT) or its first validator (PoW, PoS).
chain::Genesis sample_genesis(chain::ConsensusMode mode);
// The signing domain of the PBFT sample genesis, which sample certificates are made in.
const chain::SigningDomain& sample_domain();
std::vector<chain::CommitCertificate> sample_certificates();
std::vector<chain::Block> sample_blocks();
std::vector<chain::StateDiff> sample_state_diffs();
std::vector<std::string> sample_genesis_json();

template <typename T>
Bytes encode(const T& value) {
  chain::Writer out;
  write(out, value);
  return out.take();
}

inline Bytes text_bytes(const std::string& text) {
  return Bytes(text.begin(), text.end());
}

}  // namespace synod::fuzz
