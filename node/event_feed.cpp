#include "node/event_feed.h"

#include <algorithm>

namespace synod::node {

using nlohmann::json;

bool EventFeed::record(json state, TimeMs now) {
  if (!history_.empty() && history_.back()["state"] == state)
    return false;
  history_.push_back({{"seq", next_seq_++}, {"t", now}, {"state", std::move(state)}});
  while (history_.size() > options_.history_max)
    history_.pop_front();
  // Every waiter asked for events after a sequence number below this one.
  std::vector<Waiter> waiting;
  waiting.swap(waiters_);
  for (auto& waiter : waiting)
    waiter.answer(answer_for(waiter.after));
  return true;
}

bool EventFeed::request(std::uint64_t after, std::uint64_t wait_ms, TimeMs now, Answer answer) {
  asked_ = true;
  last_asked_ms_ = now;
  if (after != latest() || wait_ms == 0) {
    answer(answer_for(after));
    return true;
  }
  if (waiters_.size() >= options_.waiters_max)
    return false;
  waiters_.push_back({after, now + std::min(wait_ms, options_.wait_ms_max), std::move(answer)});
  return true;
}

void EventFeed::expire(TimeMs now) {
  auto due = [now](const Waiter& waiter) { return waiter.deadline_ms <= now; };
  std::vector<Waiter> expired;
  for (auto& waiter : waiters_) {
    if (due(waiter))
      expired.push_back(std::move(waiter));
  }
  waiters_.erase(std::remove_if(waiters_.begin(), waiters_.end(), due), waiters_.end());
  for (auto& waiter : expired)
    waiter.answer(answer_for(waiter.after));
}

bool EventFeed::wanted(TimeMs now) const {
  return asked_ && now < last_asked_ms_ + options_.interest_ms;
}

// A client that starts (after 0) or comes from an earlier run of this node (after beyond
// the latest) gets only the newest event; one that fell behind the history, or more than
// an answer's worth, gets the newest events it can and "missed".
json EventFeed::answer_for(std::uint64_t after) const {
  json events = json::array();
  if (history_.empty())
    return {{"seq", latest()}, {"missed", false}, {"events", events}};
  if (after == 0 || after > latest()) {
    events.push_back(history_.back());
    return {{"seq", latest()}, {"missed", after != 0}, {"events", events}};
  }
  const std::uint64_t oldest = history_.front()["seq"].get<std::uint64_t>();
  const std::uint64_t first_wanted = std::max<std::uint64_t>(
      {after + 1, oldest,
       latest() + 1 - std::min<std::uint64_t>(latest(), options_.events_per_answer_max)});
  for (const auto& event : history_) {
    if (event["seq"].get<std::uint64_t>() >= first_wanted)
      events.push_back(event);
  }
  return {{"seq", latest()}, {"missed", first_wanted > after + 1}, {"events", events}};
}

}  // namespace synod::node
