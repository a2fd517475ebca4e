#include "node/engine_metrics.h"

#include <string>
#include <utility>

namespace synod::node {
namespace {

std::string series_key(const chain::MetricSample& sample) {
  std::string key = sample.name;
  for (const auto& [name, value] : sample.labels)
    key += '\0' + name + '=' + value;
  return key;
}

chain::MetricSample counter(std::string name, std::string help, std::uint64_t value) {
  return {std::move(name),
          std::move(help),
          chain::MetricSample::Kind::kCounter,
          {},
          static_cast<double>(value)};
}

}  // namespace

std::vector<chain::MetricSample> mempool_metrics(const chain::Mempool& mempool) {
  const chain::MempoolCounters& counts = mempool.counters();
  return {
      {"synod_mempool_parked_transactions",
       "Mempool transactions waiting behind a nonce gap",
       chain::MetricSample::Kind::kGauge,
       {},
       static_cast<double>(mempool.parked_size())},
      counter("synod_mempool_parked_total", "Transactions put in the parked pool (nonce gap)",
              counts.parked),
      counter("synod_mempool_promoted_total",
              "Parked transactions made ready when their nonce gap filled", counts.promoted),
      counter("synod_mempool_expired_total", "Parked transactions dropped after their time to live",
              counts.expired),
      counter("synod_mempool_evicted_total",
              "Mempool transactions dropped for a transaction with a higher fee", counts.evicted),
  };
}

void EngineMetrics::publish(const std::vector<chain::MetricSample>& samples) {
  for (const auto& sample : samples) {
    std::string key = series_key(sample);
    if (sample.kind == chain::MetricSample::Kind::kGauge) {
      Gauge*& gauge = gauges_[key];
      if (gauge == nullptr)
        gauge = &registry_.gauge(sample.name, sample.help, sample.labels);
      gauge->set(sample.value);
      continue;
    }
    Counter*& counter = counters_[key];
    if (counter == nullptr)
      counter = &registry_.counter(sample.name, sample.help, sample.labels);
    auto target = sample.value > 0 ? static_cast<std::uint64_t>(sample.value) : 0;
    // An engine rebuilt in the same process would start its counts again: the counter
    // only moves forward.
    if (target > counter->value())
      counter->inc(target - counter->value());
  }
}

}  // namespace synod::node
