// Rate limit for log lines caused by peers: at most one line per key per interval, so a
// peer throwing garbage in a loop cannot flood the log. Pure (time is an argument).
//
// Thread safety: none; one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace synod::transport {

class LogLimiter {
 public:
  // interval_ms == 0 lets every line through. At most max_keys keys are remembered.
  explicit LogLimiter(std::uint64_t interval_ms, std::size_t max_keys = 1024);

  // The line to log now — with "(N similar suppressed)" appended when lines of this key were
  // held back since the last one — or nullopt when this key was logged less than
  // interval_ms ago (the line is then only counted).
  std::optional<std::string> admit(const std::string& key, std::uint64_t now_ms, std::string line);

 private:
  struct Entry {
    std::uint64_t last_ms = 0;
    std::uint64_t suppressed = 0;
  };
  std::uint64_t interval_ms_;
  std::size_t max_keys_;
  std::map<std::string, Entry> entries_;
};

}  // namespace synod::transport
