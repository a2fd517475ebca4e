// Pieces both user tools share: parsing the command line, running a command and printing
// how it ended (one JSON value, or a one-line error), strict number parsing for
// command-line arguments, tables for people, a progress line on stderr for anything that
// takes more than a second, and small text helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace CLI {
class App;
}

namespace synod::cli {

// Parses the command line into `app`. nullopt: parsed, run the command. Otherwise the exit
// code to end with: --help printed the help (0), or a command line that does not parse
// printed "PROGRAM: error: WHAT (see PROGRAM --help)" on stderr (2). PROGRAM is
// app.get_name().
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// Runs a parsed command and returns the tool's exit code: the one `command` returns, or 1
// after print_failure when it returns an error or throws. A JSON type error escaping it
// means a node's answer had a shape the command did not expect; it is reported as
// `unreadable_answer`.
int run_command(std::string_view program, bool as_json, const std::string& unreadable_answer,
                const std::function<Result<int>()>& command);

// The one-line error of a failed command: "PROGRAM: error: MESSAGE" on stderr and, with
// --json, {"error": MESSAGE} on stdout too. Returns 1, the exit code of a failed command.
int print_failure(std::string_view program, bool as_json, const std::string& message);

// A command's result with --json: one JSON value, indented, on stdout.
void print_json(const nlohmann::json& value);

// An integer amount in the smallest unit: decimal digits only, no sign, no fraction, no
// exponent, at most 2^64 - 1. `what` names the argument in the error ("--amount").
Result<std::uint64_t> parse_amount(std::string_view text, std::string_view what, bool allow_zero);

// A non-negative decimal integer (heights, counts, seconds) with the same strictness.
Result<std::uint64_t> parse_unsigned(std::string_view text, std::string_view what);

// "1234567" -> "1,234,567".
std::string with_commas(std::uint64_t value);
// The first `length` characters of a hex string followed by "…" when it was longer.
std::string prefix(const std::string& hex, std::size_t length = 12);
// Hashes a second for people: "950 H/s", "20.0 kH/s", "1.2 MH/s".
std::string format_hash_rate(double hashes_per_second);
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
