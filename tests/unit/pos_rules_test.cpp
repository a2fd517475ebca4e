// The proof-of-stake lottery and difficulty rules, with hand-computed edge cases.
#include <catch2/catch.hpp>

#include "chain/codec.h"
#include "chain/pos_seal.h"
#include "pow_pos/pos_rules.h"

using namespace synod;
using namespace synod::pow_pos;

namespace {

Uint256 from_hex(const std::string& hex) {
  crypto::Hash256 hash;
  for (std::size_t i = 0; i < 32; ++i)
    hash.data[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return Uint256::from_hash(hash);
}

std::string repeat(const std::string& digits, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i)
    out += digits;
  return out;
}

}  // namespace

TEST_CASE("pos rules: the threshold 2^256 * stake / difficulty, computed by hand", "[pos][rules]") {
  // stake >= difficulty: the quotient is at least 2^256, so every ticket wins.
  CHECK(eligibility_threshold(1, Uint256(1)) == Uint256::max());
  CHECK(eligibility_threshold(7, Uint256(7)) == Uint256::max());
  CHECK(eligibility_threshold(UINT64_MAX, Uint256(UINT64_MAX)) == Uint256::max());
  // 2^256 / 2 = 2^255.
  CHECK(eligibility_threshold(1, Uint256(2)) == Uint256(1) << 255);
  // floor(2^256 / 3) = 0x5555...55 and floor(2 * 2^256 / 3) = 0xaaaa...aa.
  CHECK(eligibility_threshold(1, Uint256(3)) == from_hex(repeat("55", 32)));
  CHECK(eligibility_threshold(2, Uint256(3)) == from_hex(repeat("aa", 32)));
  // floor(5 * 2^256 / (2^256 - 1)) = 5: the quotient is 5 + 5 / (2^256 - 1).
  CHECK(eligibility_threshold(5, Uint256::max()) == Uint256(5));
  // floor(2^256 / (2^255 + 1)) = 1.
  CHECK(eligibility_threshold(1, (Uint256(1) << 255) + Uint256(1)) == Uint256(1));
  // floor(3 * 2^256 / 2^64) = 3 * 2^192: the limbs line up exactly.
  CHECK(eligibility_threshold(3, Uint256(1) << 64) == Uint256(3) << 192);
  // No stake, no ticket, whatever the hash.
  CHECK(eligibility_threshold(0, Uint256(1)) == Uint256());
}

TEST_CASE("pos rules: a ticket wins exactly up to the threshold", "[pos][rules]") {
  const Uint256 difficulty(4);  // stake 1: threshold 2^254
  const Uint256 threshold = Uint256(1) << 254;
  CHECK(wins_lottery(threshold.to_hash(), 1, difficulty));
  CHECK_FALSE(wins_lottery((threshold + Uint256(1)).to_hash(), 1, difficulty));
  CHECK(wins_lottery(Uint256().to_hash(), 1, difficulty));
  CHECK_FALSE(wins_lottery(Uint256().to_hash(), 0, difficulty));  // even the zero hash
  CHECK(wins_lottery(Uint256::max().to_hash(), 4, difficulty));
}

TEST_CASE("pos rules: the ticket is SHA256(prev_hash || address || u64 ts)", "[pos][rules]") {
  crypto::Hash256 prev;
  prev.data.fill(0xab);
  chain::Address address;
  address.data.fill(0x01);
  chain::Writer out;
  out.fixed(prev);
  out.fixed(address);
  out.u64(1'700'000'000);
  CHECK(lottery_ticket(prev, address, 1'700'000'000) == crypto::sha256(out.data()));
  CHECK(lottery_ticket(prev, address, 1'700'000'001) !=
        lottery_ticket(prev, address, 1'700'000'000));
}

TEST_CASE("pos rules: difficulty follows the block interval within the retarget factor",
          "[pos][rules]") {
  chain::PosParams params;
  params.initial_difficulty = 1000;
  params.block_interval_ms = 2000;
  params.retarget_window = 4;
  params.max_retarget_factor = 2;
  auto chain_of = [](std::uint64_t spacing_ms, std::uint64_t difficulty) {
    std::vector<ChainPoint> points;  // newest first: heights 4..0
    for (std::uint64_t h = 5; h-- > 0;)
      points.push_back({h, 100'000 + h * spacing_ms, h == 0 ? Uint256() : Uint256(difficulty)});
    return points;
  };
  std::vector<ChainPoint> genesis_only = {{0, 0, Uint256()}};
  CHECK(next_difficulty(genesis_only, params) == Uint256(1000));
  CHECK(next_difficulty(chain_of(2000, 1000), params) == Uint256(1000));  // on target
  CHECK(next_difficulty(chain_of(4000, 1000), params) == Uint256(500));   // twice too slow
  CHECK(next_difficulty(chain_of(1500, 1000), params) == Uint256(1333));  // 1000 * 4/3
  CHECK(next_difficulty(chain_of(100, 1000), params) == Uint256(2000));   // clamped at x2
  CHECK(next_difficulty(chain_of(2000, 1), params) == Uint256(1));        // never below 1
  std::vector<ChainPoint> height_one = {{1, 999'000, Uint256(1000)}, {0, 0, Uint256()}};
  CHECK(next_difficulty(height_one, params) == Uint256(1000));  // block 0's time is not used
  auto short_chain = chain_of(2000, 1000);
  short_chain.resize(3);
  CHECK_FALSE(next_difficulty(short_chain, params).has_value());
}

TEST_CASE("pos rules: header checks name the broken rule", "[pos][rules]") {
  chain::PosParams params;
  chain::BlockHeader header;
  header.height = 5;
  header.timestamp_ms = 20'000;
  header.seal = chain::PosSeal{20, Uint256(100).to_hash(), {}};
  PosHeaderContext context{4, 19, Uint256(100), 20'000};
  CHECK(check_pos_header(header, context, params).ok());
  auto reason = [&](PosHeaderContext changed) {
    return check_pos_header(header, changed, params).reason();
  };
  CHECK(reason({3, 19, Uint256(100), 20'000}) == Rejection::kBadHeight);
  CHECK(reason({4, 19, Uint256(101), 20'000}) == Rejection::kWrongDifficulty);
  CHECK(reason({4, 20, Uint256(100), 20'000}) == Rejection::kTimeTooOld);  // same second
  CHECK(reason({4, 19, Uint256(100), 20'000 - params.max_future_ms - 1}) == Rejection::kTimeTooNew);
}
