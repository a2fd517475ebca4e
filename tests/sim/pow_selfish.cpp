#include "tests/sim/pow_selfish.h"

#include <cassert>
#include <cmath>
#include <vector>

#include "tests/sim/attack_math.h"
#include "tests/sim/parallel.h"
#include "tests/sim/pow_grind.h"
#include "tests/sim/pow_invariants.h"
#include "tests/sim/selfish_pool.h"

namespace synod::sim {
namespace {

constexpr SlotId kPool = 0;
constexpr std::uint64_t kTail = 20;  // top blocks not counted: they may still be orphaned

PowClusterOptions selfish_cluster_options(double alpha, std::uint64_t seed,
                                          const SelfishOptions& options, std::ostream* trace) {
  PowClusterOptions out;
  out.miners = 1 + options.honest_miners;
  out.accounts = 2;
  out.seed = seed;
  out.trace = trace;
  out.pow = sim_pow_params();
  out.pow.initial_target = target_for_hashes(options.expected_hashes);
  out.pow.block_interval_ms = options.block_interval_ms;
  out.pow.max_retarget_factor = 1;
  const double rate = static_cast<double>(options.expected_hashes) * 1000.0 /
                      static_cast<double>(options.block_interval_ms);
  out.hash_rates.push_back(alpha * rate);
  for (std::size_t i = 0; i < options.honest_miners; ++i)
    out.hash_rates.push_back((1 - alpha) * rate / static_cast<double>(options.honest_miners));
  return out;
}

// The pool's share of heights 1..counted of the honest node's best chain.
SelfishRun count_revenue(const PowCluster& cluster, std::uint64_t counted) {
  SelfishRun out;
  const PowStore& store = cluster.node(1).store;
  const crypto::PublicKey pool = cluster.genesis().miner_keys[kPool].public_key();
  out.counted = std::min(counted, store.height());
  for (std::uint64_t h = 1; h <= out.counted; ++h)
    out.pool_blocks += store.at(h).header.proposer == pool ? 1 : 0;
  return out;
}

}  // namespace

SelfishRun run_selfish_mining(double alpha, double gamma, std::uint64_t seed,
                              const SelfishOptions& options, std::ostream* trace) {
  assert(alpha > 0 && alpha < 0.5);
  PowCluster cluster(selfish_cluster_options(alpha, seed, options, trace));
  cluster.node(kPool).honest = false;
  cluster.node(kPool).role = "selfish";
  SelfishPool pool(cluster, SelfishPoolOptions{kPool, gamma, 100, 1, seed});
  PowInvariantChecker checker(cluster.genesis().genesis);
  std::string fault;
  PowClusterHooks hooks;
  hooks.on_change = [&](const PowNode& node, const StoreChange& change, TimeMs now) {
    checker.on_change(node, change, now);
  };
  hooks.on_mined = [&](const PowNode& node, const chain::Block& block, TimeMs) {
    if (node.slot == kPool)
      pool.on_mined(block);
  };
  hooks.on_received = [&](const PowNode& node, SlotId, const std::vector<chain::Block>& blocks,
                          TimeMs) {
    if (node.slot == kPool)
      pool.on_received(blocks);
  };
  hooks.on_fault = [&](const PowNode&, const std::string& what, TimeMs) {
    if (fault.empty())
      fault = "driver fault: " + what;
  };
  cluster.set_hooks(std::move(hooks));
  cluster.set_policy(pool.policy());
  cluster.start();
  const std::uint64_t target = options.blocks + kTail;
  const TimeMs give_up_ms = 4 * target * options.block_interval_ms;
  while (cluster.node(1).store.height() < target && cluster.now() < give_up_ms && fault.empty())
    cluster.run_until(cluster.now() + 10 * options.block_interval_ms);
  SelfishRun out = count_revenue(cluster, options.blocks);
  out.races = pool.races();
  out.anomaly = !fault.empty()                 ? fault
                : !pool.anomaly().empty()      ? "pool: " + pool.anomaly()
                : !checker.ok()                ? "invariant: " + checker.violations().front().what
                : out.counted < options.blocks ? std::string("the chain did not grow")
                                               : std::string();
  return out;
}

SelfishPoint run_selfish_point(double alpha, double gamma, std::uint64_t seed_base,
                               const SelfishOptions& options, unsigned jobs) {
  std::vector<SelfishRun> runs(options.runs);
  for_each_index(options.runs, jobs, [&](std::uint64_t i) {
    runs[i] = run_selfish_mining(alpha, gamma, seed_base + i, options);
  });
  SelfishPoint point;
  point.alpha = alpha;
  point.gamma = gamma;
  point.runs = options.runs;
  point.closed_form = selfish_revenue(alpha, gamma);
  std::vector<double> shares;
  for (std::uint64_t i = 0; i < runs.size(); ++i) {
    const SelfishRun& run = runs[i];
    point.blocks += run.counted;
    if (!run.anomaly.empty() && point.anomalies++ == 0)
      point.first_anomaly = "seed " + std::to_string(seed_base + i) + ": " + run.anomaly;
    shares.push_back(run.counted ? static_cast<double>(run.pool_blocks) / run.counted : 0.0);
  }
  double sum = 0, squares = 0;
  for (double share : shares)
    sum += share;
  point.revenue = shares.empty() ? 0 : sum / static_cast<double>(shares.size());
  for (double share : shares)
    squares += (share - point.revenue) * (share - point.revenue);
  if (shares.size() > 1) {
    const double n = static_cast<double>(shares.size());
    point.sigma = std::sqrt(squares / (n - 1) / n);
  }
  point.agrees = point.anomalies == 0 &&
                 std::abs(point.revenue - point.closed_form) <= 4 * point.sigma + options.epsilon;
  return point;
}

}  // namespace synod::sim
