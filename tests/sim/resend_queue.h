// The transactions a simulated client may have to send again (workload.h, pow_workload.h),
// ordered by when it last sent each: a retry round takes the oldest first, so none starves
// however many are waiting.
#pragma once

#include <cstdint>
#include <set>
#include <utility>

#include "crypto/sha256.h"
#include "tests/sim/network.h"

namespace synod::sim {

class ResendQueue {
 public:
  void add(TimeMs sent_ms, const crypto::Hash256& hash) { entries_.emplace(sent_ms, hash); }
  void remove(TimeMs sent_ms, const crypto::Hash256& hash) { entries_.erase({sent_ms, hash}); }
  std::size_t size() const { return entries_.size(); }

  // One retry round at `now`: up to `batch_max` hashes last sent `after_ms` or longer ago,
  // oldest first; each is marked as sent now, then handed to `resend(hash)`.
  template <typename Resend>
  void resend_due(TimeMs now, TimeMs after_ms, std::size_t batch_max, Resend resend) {
    for (std::size_t sent = 0; sent < batch_max && !entries_.empty(); ++sent) {
      auto oldest = entries_.begin();
      if (oldest->first + after_ms > now)
        break;
      const crypto::Hash256 hash = oldest->second;
      entries_.erase(oldest);
      entries_.emplace(now, hash);
      resend(hash);
    }
  }

 private:
  std::set<std::pair<TimeMs, crypto::Hash256>> entries_;
};

}  // namespace synod::sim
