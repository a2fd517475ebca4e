#include "node/transport/log_limiter.h"

namespace synod::transport {

LogLimiter::LogLimiter(std::uint64_t interval_ms, std::size_t max_keys)
    : interval_ms_(interval_ms), max_keys_(max_keys) {}

std::optional<std::string> LogLimiter::admit(const std::string& key, std::uint64_t now_ms,
                                             std::string line) {
  if (interval_ms_ == 0)
    return line;
  auto found = entries_.find(key);
  if (found == entries_.end()) {
    if (entries_.size() >= max_keys_)
      entries_.clear();  // keys are bounded by construction; this is only a backstop
    entries_.emplace(key, Entry{now_ms, 0});
    return line;
  }
  Entry& entry = found->second;
  if (now_ms - entry.last_ms < interval_ms_ && now_ms >= entry.last_ms) {
    ++entry.suppressed;
    return std::nullopt;
  }
  if (entry.suppressed > 0)
    line += " (" + std::to_string(entry.suppressed) + " similar suppressed)";
  entry = Entry{now_ms, 0};
  return line;
}

}  // namespace synod::transport
