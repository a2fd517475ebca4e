#include "tests/sim/network.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace synod::sim {

// ---- EventQueue ---------------------------------------------------------------------------

bool EventQueue::later(const Event& a, const Event& b) {
  if (a.at_ms != b.at_ms)
    return a.at_ms > b.at_ms;
  return a.order > b.order;
}

void EventQueue::schedule(TimeMs at_ms, Callback callback) {
  heap_.push_back(Event{std::max(at_ms, now_), next_order_++, std::move(callback)});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

bool EventQueue::run_until(TimeMs end_ms) {
  while (!heap_.empty() && heap_.front().at_ms <= end_ms) {
    if (events_run_ >= event_budget_)
      return false;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Event event = std::move(heap_.back());
    heap_.pop_back();
    assert(event.at_ms >= now_);
    now_ = event.at_ms;
    ++events_run_;
    event.callback();
  }
  now_ = std::max(now_, end_ms);
  return true;
}

// ---- Rng ----------------------------------------------------------------------------------

double Rng::unit() {
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

std::uint64_t Rng::below(std::uint64_t n) {
  assert(n > 0);
  return engine_() % n;  // the bias is < n / 2^64: irrelevant for a simulator
}

std::uint64_t Rng::between(std::uint64_t lo, std::uint64_t hi) {
  assert(lo <= hi);
  if (hi - lo == UINT64_MAX)
    return engine_();
  return lo + below(hi - lo + 1);
}

double Rng::exponential(double mean) {
  if (mean <= 0)
    return 0;
  return -mean * std::log1p(-unit());
}

// ---- TraceHash ----------------------------------------------------------------------------

void TraceHash::mix(std::uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    hash_ ^= (value >> (8 * i)) & 0xff;
    hash_ *= 1099511628211ULL;
  }
}

void TraceHash::mix_bytes(ByteView bytes) {
  for (std::uint8_t byte : bytes) {
    hash_ ^= byte;
    hash_ *= 1099511628211ULL;
  }
}

std::uint64_t fnv1a(ByteView bytes) {
  TraceHash hash;
  hash.mix_bytes(bytes);
  return hash.value();
}

// ---- Network ------------------------------------------------------------------------------

Network::Network(EventQueue& queue, std::uint64_t seed, std::size_t slots, NetworkOptions options)
    : queue_(queue), rng_(seed), options_(options), group_(slots, 0), up_(slots, true) {}

void Network::partition(const std::vector<std::vector<SlotId>>& groups) {
  std::fill(group_.begin(), group_.end(), 0);
  int id = 0;
  for (const auto& group : groups) {
    ++id;
    for (SlotId slot : group)
      group_.at(slot) = id;
  }
  partitioned_ = true;
  if (observer_ != nullptr)
    observer_->on_partition(group_, queue_.now());
}

void Network::heal() {
  std::fill(group_.begin(), group_.end(), 0);
  partitioned_ = false;
  if (observer_ != nullptr)
    observer_->on_partition(group_, queue_.now());
}

void Network::set_up(SlotId slot, bool up) {
  up_.at(slot) = up;
}

bool Network::reachable(SlotId from, SlotId to) const {
  return group_.at(from) == group_.at(to);
}

TimeMs Network::sample_latency() {
  double jitter = rng_.exponential(options_.latency_jitter_mean_ms);
  auto latency = options_.latency_base_ms + static_cast<TimeMs>(jitter);
  return std::min(latency, std::max(options_.latency_max_ms, options_.latency_base_ms));
}

std::uint64_t Network::observe_send(SlotId from, SlotId to, const std::string& label) {
  const std::uint64_t id = ++next_message_id_;
  if (observer_ != nullptr)
    observer_->on_wire({WireEvent::Kind::kSend, id, from, to, label, queue_.now()});
  return id;
}

void Network::observe(WireEvent::Kind kind, const Copy& copy) {
  if (observer_ != nullptr && copy.label) {
    observer_->on_wire({kind, copy.message_id, copy.from, copy.to, *copy.label, queue_.now()});
  }
}

std::optional<Network::Copy> Network::depart(SlotId from, SlotId to, std::uint64_t tag,
                                             std::string label) {
  ++stats_.sent;
  Copy copy{from, to, tag, 0, nullptr};
  if (observer_ != nullptr) {
    copy.message_id = observe_send(from, to, label);
    copy.label = std::make_shared<const std::string>(std::move(label));
  }
  if (!reachable(from, to)) {
    ++stats_.dropped_partition;
    observe(WireEvent::Kind::kDropPartition, copy);
    return std::nullopt;
  }
  return copy;
}

void Network::send(SlotId from, SlotId to, std::uint64_t tag, Delivery delivery,
                   std::function<void()> deliver, std::string label) {
  const std::optional<Copy> copy = depart(from, to, tag, std::move(label));
  if (!copy)
    return;
  int copies = 1;
  if (delivery == Delivery::kLossy) {
    if (rng_.chance(options_.drop_probability)) {
      ++stats_.dropped_random;
      observe(WireEvent::Kind::kDropRandom, *copy);
      return;
    }
    if (rng_.chance(options_.duplicate_probability)) {
      ++stats_.duplicated;
      copies = 2;
    }
  }
  auto shared = std::make_shared<std::function<void()>>(std::move(deliver));
  for (int i = 0; i < copies; ++i)
    schedule_copy(*copy, sample_latency(), shared);
}

void Network::send_after(SlotId from, SlotId to, std::uint64_t tag, TimeMs latency_ms,
                         std::function<void()> deliver, std::string label) {
  if (const std::optional<Copy> copy = depart(from, to, tag, std::move(label)))
    schedule_copy(*copy, latency_ms, std::make_shared<std::function<void()>>(std::move(deliver)));
}

void Network::schedule_copy(const Copy& copy, TimeMs latency_ms,
                            const std::shared_ptr<std::function<void()>>& deliver) {
  queue_.schedule(queue_.now() + latency_ms, [this, copy, deliver] {
    if (!reachable(copy.from, copy.to)) {
      ++stats_.dropped_partition;
      observe(WireEvent::Kind::kDropPartition, copy);
      return;
    }
    if (!up_.at(copy.to)) {
      ++stats_.dropped_down;
      observe(WireEvent::Kind::kDropDown, copy);
      return;
    }
    ++stats_.delivered;
    trace_.mix(queue_.now());
    trace_.mix(copy.from);
    trace_.mix(copy.to);
    trace_.mix(copy.tag);
    observe(WireEvent::Kind::kDeliver, copy);
    (*deliver)();
  });
}

}  // namespace synod::sim
