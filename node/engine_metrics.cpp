#include "node/engine_metrics.h"

namespace synod::node {
namespace {

std::string series_key(const chain::MetricSample& sample) {
  std::string key = sample.name;
  for (const auto& [name, value] : sample.labels)
    key += '\0' + name + '=' + value;
  return key;
}

}  // namespace

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
