// pow_pos/uint256: exact 256-bit arithmetic, with vectors at the edges (carries across
// limbs, wrap-around, saturation, 320-bit intermediates).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "crypto/hex.h"
#include "pow_pos/uint256.h"

using namespace synod;
using namespace synod::pow_pos;

namespace {

// A Uint256 from up to 64 hex digits (big-endian, left-padded with zeros).
Uint256 u(std::string hex) {
  hex.insert(0, 64 - hex.size(), '0');
  auto hash = crypto::fixed_from_hex<crypto::Hash256>(hex, "test");
  REQUIRE(hash.ok());
  return Uint256::from_hash(*hash);
}

Uint256 pow2(unsigned n) {
  return Uint256(1) << n;
}

const Uint256 kMax = Uint256::max();
const char* const kMaxDecimal =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

}  // namespace

TEST_CASE("uint256 converts from and to big-endian hashes", "[pow][uint256]") {
  crypto::Hash256 hash;
  hash.data[31] = 1;
  CHECK(Uint256::from_hash(hash) == Uint256(1));
  hash.data[31] = 0;
  hash.data[0] = 0x80;
  CHECK(Uint256::from_hash(hash) == pow2(255));
  hash.data[0] = 0;
  hash.data[23] = 1;  // the lowest byte of the second limb
  CHECK(Uint256::from_hash(hash) == pow2(64));
  for (std::size_t i = 0; i < 32; ++i)
    hash.data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  CHECK(Uint256::from_hash(hash).to_hash() == hash);
  CHECK(Uint256(0x1234).to_hex() == std::string(60, '0') + "1234");
  CHECK(kMax.to_hex() == std::string(64, 'f'));
  CHECK(u("0123456789abcdef").limb(0) == 0x0123456789abcdefULL);
  CHECK(u("1" + std::string(16, '0')).limb(1) == 1);
}

TEST_CASE("uint256 prints decimals exactly, with zero-padded inner chunks", "[pow][uint256]") {
  CHECK(Uint256().to_decimal() == "0");
  CHECK(Uint256(7).to_decimal() == "7");
  CHECK(Uint256(~std::uint64_t{0}).to_decimal() == "18446744073709551615");
  CHECK(pow2(64).to_decimal() == "18446744073709551616");
  // 10^19 is one decimal chunk: the lower chunk must print as nineteen zeros.
  CHECK(Uint256(10'000'000'000'000'000'000ULL).to_decimal() == "10000000000000000000");
  CHECK((Uint256(10'000'000'000'000'000'000ULL).mul_checked(10)->to_decimal()) ==
        "100000000000000000000");
  CHECK((pow2(64) + Uint256(5)).to_decimal() == "18446744073709551621");
  CHECK(pow2(128).to_decimal() == "340282366920938463463374607431768211456");
  CHECK(kMax.to_decimal() == kMaxDecimal);
}

TEST_CASE("uint256 compares by value across limbs", "[pow][uint256]") {
  CHECK(Uint256(1) < Uint256(2));
  CHECK(pow2(64) > Uint256(~std::uint64_t{0}));
  CHECK(pow2(255) > pow2(254) + pow2(253));
  CHECK(kMax > pow2(255));
  CHECK(u("ff") == Uint256(255));
  CHECK(Uint256().is_zero());
  CHECK_FALSE(pow2(200).is_zero());
}

TEST_CASE("uint256 addition carries across limbs and wraps at 2^256", "[pow][uint256]") {
  CHECK(Uint256(~std::uint64_t{0}) + Uint256(1) == pow2(64));
  CHECK(u("ffffffffffffffffffffffffffffffff") + Uint256(1) == pow2(128));
  CHECK(kMax + Uint256(1) == Uint256());  // wraps
  CHECK_FALSE(kMax.add_checked(Uint256(1)).has_value());
  CHECK(kMax.add_checked(Uint256()) == kMax);
  CHECK(pow2(255).add_checked(pow2(255) - Uint256(1)) == kMax);
  CHECK_FALSE(pow2(255).add_checked(pow2(255)).has_value());
  CHECK(pow2(255).add_saturating(pow2(255)) == kMax);
}

TEST_CASE("uint256 subtraction borrows across limbs and wraps below zero", "[pow][uint256]") {
  CHECK(pow2(64) - Uint256(1) == Uint256(~std::uint64_t{0}));
  CHECK(pow2(192) - Uint256(1) == u(std::string(48, 'f')));
  CHECK(Uint256() - Uint256(1) == kMax);
  CHECK_FALSE(Uint256().sub_checked(Uint256(1)).has_value());
  CHECK(Uint256(5).sub_checked(Uint256(5)) == Uint256());
  CHECK(~Uint256() == kMax);
}

TEST_CASE("uint256 multiplies by a u64 exactly or reports overflow", "[pow][uint256]") {
  // (2^128 - 1)(2^64 - 1) = 2^192 - 2^128 - 2^64 + 1
  CHECK(u(std::string(32, 'f')).mul_checked(~std::uint64_t{0}) ==
        u("fffffffffffffffeffffffffffffffff0000000000000001"));
  CHECK(pow2(192).mul_checked(std::uint64_t{1} << 63) == pow2(255));
  CHECK(pow2(192).mul_checked(~std::uint64_t{0}) == kMax - pow2(192) + Uint256(1));
  CHECK_FALSE(pow2(193).mul_checked(~std::uint64_t{0}).has_value());
  CHECK(kMax.mul_checked(1) == kMax);
  CHECK(kMax.mul_checked(0) == Uint256());
  CHECK_FALSE(kMax.mul_checked(2).has_value());
}

