#include "tests/sim/pow_double_spend.h"

#include <cassert>
#include <cmath>

#include "tests/sim/attack_math.h"
#include "tests/sim/parallel.h"
#include "tests/sim/pow_cluster.h"
#include "tests/sim/pow_grind.h"
#include "tests/sim/pow_invariants.h"

namespace synod::sim {
namespace {

constexpr SlotId kAttacker = 0;
constexpr std::uint64_t kAmount = 1000;
constexpr TimeMs kPublishLatencyMs = 1;
// A trial still undecided after kMaxIntervals block intervals (about as many blocks) is an
// anomaly: at q = 1/2 a walk between -30 and +1 outlasts 5000 steps with probability
// ~e^-25. The nodes' reorg limit lies beyond it.
constexpr std::uint64_t kMaxIntervals = 5000;
constexpr std::uint64_t kMaxReorgDepth = 8000;

PowClusterOptions trial_cluster_options(double q, std::uint64_t seed,
                                        const DoubleSpendOptions& options, std::ostream* trace) {
  PowClusterOptions out;
  out.miners = 1 + options.honest_miners;
  out.accounts = 3;  // the attacker's wallet, the merchant, the attacker's second address
  out.seed = seed;
  out.trace = trace;
  out.pow = sim_pow_params();
  out.pow.initial_target = target_for_hashes(options.expected_hashes);
  out.pow.block_interval_ms = options.block_interval_ms;
  out.pow.max_retarget_factor = 1;  // fixed difficulty: a longer branch has more work
  // The model has no reorg limit; a trial ends (as an anomaly) long before this one binds.
  out.pow.max_reorg_depth = kMaxReorgDepth;
  out.network.latency_base_ms = 2;
  out.network.latency_jitter_mean_ms = 3;
  // The whole network finds a block per interval: expected_hashes per interval.
  const double rate = static_cast<double>(options.expected_hashes) * 1000.0 /
                      static_cast<double>(options.block_interval_ms);
  out.hash_rates.push_back(q * rate);
  for (std::size_t i = 0; i < options.honest_miners; ++i)
    out.hash_rates.push_back((1 - q) * rate / static_cast<double>(options.honest_miners));
  return out;
}

class Trial {
 public:
  Trial(double q, int z, std::uint64_t seed, const DoubleSpendOptions& options, std::ostream* trace)
      : z_(static_cast<std::uint64_t>(z)),
        deficit_(
            static_cast<std::uint64_t>(give_up_deficit(q, options.neglect, options.deficit_cap))),
        interval_ms_(options.block_interval_ms),
        cluster_(trial_cluster_options(q, seed, options, trace)),
        checker_(cluster_.genesis().genesis) {
    PowClusterHooks hooks;
    hooks.on_change = [this](const PowNode& node, const StoreChange& change, TimeMs now) {
      checker_.on_change(node, change, now);
      evaluate();
    };
    hooks.on_fault = [this](const PowNode&, const std::string& what, TimeMs) {
      anomaly("driver fault: " + what);
    };
    cluster_.set_hooks(std::move(hooks));
  }

  DoubleSpendTrial run() {
    prepare();
    cluster_.start();
    while (!decided_) {
      if (cluster_.now() > kMaxIntervals * interval_ms_) {
        anomaly("no decision after " + std::to_string(kMaxIntervals) + " block intervals");
      } else {
        cluster_.run_until(cluster_.now() + (published_at_ ? 1000 : interval_ms_));
      }
    }
    if (!checker_.ok())
      anomaly("invariant: " + checker_.violations().front().what);
    result_.honest_height = honest_height();
    result_.attacker_height = cluster_.node(kAttacker).store.height();
    return result_;
  }

 private:
  const chain::Transaction& payment() const { return payment_; }

  // The payment waits in every honest mempool, its conflict in the attacker's; the
  // attacker hears and tells nothing.
  void prepare() {
    const auto& keys = cluster_.genesis().account_keys;
    const auto domain = chain::SigningDomain::of(*cluster_.genesis().genesis);
    payment_ = chain::make_transfer(keys[0], domain, chain::address_of(keys[1].public_key()),
                                    kAmount, 1, 0);
    chain::Transaction conflict = chain::make_transfer(
        keys[0], domain, chain::address_of(keys[2].public_key()), kAmount, 1, 0);
    std::vector<SlotId> honest;
    for (SlotId slot = 0; slot < cluster_.size(); ++slot) {
      if (slot == kAttacker) {
        cluster_.node(slot).preload.push_back(conflict);
        cluster_.node(slot).honest = false;
        cluster_.node(slot).role = "attacker";
      } else {
        cluster_.node(slot).preload.push_back(payment_);
        honest.push_back(slot);
      }
    }
    cluster_.network().partition({{kAttacker}, honest});
  }

  std::uint64_t honest_height() const {
    std::uint64_t height = 0;
    for (SlotId slot = 1; slot < cluster_.size(); ++slot)
      height = std::max(height, cluster_.node(slot).store.height());
    return height;
  }

