// The numbers the attack experiments are held to: Nakamoto's table, the exact double-spend
// probability of the simulated process, Eyal & Sirer's closed form, the binomial test.
#include <catch2/catch.hpp>

#include "tests/sim/attack_math.h"

using namespace synod::sim;

TEST_CASE("nakamoto_success reproduces the table of section 11", "[pow-math]") {
  // q = 0.1, z = 0..10, as printed in the paper.
  const double q10[] = {1.0000000, 0.2045873, 0.0509779, 0.0131722, 0.0034552, 0.0009137,
                        0.0002428, 0.0000647, 0.0000173, 0.0000046, 0.0000012};
  for (int z = 0; z <= 10; ++z)
    CHECK(nakamoto_success(0.1, z) == Approx(q10[z]).margin(5e-8));
  // q = 0.3, z = 0, 5, ..., 50.
  const double q30[] = {1.0000000, 0.1773523, 0.0416605, 0.0101008, 0.0024804, 0.0006132,
                        0.0001522, 0.0000379, 0.0000095, 0.0000024, 0.0000006};
  for (int i = 0; i <= 10; ++i)
    CHECK(nakamoto_success(0.3, 5 * i) == Approx(q30[i]).margin(5e-8));
}

TEST_CASE("exact_double_spend matches hand-computed cases", "[pow-math]") {
  // z = 0: from level, reach +1: q/p without giving up.
  CHECK(exact_double_spend(0.3, 0, 0) == Approx(0.3 / 0.7));
  // z = 1: m = 0 (p) needs +2, m = 1 (p q) needs +1, m >= 2 has won: q^2/p + q^2 + 1 - p - pq.
  const double q = 0.3, p = 0.7;
  CHECK(exact_double_spend(q, 1, 0) == Approx(q * q / p + q * q + 1 - p - p * q));
  // A fair race with a give-up at 30 behind: from level, +1 before -30 is 30/31.
  CHECK(exact_double_spend(0.5, 0, 30) == Approx(30.0 / 31.0));
  CHECK(catch_up_probability(0.5, -10, 30) == Approx(20.0 / 31.0));
  // Giving up costs little when the neglected chance is tiny.
  const int d = give_up_deficit(0.2, 1e-4, 30);
  CHECK(exact_double_spend(0.2, 6, 0) - exact_double_spend(0.2, 6, d) < 1e-4);
  CHECK(exact_double_spend(0.2, 6, 0) > exact_double_spend(0.2, 6, d));
  // The attack gets harder with every confirmation.
  for (int z = 1; z <= 10; ++z)
    CHECK(exact_double_spend(0.3, z, 10) < exact_double_spend(0.3, z - 1, 10));
}

TEST_CASE("level_catch_up is the negative-binomial form of Nakamoto's rule", "[pow-math]") {
  CHECK(level_catch_up(0.1, 0) == 1.0);
  CHECK(level_catch_up(0.1, 1) == Approx(0.2));  // m = 0: q/p with prob p; m >= 1: won
  CHECK(level_catch_up(0.5, 7) == 1.0);
  // Poisson progress approximates it and, for more confirmations, underestimates it.
  CHECK(level_catch_up(0.1, 1) == Approx(nakamoto_success(0.1, 1)).epsilon(0.03));
  CHECK(level_catch_up(0.1, 5) > nakamoto_success(0.1, 5));
  CHECK(level_catch_up(0.1, 5) < 3 * nakamoto_success(0.1, 5));
}

TEST_CASE("give_up_deficit neglects less than the bound", "[pow-math]") {
  CHECK(give_up_deficit(0.1, 1e-4, 30) == 4);  // (1/9)^5 < 1e-4 <= (1/9)^4
  CHECK(give_up_deficit(0.3, 1e-4, 30) == 10);
  CHECK(give_up_deficit(0.45, 1e-4, 30) == 30);  // capped
  CHECK(give_up_deficit(0.5, 1e-4, 30) == 30);
}

TEST_CASE("selfish_revenue has Eyal and Sirer's thresholds", "[pow-math]") {
  CHECK(selfish_revenue(1.0 / 3, 0) == Approx(1.0 / 3));  // gamma 0: profitable above 1/3
  CHECK(selfish_revenue(0.25, 0.5) == Approx(0.25));      // gamma 1/2: above 1/4
  CHECK(selfish_revenue(0.2, 0) < 0.2);
  CHECK(selfish_revenue(0.4, 0) > 0.4);
  CHECK(selfish_revenue(0.1, 1.0) > 0.1);  // gamma 1: any pool gains
  CHECK(selfish_revenue(0.4, 0) == Approx(0.1664 / 0.344));
}

TEST_CASE("the binomial agreement test accepts noise and rejects a wrong probability",
          "[pow-math]") {
  CHECK(binomial_upper_tail(10, 0.5, 10) == Approx(1.0 / 1024));
  CHECK(binomial_lower_tail(10, 0.5, 0) == Approx(1.0 / 1024));
  CHECK(binomial_upper_tail(10, 0.5, 5) + binomial_lower_tail(10, 0.5, 4) == Approx(1.0));
  CHECK(agrees_within_sampling_error(300, 1000, 0.3, 0));
  CHECK(agrees_within_sampling_error(355, 1000, 0.3, 0));        // 3.8 sigma
  CHECK_FALSE(agrees_within_sampling_error(370, 1000, 0.3, 0));  // 4.8 sigma
  CHECK_FALSE(agrees_within_sampling_error(200, 1000, 0.3, 0));
  CHECK(agrees_within_sampling_error(370, 1000, 0.3, 0.02));  // with a bias allowance
  // Rare events: 2 in 100 at p = 0.0012 is a 1-in-150 fluke, not a 4-sigma one; 6 is.
  CHECK(agrees_within_sampling_error(2, 100, 0.0012, 0));
  CHECK_FALSE(agrees_within_sampling_error(6, 100, 0.0012, 0));
  CHECK(agrees_within_sampling_error(0, 100, 0.0012, 0));
}
