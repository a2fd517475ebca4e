// Pieces both user tools share: strict number parsing for command-line arguments, tables
// for people, a progress line on stderr for anything that takes more than a second, and
// small text helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace synod::cli {

// An integer amount in the smallest unit: decimal digits only, no sign, no fraction, no
// exponent, at most 2^64 - 1. `what` names the argument in the error ("--amount").
Result<std::uint64_t> parse_amount(std::string_view text, std::string_view what, bool allow_zero);

// A non-negative decimal integer (heights, counts, seconds) with the same strictness.
Result<std::uint64_t> parse_unsigned(std::string_view text, std::string_view what);

// "1234567" -> "1,234,567".
std::string with_commas(std::uint64_t value);
// The first `length` characters of a hex string followed by "…" when it was longer.
std::string prefix(const std::string& hex, std::size_t length = 12);
// Seconds with one decimal ("2.4 s") or milliseconds below one second ("35 ms").
std::string format_duration(std::chrono::steady_clock::duration duration);

Result<std::string> read_file(const std::string& path);

// Left-aligned text columns, right-aligned numeric ones, two spaces apart.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  // Marks column `index` as numeric (right-aligned).
  Table& right(std::size_t index);
  void add(std::vector<std::string> row);
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// A progress line on stderr. Nothing shows during the first `delay`; then, on a terminal,
// one line rewritten in place; otherwise (logs, CI) a line at most every 5 seconds.
class Progress {
 public:
  explicit Progress(std::string label,
                    std::chrono::milliseconds delay = std::chrono::milliseconds(1000));
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(const std::string& text);
  // Ends the line; `text` (if any) is printed as the final state when progress was shown.
  void finish(const std::string& text = "");
  std::chrono::steady_clock::duration elapsed() const;

 private:
  std::string label_;
  std::chrono::milliseconds delay_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
  bool tty_ = false;
  bool shown_ = false;
  bool finished_ = false;
  std::size_t last_width_ = 0;
};

}  // namespace synod::cli
