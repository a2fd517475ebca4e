#include "tests/sim/attack_math.h"

#include <cassert>
#include <cmath>

namespace synod::sim {

// Section 11 of "Bitcoin: A Peer-to-Peer Electronic Cash System", line for line.
double nakamoto_success(double q, int z) {
  double p = 1.0 - q;
  double lambda = z * (q / p);
  double sum = 1.0;
  int i, k;
  for (k = 0; k <= z; k++) {
    double poisson = std::exp(-lambda);
    for (i = 1; i <= k; i++)
      poisson *= lambda / i;
    sum -= poisson * (1 - std::pow(q / p, z - k));
  }
  return sum;
}

double catch_up_probability(double q, int lead, int deficit) {
  assert(q > 0 && q < 1 && lead <= 0 && deficit >= 0);
  const double p = 1.0 - q;
  if (deficit == 0)  // no give-up: (q/p)^(distance to +1), certain when q >= p
    return q >= p ? 1.0 : std::pow(q / p, 1 - lead);
  if (lead <= -deficit)
    return 0.0;
  // Gambler's ruin on 0..n with the walk at i: up to n before down to 0.
  const int i = lead + deficit;
  const int n = deficit + 1;
  if (q == p)
    return static_cast<double>(i) / n;
  const double r = p / q;
  return (1.0 - std::pow(r, i)) / (1.0 - std::pow(r, n));
}

double exact_double_spend(double q, int z, int give_up_deficit) {
  assert(q > 0 && q < 1 && z >= 0);
  const double p = 1.0 - q;
  if (z == 0)
    return catch_up_probability(q, 0, give_up_deficit);
  // m = 0..z: the attacker is z - m behind when the merchant accepts; m > z: already ahead.
  double behind = 0.0;           // P(m <= z)
  double success = 0.0;          // sum over m <= z of P(m) * catch up from m - z
  double term = std::pow(p, z);  // P(m = 0)
  for (int m = 0; m <= z; ++m) {
    if (m > 0)
      term *= q * (m + z - 1) / m;
    behind += term;
    success += term * catch_up_probability(q, m - z, give_up_deficit);
  }
  return success + (1.0 - behind);
}

double level_catch_up(double q, int z) {
  assert(q > 0 && q < 1 && z >= 0);
  const double p = 1.0 - q;
  if (q >= p)
    return 1.0;
  double sum = 1.0;
  double term = std::pow(p, z);  // P(m = 0); z = 0 leaves the sum at 1
  for (int m = 0; m < z; ++m) {
    if (m > 0)
      term *= q * (m + z - 1) / m;
    sum -= term * (1.0 - std::pow(q / p, z - m));
  }
  return sum;
}

int give_up_deficit(double q, double neglect, int cap) {
  const double ratio = q / (1.0 - q);
  for (int d = 1; d < cap; ++d) {
    if (std::pow(ratio, d + 1) < neglect)
      return d;
  }
  return cap;
}

double selfish_revenue(double alpha, double gamma) {
  const double a = alpha;
  const double numerator = a * (1 - a) * (1 - a) * (4 * a + gamma * (1 - 2 * a)) - a * a * a;
  const double denominator = 1 - a * (1 + (2 - a) * a);
  return numerator / denominator;
}

double binomial_sigma(double p, std::uint64_t n) {
  return n == 0 ? 0.0 : std::sqrt(p * (1 - p) / static_cast<double>(n));
}

namespace {

double log_binomial_pmf(std::uint64_t n, double p, std::uint64_t i) {
  const double nd = static_cast<double>(n);
  const double id = static_cast<double>(i);
  return std::lgamma(nd + 1) - std::lgamma(id + 1) - std::lgamma(nd - id + 1) + id * std::log(p) +
         (nd - id) * std::log1p(-p);
}

// Sums pmf(i) for i = k, k + step, ... within [0, n] until the terms stop mattering; the
// caller starts on the far side of the mode, where terms only shrink.
double binomial_tail(std::uint64_t n, double p, std::uint64_t k, int step) {
  double sum = 0;
  for (std::int64_t i = static_cast<std::int64_t>(k); i >= 0 && i <= static_cast<std::int64_t>(n);
       i += step) {
    const double term = std::exp(log_binomial_pmf(n, p, static_cast<std::uint64_t>(i)));
    sum += term;
    if (term < 1e-18 * sum)
      break;
  }
  return std::min(1.0, sum);
}

}  // namespace

double binomial_upper_tail(std::uint64_t n, double p, std::uint64_t k) {
  if (k == 0)
    return 1.0;
  if (k > n || p <= 0)
    return 0.0;
  if (p >= 1)
    return 1.0;
  if (static_cast<double>(k) <= static_cast<double>(n) * p)
    return 1.0 - binomial_lower_tail(n, p, k - 1);
  return binomial_tail(n, p, k, +1);
}

double binomial_lower_tail(std::uint64_t n, double p, std::uint64_t k) {
  if (k >= n || p <= 0)
    return 1.0;
  if (p >= 1)
    return 0.0;
  if (static_cast<double>(k) >= static_cast<double>(n) * p)
    return 1.0 - binomial_upper_tail(n, p, k + 1);
  return binomial_tail(n, p, k, -1);
}

bool agrees_within_sampling_error(std::uint64_t successes, std::uint64_t trials, double p,
                                  double epsilon) {
  const double expected = static_cast<double>(trials) * p;
  const double count = static_cast<double>(successes);
  if (count >= expected) {
    const double shifted = std::min(1.0, p + epsilon);
    return binomial_upper_tail(trials, shifted, successes) >= kFourSigmaTail;
  }
  const double shifted = std::max(0.0, p - epsilon);
  return binomial_lower_tail(trials, shifted, successes) >= kFourSigmaTail;
}

}  // namespace synod::sim
