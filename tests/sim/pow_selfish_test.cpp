// Selfish mining with real engines against Eyal & Sirer's closed form, at a few points
// (`synod-sim --consensus pow --experiment selfish-mining` prints the curve). Below the
// threshold the strategy must measurably lose, above it measurably win: the comparison
// with the honest share alpha is what makes the check able to fail.
#include <catch2/catch.hpp>

#include <sstream>

#include "tests/sim/pow_selfish.h"

using namespace synod::sim;

namespace {

SelfishOptions test_options() {
  SelfishOptions options;
  options.runs = 8;
  options.blocks = 1000;
  return options;
}

SelfishPoint measure(double alpha, double gamma, std::uint64_t seed_base) {
  SelfishPoint point = run_selfish_point(alpha, gamma, seed_base, test_options());
  std::ostringstream out;
  out << "alpha=" << alpha << " gamma=" << gamma << ": revenue " << point.revenue << " (sigma "
      << point.sigma << ", " << point.blocks << " blocks), closed form " << point.closed_form
      << ", " << point.anomalies << " anomalies " << point.first_anomaly;
  UNSCOPED_INFO(out.str());
  CHECK(point.anomalies == 0);
  CHECK(point.agrees);
  return point;
}

}  // namespace

TEST_CASE("a selfish pool of 0.2 loses at gamma 0 and matches the closed form",
          "[pow][experiment]") {
  SelfishPoint point = measure(0.2, 0.0, 1);
  CHECK(point.revenue < 0.2 - 4 * point.sigma);
}

TEST_CASE("a selfish pool of 0.2 at gamma 0.5 matches the closed form", "[pow][experiment]") {
  measure(0.2, 0.5, 1'000'000);
}

TEST_CASE("a selfish pool of 0.4 wins at gamma 0 and matches the closed form",
          "[pow][experiment]") {
  SelfishPoint point = measure(0.4, 0.0, 2'000'000);
  CHECK(point.revenue > 0.4 + 4 * point.sigma);
}

TEST_CASE("a selfish pool of 0.4 at gamma 0.5 wins and matches the closed form",
          "[pow][experiment]") {
  SelfishPoint point = measure(0.4, 0.5, 3'000'000);
  CHECK(point.revenue > 0.4 + 4 * point.sigma);
}
