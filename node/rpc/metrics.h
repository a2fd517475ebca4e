// Prometheus metrics: counters, gauges and histograms in one registry, rendered in the
// Prometheus text exposition format 0.0.4 for GET /metrics.
//
// Thread safety: everything here may be used from any thread. Counter and Gauge are
// lock-free atomics; a Histogram takes its own small mutex so that one render sees its
// buckets, sum and count from the same instant. Metrics guards its families with a mutex.
//
// Lifetime: the references returned by counter()/gauge()/histogram() stay valid for as long
// as the Metrics object lives, so callers look a metric up once and keep the reference.
//
// Misuse is a programmer error and fails an assertion: an invalid metric or label name,
// one name registered with two types, a duplicated label name, the reserved label "le",
// histogram buckets that are not finite and strictly increasing.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace synod::node {

// Label name/value pairs. Order does not matter: {a,b} and {b,a} name the same series.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double amount);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `upper_bounds`: finite, strictly increasing bucket upper bounds; the +Inf bucket is
  // implicit (a trailing +Inf in the list is dropped).
  explicit Histogram(std::vector<double> upper_bounds);

  void observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative_counts;  // one per upper bound, then +Inf
    double sum = 0.0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double> upper_bounds_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> bucket_counts_;  // guarded by mutex_; not cumulative, +Inf last
  double sum_ = 0.0;                          // guarded by mutex_
  std::uint64_t count_ = 0;                   // guarded by mutex_
};

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Returns the series `name`{labels}, creating it (and its family) on first use. The same
  // name and labels always return the same object; `help` is taken from the first call.
  Counter& counter(std::string name, std::string help, Labels labels = {});
  Gauge& gauge(std::string name, std::string help, Labels labels = {});
  // `buckets` are used when the series is created; later calls return the existing series.
  Histogram& histogram(std::string name, std::string help, std::vector<double> buckets,
                       Labels labels = {});

  // Text format 0.0.4: families sorted by name, each with one # HELP and # TYPE line,
  // series sorted by labels; histograms as _bucket{le=...} (cumulative, ending in +Inf),
  // _sum and _count.
  std::string render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::map<Labels, Series> series;  // keys have labels sorted by name
  };

  Series& find_or_add(const std::string& name, std::string help, Type type, Labels& labels);
  static void render_family(const std::string& name, const Family& family, std::string& out);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;  // guarded by mutex_
};

// Helpers of the text format, exposed for tests.
std::string format_metric_value(double value);             // "1", "0.25", "+Inf", "-Inf", "NaN"
std::string escape_label_value(const std::string& value);  // \ -> \\, " -> \", newline -> \n
std::string escape_help(const std::string& help);          // \ -> \\, newline -> \n

}  // namespace synod::node
