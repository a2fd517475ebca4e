// How much block serving each peer may cost this node: a token bucket of bytes per peer.
// A validator's FetchRequests and locator requests each make the node read and encode up to
// 64 blocks (16 MiB or more); without a budget, a Byzantine validator could keep the event
// loop reading and encoding for it alone. Honest peers ask once per fetch timeout and stay
// far below the rate.
//
// Thread safety: none (the event loop).
#pragma once

#include <cstdint>
#include <map>

namespace synod::node {

class ServeBudget {
 public:
  // `bytes_per_second` refill, at most `burst_bytes` saved up.
  ServeBudget(std::uint64_t bytes_per_second, std::uint64_t burst_bytes)
      : rate_(bytes_per_second), burst_(static_cast<std::int64_t>(burst_bytes)) {}

  // Whether `peer` may be served now (its bucket is not empty).
  bool allows(std::uint32_t peer, std::uint64_t now_ms) {
    refill(bucket(peer), now_ms);
    return bucket(peer).tokens > 0;
  }
  // Takes what a response cost; the bucket may go below zero, which delays the next one.
  void charge(std::uint32_t peer, std::uint64_t bytes) {
    bucket(peer).tokens -= static_cast<std::int64_t>(bytes);
  }

 private:
  struct Bucket {
    std::int64_t tokens = 0;
    std::uint64_t at_ms = 0;
    bool started = false;
  };
  Bucket& bucket(std::uint32_t peer) { return buckets_[peer]; }
  void refill(Bucket& b, std::uint64_t now_ms) {
    if (!b.started) {
      b = Bucket{burst_, now_ms, true};
      return;
    }
    if (now_ms <= b.at_ms)
      return;
    std::uint64_t elapsed = now_ms - b.at_ms;
    std::int64_t added = static_cast<std::int64_t>(rate_ * elapsed / 1000);
    b.tokens = b.tokens + added > burst_ ? burst_ : b.tokens + added;
    b.at_ms = now_ms;
  }

  std::uint64_t rate_;
  std::int64_t burst_;
  std::map<std::uint32_t, Bucket> buckets_;
};

}  // namespace synod::node
