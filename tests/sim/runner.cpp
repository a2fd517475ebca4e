#include "tests/sim/runner.h"

#include <algorithm>

namespace synod::sim {
namespace {

constexpr TimeMs kStepMs = 250;

bool settled(const Cluster& cluster, const Workload& workload, const Scenario& scenario) {
  if (cluster.now() < scenario.workload_stop_ms || cluster.now() < scenario.stable_ms ||
      workload.uncommitted() != 0) {
    return false;
  }
  const std::uint64_t top = cluster.honest_max_height();
  for (SlotId slot = 0; slot < cluster.size(); ++slot) {
    const SimNode& node = cluster.node(slot);
    if (node.honest && node.up() && node.store.height() < top)
      return false;
  }
  return true;
}

// One run's cluster, clients and checker, wired together.
class Harness {
 public:
  Harness(const Scenario& scenario, const RunOptions& options)
      : scenario_(scenario),
        options_(options),
        cluster_(make_cluster_options(scenario, options), options.factory),
        workload_(cluster_, scenario.seed, make_workload_options(scenario)),
        checker_(cluster_.genesis().genesis) {
    cluster_.queue().set_event_budget(options.event_budget);
    checker_.set_submitted_lookup(
        [this](const crypto::Hash256& hash) { return workload_.was_submitted(hash); });
    cluster_.set_hooks(
        ClusterHooks{[this](const SimNode& node, const chain::Block& block,
                            const chain::StateDiff& diff, const chain::State& before, TimeMs now) {
                       checker_.on_commit(node, block, diff, before, now);
                       if (node.honest)
                         workload_.on_committed(block, now);
                     },
                     [this](const SimNode& node, const std::string& what, TimeMs now) {
                       checker_.on_fault(node, what, now);
                     }});
  }

  void start() {
    if (options_.trace != nullptr)
      *options_.trace << "scenario: " << scenario_.describe() << "\n";
    schedule_faults(scenario_, cluster_);
    cluster_.start();
    workload_.start();
    if (options_.prepare)
      options_.prepare(cluster_);
  }

  // Runs in steps to scenario.end_ms (or until settled), then checks liveness.
  void run() {
    std::uint64_t catch_up_height = 0;
    bool budget_ok = true;
    while (budget_ok && cluster_.now() < scenario_.end_ms) {
      const TimeMs next = std::min(cluster_.now() + kStepMs, scenario_.end_ms);
      if (cluster_.now() < scenario_.workload_stop_ms && next >= scenario_.workload_stop_ms) {
        budget_ok = cluster_.run_until(scenario_.workload_stop_ms);
        catch_up_height = cluster_.honest_max_height();
      }
      budget_ok = budget_ok && cluster_.run_until(next);
      if (options_.stop_when_settled && settled(cluster_, workload_, scenario_))
        break;
    }
    if (!budget_ok) {
      checker_.record(cluster_.now(), "harness: event budget of " +
                                          std::to_string(options_.event_budget) +
                                          " events exhausted (runaway message storm?)");
    }
    checker_.check_liveness(cluster_, workload_.submitted(),
                            {scenario_.stable_ms, scenario_.liveness_bound_ms, catch_up_height},
                            budget_ok ? scenario_.end_ms : cluster_.now());
    if (options_.inspect)
      options_.inspect(cluster_, workload_);
  }

  RunResult result() const {
    RunResult out;
    out.violations = checker_.violations();
    out.height = cluster_.honest_max_height();
    out.transactions_submitted = workload_.submitted().size();
    out.transactions_committed = workload_.submitted().size() - workload_.uncommitted();
    out.trace_hash = cluster_.trace_hash();
    out.events = cluster_.queue().events_run();
    out.ended_ms = cluster_.now();
    out.network = cluster_.network().stats();
    out.scenario = scenario_.describe();
    return out;
  }

 private:
  static ClusterOptions make_cluster_options(const Scenario& scenario, const RunOptions& options) {
    ClusterOptions out = cluster_options(scenario);
    out.trace = options.trace;
    out.describe_message = options.describe_message;
    out.recorder = options.recorder;
    return out;
  }
  static WorkloadOptions make_workload_options(const Scenario& scenario) {
    WorkloadOptions out;
    out.transactions_per_s = scenario.transactions_per_s;
    out.stop_ms = scenario.workload_stop_ms;
    return out;
  }

  const Scenario& scenario_;
  const RunOptions& options_;
  Cluster cluster_;
  Workload workload_;
  InvariantChecker checker_;
};

}  // namespace

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  Harness harness(scenario, options);
  harness.start();
  harness.run();
  return harness.result();
}

}  // namespace synod::sim
