// Runs one scenario end to end: builds the cluster, starts the workload, schedules the
// faults, checks the invariants as blocks commit, and the liveness bounds at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "tests/sim/cluster.h"
#include "tests/sim/invariants.h"
#include "tests/sim/scenario.h"
#include "tests/sim/workload.h"

namespace synod::sim {

struct RunOptions {
  EngineFactory factory;
  std::function<std::string(ByteView)> describe_message;  // for traces (optional)
  std::ostream* trace = nullptr;                          // per-event trace when set
  TraceRecorder* recorder = nullptr;                      // records the run for a chart when set
  // Stop as soon as the workload is over, every transaction committed and every honest
  // node is at the top height (instead of running to scenario.end_ms).
  bool stop_when_settled = true;
  std::uint64_t event_budget = 20'000'000;
  // Called after setup, before the run (directed tests add their own events here).
  std::function<void(Cluster&)> prepare;
  // Called at the end of the run, before the cluster is destroyed (tests inspect engines
  // and what the clients submitted).
  std::function<void(const Cluster&, const Workload&)> inspect;
};

struct RunResult {
  std::vector<Violation> violations;
  std::uint64_t height = 0;  // highest block any honest node stored
  std::uint64_t transactions_submitted = 0;
  std::uint64_t transactions_committed = 0;
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;
  TimeMs ended_ms = 0;
  NetworkStats network;
  std::string scenario;  // Scenario::describe()

  bool ok() const { return violations.empty(); }
};

RunResult run_scenario(const Scenario& scenario, const RunOptions& options);

}  // namespace synod::sim
