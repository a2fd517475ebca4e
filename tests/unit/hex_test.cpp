// Hex: lowercase encoding, strict decoding.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "crypto/ed25519.h"
#include "crypto/hex.h"
#include "crypto/sha256.h"

using namespace synod;

TEST_CASE("hex round-trips every byte value and random buffers", "[crypto][hex]") {
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i)
    all[i] = static_cast<std::uint8_t>(i);
  auto decoded = crypto::from_hex(crypto::to_hex(all));
  REQUIRE(decoded.ok());
  CHECK(*decoded == all);

  std::mt19937_64 random(7);
  for (int iteration = 0; iteration < 200; ++iteration) {
    Bytes bytes(random() % 100);
    for (auto& byte : bytes)
      byte = static_cast<std::uint8_t>(random());
    auto again = crypto::from_hex(crypto::to_hex(bytes));
    REQUIRE(again.ok());
    CHECK(*again == bytes);
  }
}

TEST_CASE("to_hex writes two lowercase digits per byte", "[crypto][hex]") {
  const Bytes bytes{0x00, 0x0f, 0xab, 0xcd, 0xef, 0xff};
  CHECK(crypto::to_hex(bytes) == "000fabcdefff");
  CHECK(crypto::to_hex(ByteView{}).empty());
}

TEST_CASE("from_hex of the empty string is empty", "[crypto][hex]") {
  auto decoded = crypto::from_hex("");
  REQUIRE(decoded.ok());
  CHECK(decoded->empty());
}

TEST_CASE("from_hex rejects odd length", "[crypto][hex]") {
  for (const char* text : {"0", "abc", "00112"}) {
    auto decoded = crypto::from_hex(text);
    INFO(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.message(), Catch::Contains("odd length"));
  }
}

TEST_CASE("from_hex rejects non-hex characters and names their position", "[crypto][hex]") {
  struct Case {
    std::string text;
    std::string position;
  };
  const Case cases[] = {{"0g", "1"},   {"zz", "0"},       {" 0", "0"},
                        {"0x00", "1"}, {"00-1", "2"},     {"abcdeg", "5"},
                        {"0\n", "1"},  {"\xff\xfe", "0"}, {std::string("0\0", 2), "1"},
                        {"gg00", "0"}};
  for (const auto& c : cases) {
    auto decoded = crypto::from_hex(c.text);
    INFO(c.text);
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.message(), Catch::Contains("non-hex character at position " + c.position));
  }
}

TEST_CASE("from_hex accepts uppercase and mixed case", "[crypto][hex]") {
  auto upper = crypto::from_hex("ABCDEF0123");
  auto mixed = crypto::from_hex("aBcDeF0123");
  REQUIRE(upper.ok());
  REQUIRE(mixed.ok());
  const Bytes expected{0xab, 0xcd, 0xef, 0x01, 0x23};
  CHECK(*upper == expected);
  CHECK(*mixed == expected);
}

TEST_CASE("fixed_from_hex requires the exact size and names the field", "[crypto][hex]") {
  const std::string good(64, 'a');
  auto key = crypto::fixed_from_hex<crypto::PublicKey>(good, "public_key");
  REQUIRE(key.ok());
  CHECK(crypto::to_hex(key->view()) == good);

  auto short_key = crypto::fixed_from_hex<crypto::PublicKey>(std::string(62, 'a'), "public_key");
  REQUIRE_FALSE(short_key.ok());
  CHECK(short_key.message() == "public_key: expected 32 bytes, got 31");

  auto long_hash = crypto::fixed_from_hex<crypto::Hash256>(std::string(66, '0'), "hash");
  REQUIRE_FALSE(long_hash.ok());
  CHECK(long_hash.message() == "hash: expected 32 bytes, got 33");

  auto bad = crypto::fixed_from_hex<crypto::Hash256>("zz", "block_hash");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.message(), Catch::StartsWith("block_hash: non-hex character"));
}