TEST_CASE("uint256 divides by a u64 with the remainder", "[pow][uint256]") {
  std::uint64_t remainder = 99;
  CHECK(kMax.div(3, &remainder) == u(std::string(64, '5')));
  CHECK(remainder == 0);
  CHECK(pow2(64).div(3, &remainder) == Uint256(0x5555555555555555ULL));
  CHECK(remainder == 1);
  CHECK(kMax.div(1) == kMax);
  CHECK(Uint256(10).div(20, &remainder) == Uint256());
  CHECK(remainder == 10);
  CHECK(kMax.div(~std::uint64_t{0}) == u("1000000000000000100000000000000010000000000000001"));
}

TEST_CASE("uint256 shifts within and across limbs", "[pow][uint256]") {
  CHECK((Uint256(1) << 0) == Uint256(1));
  CHECK((Uint256(1) << 64) == u("10000000000000000"));
  CHECK((Uint256(1) << 255) == u("8" + std::string(63, '0')));
  CHECK((Uint256(1) << 256) == Uint256());
  CHECK((kMax << 255) == pow2(255));
  CHECK((pow2(255) >> 255) == Uint256(1));
  CHECK((kMax >> 256) == Uint256());
  CHECK((kMax >> 193) == Uint256((std::uint64_t{1} << 63) - 1));
  const Uint256 a = u("0123456789abcdeffedcba98765432100f1e2d3c4b5a69788796a5b4c3d2e1f0");
  CHECK((a << 70) == u("b72ea61d950c8403c78b4f12d69a5e21e5a96d30f4b87c000000000000000000"));
  CHECK((a >> 70) == u("48d159e26af37bffb72ea61d950c8403c78b4f12d69a5"));
  CHECK(Uint256().bits() == 0);
  CHECK(Uint256(1).bits() == 1);
  CHECK(pow2(64).bits() == 65);
  CHECK(kMax.bits() == 256);
}

TEST_CASE("uint256 divides by a 256-bit divisor", "[pow][uint256]") {
  const Uint256 a = u("0123456789abcdeffedcba98765432100f1e2d3c4b5a69788796a5b4c3d2e1f0");
  CHECK(a / u("fedcba9876543210123") == u("1249249249249247eb1a6f05397829ce059a90a928d7"));
  CHECK(a / u("1f2e3d4c5b6a79880123456789abcdef") == u("95766eacbc4021123c03eebe859a059"));
  CHECK(kMax / kMax == Uint256(1));
  CHECK(kMax / Uint256(1) == kMax);
  CHECK(kMax / pow2(128) == u(std::string(32, 'f')));
  CHECK(Uint256(5) / pow2(100) == Uint256());
  // A divisor above 2^255: the running remainder passes 2^256 when shifted.
  CHECK(kMax / (pow2(255) + Uint256(1)) == Uint256(1));
  CHECK(kMax / pow2(255) == Uint256(1));
  CHECK((kMax - Uint256(1)) / (pow2(255) - Uint256(1)) == Uint256(2));
}

TEST_CASE("mul_div keeps a 320-bit intermediate and saturates only a too-large quotient",
          "[pow][uint256]") {
  CHECK(mul_div(kMax, 2, 2) == kMax);
  CHECK(mul_div(kMax, 3, 4) ==
        u("bfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
  CHECK(mul_div(pow2(255) + Uint256(1), 3, 2) == pow2(255) + pow2(254) + Uint256(1));
  CHECK(mul_div(kMax, 3, 2) == kMax);  // 1.5 * (2^256 - 1) does not fit: saturates
  CHECK(mul_div(pow2(200), 1'000'000'007ULL, 1'000'000'007ULL) == pow2(200));
  CHECK(mul_div(Uint256(10), 0, 7) == Uint256());
  const Uint256 a = u("0123456789abcdeffedcba98765432100f1e2d3c4b5a69788796a5b4c3d2e1f0");
  CHECK(mul_div(a, 1'000'003, 999'983) ==
        u("12346e551b314db8d2ed622324605929eccf59c082ee85c25a5a0cab60039c5"));
}

TEST_CASE("WideSum means are exact when the sum passes 2^256", "[pow][uint256]") {
  CHECK(mean(std::vector<Uint256>{kMax, kMax, kMax}) == kMax);
  CHECK(mean(std::vector<Uint256>{kMax, Uint256(1)}) == pow2(255));
  CHECK(mean(std::vector<Uint256>{kMax, Uint256()}) == pow2(255) - Uint256(1));
  CHECK(mean(std::vector<Uint256>{Uint256(7)}) == Uint256(7));
  CHECK(mean(std::vector<Uint256>{Uint256(1), Uint256(2)}) == Uint256(1));  // floor
}

TEST_CASE("uint256 converts to a nearby double for display", "[pow][uint256]") {
  CHECK(Uint256(12345).to_double() == 12345.0);
  CHECK(pow2(255).to_double() == Approx(5.78960446186581e76));
  CHECK(Uint256().to_double() == 0.0);
}
