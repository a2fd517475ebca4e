// Exact 256-bit unsigned arithmetic for proof-of-work targets and chain work.
//
// A Uint256 is a number in [0, 2^256). Targets and block hashes travel as 32 big-endian
// bytes (crypto::Hash256); from_hash / to_hash convert. The operators wrap modulo 2^256
// like the built-in unsigned types; the *_checked and mul_div forms report or saturate on
// overflow instead, and every consensus computation uses those, so no result silently
// wraps. Division by zero is a programmer error (asserted).
//
// Value type; no shared state.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "crypto/sha256.h"

namespace synod::pow_pos {

class Uint256 {
 public:
  constexpr Uint256() = default;
  constexpr explicit Uint256(std::uint64_t value) : limbs_{value, 0, 0, 0} {}

  static Uint256 max();  // 2^256 - 1
  // From four 64-bit limbs, least significant first.
  static Uint256 from_limbs(const std::array<std::uint64_t, 4>& limbs);
  static Uint256 from_hash(const crypto::Hash256& big_endian);
  crypto::Hash256 to_hash() const;  // big-endian
  std::string to_hex() const;       // 64 lowercase digits, big-endian
  std::string to_decimal() const;   // no leading zeros; "0" for zero
  double to_double() const;         // nearest double (for display only)

  bool is_zero() const { return limbs_ == std::array<std::uint64_t, 4>{}; }
  // Bit 0 is the least significant; limb 0 holds bits 0..63.
  std::uint64_t limb(std::size_t index) const { return limbs_.at(index); }
  unsigned bits() const;  // position of the highest set bit plus one; 0 for zero

  friend std::strong_ordering operator<=>(const Uint256& a, const Uint256& b);
  friend bool operator==(const Uint256& a, const Uint256& b) = default;

  // Modulo 2^256.
  Uint256 operator+(const Uint256& other) const;
  Uint256 operator-(const Uint256& other) const;
  Uint256 operator~() const;
  Uint256 operator<<(unsigned shift) const;  // shift >= 256 gives 0
  Uint256 operator>>(unsigned shift) const;
  // Truncating division; `divisor` must not be zero.
  Uint256 operator/(const Uint256& divisor) const;

  // Exact, or nullopt when the result does not fit in 256 bits (or is negative).
  std::optional<Uint256> add_checked(const Uint256& other) const;
  std::optional<Uint256> sub_checked(const Uint256& other) const;
  std::optional<Uint256> mul_checked(std::uint64_t factor) const;
  // Floor division by a u64 (`divisor` > 0); the remainder goes to *remainder if given.
  Uint256 div(std::uint64_t divisor, std::uint64_t* remainder = nullptr) const;
  Uint256 add_saturating(const Uint256& other) const;

 private:
  std::array<std::uint64_t, 4> limbs_{};  // little-endian limbs
};

// floor(value * factor / divisor), computed with a 320-bit intermediate so that nothing is
// lost; saturates at 2^256 - 1 when the quotient does not fit. `divisor` must be > 0.
Uint256 mul_div(const Uint256& value, std::uint64_t factor, std::uint64_t divisor);

// floor(multiplier * 2^256 / divisor), exact (a 320-bit numerator), saturating at 2^256 - 1
// when the quotient does not fit (multiplier >= divisor). `divisor` must be > 0. This is
// the proof-of-stake threshold 2^256 * stake / difficulty.
Uint256 shifted_div(std::uint64_t multiplier, const Uint256& divisor);

// floor((sum of `values`) / values.size()), exact even when the sum passes 2^256.
// `values` must not be empty.
template <typename Range>
Uint256 mean(const Range& values);

// The exact sum of up to 2^64 - 1 values, kept as 320 bits, and its floor mean.
class WideSum {
 public:
  void add(const Uint256& value);
  std::uint64_t count() const { return count_; }
  // floor(sum / count); count must be > 0.
  Uint256 mean() const;

 private:
  Uint256 low_;
  std::uint64_t high_ = 0;  // bits 256..319
  std::uint64_t count_ = 0;
};

template <typename Range>
Uint256 mean(const Range& values) {
  WideSum sum;
  for (const Uint256& value : values)
    sum.add(value);
  return sum.mean();
}

}  // namespace synod::pow_pos
