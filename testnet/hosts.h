// Where each node of a testnet listens: on 127.0.0.1 (one machine), or on the hosts named
// in a hosts file (`synod-testnet init --hosts FILE`), one line per node.
//
// Hosts file format: one IPv4 address per line, validators first (node-0, node-1, ...)
// and then full nodes (full-0, ...); `#` starts a comment; blank lines are skipped. A node
// listens on its host's address: peers on the base port, RPC on the base port + 1. Two
// nodes on one host take the next pair of ports (base+2, base+3), and so on, so a file that
// names the same address four times is a one-machine testnet again.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace synod::testnet {

inline constexpr std::size_t kMaxHosts = 128;

struct NodeAddresses {
  std::string host;
  std::uint32_t peer_port = 0;
  std::uint32_t rpc_port = 0;
  std::string peer() const { return host + ":" + std::to_string(peer_port); }
  std::string rpc() const { return host + ":" + std::to_string(rpc_port); }
};

// The addresses of a hosts file's text, in order; every bad line is an error naming it.
Result<std::vector<std::string>> parse_hosts(std::string_view text);

// The addresses of `count` nodes: `hosts` (one per node) or, when `hosts` is empty, all on
// 127.0.0.1. The k-th node on a host uses base+2k (peers) and base+2k+1 (RPC).
std::vector<NodeAddresses> assign_addresses(const std::vector<std::string>& hosts,
                                            std::size_t count, std::uint32_t base_port);

// How many ports above the base the busiest host needs (2 per node on it).
std::uint32_t ports_needed(const std::vector<NodeAddresses>& addresses, std::uint32_t base_port);

}  // namespace synod::testnet
