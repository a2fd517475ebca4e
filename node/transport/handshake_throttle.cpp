#include "node/transport/handshake_throttle.h"

#include <algorithm>

namespace synod::transport {

bool HandshakeThrottle::refill(Bucket& bucket, double rate, double burst, std::uint64_t now_ms) {
  if (now_ms > bucket.at_ms) {
    double elapsed_s = static_cast<double>(now_ms - bucket.at_ms) / 1000.0;
    bucket.tokens = std::min(burst, bucket.tokens + rate * elapsed_s);
    bucket.at_ms = now_ms;
  }
  return bucket.tokens >= 1.0;
}

bool HandshakeThrottle::make_room(std::uint64_t now_ms) {
  double burst = limits_.per_address_burst;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    // A bucket refilled to the plain burst is no different from a new one.
    refill(it->second, limits_.per_address_per_second, burst, now_ms);
    it = it->second.tokens >= burst ? buckets_.erase(it) : std::next(it);
  }
  return buckets_.size() < kMaxAddresses;
}

ThrottleVerdict HandshakeThrottle::admit(const std::string& address, std::size_t validators_there,
                                         std::uint64_t now_ms) {
  double scale = 1.0 + static_cast<double>(validators_there);
  double rate = limits_.per_address_per_second * scale;
  double burst = limits_.per_address_burst * scale;
  auto it = buckets_.find(address);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxAddresses && !make_room(now_ms))
      return ThrottleVerdict::kGlobalLimited;
    it = buckets_.emplace(address, Bucket{burst, now_ms}).first;
  }
  if (!refill(it->second, rate, burst, now_ms))
    return ThrottleVerdict::kAddressLimited;
  if (validators_there == 0) {
    if (!global_started_) {
      global_ = Bucket{static_cast<double>(limits_.burst), now_ms};
      global_started_ = true;
    }
    if (!refill(global_, limits_.per_second, limits_.burst, now_ms))
      return ThrottleVerdict::kGlobalLimited;
    global_.tokens -= 1.0;
  }
  it->second.tokens -= 1.0;
  return ThrottleVerdict::kAdmitted;
}

}  // namespace synod::transport
