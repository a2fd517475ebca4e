// What the links between a netns testnet's nodes do (testnet/link_emulator.h carries the
// packets): a one-way delay with jitter and a loss rate on every link between two nodes,
// and an optional partition into groups that cannot reach each other. The host's own link
// to the nodes (synod-testnet, wallets, the bench's load) is always clean and never cut,
// so the tools can still watch a partitioned testnet and figures show consensus cost.
//
// The rules live in DIR/netns/links.json; the commands that change them (up --netns,
// shape, partition, heal) write the file with the next generation number and signal the
// emulator, which answers by writing that number to DIR/netns/links.applied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace synod::testnet {

inline constexpr std::uint64_t kMaxLinkDelayUs = 10'000'000;  // 10 s
inline constexpr std::uint32_t kLossPpmScale = 1'000'000;     // 100%

struct LinkShape {
  std::uint64_t delay_us = 0;   // one way, added to every packet between two nodes
  std::uint64_t jitter_us = 0;  // each packet's delay is uniform in delay ± jitter
  std::uint32_t loss_ppm = 0;   // packets dropped, per million
  bool clean() const { return delay_us == 0 && jitter_us == 0 && loss_ppm == 0; }
  std::string describe() const;  // "50 ms ± 5 ms, 1% loss" or "no delay, no loss"
};

struct LinkRules {
  std::uint64_t generation = 0;
  LinkShape shape;
  // Empty: every node reaches every node. Otherwise one group number per node; two nodes
  // reach each other only when their numbers are equal.
  std::vector<std::size_t> group_of;
  bool connected(std::size_t a, std::size_t b) const {
    return group_of.empty() || group_of.at(a) == group_of.at(b);
  }
};

// "50ms", "1.5ms", "200us", "1s", "0": a duration at most 10 s, in microseconds.
Result<std::uint64_t> parse_duration_us(std::string_view text, std::string_view what);
// "1%", "0.5%", "0": a loss rate, in packets per million.
Result<std::uint32_t> parse_loss_ppm(std::string_view text);
// The shape of --delay, --jitter and --loss (empty text: 0); jitter may not exceed delay.
Result<LinkShape> parse_shape(const std::string& delay, const std::string& jitter,
                              const std::string& loss);

// "0,1/2,3" or "node-0,node-1/node-2,node-3,full-0": at least two groups separated by '/',
// each a comma-separated list of nodes (see parse_node). A node may appear once; nodes not
// named are each cut off alone. Returns the group number of each of the `validators` +
// `full_nodes` nodes.
Result<std::vector<std::size_t>> parse_partition(std::string_view text, std::size_t validators,
                                                 std::size_t full_nodes);

nlohmann::json rules_to_json(const LinkRules& rules);
// `nodes`: how many nodes the testnet has; a rules file for another size is an error.
Result<LinkRules> rules_from_json(const nlohmann::json& json, std::size_t nodes);

}  // namespace synod::testnet
