#include "pbft/primary_monitor.h"

namespace synod::pbft {

void PrimaryMonitor::work_waiting(chain::TimeMs now) {
  if (!waiting_since_)
    waiting_since_ = now;
}

bool PrimaryMonitor::block_committed(chain::TimeMs now, bool still_waiting) {
  bool suspect = false;
  if (waiting_since_) {
    chain::TimeMs waited = now > *waiting_since_ ? now - *waiting_since_ : 0;
    last_wait_ms_ = waited;
    if (waited > config_.max_block_gap_ms) {
      ++strikes_;
      ++slow_blocks_;
    } else {
      strikes_ = 0;
    }
    if (config_.strikes != 0 && strikes_ >= config_.strikes) {
      suspect = true;
      ++suspicions_;
      strikes_ = 0;
    }
  }
  waiting_since_.reset();
  if (still_waiting)
    waiting_since_ = now;
  return suspect;
}

void PrimaryMonitor::new_view(chain::TimeMs now, bool waiting) {
  strikes_ = 0;
  waiting_since_.reset();
  if (waiting)
    waiting_since_ = now;
}

}  // namespace synod::pbft
