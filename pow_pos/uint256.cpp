#include "pow_pos/uint256.h"

#include <cassert>
#include <cmath>

namespace synod::pow_pos {
namespace {

__extension__ using U128 = unsigned __int128;

constexpr std::uint64_t kDecimalChunk = 10'000'000'000'000'000'000ULL;  // 10^19

// Divides the 320-bit number high:low by `divisor`; the quotient's bits above 256 must be
// zero (high < divisor), which the callers check.
Uint256 divide_wide(std::uint64_t high, const Uint256& low, std::uint64_t divisor,
                    std::uint64_t* remainder) {
  assert(divisor != 0 && high < divisor);
  std::uint64_t quotient[4] = {};
  U128 rest = high;
  for (int i = 3; i >= 0; --i) {
    U128 current = (rest << 64) | low.limb(static_cast<std::size_t>(i));
    quotient[i] = static_cast<std::uint64_t>(current / divisor);
    rest = current % divisor;
  }
  if (remainder)
    *remainder = static_cast<std::uint64_t>(rest);
  return Uint256::from_limbs({quotient[0], quotient[1], quotient[2], quotient[3]});
}

// value * factor as (bits 256..319, bits 0..255).
std::pair<std::uint64_t, Uint256> multiply_wide(const Uint256& value, std::uint64_t factor) {
  std::uint64_t product[4] = {};
  U128 carry = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    U128 current = static_cast<U128>(value.limb(i)) * factor + carry;
    product[i] = static_cast<std::uint64_t>(current);
    carry = current >> 64;
  }
  return {static_cast<std::uint64_t>(carry),
          Uint256::from_limbs({product[0], product[1], product[2], product[3]})};
}

}  // namespace

Uint256 Uint256::max() {
  return ~Uint256();
}

Uint256 Uint256::from_limbs(const std::array<std::uint64_t, 4>& limbs) {
  Uint256 out;
  out.limbs_ = limbs;
  return out;
}

Uint256 Uint256::from_hash(const crypto::Hash256& big_endian) {
  Uint256 out;
  for (std::size_t i = 0; i < 32; ++i) {
    std::size_t limb = (31 - i) / 8;
    out.limbs_[limb] = (out.limbs_[limb] << 8) | big_endian.data[i];
  }
  return out;
}

crypto::Hash256 Uint256::to_hash() const {
  crypto::Hash256 out;
  for (std::size_t i = 0; i < 32; ++i) {
    std::size_t byte_from_bottom = 31 - i;
    out.data[i] =
        static_cast<std::uint8_t>(limbs_[byte_from_bottom / 8] >> (8 * (byte_from_bottom % 8)));
  }
  return out;
}

std::string Uint256::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (std::uint8_t byte : to_hash().data) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

std::string Uint256::to_decimal() const {
  if (is_zero())
    return "0";
  std::string out;
  Uint256 rest = *this;
  while (!rest.is_zero()) {
    std::uint64_t chunk = 0;
    rest = rest.div(kDecimalChunk, &chunk);
    std::string digits = std::to_string(chunk);
    if (!rest.is_zero())
      digits.insert(0, 19 - digits.size(), '0');
    out.insert(0, digits);
  }
  return out;
}

double Uint256::to_double() const {
  double out = 0;
  for (int i = 3; i >= 0; --i)
    out = out * 18446744073709551616.0 + static_cast<double>(limbs_[static_cast<std::size_t>(i)]);
  return out;
}

unsigned Uint256::bits() const {
  for (int i = 3; i >= 0; --i) {
    std::uint64_t limb = limbs_[static_cast<std::size_t>(i)];
    if (limb != 0)
      return static_cast<unsigned>(64 * i + 64 - __builtin_clzll(limb));
  }
  return 0;
}

std::strong_ordering operator<=>(const Uint256& a, const Uint256& b) {
  for (int i = 3; i >= 0; --i) {
    auto index = static_cast<std::size_t>(i);
    if (a.limbs_[index] != b.limbs_[index])
      return a.limbs_[index] <=> b.limbs_[index];
  }
  return std::strong_ordering::equal;
}

Uint256 Uint256::operator+(const Uint256& other) const {
  Uint256 out;
  U128 carry = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    U128 sum = static_cast<U128>(limbs_[i]) + other.limbs_[i] + carry;
    out.limbs_[i] = static_cast<std::uint64_t>(sum);
    carry = sum >> 64;
  }
  return out;
}

Uint256 Uint256::operator~() const {
  Uint256 out;
  for (std::size_t i = 0; i < 4; ++i)
    out.limbs_[i] = ~limbs_[i];
  return out;
}

