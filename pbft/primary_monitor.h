// A backup's check on a primary that is slow without being stopped (Aardvark's "primary
// performance monitoring", Clement et al., NSDI 2009).
//
// The request timer only fires when a primary makes no progress at all. A Byzantine
// primary that sends each PRE-PREPARE just before that timer would fire keeps its view
// for ever while throughput falls to a block per timeout. This monitor measures, on each
// commit, how long transactions waited for that block: from the previous commit (or from
// when the first transaction arrived, if later) to this one. A wait longer than
// `max_block_gap_ms` is a strike against the primary, a prompt block clears the strikes,
// and `strikes` slow blocks in a row make the backup ask for a view change. Blocks that
// commit while nothing waited (heartbeats) are not measured.
//
// Pure bookkeeping: the replica passes the time in and acts on the verdict.
#pragma once

#include <cstdint>
#include <optional>

#include "chain/engine.h"

namespace synod::pbft {

struct PrimaryMonitorConfig {
  std::uint64_t max_block_gap_ms = 1000;
  std::uint32_t strikes = 3;  // 0: the monitor never suspects anyone
};

class PrimaryMonitor {
 public:
  explicit PrimaryMonitor(PrimaryMonitorConfig config = {}) : config_(config) {}

  // Transactions wait for a block from `now` on (no-op when they already did).
  void work_waiting(chain::TimeMs now);
  // A block committed at `now`; `still_waiting`: transactions are left for the next one.
  // True when this block made `strikes` slow blocks in a row (the strikes then start over).
  bool block_committed(chain::TimeMs now, bool still_waiting);
  // A new view: its primary starts with a clean record.
  void new_view(chain::TimeMs now, bool waiting);

  bool waiting() const { return waiting_since_.has_value(); }
  std::uint32_t strikes() const { return strikes_; }
  std::uint64_t slow_blocks() const { return slow_blocks_; }
  std::uint64_t suspicions() const { return suspicions_; }
  std::optional<chain::TimeMs> last_wait_ms() const { return last_wait_ms_; }
  const PrimaryMonitorConfig& config() const { return config_; }

 private:
  PrimaryMonitorConfig config_;
  std::optional<chain::TimeMs> waiting_since_;
  std::optional<chain::TimeMs> last_wait_ms_;
  std::uint32_t strikes_ = 0;
  std::uint64_t slow_blocks_ = 0;  // every slow block measured, across views
  std::uint64_t suspicions_ = 0;   // times `strikes` was reached
};

}  // namespace synod::pbft
