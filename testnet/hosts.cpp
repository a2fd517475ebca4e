#include "testnet/hosts.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>

namespace synod::testnet {

namespace {

constexpr std::size_t kMaxLineBytes = 256;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

Status check_address(const std::string& address) {
  in_addr parsed{};
  if (inet_pton(AF_INET, address.c_str(), &parsed) != 1)
    return make_error("\"" + address + "\" is not an IPv4 address (like 10.0.0.1)");
  if (parsed.s_addr == htonl(INADDR_ANY) || parsed.s_addr == htonl(INADDR_BROADCAST))
    return make_error("\"" + address + "\" cannot be a node's address");
  return Status::success();
}

}  // namespace

Result<std::vector<std::string>> parse_hosts(std::string_view text) {
  std::vector<std::string> hosts;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.size() > kMaxLineBytes)
      return make_error("line " + std::to_string(line_number) + ": longer than 256 bytes");
    line = trim(line.substr(0, line.find('#')));
    if (line.empty())
      continue;
    std::string address(line);
    if (auto status = check_address(address); !status)
      return make_error("line " + std::to_string(line_number) + ": " + status.message());
    if (hosts.size() == kMaxHosts)
      return make_error("more than " + std::to_string(kMaxHosts) + " hosts");
    hosts.push_back(std::move(address));
  }
  if (hosts.empty())
    return make_error("no host addresses (one IPv4 address per line)");
  return hosts;
}

std::vector<NodeAddresses> assign_addresses(const std::vector<std::string>& hosts,
                                            std::size_t count, std::uint32_t base_port) {
  std::vector<NodeAddresses> out;
  std::map<std::string, std::uint32_t> used;  // nodes already placed on each host
  for (std::size_t i = 0; i < count; ++i) {
    NodeAddresses node;
    node.host = hosts.empty() ? "127.0.0.1" : hosts.at(i);
    std::uint32_t k = used[node.host]++;
    node.peer_port = base_port + 2 * k;
    node.rpc_port = node.peer_port + 1;
    out.push_back(std::move(node));
  }
  return out;
}

std::uint32_t ports_needed(const std::vector<NodeAddresses>& addresses, std::uint32_t base_port) {
  std::uint32_t highest = base_port;
  for (const auto& node : addresses)
    highest = std::max(highest, node.rpc_port);
  return highest - base_port + 1;
}

}  // namespace synod::testnet
