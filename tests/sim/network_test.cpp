// The virtual network and event queue: ordering, latency, loss, duplication, partitions,
// crashes, and determinism from the seed.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/sim/network.h"

using namespace synod;
using namespace synod::sim;

namespace {

struct Arrival {
  TimeMs at_ms;
  SlotId to;
  int payload;
  bool operator==(const Arrival&) const = default;
};

// Sends `count` numbered messages 0 -> 1 (and 1 -> 0) one millisecond apart; returns arrivals.
std::vector<Arrival> exchange(std::uint64_t seed, const NetworkOptions& options, int count,
                              Network::Delivery delivery = Network::Delivery::kLossy,
                              std::uint64_t* trace = nullptr) {
  EventQueue queue;
  Network network(queue, seed, 2, options);
  std::vector<Arrival> arrivals;
  for (int i = 0; i < count; ++i) {
    queue.schedule(static_cast<TimeMs>(i), [&, i] {
      SlotId to = static_cast<SlotId>(i % 2);
      network.send(1 - to, to, static_cast<std::uint64_t>(i), delivery, [&, to, i] {
        arrivals.push_back({queue.now(), to, i});
      });
    });
  }
  REQUIRE(queue.run_until(1'000'000));
  if (trace != nullptr)
    *trace = network.trace_hash();
  return arrivals;
}

}  // namespace

