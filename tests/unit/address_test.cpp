// Addresses: derivation, text form, checksum.
#include <catch2/catch.hpp>

#include <cctype>
#include <string>

#include "chain/address.h"
#include "crypto/hex.h"
#include "crypto/sha256.h"
#include "tests/support/test_keys.h"

using namespace synod;
using namespace synod::chain;

namespace {

using synod::testing::key_from;

std::string parse_error(std::string_view text) {
  auto result = parse_address(text);
  REQUIRE_FALSE(result.ok());
  return result.message();
}

constexpr std::string_view kHexDigits = "0123456789abcdef";

}  // namespace

TEST_CASE("address is the first 20 bytes of SHA-256 of the domain tag and public key",
          "[chain][address]") {
  const auto key = key_from(7).public_key();
  Bytes preimage;
  append(preimage, as_bytes("synod/address/v1"));
  append(preimage, key.view());
  const crypto::Hash256 digest = crypto::sha256(preimage);
  CHECK(address_of(key) == Address::from(digest.view().first(20)));
  CHECK(address_of(key) != address_of(key_from(8).public_key()));
}

TEST_CASE("address text is syn, 40 hex digits of address and 8 of checksum", "[chain][address]") {
  const Address address = address_of(key_from(7).public_key());
  const std::string text = to_string(address);
  REQUIRE(text.size() == kAddressTextLength);
  CHECK(text.substr(0, 3) == "syn");
  CHECK(text.substr(3, 40) == crypto::to_hex(address.view()));
  const crypto::Hash256 twice = crypto::sha256(crypto::sha256(address.view()).view());
  CHECK(text.substr(43) == crypto::to_hex(twice.view().first(4)));
}

TEST_CASE("address text round-trips", "[chain][address]") {
  for (int fill = 0; fill < 64; ++fill) {
    const Address address = address_of(key_from(static_cast<std::uint8_t>(fill)).public_key());
    auto parsed = parse_address(to_string(address));
    REQUIRE(parsed.ok());
    CHECK(*parsed == address);
  }
  auto zero = parse_address(to_string(Address{}));
  REQUIRE(zero.ok());
  CHECK(zero->is_zero());
}

TEST_CASE("address checksum catches every single-character change", "[chain][address]") {
  for (std::uint8_t fill : {1, 2, 3}) {
    const std::string text = to_string(address_of(key_from(fill).public_key()));
    for (std::size_t position = 0; position < text.size(); ++position) {
      for (int c = 1; c < 256; ++c) {
        if (static_cast<char>(c) == text[position])
          continue;
        std::string changed = text;
        changed[position] = static_cast<char>(c);
        INFO("position " << position << " changed to " << c);
        CHECK_FALSE(parse_address(changed).ok());
      }
    }
  }
}

TEST_CASE("address with a changed hex digit fails with a checksum message", "[chain][address]") {
  const std::string text = to_string(address_of(key_from(4).public_key()));
  for (std::size_t position = 3; position < text.size(); ++position) {
    for (char digit : kHexDigits) {
      if (digit == text[position])
        continue;
      std::string changed = text;
      changed[position] = digit;
      INFO("position " << position << " digit " << digit);
      CHECK_THAT(parse_error(changed), Catch::Contains("checksum mismatch"));
    }
  }
}

TEST_CASE("address with a wrong prefix is rejected", "[chain][address]") {
  const std::string text = to_string(address_of(key_from(5).public_key()));
  for (const char* prefix : {"SYN", "Syn", "sin", "xyz", "0x0"}) {
    std::string changed = prefix + text.substr(3);
    INFO(changed);
    CHECK_THAT(parse_error(changed), Catch::Contains("expected \"syn\""));
  }
  CHECK_FALSE(parse_address("0x" + text.substr(3)).ok());
}

TEST_CASE("address with a wrong length is rejected", "[chain][address]") {
  const std::string text = to_string(address_of(key_from(6).public_key()));
  CHECK_THAT(parse_error(""), Catch::Contains("48 hex digits"));
  CHECK_THAT(parse_error("syn"), Catch::Contains("48 hex digits"));
  CHECK_THAT(parse_error(text.substr(0, text.size() - 1)), Catch::Contains("48 hex digits"));
  CHECK_THAT(parse_error(text + "0"), Catch::Contains("48 hex digits"));
  CHECK_THAT(parse_error(text.substr(0, 43)), Catch::Contains("48 hex digits"));
  CHECK_THAT(parse_error(" " + text), Catch::Contains("48 hex digits"));
  CHECK_THAT(parse_error(std::string(10'000, 'a')), Catch::Contains("48 hex digits"));
}

TEST_CASE("address in uppercase is rejected even with a correct checksum", "[chain][address]") {
  const std::string text = to_string(address_of(key_from(9).public_key()));
  std::string upper = text;
  for (std::size_t i = 3; i < upper.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  REQUIRE(upper != text);
  CHECK_THAT(parse_error(upper), Catch::Contains("uppercase"));
  // One uppercase letter is enough.
  for (std::size_t i = 3; i < text.size(); ++i) {
    if (text[i] < 'a')
      continue;
    std::string one = text;
    one[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(one[i])));
    CHECK_THAT(parse_error(one), Catch::Contains("uppercase"));
  }
}

TEST_CASE("address with a non-hex character is rejected", "[chain][address]") {
  std::string text = to_string(address_of(key_from(10).public_key()));
  text[10] = 'g';
  CHECK_THAT(parse_error(text), Catch::Contains("non-hex"));
  text[10] = '\0';
  CHECK_THAT(parse_error(text), Catch::Contains("non-hex"));
}
