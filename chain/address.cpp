#include "chain/address.h"

#include "crypto/hex.h"
#include "crypto/sha256.h"

namespace synod::chain {
namespace {

std::string checksum_hex(const Address& address) {
  crypto::Hash256 once = crypto::sha256(address.view());
  crypto::Hash256 twice = crypto::sha256(once.view());
  return crypto::to_hex(twice.view().first(4));
}

}  // namespace

Address address_of(const crypto::PublicKey& key) {
  crypto::Sha256 hasher;
  hasher.update(as_bytes("synod/address/v1")).update(key.view());
  return Address::from(hasher.finish().view().first(Address::kSize));
}

std::string to_string(const Address& address) {
  return std::string(kAddressPrefix) + crypto::to_hex(address.view()) + checksum_hex(address);
}

Result<Address> parse_address(std::string_view text) {
  if (text.size() != kAddressTextLength || text.substr(0, 3) != kAddressPrefix) {
    // The input is not echoed: it may be long or hold control characters.
    return make_error("invalid address: expected \"syn\" followed by 48 hex digits (" +
                      std::to_string(kAddressTextLength) + " characters in all)");
  }
  for (char c : text.substr(3)) {
    bool lower_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!lower_hex)
      return make_error("invalid address: non-hex or uppercase character");
  }
  auto bytes = crypto::from_hex(text.substr(3, 40));
  if (!bytes)
    return make_error("invalid address: " + bytes.message());
  Address address = Address::from(*bytes);
  if (checksum_hex(address) != text.substr(43)) {
    return make_error("invalid address: checksum mismatch (mistyped?)");
  }
  return address;
}

}  // namespace synod::chain
