// Hashes as the simulator's traces, logs and violation reports print them: the first bytes
// in hex.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>

#include "crypto/hex.h"
#include "crypto/sha256.h"

namespace synod::sim {

// Six bytes: short enough to read, long enough that two blocks of one run never share it.
inline constexpr std::size_t kShortHashBytes = 6;
// The clusters' own log lines and commit events, long lines already, print four.
inline constexpr std::size_t kLogHashBytes = 4;

inline std::string short_hex(const crypto::Hash256& hash, std::size_t bytes = kShortHashBytes) {
  return crypto::to_hex(ByteView(hash.data.data(), std::min(bytes, hash.data.size())));
}

}  // namespace synod::sim
