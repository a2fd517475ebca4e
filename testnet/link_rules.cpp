#include "testnet/link_rules.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

#include "testnet/layout.h"

namespace synod::testnet {

using nlohmann::json;

namespace {

// A non-negative decimal with at most 3 fractional digits, times 1000: "1.5" -> 1500.
std::optional<std::uint64_t> parse_milli(std::string_view text) {
  std::size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 9 || fraction.size() > 3 ||
      (dot != std::string_view::npos && fraction.empty()))
    return std::nullopt;
  std::uint64_t value = 0;
  for (char c : whole) {
    if (c < '0' || c > '9')
      return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  std::uint64_t milli = 0;
  std::size_t digits = 0;
  for (char c : fraction) {
    if (c < '0' || c > '9')
      return std::nullopt;
    milli = milli * 10 + static_cast<std::uint64_t>(c - '0');
    ++digits;
  }
  for (; digits < 3; ++digits)
    milli *= 10;
  return value * 1000 + milli;
}

std::string duration_text(std::uint64_t us) {
  char text[32];
  if (us % 1000 == 0)
    std::snprintf(text, sizeof text, "%llu ms", static_cast<unsigned long long>(us / 1000));
  else
    std::snprintf(text, sizeof text, "%.3f ms", static_cast<double>(us) / 1000.0);
  return text;
}

}  // namespace

std::string LinkShape::describe() const {
  std::string out = delay_us == 0 && jitter_us == 0 ? "no delay" : duration_text(delay_us);
  if (jitter_us > 0)
    out += " ± " + duration_text(jitter_us);
  if (delay_us > 0 || jitter_us > 0)
    out += " one way";
  char loss[32];
  std::snprintf(loss, sizeof loss, "%g%% loss", static_cast<double>(loss_ppm) / 10'000.0);
  return out + ", " + (loss_ppm == 0 ? std::string("no loss") : std::string(loss));
}

Result<std::uint64_t> parse_duration_us(std::string_view text, std::string_view what) {
  std::string problem = std::string(what) + " \"" + std::string(text) +
                        "\": expected a duration like 50ms, 1.5ms, 200us or 1s (at most 10s)";
  std::uint64_t per_unit_us = 0;  // microseconds per unit, applied to a milli-scaled number
  std::string_view number = text;
  for (const auto& [suffix, scale] :
       {std::pair<std::string_view, std::uint64_t>{"us", 1}, {"ms", 1000}, {"s", 1'000'000}}) {
    if (number.size() > suffix.size() && number.substr(number.size() - suffix.size()) == suffix) {
      number.remove_suffix(suffix.size());
      per_unit_us = scale;
      break;
    }
  }
  if (per_unit_us == 0 && text != "0")
    return make_error(problem);
  if (text == "0")
    return std::uint64_t{0};
  auto milli = parse_milli(number);
  if (!milli)
    return make_error(problem);
  std::uint64_t us = *milli * per_unit_us / 1000;
  if (*milli > kMaxLinkDelayUs * 1000 || us > kMaxLinkDelayUs)
    return make_error(problem);
  return us;
}

Result<std::uint32_t> parse_loss_ppm(std::string_view text) {
  std::string problem =
      "--loss \"" + std::string(text) + "\": expected a percentage like 1% or 0.5% (0 to 100%)";
  if (text == "0")
    return std::uint32_t{0};
  if (text.empty() || text.back() != '%')
    return make_error(problem);
  text.remove_suffix(1);
  // Percent with up to 3 decimals, times 1000, is parts per 100,000: times 10 is per million.
  auto milli = parse_milli(text);
  if (!milli || *milli > 100'000)
    return make_error(problem);
  return static_cast<std::uint32_t>(*milli * 10);
}

Result<LinkShape> parse_shape(const std::string& delay, const std::string& jitter,
                              const std::string& loss) {
  LinkShape shape;
  if (!delay.empty()) {
    auto value = parse_duration_us(delay, "--delay");
    if (!value)
      return value.error();
    shape.delay_us = *value;
  }
  if (!jitter.empty()) {
    auto value = parse_duration_us(jitter, "--jitter");
    if (!value)
      return value.error();
    shape.jitter_us = *value;
  }
  if (shape.jitter_us > shape.delay_us)
    return make_error("--jitter: may not exceed --delay (a packet cannot arrive before it left)");
  if (!loss.empty()) {
    auto value = parse_loss_ppm(loss);
    if (!value)
      return value.error();
    shape.loss_ppm = *value;
  }
  return shape;
}

Result<std::vector<std::size_t>> parse_partition(std::string_view text, std::size_t validators,
                                                 std::size_t full_nodes) {
  std::size_t nodes = validators + full_nodes;
  constexpr std::size_t kUnset = SIZE_MAX;
  std::vector<std::size_t> group_of(nodes, kUnset);
  std::size_t groups = 0;
  std::string problem = "partition \"" + std::string(text) + "\": ";
  while (true) {
    std::size_t slash = text.find('/');
    std::string_view group = text.substr(0, slash);
    if (group.empty())
      return make_error(problem + "an empty group (expected groups like 0,1/2,3)");
    while (true) {
      std::size_t comma = group.find(',');
      auto index = parse_node(group.substr(0, comma), validators, full_nodes);
      if (!index)
        return make_error(problem + index.message());
      if (group_of[*index] != kUnset)
        return make_error(problem + "node " + std::string(group.substr(0, comma)) +
                          " is named twice");
      group_of[*index] = groups;
      if (comma == std::string_view::npos)
        break;
      group = group.substr(comma + 1);
    }
    ++groups;
    if (slash == std::string_view::npos)
      break;
    text = text.substr(slash + 1);
  }
  if (groups < 2)
    return make_error(problem + "needs at least two groups separated by '/' (like 0,1/2,3)");
  for (auto& group : group_of) {
    if (group == kUnset)
      group = groups++;  // a node not named stands alone
  }
  return group_of;
}

json rules_to_json(const LinkRules& rules) {
  return {{"generation", rules.generation},
          {"delay_us", rules.shape.delay_us},
          {"jitter_us", rules.shape.jitter_us},
          {"loss_ppm", rules.shape.loss_ppm},
          {"group_of", rules.group_of}};
}

Result<LinkRules> rules_from_json(const json& value, std::size_t nodes) {
  auto number = [&](const char* key) -> std::optional<std::uint64_t> {
    if (!value.is_object() || !value.contains(key) || !value[key].is_number_unsigned())
      return std::nullopt;
    return value[key].get<std::uint64_t>();
  };
  LinkRules rules;
  auto generation = number("generation");
  auto delay = number("delay_us");
  auto jitter = number("jitter_us");
  auto loss = number("loss_ppm");
  if (!generation || !delay || !jitter || !loss || *delay > kMaxLinkDelayUs || *jitter > *delay ||
      *loss > kLossPpmScale || !value.contains("group_of") || !value["group_of"].is_array())
    return make_error("link rules: missing or out-of-range fields");
  rules.generation = *generation;
  rules.shape = {*delay, *jitter, static_cast<std::uint32_t>(*loss)};
  for (const auto& group : value["group_of"]) {
    if (!group.is_number_unsigned())
      return make_error("link rules: group_of holds a non-number");
    rules.group_of.push_back(group.get<std::size_t>());
  }
  if (!rules.group_of.empty() && rules.group_of.size() != nodes)
    return make_error("link rules: group_of names " + std::to_string(rules.group_of.size()) +
                      " nodes, the testnet has " + std::to_string(nodes));
  return rules;
}

}  // namespace synod::testnet
