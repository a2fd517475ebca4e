// The 51% attack, measured with real engines, against the exact probability of the process
// the simulator runs (a reduced grid; `synod-sim --consensus pow --experiment double-spend`
// prints the full one). The check has teeth: the same measurement must disagree with the
// exact probability of a different hash share, and with Nakamoto's figure where the rules
// differ by a block.
#include <catch2/catch.hpp>

#include <sstream>

#include "tests/sim/attack_math.h"
#include "tests/sim/pow_double_spend.h"

using namespace synod::sim;

namespace {

std::string describe(const DoubleSpendCell& cell) {
  std::ostringstream out;
  out << "q=" << cell.q << " z=" << cell.z << " D=" << cell.give_up_deficit << ": "
      << cell.successes << "/" << cell.trials << " = " << cell.measured << " (sigma " << cell.sigma
      << "), exact " << cell.exact << ", nakamoto " << cell.nakamoto << ", " << cell.anomalies
      << " anomalies " << cell.first_anomaly;
  return out.str();
}

void check_cells(double q, const std::vector<int>& confirmations, std::uint64_t trials,
                 std::uint64_t seed_base) {
  const DoubleSpendOptions options;
  for (int z : confirmations) {
    DoubleSpendCell cell = run_double_spend_cell(
        q, z, trials, seed_base + 100'000 * static_cast<std::uint64_t>(z), options);
    INFO(describe(cell));
    CHECK(cell.anomalies == 0);
    CHECK(cell.agrees);
  }
}

}  // namespace

TEST_CASE("double spend with q = 0.1 agrees with the exact probability", "[pow][experiment]") {
  check_cells(0.1, {0, 1, 2}, 600, 1);
}

TEST_CASE("double spend with q = 0.3 agrees with the exact probability", "[pow][experiment]") {
  check_cells(0.3, {0, 1, 3}, 400, 2'000'000);
}

TEST_CASE("double spend with q = 0.45 agrees with the exact probability", "[pow][experiment]") {
  check_cells(0.45, {1, 4}, 200, 4'000'000);
}

TEST_CASE("a double-spend measurement rejects the wrong hash share and Nakamoto's rule",
          "[pow][experiment]") {
  const DoubleSpendOptions options;
  DoubleSpendCell cell = run_double_spend_cell(0.3, 2, 400, 6'000'000, options);
  INFO(describe(cell));
  REQUIRE(cell.agrees);
  for (double wrong : {0.2, 0.4}) {
    const double exact = exact_double_spend(wrong, 2, give_up_deficit(wrong, 1e-4, 30));
    INFO("q=" << wrong << " exact " << exact);
    CHECK_FALSE(agrees_within_sampling_error(cell.successes, cell.trials, exact, options.epsilon));
  }
  // Nakamoto's figure (draw level suffices, Poisson progress) is not this process's.
  CHECK_FALSE(
      agrees_within_sampling_error(cell.successes, cell.trials, cell.nakamoto, options.epsilon));
}
