// The link emulator's decisions, apart from its devices (testnet/link_emulator.h): what
// happens to each packet under the link rules (testnet/link_rules.h), and the queue of
// delayed packets. No I/O and no clock: time is passed in, randomness comes from a seed,
// so tests drive it directly.
//
// Thread safety: none; the emulator's one thread owns both.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <vector>

#include "testnet/link_rules.h"

namespace synod::testnet {

// The destination address (host byte order) of an IPv4 packet; nothing for anything else
// (IPv6, truncated headers): the emulated network is IPv4 only.
std::optional<std::uint32_t> ipv4_destination(const std::uint8_t* data, std::size_t size);

class LinkScheduler {
 public:
  enum class Fate { kNow, kLater, kLost, kCut };
  struct Decision {
    Fate fate = Fate::kNow;
    std::int64_t due_ns = 0;  // kLater: when to deliver
  };

  // Ends 0..nodes-1 are the nodes; end `nodes` is the host.
  LinkScheduler(std::size_t nodes, std::uint64_t seed);

  void set_rules(LinkRules rules);

  // A packet from end `from` to end `to` at `now_ns`. Packets from or to the host are
  // always delivered at once. Between two nodes: cut when the partition separates them,
  // lost with the loss rate, else delayed by delay ± jitter but never before an earlier
  // packet of the same link.
  Decision decide(std::size_t from, std::size_t to, std::int64_t now_ns);

 private:
  std::int64_t delay_ns();

  std::size_t nodes_;
  LinkRules rules_;
  std::mt19937_64 random_;
  std::vector<std::int64_t> last_due_;  // per link, index from * nodes + to
};

// Delayed packets by due time (equal times in arrival order), at most `max_bytes` in all.
class PacketQueue {
 public:
  explicit PacketQueue(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // False (and nothing queued) when the packet would exceed the byte limit.
  bool push(std::int64_t due_ns, std::size_t to, const std::uint8_t* data, std::size_t size);

  // Hands every packet due at `now_ns` to `deliver`, in order; returns when the next one
  // is due, or -1 when none is left.
  std::int64_t pop_due(
      std::int64_t now_ns,
      const std::function<void(std::size_t to, const std::vector<std::uint8_t>&)>& deliver);

  std::size_t queued_bytes() const { return queued_bytes_; }
  std::size_t size() const { return queue_.size(); }

 private:
  struct Pending {
    std::int64_t due_ns = 0;
    std::uint64_t order = 0;
    std::size_t to = 0;
    std::vector<std::uint8_t> bytes;
  };
  struct Later {
    bool operator()(const Pending& a, const Pending& b) const {
      return a.due_ns != b.due_ns ? a.due_ns > b.due_ns : a.order > b.order;
    }
  };

  std::size_t max_bytes_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t order_ = 0;
  std::priority_queue<Pending, std::vector<Pending>, Later> queue_;
};

}  // namespace synod::testnet
