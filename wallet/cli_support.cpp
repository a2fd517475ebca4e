#include "wallet/cli_support.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>

namespace synod::cli {

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::string& program = app.get_name();
    std::fprintf(stderr, "%s: error: %s (see %s --help)\n", program.c_str(), e.what(),
                 program.c_str());
    return 2;
  }
  return std::nullopt;
}

int run_command(std::string_view program, bool as_json, const std::string& unreadable_answer,
                const std::function<Result<int>()>& command) {
  try {
    auto exit_code = command();
    if (!exit_code)
      return print_failure(program, as_json, exit_code.message());
    return *exit_code;
  } catch (const nlohmann::json::exception&) {
    return print_failure(program, as_json, unreadable_answer);
  } catch (const std::exception& e) {
    return print_failure(program, as_json, e.what());
  }
}

int print_failure(std::string_view program, bool as_json, const std::string& message) {
  std::fprintf(stderr, "%.*s: error: %s\n", static_cast<int>(program.size()), program.data(),
               message.c_str());
  if (as_json)
    std::printf("%s\n", nlohmann::json{{"error", message}}.dump().c_str());
  return 1;
}

void print_json(const nlohmann::json& value) {
  std::printf("%s\n", value.dump(2).c_str());
}

namespace {

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Shows arguments in errors without letting a hostile one flood the terminal.
std::string quoted(std::string_view text) {
  std::string shown(text.substr(0, 40));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  }
  return "\"" + shown + (text.size() > 40 ? "...\"" : "\"");
}

}  // namespace

Result<std::uint64_t> parse_unsigned(std::string_view text, std::string_view what) {
  std::string name(what);
  if (text.empty())
    return make_error(name + ": empty value");
  if (text[0] == '-' && all_digits(text.substr(1)))
    return make_error(name + ": must not be negative, got " + quoted(text));
  if (!all_digits(text)) {
    auto dot = text.find('.');
    if (dot != std::string_view::npos && all_digits(text.substr(0, dot)) &&
        (dot + 1 == text.size() || all_digits(text.substr(dot + 1)))) {
      return make_error(name + ": must be a whole number, got " + quoted(text));
    }
    return make_error(name + ": not a number: " + quoted(text));
  }
  std::uint64_t value = 0;
  for (char c : text) {
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      return make_error(name + ": too large, got " + quoted(text) + " (maximum " +
                        std::to_string(UINT64_MAX) + ")");
    }
    value = value * 10 + digit;
  }
  return value;
}

Result<std::uint64_t> parse_amount(std::string_view text, std::string_view what, bool allow_zero) {
  std::string name(what);
  if (!text.empty() && text[0] == '-')
    return make_error(name + ": amounts cannot be negative, got " + quoted(text));
  if (text.find_first_of(".eE") != std::string_view::npos &&
      text.find_first_not_of("0123456789.eE+-") == std::string_view::npos) {
    return make_error(name + ": amounts are whole numbers in the smallest unit, got " +
                      quoted(text));
  }
  auto value = parse_unsigned(text, what);
  if (!value)
    return value.error();
  if (*value == 0 && !allow_zero)
    return make_error(name + ": must be at least 1");
  return value;
}

std::string with_commas(std::uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

std::string prefix(const std::string& hex, std::size_t length) {
  if (hex.size() <= length)
    return hex;
  return hex.substr(0, length) + "…";
}

std::string format_duration(std::chrono::steady_clock::duration duration) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
  char text[32];
  if (ms < 1000) {
    std::snprintf(text, sizeof text, "%lld ms", static_cast<long long>(ms));
  } else {
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000.0);
  }
  return text;
}

std::string format_hash_rate(double rate) {
  char text[32];
  if (rate >= 1e6)
    std::snprintf(text, sizeof text, "%.1f MH/s", rate / 1e6);
  else if (rate >= 1e3)
    std::snprintf(text, sizeof text, "%.1f kH/s", rate / 1e3);
  else
    std::snprintf(text, sizeof text, "%.0f H/s", rate > 0 ? rate : 0.0);
  return text;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

Table& Table::right(std::size_t index) {
  if (index < right_.size())
    right_[index] = true;
  return *this;
}

void Table::add(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

namespace {

// Display width: counts UTF-8 code points (our tables only use "…" beyond ASCII).
std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80)
      ++width;
  }
  return width;
}

}  // namespace

std::string Table::render() const {
  std::vector<std::size_t> widths(headers_.size());
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    widths[i] = display_width(headers_[i]);
    for (const auto& row : rows_)
      widths[i] = std::max(widths[i], display_width(row[i]));
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string pad(widths[i] - display_width(row[i]), ' ');
      bool last = i + 1 == row.size();
      line += right_[i] ? pad + row[i] : row[i] + (last ? "" : pad);
      if (!last)
        line += "  ";
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out += line + "\n";
  };
  emit(headers_);
  for (const auto& row : rows_)
    emit(row);
  return out;
}

Progress::Progress(std::string label, std::chrono::milliseconds delay)
    : label_(std::move(label)),
      delay_(delay),
      start_(std::chrono::steady_clock::now()),
      tty_(isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  finish();
}

std::chrono::steady_clock::duration Progress::elapsed() const {
  return std::chrono::steady_clock::now() - start_;
}

void Progress::update(const std::string& text) {
  if (finished_)
    return;
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < delay_)
    return;
  std::string line = label_ + ": " + text + " (" + format_duration(now - start_) + ")";
  if (tty_) {
    std::size_t width = display_width(line);
    std::string pad(last_width_ > width ? last_width_ - width : 0, ' ');
    std::fprintf(stderr, "\r%s%s", line.c_str(), pad.c_str());
    std::fflush(stderr);
    last_width_ = width;
    shown_ = true;
  } else if (!shown_ || now - last_print_ >= std::chrono::seconds(5)) {
    std::fprintf(stderr, "%s\n", line.c_str());
    last_print_ = now;
    shown_ = true;
  }
}

void Progress::finish(const std::string& text) {
  if (finished_)
    return;
  finished_ = true;
  if (!shown_)
    return;
  if (tty_) {
    std::string pad(last_width_, ' ');
    if (text.empty()) {
      std::fprintf(stderr, "\r%s\r", pad.c_str());
    } else {
      std::string line = label_ + ": " + text;
      std::size_t width = display_width(line);
      std::string tail(last_width_ > width ? last_width_ - width : 0, ' ');
      std::fprintf(stderr, "\r%s%s\n", line.c_str(), tail.c_str());
    }
  } else if (!text.empty()) {
    std::fprintf(stderr, "%s: %s\n", label_.c_str(), text.c_str());
  }
  std::fflush(stderr);
}

}  // namespace synod::cli
