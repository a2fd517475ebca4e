// Publishes an engine's metric samples (chain::MetricSample) into the node's Prometheus
// registry: gauges are set, counters are advanced to the engine's count. The mempool's
// parked pool and its counts are published the same way.
//
// Thread safety: call from the event loop only (it caches series it looked up).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "chain/engine.h"
#include "chain/mempool.h"
#include "node/rpc/metrics.h"

namespace synod::node {

// The parked pool's size and the mempool's parked, promoted, expired and evicted counts.
std::vector<chain::MetricSample> mempool_metrics(const chain::Mempool& mempool);

class EngineMetrics {
 public:
  explicit EngineMetrics(Metrics& registry) : registry_(registry) {}
  void publish(const std::vector<chain::MetricSample>& samples);

 private:
  Metrics& registry_;
  std::map<std::string, Counter*> counters_;  // by name and labels
  std::map<std::string, Gauge*> gauges_;
};

}  // namespace synod::node
