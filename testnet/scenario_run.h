// What every synod-testnet scenario shares: narration, the verdict, restarting a node with
// a fault (Byzantine kinds or extra synod-node arguments), and putting the testnet back as
// it was found afterwards. The mode's own checks (PBFT views, PoW tips) live with its
// scenarios.
#pragma once

#include <chrono>
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "testnet/cluster.h"

namespace synod::testnet {

class ScenarioRun {
 public:
  ScenarioRun(Cluster& cluster, bool as_json);

  Cluster& cluster() { return cluster_; }
  const std::string& name(std::size_t i) const { return cluster_.node(i).name; }

  // Narration: a timestamped line on stdout, or (with --json) a step of the final object.
  void say(const std::string& text);

  // The verdict: "PASS" or "FAIL: reason" as the last line (`details` just above it), or
  // one JSON object. Returns the exit code.
  int verdict(const std::string& scenario, const std::string& failure, const std::string& details);

  // Every node of the cluster running; an error naming the first that is not.
  Status all_running();

  // Stops node `index` and starts it again with `byzantine` kinds and `extra_args` (both
  // empty: honest and as configured), then waits until it answers. restore() undoes it.
  Status restart(std::size_t index, const std::string& byzantine,
                 const std::vector<std::string>& extra_args = {});

  // Puts the testnet back: paused nodes resumed, stopped nodes started, altered nodes
  // restarted honest and as configured; then waits until all are connected.
  Status restore();

  std::string list(const std::vector<std::size_t>& nodes) const;
  std::vector<std::size_t> all_except(std::size_t excluded) const;
  std::vector<std::size_t> all() const { return all_except(cluster_.size()); }
  // The first running node not in `except` (0 when none).
  std::size_t pick(const std::set<std::size_t>& except);

 private:
  Cluster& cluster_;
  std::chrono::steady_clock::time_point start_;
  bool as_json_ = false;
  nlohmann::json steps_ = nlohmann::json::array();
  std::set<std::size_t> altered_;
};

#define SYNOD_TRY(expression)        \
  do {                               \
    if (auto s_ = (expression); !s_) \
      return s_.error();             \
  } while (0)

}  // namespace synod::testnet
