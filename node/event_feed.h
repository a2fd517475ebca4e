// The node's push stream, as a pure data structure: a bounded history of consensus
// snapshots (height, head, view, primary, phase and votes, ...) and the long-poll waiters
// of the `wait_events` JSON-RPC method (node_events.cpp drives it from the event loop).
//
// A snapshot becomes an event only when it differs from the previous one, so an idle node
// sends nothing. A client asks for the events after the last sequence number it saw; it
// gets them at once if there are any, or when the next one is recorded, or an empty answer
// at its deadline. Everything is bounded: the history (older events are forgotten and a
// client that fell behind is told so with "missed"), the events per answer, the waiters.
//
// Sampling costs consensus nothing while nobody listens: wanted() turns false when no
// client asked for `interest_ms`.
//
// Thread safety: none; the node uses it on its event loop only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "chain/engine.h"

namespace synod::node {

struct EventFeedOptions {
  std::size_t history_max = 128;
  std::size_t events_per_answer_max = 64;
  std::size_t waiters_max = 32;
  std::uint64_t wait_ms_max = 10'000;
  std::uint64_t interest_ms = 15'000;
};

class EventFeed {
 public:
  using TimeMs = chain::TimeMs;
  // Gets {"seq": latest, "missed": bool, "events": [{"seq", "t", "state"}, ...]}.
  using Answer = std::function<void(nlohmann::json)>;

  explicit EventFeed(EventFeedOptions options = {}) : options_(options) {}

  // Records `state` (an object) as the next event unless it equals the last one, and
  // answers the waiters it satisfies. Returns whether it recorded.
  bool record(nlohmann::json state, TimeMs now);

  // A client's request for the events after `after`. Answers at once when there are some
  // (or wait_ms is 0); otherwise waits until the next event or now + wait_ms (capped).
  // Returns false, without answering, when waiters_max clients already wait.
  bool request(std::uint64_t after, std::uint64_t wait_ms, TimeMs now, Answer answer);

  // Answers (empty) every waiter whose deadline passed.
  void expire(TimeMs now);

  // Whether someone asked within interest_ms (the node samples only then).
  bool wanted(TimeMs now) const;
  std::uint64_t latest() const { return next_seq_ - 1; }
  std::size_t waiting() const { return waiters_.size(); }
  const EventFeedOptions& options() const { return options_; }

 private:
  struct Waiter {
    std::uint64_t after = 0;
    TimeMs deadline_ms = 0;
    Answer answer;
  };
  nlohmann::json answer_for(std::uint64_t after) const;

  EventFeedOptions options_;
  std::deque<nlohmann::json> history_;  // {"seq", "t", "state"}, oldest first
  std::uint64_t next_seq_ = 1;
  std::vector<Waiter> waiters_;
  bool asked_ = false;
  TimeMs last_asked_ms_ = 0;
};

}  // namespace synod::node
