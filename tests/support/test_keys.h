// The deterministic keys tests sign with: the Ed25519 key whose seed is one byte repeated,
// so each test names its parties by a small number and every run signs the same bytes.
#pragma once

#include <cstdint>

#include "crypto/ed25519.h"

namespace synod::testing {

inline crypto::KeyPair key_from(std::uint8_t fill) {
  crypto::Seed seed;
  seed.data.fill(fill);
  return crypto::KeyPair::from_seed(seed);
}

}  // namespace synod::testing
