#include "crypto/keyed_hash.h"

#include <sodium.h>

#include "crypto/ed25519.h"

namespace synod::crypto {
namespace {

struct ProcessKey {
  unsigned char bytes[crypto_shorthash_KEYBYTES];
  ProcessKey() {
    ensure_sodium();
    crypto_shorthash_keygen(bytes);
  }
};

}  // namespace

std::uint64_t keyed_short_hash(ByteView bytes) {
  static const ProcessKey key;
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, bytes.data(), bytes.size(), key.bytes);
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < sizeof(value); ++i)
    value |= static_cast<std::uint64_t>(out[i]) << (8 * i);
  return value;
}

}  // namespace synod::crypto
