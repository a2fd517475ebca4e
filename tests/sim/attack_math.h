// The numbers the attack experiments are compared with.
//
// Double-spend. The race is a sequence of blocks, each the attacker's with probability q
// and the honest network's with p = 1 - q (the limit of exponential block times with hash
// shares q and p; the simulator's miners realise it with real hashes).
// - nakamoto_success: the figure of section 11 of the Bitcoin paper, computed exactly as
//   its C code does: the attacker's progress while the honest chain makes z blocks is taken
//   as Poisson with lambda = z q / p, and from k blocks it catches up (draws level) with
//   probability (q/p)^(z-k). An approximation: that progress is negative-binomial
//   (Rosenfeld 2014, Grunspan & Perez-Marco 2017).
// - exact_double_spend: the process the simulator runs. The attacker mines privately from
//   the block before the payment's; the merchant waits for z confirmations (the payment's
//   block and z - 1 on it; z = 0: none); by then the attacker has m blocks with
//   P(m) = C(m + z - 1, m) p^z q^m; from then on it publishes as soon as its branch is
//   strictly longer (lead +1: equal work does not move the honest nodes, who saw their
//   chain first) and gives up when it is `give_up_deficit` blocks behind (gambler's ruin
//   between +1 and -D). give_up_deficit 0: never gives up.
// - level_catch_up: the same negative-binomial progress with Nakamoto's success rule (draw
//   level, (q/p)^(z-m), never give up): what his formula approximates. Next to the other
//   two it separates the Poisson approximation from the one-block difference of the rules.
// - give_up_deficit: the deficit D the experiment gives up at: the least D with
//   (q/p)^(D+1) < neglect (the chance to ever come back from D behind), at most cap.
//
// Selfish mining (Eyal & Sirer 2014, eq. 8): the pool's share of the main chain's blocks
// with hash share alpha, and a fraction gamma of the honest power mining on the pool's
// block during a tie.
#pragma once

#include <cstdint>

namespace synod::sim {

double nakamoto_success(double q, int z);
double exact_double_spend(double q, int z, int give_up_deficit);
double level_catch_up(double q, int z);
int give_up_deficit(double q, double neglect, int cap);
// P(a walk that steps +1 with probability q, -1 otherwise, hits +1 before -deficit | it
// starts at `lead` <= 0); deficit 0: no lower barrier.
double catch_up_probability(double q, int lead, int deficit);

double selfish_revenue(double alpha, double gamma);

// The standard error of a measured frequency with probability `p` over `n` trials.
double binomial_sigma(double p, std::uint64_t n);
// P(X >= k) and P(X <= k) for X ~ Binomial(n, p), summed in log space.
double binomial_upper_tail(std::uint64_t n, double p, std::uint64_t k);
double binomial_lower_tail(std::uint64_t n, double p, std::uint64_t k);

// The one-sided tail of a normal distribution beyond 4 sigma.
inline constexpr double kFourSigmaTail = 3.167e-5;

// Whether `successes` out of `trials` agree with probability `p`: the exact binomial
// chance of a count at least this far from trials * p, with p first moved up to `epsilon`
// toward the count (an allowance for modelling bias), is at least kFourSigmaTail. For
// large counts this is |measured - p| <= 4 sigma + epsilon; unlike that, it stays right
// for rare events (n p of a few).
bool agrees_within_sampling_error(std::uint64_t successes, std::uint64_t trials, double p,
                                  double epsilon);

}  // namespace synod::sim
