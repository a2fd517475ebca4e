#include "tests/sim/pow_grind.h"

#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>
#include <string_view>

#include "chain/codec.h"
#include "pow_pos/pow_rules.h"
#include "pow_pos/uint256.h"

namespace synod::sim {
namespace {

constexpr std::string_view kBlockDomain = "synod/block/v1";  // chain/block.cpp's domain
constexpr std::size_t kSealTailBytes = 8 + 32;               // a PowSeal: u64 nonce | target

bool at_most(const crypto::Hash256& hash, const crypto::Hash256& target) {
  return std::memcmp(hash.data.data(), target.data.data(), hash.data.size()) <= 0;
}

void put_nonce(Bytes& encoded, std::size_t offset, std::uint64_t nonce) {
  for (int i = 0; i < 8; ++i)
    encoded[offset + i] = static_cast<std::uint8_t>(nonce >> (8 * i));
}

}  // namespace

std::optional<GrindResult> grind(const chain::BlockHeader& header, std::uint64_t first_nonce,
                                 std::uint64_t max_hashes) {
  const auto& seal = std::get<chain::PowSeal>(header.seal);
  chain::BlockHeader probe = header;
  std::get<chain::PowSeal>(probe.seal).nonce = first_nonce;
  chain::Writer out;
  out.reserve(kBlockDomain.size() + 256);
  out.raw(as_bytes(kBlockDomain));
  chain::write(out, probe);
  Bytes encoded = out.take();
  const std::size_t offset = encoded.size() - kSealTailBytes;
  // The layout assumption, checked on the first nonce: these bytes are what hash() hashes.
  assert(crypto::sha256(encoded) == probe.hash());
  for (std::uint64_t tried = 0; tried < max_hashes; ++tried) {
    const std::uint64_t nonce = first_nonce + tried;
    put_nonce(encoded, offset, nonce);
    if (!at_most(crypto::sha256(encoded), seal.target))
      continue;
    std::get<chain::PowSeal>(probe.seal).nonce = nonce;
    if (!pow_pos::meets_target(probe.hash(), pow_pos::Uint256::from_hash(seal.target)))
      return std::nullopt;  // cannot happen: the fast path hashed other bytes
    return GrindResult{nonce, tried + 1};
  }
  return std::nullopt;
}

double expected_hashes(const crypto::Hash256& target) {
  const double t = pow_pos::Uint256::from_hash(target).to_double();
  return std::ldexp(1.0, 256) / (t + 1.0);
}

crypto::Hash256 target_for_hashes(std::uint64_t hashes) {
  assert(hashes >= 2 && std::has_single_bit(hashes));
  const unsigned shift = 256 - static_cast<unsigned>(std::countr_zero(hashes));
  return ((pow_pos::Uint256(1) << shift) - pow_pos::Uint256(1)).to_hash();
}

chain::TimeMs mining_delay_ms(std::uint64_t hashes, double phase, double hash_rate) {
  assert(hash_rate > 0 && hashes >= 1 && phase >= 0 && phase < 1);
  const double ms = std::round((static_cast<double>(hashes) - 1 + phase) * 1000.0 / hash_rate);
  return ms < 1 ? 1 : static_cast<chain::TimeMs>(ms);
}

}  // namespace synod::sim
