// How many inbound handshakes may reach their expensive half (our key generation, the X25519
// exchange and our signature; later the verification of the peer's) per second: token
// buckets, one shared by all addresses and one per remote address. A HELLO that finds its
// bucket empty closes its connection before any cryptography.
//
// An address where genesis validators live has its own bucket only, sized per validator
// (rate and burst times 1 + their number), and does not draw from the shared one: a flood
// from other addresses cannot use up what a validator needs to reconnect.
//
// Thread safety: none (the event loop). Time is an input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace synod::transport {

struct HandshakeRateLimits {
  std::uint32_t per_second = 64;  // all addresses together
  std::uint32_t burst = 128;
  std::uint32_t per_address_per_second = 8;
  std::uint32_t per_address_burst = 16;
};

enum class ThrottleVerdict : std::uint8_t { kAdmitted, kAddressLimited, kGlobalLimited };

class HandshakeThrottle {
 public:
  // Buckets tracked at most; beyond it full (idle) ones are forgotten, and while none is
  // full a new address is refused as if the shared bucket were empty.
  static constexpr std::size_t kMaxAddresses = 4096;

  explicit HandshakeThrottle(HandshakeRateLimits limits) : limits_(limits) {}

  // Takes one token for a handshake from `address`, which hosts `validators_there` genesis
  // validators.
  ThrottleVerdict admit(const std::string& address, std::size_t validators_there,
                        std::uint64_t now_ms);
  std::size_t tracked_addresses() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    std::uint64_t at_ms = 0;
  };
  // Refills `bucket` to `now_ms`; true when it holds a token.
  static bool refill(Bucket& bucket, double rate, double burst, std::uint64_t now_ms);
  bool make_room(std::uint64_t now_ms);

  HandshakeRateLimits limits_;
  Bucket global_{static_cast<double>(limits_.burst), 0};
  bool global_started_ = false;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace synod::transport
