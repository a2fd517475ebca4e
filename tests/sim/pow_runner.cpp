#include "tests/sim/pow_runner.h"

#include <algorithm>

#include "tests/sim/pos_sim.h"
#include "tests/sim/pow_invariants.h"
#include "tests/sim/pow_workload.h"

namespace synod::sim {
namespace {

constexpr TimeMs kStepMs = 250;

// One run's cluster, clients and checker, wired together.
class PowHarness {
 public:
  PowHarness(const PowScenario& scenario, const PowRunOptions& options)
      : scenario_(scenario),
        options_(options),
        cluster_(make_cluster_options(scenario, options), scenario_engine_factory(scenario)),
        checker_(cluster_.genesis().genesis),
        workload_(cluster_, scenario.seed, make_workload_options(scenario),
                  [this](SlotId slot, const crypto::Hash256& hash) {
                    return checker_.on_branch(slot, hash);
                  }) {
    cluster_.queue().set_event_budget(options.event_budget);
    PowClusterHooks hooks;
    hooks.on_change = [this](const PowNode& node, const StoreChange& change, TimeMs now) {
      checker_.on_change(node, change, now);
    };
    hooks.on_fault = [this](const PowNode& node, const std::string& what, TimeMs now) {
      checker_.on_fault(node, what, now);
    };
    cluster_.set_hooks(std::move(hooks));
  }

  void start() {
    if (options_.trace != nullptr)
      *options_.trace << "scenario: " << scenario_.describe() << "\n";
    schedule_pow_faults(scenario_, cluster_);
    apply_pos_roles(scenario_, cluster_);
    cluster_.start();
    workload_.start();
    if (options_.prepare)
      options_.prepare(cluster_);
  }

  void run() {
    // Validators cannot be told to stop: a PoS run checks agreement to its end.
    const bool budget_ok =
        scenario_.pos_mode() ? run_checked(scenario_.end_ms, [] { return false; }) : run_mining();
    if (!budget_ok) {
      checker_.record(cluster_.now(), "harness: event budget of " +
                                          std::to_string(options_.event_budget) +
                                          " events exhausted (runaway message storm?)");
    }
    check_end();
    cluster_.finish_recording();
    if (options_.inspect)
      options_.inspect(cluster_);
  }

  // Mining, then only the strongest miner until its blocks break any tie between tips, then
  // a quiet network; false when the event budget ran out.
  bool run_mining() {
    bool budget_ok = run_checked(scenario_.mining_stop_ms, [] { return false; });
    const SlotId last = scenario_.strongest_miner();
    for (SlotId slot = 0; slot < cluster_.size(); ++slot) {
      if (slot != last)
        cluster_.stop_miner(slot);
    }
    const std::uint64_t target = cluster_.node(last).blocks_mined + scenario_.tie_break_blocks;
    budget_ok = budget_ok && run_checked(scenario_.end_ms - scenario_.quiet_ms, [&] {
                  return cluster_.node(last).blocks_mined >= target;
                });
    cluster_.set_mining(false);
    workload_.stop();
    return budget_ok && cluster_.run_until(cluster_.now() + scenario_.quiet_ms);
  }

  PowRunResult result() const {
    PowRunResult out;
    out.violations = checker_.violations();
    out.height = cluster_.honest_max_height();
    out.transactions_submitted = workload_.submitted().size();
    for (SlotId slot = 0; slot < cluster_.size(); ++slot)
      out.blocks_mined += cluster_.node(slot).blocks_mined;
    out.reorgs = checker_.reorgs();
    out.deepest_reorg = checker_.deepest_reorg();
    out.blocks_checked = checker_.blocks_checked();
    out.slashes_checked = checker_.slashes_checked();
    out.trace_hash = cluster_.trace_hash();
    out.events = cluster_.queue().events_run();
    out.ended_ms = cluster_.now();
    out.scenario = scenario_.describe();
    return out;
  }

 private:
  // Runs in steps to `end_ms` or until `done`, checking agreement once the network is stable.
  template <typename Done>
  bool run_checked(TimeMs end_ms, Done done) {
    const TimeMs check_from = scenario_.stable_ms + scenario_.settle_ms;
    while (cluster_.now() < end_ms && !done()) {
      if (!cluster_.run_until(std::min(cluster_.now() + kStepMs, end_ms)))
        return false;
      if (cluster_.now() >= check_from)
        checker_.check_agreement(cluster_, scenario_.agreement_depth, cluster_.now());
    }
    return true;
  }

  void check_end() {
    const TimeMs now = cluster_.now();
    if (scenario_.pos_mode())
      checker_.check_agreement(cluster_, scenario_.agreement_depth, now);
    else
      checker_.check_converged(cluster_, now);
    checker_.check_included(cluster_, workload_.submitted(), now);
    const TimeMs producing_ms = scenario_.pos_mode() ? scenario_.end_ms : scenario_.mining_stop_ms;
    const std::uint64_t expected = producing_ms / scenario_.interval_ms();
    if (cluster_.honest_max_height() * 4 < expected) {
      checker_.record(now, "liveness: the best chain reached height " +
                               std::to_string(cluster_.honest_max_height()) + " where about " +
                               std::to_string(expected) + " blocks were expected");
    }
  }

  static PowClusterOptions make_cluster_options(const PowScenario& scenario,
                                                const PowRunOptions& options) {
    PowClusterOptions out = pow_cluster_options(scenario);
    out.trace = options.trace;
    out.recorder = options.recorder;
    return out;
  }
  static PowWorkloadOptions make_workload_options(const PowScenario& scenario) {
    PowWorkloadOptions out;
    out.transactions_per_s = scenario.transactions_per_s;
    out.stop_ms = scenario.workload_stop_ms;
    return out;
  }

  const PowScenario& scenario_;
  const PowRunOptions& options_;
  PowCluster cluster_;
  PowInvariantChecker checker_;
  PowWorkload workload_;
};

}  // namespace

PowRunResult run_pow_scenario(const PowScenario& scenario, const PowRunOptions& options) {
  PowHarness harness(scenario, options);
  harness.start();
  harness.run();
  return harness.result();
}

}  // namespace synod::sim
