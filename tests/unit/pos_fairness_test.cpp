// Fairness of the stake lottery (the real pos_rules functions): over many rounds the share
// of blocks each validator signs tracks its stake, judged by a chi-square test against the
// exact expectation of the model.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <string>

#include "chain/address.h"
#include "pow_pos/pos_rules.h"

using namespace synod;
using namespace synod::pow_pos;

namespace {

constexpr std::size_t kValidators = 4;
constexpr std::array<std::uint64_t, kValidators> kStakes = {100, 200, 300, 400};
constexpr std::uint64_t kDifficulty = 2000;  // total stake 1,000 * a 2-second interval
constexpr int kRounds = 4000;

chain::Address validator_address(std::size_t i) {
  chain::Address address;
  address.data.fill(static_cast<std::uint8_t>(0x40 + i));
  return address;
}

// The model's exact share of validator i: each second every validator wins on its own with
// p_j = stake_j / difficulty; the first second with winners decides, and among several
// winners the lowest block hash, which is independent of stake (each equally likely).
std::array<double, kValidators> expected_shares() {
  std::array<double, kValidators> share{};
  double any = 0;
  for (unsigned set = 1; set < (1u << kValidators); ++set) {
    double probability = 1;
    int winners = 0;
    for (std::size_t j = 0; j < kValidators; ++j) {
      const double p = static_cast<double>(kStakes[j]) / kDifficulty;
      const bool in = ((set >> j) & 1u) != 0;
      probability *= in ? p : 1 - p;
      winners += in ? 1 : 0;
    }
    any += probability;
    for (std::size_t j = 0; j < kValidators; ++j) {
      if (((set >> j) & 1u) != 0)
        share[j] += probability / winners;
    }
  }
  for (double& value : share)
    value /= any;
  return share;
}

// Who signs the block after `prev`: the first second with a winning ticket; ties go to the
// lowest stand-in block hash SHA256(prev || address).
std::size_t proposer_after(const crypto::Hash256& prev) {
  for (std::uint64_t ts = 1;; ++ts) {
    std::optional<std::size_t> chosen;
    crypto::Hash256 lowest;
    for (std::size_t j = 0; j < kValidators; ++j) {
      const chain::Address address = validator_address(j);
      if (!wins_lottery(lottery_ticket(prev, address, ts), kStakes[j], Uint256(kDifficulty)))
        continue;
      const crypto::Hash256 block_hash = lottery_ticket(prev, address, 0);
      if (!chosen || block_hash < lowest) {
        chosen = j;
        lowest = block_hash;
      }
    }
    if (chosen)
      return *chosen;
  }
}

}  // namespace

double chi_square(const std::array<int, kValidators>& observed,
                  const std::array<double, kValidators>& shares, int total) {
  double sum = 0;
  for (std::size_t j = 0; j < kValidators; ++j) {
    const double expected = shares[j] * total;
    sum += (observed[j] - expected) * (observed[j] - expected) / expected;
  }
  return sum;
}

TEST_CASE("pos fairness: block shares track stake shares (chi-square over 4,000 rounds)",
          "[pos][fairness]") {
  std::array<int, kValidators> blocks{};
  crypto::Hash256 prev = crypto::sha256(as_bytes("synod/pos/fairness"));
  for (int round = 0; round < kRounds; ++round) {
    const std::size_t proposer = proposer_after(prev);
    ++blocks[proposer];
    Bytes next(prev.data.begin(), prev.data.end());
    next.push_back(static_cast<std::uint8_t>(proposer));
    prev = crypto::sha256(next);
  }
  const auto expected = expected_shares();
  std::printf("validator  stake share  expected share  measured share\n");
  for (std::size_t j = 0; j < kValidators; ++j) {
    std::printf("%9zu  %11.3f  %14.3f  %14.3f\n", j, kStakes[j] / 1000.0, expected[j],
                static_cast<double>(blocks[j]) / kRounds);
  }
  const double fit = chi_square(blocks, expected, kRounds);
  std::printf("chi-square %.2f (3 degrees of freedom; 16.27 is the 0.1%% critical value)\n", fit);
  CHECK(fit < 16.27);
  // The test can tell: equal shares, as a lottery ignoring stake would give, are far off.
  CHECK(chi_square(blocks, {0.25, 0.25, 0.25, 0.25}, kRounds) > 100);
  // And the model's expectation is close to the stake shares themselves.
  for (std::size_t j = 0; j < kValidators; ++j)
    CHECK(std::abs(expected[j] - kStakes[j] / 1000.0) < 0.03);
}
