#include "testnet/link_scheduler.h"

#include <algorithm>
#include <cassert>

namespace synod::testnet {

std::optional<std::uint32_t> ipv4_destination(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kMinHeaderBytes = 20;
  if (size < kMinHeaderBytes || (data[0] >> 4) != 4)
    return std::nullopt;
  return (std::uint32_t{data[16]} << 24) | (std::uint32_t{data[17]} << 16) |
         (std::uint32_t{data[18]} << 8) | data[19];
}

LinkScheduler::LinkScheduler(std::size_t nodes, std::uint64_t seed)
    : nodes_(nodes), random_(seed), last_due_(nodes * nodes, 0) {}

void LinkScheduler::set_rules(LinkRules rules) {
  assert(rules.group_of.empty() || rules.group_of.size() == nodes_);
  rules_ = std::move(rules);
}

LinkScheduler::Decision LinkScheduler::decide(std::size_t from, std::size_t to,
                                              std::int64_t now_ns) {
  assert(from <= nodes_ && to <= nodes_);
  if (from == nodes_ || to == nodes_)
    return {Fate::kNow, now_ns};
  if (!rules_.connected(from, to))
    return {Fate::kCut, 0};
  if (rules_.shape.loss_ppm > 0 && random_() % kLossPpmScale < rules_.shape.loss_ppm)
    return {Fate::kLost, 0};
  std::int64_t& last = last_due_[from * nodes_ + to];
  std::int64_t due = std::max(now_ns + delay_ns(), last);  // a link keeps its order
  last = due;
  return due <= now_ns ? Decision{Fate::kNow, now_ns} : Decision{Fate::kLater, due};
}

std::int64_t LinkScheduler::delay_ns() {
  auto delay = static_cast<std::int64_t>(rules_.shape.delay_us);
  if (rules_.shape.jitter_us > 0) {
    auto jitter = static_cast<std::int64_t>(rules_.shape.jitter_us);
    delay +=
        static_cast<std::int64_t>(random_() % static_cast<std::uint64_t>(2 * jitter + 1)) - jitter;
  }
  return std::max<std::int64_t>(0, delay) * 1000;
}

bool PacketQueue::push(std::int64_t due_ns, std::size_t to, const std::uint8_t* data,
                       std::size_t size) {
  if (queued_bytes_ + size > max_bytes_)
    return false;
  queued_bytes_ += size;
  queue_.push(Pending{due_ns, order_++, to, std::vector<std::uint8_t>(data, data + size)});
  return true;
}

std::int64_t PacketQueue::pop_due(
    std::int64_t now_ns,
    const std::function<void(std::size_t, const std::vector<std::uint8_t>&)>& deliver) {
  while (!queue_.empty() && queue_.top().due_ns <= now_ns) {
    const Pending& next = queue_.top();
    deliver(next.to, next.bytes);
    queued_bytes_ -= next.bytes.size();
    queue_.pop();
  }
  return queue_.empty() ? -1 : queue_.top().due_ns;
}

}  // namespace synod::testnet