  // The payment's confirmations on the highest honest chain (its block counts).
  std::uint64_t confirmations() const {
    const PowStore* best = &cluster_.node(1).store;
    for (SlotId slot = 2; slot < cluster_.size(); ++slot) {
      if (cluster_.node(slot).store.height() > best->height())
        best = &cluster_.node(slot).store;
    }
    const crypto::Hash256 hash = payment_.hash();
    for (std::uint64_t h = 1; h <= best->height(); ++h) {
      for (const auto& tx : best->at(h).transactions) {
        if (tx.hash() == hash)
          return best->height() - h + 1;
      }
    }
    return 0;
  }

  void evaluate() {
    if (decided_)
      return;
    if (published_at_) {
      evaluate_published();
      return;
    }
    if (confirmations() < z_)
      return;  // the merchant has not handed over the goods yet
    const std::uint64_t honest = honest_height();
    const std::uint64_t attacker = cluster_.node(kAttacker).store.height();
    if (attacker > honest)
      publish();
    else if (honest - attacker >= deficit_)
      decide(false);
  }

  // Published: the honest nodes switch within milliseconds, unless an honest block crossed
  // the attacker's in flight (a chance of ~1e-5). Then the race goes on in the open: the
  // attacker wins when the honest nodes switch, and loses when its own engine adopts the
  // honest chain (it dropped the conflicting transfer) or falls the give-up deficit behind.
  void evaluate_published() {
    if (honest_switched()) {
      decide(true);
      return;
    }
    const auto& keys = cluster_.genesis().account_keys;
    const chain::Address own = chain::address_of(keys[2].public_key());
    const std::uint64_t honest = honest_height();
    const std::uint64_t attacker = cluster_.node(kAttacker).store.height();
    const bool dropped =
        cluster_.node(kAttacker).store.state().account(own).balance ==
        chain::State::from_genesis(*cluster_.genesis().genesis).account(own).balance;
    if (dropped || honest >= attacker + deficit_)
      decide(false);
  }

  void publish() {
    published_at_ = cluster_.now();
    cluster_.trace("ATTACKER publishes its branch");
    cluster_.network().heal();
    const PowStore& branch = cluster_.node(kAttacker).store;
    for (SlotId slot = 1; slot < cluster_.size(); ++slot) {
      for (std::uint64_t h = 1; h <= branch.height(); ++h)
        cluster_.publish(kAttacker, slot, branch.at(h), kPublishLatencyMs);
    }
  }

  // Every honest node applied the conflicting transfer (so never the payment).
  bool honest_switched() const {
    const auto& keys = cluster_.genesis().account_keys;
    const chain::Address merchant = chain::address_of(keys[1].public_key());
    const chain::Address own = chain::address_of(keys[2].public_key());
    const chain::State genesis_state = chain::State::from_genesis(*cluster_.genesis().genesis);
    for (SlotId slot = 1; slot < cluster_.size(); ++slot) {
      const chain::State& state = cluster_.node(slot).store.state();
      if (state.account(own).balance != genesis_state.account(own).balance + kAmount ||
          state.account(merchant).balance != genesis_state.account(merchant).balance)
        return false;
    }
    return true;
  }

  void decide(bool success) {
    decided_ = true;
    result_.success = success;
  }

  void anomaly(const std::string& what) {
    if (!result_.anomaly)
      result_.note = what;
    result_.anomaly = true;
    decide(false);
  }

  std::uint64_t z_;
  std::uint64_t deficit_;
  TimeMs interval_ms_;
  PowCluster cluster_;
  PowInvariantChecker checker_;
  chain::Transaction payment_;
  std::optional<TimeMs> published_at_;
  bool decided_ = false;
  DoubleSpendTrial result_;
};

}  // namespace

DoubleSpendTrial run_double_spend_trial(double q, int z, std::uint64_t seed,
                                        const DoubleSpendOptions& options, std::ostream* trace) {
  assert(q > 0 && q < 1 && z >= 0);
  Trial trial(q, z, seed, options, trace);
  return trial.run();
}

DoubleSpendCell run_double_spend_cell(double q, int z, std::uint64_t trials,
                                      std::uint64_t seed_base, const DoubleSpendOptions& options,
                                      unsigned jobs) {
  std::vector<DoubleSpendTrial> results(trials);
  for_each_index(trials, jobs, [&](std::uint64_t i) {
    results[i] = run_double_spend_trial(q, z, seed_base + i, options);
  });
  DoubleSpendCell cell;
  cell.q = q;
  cell.z = z;
  cell.give_up_deficit = give_up_deficit(q, options.neglect, options.deficit_cap);
  cell.trials = trials;
  for (std::uint64_t i = 0; i < trials; ++i) {
    cell.successes += results[i].success ? 1 : 0;
    if (results[i].anomaly && cell.anomalies++ == 0)
      cell.first_anomaly = "seed " + std::to_string(seed_base + i) + ": " + results[i].note;
  }
  cell.measured = trials ? static_cast<double>(cell.successes) / static_cast<double>(trials) : 0;
  cell.exact = exact_double_spend(q, z, cell.give_up_deficit);
  cell.level = level_catch_up(q, z);
  cell.nakamoto = nakamoto_success(q, z);
  cell.sigma = binomial_sigma(cell.exact, trials);
  cell.agrees = cell.anomalies == 0 &&
                agrees_within_sampling_error(cell.successes, trials, cell.exact, options.epsilon);
  return cell;
}

}  // namespace synod::sim
