#include "node/rpc/metrics.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>

namespace synod::node {
namespace {

// Prometheus data model: metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names without ':'.
bool is_valid_name(const std::string& name, bool allow_colon) {
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(letter || (digit && i > 0) || (c == ':' && allow_colon))) {
      return false;
    }
  }
  return true;
}

// Sorts labels by name and checks the names, so that label order never makes two series.
void canonicalize(Labels& labels) {
  std::sort(labels.begin(), labels.end());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    assert(is_valid_name(labels[i].first, /*allow_colon=*/false));
    assert(labels[i].first != "le");  // reserved for histogram buckets
    assert(labels[i].first.rfind("__", 0) != 0);
    assert(i == 0 || labels[i - 1].first != labels[i].first);
  }
}

// `{a="x",b="y"}`, with `extra` (already formatted, e.g. le="0.5") appended; empty when
// there is nothing to print.
std::string format_labels(const Labels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) {
    return {};
  }
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) {
      out += ',';
    }
    out += name + "=\"" + escape_label_value(value) + "\"";
  }
  if (!extra.empty()) {
    if (out.size() > 1) {
      out += ',';
    }
    out += extra;
  }
  out += '}';
  return out;
}

}  // namespace

std::string format_metric_value(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  char buffer[64];
  const auto result = std::to_chars(std::begin(buffer), std::end(buffer), value);
  assert(result.ec == std::errc());
  return std::string(buffer, result.ptr);
}

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Gauge::add(double amount) {
  // C++20 atomic<double>::fetch_add is a CAS loop too; written out to not depend on it.
  double current = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_([&] {
        if (!upper_bounds.empty() && std::isinf(upper_bounds.back()) && upper_bounds.back() > 0) {
          upper_bounds.pop_back();
        }
        for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
          assert(std::isfinite(upper_bounds[i]));
          assert(i == 0 || upper_bounds[i - 1] < upper_bounds[i]);
        }
        return std::move(upper_bounds);
      }()),
      bucket_counts_(upper_bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  // Bucket i counts values <= upper_bounds_[i] (and > the previous bound); NaN goes to +Inf.
  const auto it = std::isnan(value)
                      ? upper_bounds_.end()
                      : std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
  const auto index = static_cast<std::size_t>(it - upper_bounds_.begin());
  std::lock_guard lock(mutex_);
  ++bucket_counts_[index];
  sum_ += value;
  ++count_;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  std::lock_guard lock(mutex_);
  std::uint64_t running = 0;
  for (const std::uint64_t count : bucket_counts_) {
    running += count;
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.sum = sum_;
  snapshot.count = count_;
  return snapshot;
}

Metrics::Series& Metrics::find_or_add(const std::string& name, std::string help, Type type,
                                      Labels& labels) {
  assert(is_valid_name(name, /*allow_colon=*/true));
  canonicalize(labels);
  auto [family_it, inserted] = families_.try_emplace(name);
  Family& family = family_it->second;
  if (inserted) {
    family.type = type;
    family.help = std::move(help);
  }
  assert(family.type == type);  // one name, one type
  return family.series[labels];
}

Counter& Metrics::counter(std::string name, std::string help, Labels labels) {
  std::lock_guard lock(mutex_);
  Series& series = find_or_add(name, std::move(help), Type::kCounter, labels);
  if (!series.counter) {
    series.counter = std::make_unique<Counter>();
  }
  return *series.counter;
}

Gauge& Metrics::gauge(std::string name, std::string help, Labels labels) {
  std::lock_guard lock(mutex_);
  Series& series = find_or_add(name, std::move(help), Type::kGauge, labels);
  if (!series.gauge) {
    series.gauge = std::make_unique<Gauge>();
  }
  return *series.gauge;
}

Histogram& Metrics::histogram(std::string name, std::string help, std::vector<double> buckets,
                              Labels labels) {
  std::lock_guard lock(mutex_);
  Series& series = find_or_add(name, std::move(help), Type::kHistogram, labels);
  if (!series.histogram) {
    series.histogram = std::make_unique<Histogram>(std::move(buckets));
  }
  return *series.histogram;
}

std::string Metrics::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    render_family(name, family, out);
  }
  return out;
}

void Metrics::render_family(const std::string& name, const Family& family, std::string& out) {
  const bool is_counter = family.type == Type::kCounter;
  const bool is_gauge = family.type == Type::kGauge;
  out += "# HELP " + name + " " + escape_help(family.help) + "\n";
  out += "# TYPE " + name + " " +
         (is_counter ? "counter"
          : is_gauge ? "gauge"
                     : "histogram") +
         "\n";
  for (const auto& [labels, series] : family.series) {
    if (is_counter) {
      out += name + format_labels(labels) + " " + std::to_string(series.counter->value()) + "\n";
    } else if (is_gauge) {
      out += name + format_labels(labels) + " " + format_metric_value(series.gauge->value()) + "\n";
    } else {
      const Histogram::Snapshot snap = series.histogram->snapshot();
      for (std::size_t i = 0; i <= snap.upper_bounds.size(); ++i) {
        const double bound = i < snap.upper_bounds.size() ? snap.upper_bounds[i]
                                                          : std::numeric_limits<double>::infinity();
        const std::string le = "le=\"" + format_metric_value(bound) + "\"";
        out += name + "_bucket" + format_labels(labels, le) + " " +
               std::to_string(snap.cumulative_counts[i]) + "\n";
      }
      out += name + "_sum" + format_labels(labels) + " " + format_metric_value(snap.sum) + "\n";
      out += name + "_count" + format_labels(labels) + " " + std::to_string(snap.count) + "\n";
    }
  }
}

}  // namespace synod::node
