// The simulator's virtual time and network.
//
// EventQueue is a deterministic discrete-event scheduler: events run in (time, insertion)
// order, so two runs that schedule the same events in the same order replay identically.
// Virtual time only moves when the next event runs; nothing here reads a clock.
//
// Network models the links between node slots: every copy of a message gets a latency of
// base + exponential jitter (so messages reorder), may be dropped or duplicated, and is
// delivered only when sender and receiver sit in the same partition group and the receiver
// is up — checked both when it leaves and when it arrives. All randomness comes from one
// std::mt19937_64 seeded by the caller.
//
// Thread safety: none; one simulation runs on one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "chain/engine.h"

namespace synod::sim {

using chain::TimeMs;
using SlotId = std::size_t;  // one simulated node process (twins share a validator index)

class EventQueue {
 public:
  using Callback = std::function<void()>;

  TimeMs now() const { return now_; }
  // Runs `callback` at `at_ms` (clamped to now: the past cannot be scheduled).
  void schedule(TimeMs at_ms, Callback callback);
  // Runs every event due at or before `end_ms`, then sets now to `end_ms`. Stops early,
  // returning false, when the event budget runs out (a runaway flood).
  bool run_until(TimeMs end_ms);
  std::size_t pending() const { return heap_.size(); }
  std::uint64_t events_run() const { return events_run_; }
  void set_event_budget(std::uint64_t max_events) { event_budget_ = max_events; }

 private:
  struct Event {
    TimeMs at_ms = 0;
    std::uint64_t order = 0;
    Callback callback;
  };
  static bool later(const Event& a, const Event& b);

  std::vector<Event> heap_;
  TimeMs now_ = 0;
  std::uint64_t next_order_ = 0;
  std::uint64_t events_run_ = 0;
  std::uint64_t event_budget_ = 200'000'000;
};

struct NetworkOptions {
  TimeMs latency_base_ms = 2;
  double latency_jitter_mean_ms = 3.0;  // mean of the exponential part
  TimeMs latency_max_ms = 500;          // jitter is capped so a message is never lost to it
  double drop_probability = 0.0;
  double duplicate_probability = 0.0;
};

struct NetworkStats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t dropped_random = 0;
  std::uint64_t dropped_partition = 0;
  std::uint64_t dropped_down = 0;
  std::uint64_t duplicated = 0;
};

// What happened to one copy of a message, for a recorded trace (trace_recorder.h).
struct WireEvent {
  enum class Kind : std::uint8_t { kSend, kDeliver, kDropRandom, kDropPartition, kDropDown };
  Kind kind = Kind::kSend;
  std::uint64_t message_id = 0;  // one per send() call: links a send to its deliveries and drops
  SlotId from = 0;
  SlotId to = 0;
  std::string_view label;  // what the sender said the message is ("" when it did not say)
  TimeMs at_ms = 0;
};

// Watches a Network (optional; at most one). Calls come in simulation order, on the
// simulation's thread.
class NetworkObserver {
 public:
  virtual ~NetworkObserver() = default;
  virtual void on_wire(const WireEvent& event) = 0;
  // The partition group of every slot after a partition() (all 0 after heal()).
  virtual void on_partition(const std::vector<int>& group_of_slot, TimeMs at_ms) = 0;
};

// Seeded randomness with distributions computed here rather than by <random>'s
// implementation-defined ones, so a seed replays the same run with any standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t next() { return engine_(); }
  double unit();                                              // uniform in [0, 1)
  std::uint64_t below(std::uint64_t n);                       // uniform in [0, n); n > 0
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi);  // uniform in [lo, hi]
  bool chance(double probability) { return unit() < probability; }
  double exponential(double mean);

 private:
  std::mt19937_64 engine_;
};

// 64-bit FNV-1a, for trace hashes (not for anything security-relevant).
class TraceHash {
 public:
  void mix(std::uint64_t value);
  void mix_bytes(ByteView bytes);
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 14695981039346656037ULL;
};
std::uint64_t fnv1a(ByteView bytes);

class Network {
 public:
  // Whether a send is subject to random drop and duplication (protocol traffic) or only to
  // latency, partitions and crashes (the runtime's reliable transaction gossip).
  enum class Delivery : std::uint8_t { kLossy, kReliable };

  Network(EventQueue& queue, std::uint64_t seed, std::size_t slots, NetworkOptions options);

  void set_options(const NetworkOptions& options) { options_ = options; }
  // The observer must outlive the network (or be reset to null first).
  void set_observer(NetworkObserver* observer) { observer_ = observer; }
  // Whether labels are wanted: senders skip rendering them when nobody watches.
  bool observed() const { return observer_ != nullptr; }
  const NetworkOptions& options() const { return options_; }

  // Splits the slots into groups that cannot reach one another; slots named in no group
  // form one more group together. Replaces any earlier partition.
  void partition(const std::vector<std::vector<SlotId>>& groups);
  void heal();
  bool partitioned() const { return partitioned_; }
  void set_up(SlotId slot, bool up);
  bool up(SlotId slot) const { return up_.at(slot); }
  // Same partition group (a slot always reaches itself).
  bool reachable(SlotId from, SlotId to) const;

  // Schedules `deliver` at `to` after a random latency, once per copy that survives.
  // `tag` (e.g. a digest of the payload) goes into the trace hash at delivery; `label`
  // (e.g. "PREPARE v=1 s=5") only goes to the observer.
  void send(SlotId from, SlotId to, std::uint64_t tag, Delivery delivery,
            std::function<void()> deliver, std::string label = {});
  // Schedules one reliable copy with a latency the caller chose (no random draw): for
  // experiments that model a network's timing themselves (a rushing attacker's links).
  // Partitions and down receivers still apply, checked when it leaves and when it arrives.
  void send_after(SlotId from, SlotId to, std::uint64_t tag, TimeMs latency_ms,
                  std::function<void()> deliver, std::string label = {});

  TimeMs sample_latency();
  Rng& rng() { return rng_; }
  const NetworkStats& stats() const { return stats_; }
  std::uint64_t trace_hash() const { return trace_.value(); }

 private:
  struct Copy {
    SlotId from = 0;
    SlotId to = 0;
    std::uint64_t tag = 0;
    std::uint64_t message_id = 0;
    std::shared_ptr<const std::string> label;  // null when unobserved
  };
  // A send leaves `from`: counted and shown to the observer; nullopt (dropped) when a
  // partition keeps `to` out of reach.
  std::optional<Copy> depart(SlotId from, SlotId to, std::uint64_t tag, std::string label);
  void schedule_copy(const Copy& copy, TimeMs latency_ms,
                     const std::shared_ptr<std::function<void()>>& deliver);
  // Tells the observer (if any); returns the message id for the copies.
  std::uint64_t observe_send(SlotId from, SlotId to, const std::string& label);
  void observe(WireEvent::Kind kind, const Copy& copy);

  EventQueue& queue_;
  Rng rng_;
  NetworkOptions options_;
  std::vector<int> group_;
  std::vector<bool> up_;
  bool partitioned_ = false;
  NetworkStats stats_;
  TraceHash trace_;
  NetworkObserver* observer_ = nullptr;
  std::uint64_t next_message_id_ = 0;
};

}  // namespace synod::sim