TEST_CASE("event queue runs events in time order, ties in scheduling order", "[sim][network]") {
  EventQueue queue;
  std::vector<int> order;
  queue.schedule(20, [&] { order.push_back(3); });
  queue.schedule(10, [&] { order.push_back(1); });
  queue.schedule(10, [&] { order.push_back(2); });
  queue.schedule(30, [&] {
    order.push_back(4);
    queue.schedule(5, [&] { order.push_back(5); });  // the past is clamped to now
  });
  REQUIRE(queue.run_until(25));
  CHECK(order == std::vector<int>{1, 2, 3});
  CHECK(queue.now() == 25);
  REQUIRE(queue.run_until(100));
  CHECK(order == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(queue.events_run() == 5);
  CHECK(queue.pending() == 0);
}

TEST_CASE("event queue stops when its event budget is spent", "[sim][network]") {
  EventQueue queue;
  queue.set_event_budget(100);
  std::function<void()> forever = [&] { queue.schedule(queue.now() + 1, forever); };
  queue.schedule(0, forever);
  CHECK_FALSE(queue.run_until(1'000'000));
  CHECK(queue.events_run() == 100);
}

TEST_CASE("rng distributions stay in range", "[sim][network]") {
  Rng rng(7);
  double sum = 0;
  for (int i = 0; i < 10'000; ++i) {
    double u = rng.unit();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    std::uint64_t b = rng.between(3, 5);
    REQUIRE(b >= 3);
    REQUIRE(b <= 5);
    sum += rng.exponential(10.0);
  }
  CHECK(sum / 10'000 == Approx(10.0).epsilon(0.1));
}

TEST_CASE("latency stays between base and cap, and jitter reorders messages", "[sim][network]") {
  NetworkOptions options;
  options.latency_base_ms = 5;
  options.latency_jitter_mean_ms = 20;
  options.latency_max_ms = 60;
  auto arrivals = exchange(1, options, 400);
  REQUIRE(arrivals.size() == 400);
  bool reordered = false;
  int last_to_1 = -1;
  for (const auto& arrival : arrivals) {
    auto sent_at = static_cast<TimeMs>(arrival.payload);
    CHECK(arrival.at_ms >= sent_at + 5);
    CHECK(arrival.at_ms <= sent_at + 60);
    if (arrival.to == 1) {
      reordered |= arrival.payload < last_to_1;
      last_to_1 = std::max(last_to_1, arrival.payload);
    }
  }
  CHECK(reordered);
}

TEST_CASE("the same seed replays the same deliveries, and another seed does not",
          "[sim][network]") {
  NetworkOptions options;
  options.drop_probability = 0.1;
  options.duplicate_probability = 0.05;
  options.latency_jitter_mean_ms = 10;
  std::uint64_t trace_a = 0, trace_b = 0, trace_c = 0;
  auto a = exchange(42, options, 500, Network::Delivery::kLossy, &trace_a);
  auto b = exchange(42, options, 500, Network::Delivery::kLossy, &trace_b);
  auto c = exchange(43, options, 500, Network::Delivery::kLossy, &trace_c);
  CHECK(a == b);
  CHECK(trace_a == trace_b);
  CHECK(a != c);
  CHECK(trace_a != trace_c);
}

TEST_CASE("lossy sends drop about drop_probability of messages, reliable ones none",
          "[sim][network]") {
  NetworkOptions options;
  options.drop_probability = 0.2;
  auto lossy = exchange(5, options, 5'000);
  CHECK(lossy.size() > 3'800);
  CHECK(lossy.size() < 4'200);
  auto reliable = exchange(5, options, 5'000, Network::Delivery::kReliable);
  CHECK(reliable.size() == 5'000);
}

TEST_CASE("duplication delivers a second copy of about duplicate_probability of messages",
          "[sim][network]") {
  NetworkOptions options;
  options.duplicate_probability = 0.1;
  auto arrivals = exchange(6, options, 5'000);
  CHECK(arrivals.size() > 5'350);
  CHECK(arrivals.size() < 5'650);
  std::vector<int> copies(5'000, 0);
  for (const auto& arrival : arrivals)
    ++copies[static_cast<std::size_t>(arrival.payload)];
  for (int count : copies)
    REQUIRE((count == 1 || count == 2));
}

TEST_CASE("a partition blocks both directions, catches messages in flight, and heals",
          "[sim][network]") {
  EventQueue queue;
  NetworkOptions options;
  options.latency_base_ms = 10;
  options.latency_jitter_mean_ms = 0;
  Network network(queue, 1, 4, options);
  std::vector<std::pair<SlotId, SlotId>> delivered;
  auto send = [&](SlotId from, SlotId to) {
    network.send(from, to, 0, Network::Delivery::kReliable,
                 [&, from, to] { delivered.emplace_back(from, to); });
  };
  send(0, 2);  // in flight when the partition starts: lost
  queue.schedule(5, [&] { network.partition({{0, 1}, {2}}); });  // 3 is with nobody named
  REQUIRE(queue.run_until(6));
  CHECK(network.reachable(0, 1));
  CHECK_FALSE(network.reachable(0, 2));
  CHECK_FALSE(network.reachable(2, 0));
  CHECK_FALSE(network.reachable(3, 0));
  CHECK(network.reachable(3, 3));
  send(0, 1);
  send(1, 2);
  send(2, 1);
  send(3, 2);
  REQUIRE(queue.run_until(100));
  CHECK(delivered == std::vector<std::pair<SlotId, SlotId>>{{0, 1}});
  network.heal();
  send(1, 2);
  send(2, 1);
  REQUIRE(queue.run_until(200));
  CHECK(delivered.size() == 3);
  CHECK(network.stats().dropped_partition == 4);
}

TEST_CASE("a down slot receives nothing until it is up again", "[sim][network]") {
  EventQueue queue;
  Network network(queue, 1, 2, NetworkOptions{});
  int delivered = 0;
  network.set_up(1, false);
  network.send(0, 1, 0, Network::Delivery::kReliable, [&] { ++delivered; });
  REQUIRE(queue.run_until(1'000));
  CHECK(delivered == 0);
  CHECK(network.stats().dropped_down == 1);
  network.set_up(1, true);
  network.send(0, 1, 0, Network::Delivery::kReliable, [&] { ++delivered; });
  REQUIRE(queue.run_until(2'000));
  CHECK(delivered == 1);
}
