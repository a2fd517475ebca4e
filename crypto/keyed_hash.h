// A keyed hash for hash tables whose keys come from outside (transaction hashes,
// addresses): SipHash-2-4 (libsodium crypto_shorthash) under a key drawn at random once per
// process, so nobody can choose keys that all land in one bucket.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace synod::crypto {

std::uint64_t keyed_short_hash(ByteView bytes);

struct KeyedHash {
  template <std::size_t N, typename Tag>
  std::size_t operator()(const FixedBytes<N, Tag>& value) const {
    return static_cast<std::size_t>(keyed_short_hash(value.view()));
  }
};

}  // namespace synod::crypto
