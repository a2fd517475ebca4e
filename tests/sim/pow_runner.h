// Runs one proof-of-work (or proof-of-stake) scenario end to end: builds the cluster, starts the
// workload, schedules the faults, checks the per-block invariants as stores change, agreement while
// the stable network mines, and convergence and inclusion once it has settled.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "tests/sim/invariants.h"
#include "tests/sim/pow_cluster.h"
#include "tests/sim/pow_scenario.h"

namespace synod::sim {

struct PowRunOptions {
  std::ostream* trace = nullptr;      // per-event trace when set
  TraceRecorder* recorder = nullptr;  // records the run for a chart when set
  std::uint64_t event_budget = 20'000'000;
  // Called after setup, before the run (directed tests add their own events here).
  std::function<void(PowCluster&)> prepare;
  // Called at the end of the run, before the cluster is destroyed.
  std::function<void(const PowCluster&)> inspect;
};

struct PowRunResult {
  std::vector<Violation> violations;
  std::uint64_t height = 0;  // the highest best chain of an honest node at the end
  std::uint64_t transactions_submitted = 0;
  std::uint64_t blocks_mined = 0;  // hits that became a miner's best block
  std::uint64_t reorgs = 0;        // seen at honest nodes
  std::uint64_t deepest_reorg = 0;
  std::uint64_t blocks_checked = 0;
  std::uint64_t slashes_checked = 0;  // PoS: evidence transactions checked on best chains
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;
  TimeMs ended_ms = 0;
  std::string scenario;

  bool ok() const { return violations.empty(); }
};

PowRunResult run_pow_scenario(const PowScenario& scenario, const PowRunOptions& options);

}  // namespace synod::sim
