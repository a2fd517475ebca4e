// Byte containers shared by every layer: a growable buffer and fixed-size arrays with
// value semantics (hashes, keys, signatures each get their own distinct type).
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace synod {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline void append(Bytes& out, ByteView more) {
  out.insert(out.end(), more.begin(), more.end());
}

// A fixed-size byte array. Tag makes two arrays of the same size distinct types, so a
// public key cannot be passed where a hash is expected.
template <std::size_t N, typename Tag>
struct FixedBytes {
  static constexpr std::size_t kSize = N;
  std::array<std::uint8_t, N> data{};

  static FixedBytes from(ByteView bytes) {
    FixedBytes out;
    if (bytes.size() == N)
      std::copy(bytes.begin(), bytes.end(), out.data.begin());
    return out;
  }
  ByteView view() const { return {data.data(), N}; }
  bool is_zero() const {
    return std::all_of(data.begin(), data.end(), [](std::uint8_t b) { return b == 0; });
  }
  auto operator<=>(const FixedBytes&) const = default;
  bool operator==(const FixedBytes&) const = default;
};

}  // namespace synod
