// Account addresses.
//
// An address is the first 20 bytes of SHA-256("synod/address/v1" || public key). Printed,
// it is "syn" followed by the 40 hex digits of the address and 8 hex digits of checksum:
// the first 4 bytes of SHA-256(SHA-256(address bytes)). Parsing accepts lowercase only and
// checks the checksum, so a mistyped character is rejected rather than sending funds to an
// address nobody controls.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/ed25519.h"

namespace synod::chain {

struct AddressTag {};
using Address = FixedBytes<20, AddressTag>;

inline constexpr std::string_view kAddressPrefix = "syn";
inline constexpr std::size_t kAddressTextLength = 3 + 40 + 8;

Address address_of(const crypto::PublicKey& key);
std::string to_string(const Address& address);
Result<Address> parse_address(std::string_view text);

}  // namespace synod::chain
