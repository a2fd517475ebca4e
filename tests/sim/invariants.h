// The simulator's invariant checkers. Safety is checked on every block an honest node
// stores; liveness once at the end of a run.
//
// - agreement: no two honest nodes store different blocks at one height;
// - validity: every committed transaction was submitted by the workload (so its signature
//   is the client's), none is committed twice on one chain, and the block re-executes on
//   the node's previous state to exactly the state changes and roots it carries (so
//   balances never go negative and nonces never repeat);
// - certificate validity: every block above 0 carries a commit certificate that passes
//   chain::verify_block_certificate against the genesis validators;
// - liveness: after the network stabilises at time T, every submitted transaction commits
//   at an honest node within a bound, and every honest node catches up.
//
// "Honest" means neither an adversary nor a twin (SimNode::honest). A violation is
// recorded as a description; checking never stops a run.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/sim/cluster.h"
#include "tests/sim/workload.h"

namespace synod::sim {

struct Violation {
  TimeMs at_ms = 0;
  std::string what;
};

// A failed run for the log, several lines: "synod-sim: <run> FAILED with N violation(s)",
// its scenario, each violation, and the command that replays it.
std::string failure_report_text(const std::string& run, const std::vector<Violation>& violations,
                                const std::string& scenario, const std::string& replay);

class InvariantChecker {
 public:
  explicit InvariantChecker(std::shared_ptr<const chain::Genesis> genesis);

  // Transactions the workload submitted; without it, the "submitted" check is skipped.
  void set_submitted_lookup(std::function<bool(const crypto::Hash256&)> lookup) {
    was_submitted_ = std::move(lookup);
  }

  // A slot stored `block`; `before` is its state before the block.
  void on_commit(const SimNode& node, const chain::Block& block, const chain::StateDiff& diff,
                 const chain::State& before, TimeMs now);
  // The driver rejected something an honest engine asked for.
  void on_fault(const SimNode& node, const std::string& what, TimeMs now);

  // Liveness, for a run whose network stabilised at `stable_ms`: every transaction in
  // `submitted` committed within `bound_ms` of max(its submission, stable_ms); every honest
  // up node reached `catch_up_height`.
  struct LivenessInput {
    TimeMs stable_ms = 0;
    TimeMs bound_ms = 30'000;
    std::uint64_t catch_up_height = 0;
  };
  void check_liveness(const Cluster& cluster,
                      const std::map<crypto::Hash256, SubmittedTx>& submitted,
                      const LivenessInput& input, TimeMs now);

  void record(TimeMs at_ms, std::string what);
  const std::vector<Violation>& violations() const { return violations_; }
  bool ok() const { return violations_.empty(); }
  // Highest height any honest node stored, and blocks stored by honest nodes in total.
  std::uint64_t honest_height() const {
    return committed_.empty() ? 0 : committed_.rbegin()->first;
  }
  std::uint64_t certificates_checked() const { return verified_.size(); }

 private:
  void check_block(const SimNode& node, const chain::Block& block, const chain::StateDiff& diff,
                   const chain::State& before, TimeMs now);
  void check_certificate(const SimNode& node, const chain::Block& block, TimeMs now);
  std::string where(const SimNode& node, const chain::Block& block) const;

  std::shared_ptr<const chain::Genesis> genesis_;
  chain::SigningDomain domain_;  // of genesis_
  std::function<bool(const crypto::Hash256&)> was_submitted_;
  std::map<std::uint64_t, std::pair<crypto::Hash256, SlotId>> committed_;  // height -> first
  std::map<SlotId, std::set<crypto::Hash256>> chain_txs_;                  // per honest slot
  std::set<crypto::Hash256> verified_;  // digests of (block hash, certificate) already checked
  std::vector<Violation> violations_;
  std::size_t violations_max_ = 100;
  std::uint64_t violations_dropped_ = 0;
};

}  // namespace synod::sim