Uint256 Uint256::operator-(const Uint256& other) const {
  return *this + ~other + Uint256(1);  // two's complement, modulo 2^256
}

Uint256 Uint256::operator<<(unsigned shift) const {
  Uint256 out;
  if (shift >= 256)
    return out;
  const unsigned limb_shift = shift / 64;
  const unsigned bit_shift = shift % 64;
  for (unsigned i = limb_shift; i < 4; ++i) {
    const unsigned source = i - limb_shift;
    std::uint64_t value = limbs_[source] << bit_shift;
    if (bit_shift != 0 && source > 0)
      value |= limbs_[source - 1] >> (64 - bit_shift);
    out.limbs_[i] = value;
  }
  return out;
}

Uint256 Uint256::operator>>(unsigned shift) const {
  Uint256 out;
  if (shift >= 256)
    return out;
  const unsigned limb_shift = shift / 64;
  const unsigned bit_shift = shift % 64;
  for (unsigned i = 0; i + limb_shift < 4; ++i) {
    std::uint64_t value = limbs_[i + limb_shift] >> bit_shift;
    if (bit_shift != 0 && i + limb_shift + 1 < 4)
      value |= limbs_[i + limb_shift + 1] << (64 - bit_shift);
    out.limbs_[i] = value;
  }
  return out;
}

Uint256 Uint256::operator/(const Uint256& divisor) const {
  assert(!divisor.is_zero());
  if (divisor.bits() <= 64)
    return div(divisor.limbs_[0]);
  // Binary long division. `rest` < divisor throughout; shifting it left may pass 2^256,
  // and then it certainly exceeds the divisor, and the wrapped subtraction is exact.
  Uint256 quotient;
  Uint256 rest;
  for (unsigned bit = bits(); bit-- > 0;) {
    const bool carry = (rest.limbs_[3] >> 63) != 0;
    rest = rest << 1;
    rest.limbs_[0] |= (limbs_[bit / 64] >> (bit % 64)) & 1;
    if (carry || rest >= divisor) {
      rest = rest - divisor;
      quotient.limbs_[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
  }
  return quotient;
}

Uint256 shifted_div(std::uint64_t multiplier, const Uint256& divisor) {
  assert(!divisor.is_zero());
  if (Uint256(multiplier) >= divisor)
    return Uint256::max();
  // Binary long division of multiplier * 2^256 as in operator/: the numerator's bits are
  // the multiplier's 64 followed by 256 zeros; quotient bits above 255 stay zero because
  // multiplier < divisor.
  std::array<std::uint64_t, 4> quotient{};
  Uint256 rest;
  for (unsigned bit = 320; bit-- > 0;) {
    const bool carry = (rest.limb(3) >> 63) != 0;
    rest = rest << 1;
    if (bit >= 256 && ((multiplier >> (bit - 256)) & 1) != 0)
      rest = rest + Uint256(1);
    if (carry || rest >= divisor) {
      rest = rest - divisor;
      assert(bit < 256);
      quotient[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
  }
  return Uint256::from_limbs(quotient);
}

std::optional<Uint256> Uint256::add_checked(const Uint256& other) const {
  Uint256 sum = *this + other;
  if (sum < *this)
    return std::nullopt;
  return sum;
}

std::optional<Uint256> Uint256::sub_checked(const Uint256& other) const {
  if (*this < other)
    return std::nullopt;
  return *this - other;
}

std::optional<Uint256> Uint256::mul_checked(std::uint64_t factor) const {
  auto [high, low] = multiply_wide(*this, factor);
  if (high != 0)
    return std::nullopt;
  return low;
}

Uint256 Uint256::div(std::uint64_t divisor, std::uint64_t* remainder) const {
  return divide_wide(0, *this, divisor, remainder);
}

Uint256 Uint256::add_saturating(const Uint256& other) const {
  return add_checked(other).value_or(max());
}

Uint256 mul_div(const Uint256& value, std::uint64_t factor, std::uint64_t divisor) {
  assert(divisor != 0);
  auto [high, low] = multiply_wide(value, factor);
  if (high >= divisor)
    return Uint256::max();  // the quotient needs more than 256 bits
  return divide_wide(high, low, divisor, nullptr);
}

void WideSum::add(const Uint256& value) {
  Uint256 sum = low_ + value;
  if (sum < low_)
    ++high_;  // at most one carry per value: with < 2^64 values, high_ cannot wrap
  low_ = sum;
  ++count_;
}

Uint256 WideSum::mean() const {
  assert(count_ > 0);
  // The mean of 256-bit values fits in 256 bits, so high_ < count_.
  return divide_wide(high_, low_, count_, nullptr);
}

}  // namespace synod::pow_pos
