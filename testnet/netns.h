// One Linux network namespace per node (`synod-testnet up --netns`): what is made, under
// which names, and how it is found again and removed.
//
// Every name carries a prefix made from the testnet directory (a hash of its absolute
// path), so two testnets on one machine never touch each other's namespaces:
//   namespaces   synod-HHHHHH-node-0, synod-HHHHHH-full-0, ...
//   devices      syHHHHHHnI (node I's link, renamed eth0 inside its namespace) and
//                syHHHHHHr (the host's link), TUN devices held by the link emulator
//   files        DIR/netns/ (the emulator's pid, log, rules; commands.log: every `ip` run)
// A TUN device lives as long as the emulator process holds it, so stopping the emulator
// removes every link; `down` then deletes the namespaces. Whatever an earlier crashed run
// left behind under this testnet's prefix is removed by the next `up --netns` or `down`.
//
// All of it needs root and the `ip` tool (iproute2).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "testnet/layout.h"
#include "testnet/link_rules.h"

namespace synod::testnet {

// The exit code of a command that needs network namespaces where none can be made.
inline constexpr int kExitNetnsUnavailable = 3;

// OK when this process can make namespaces and TUN devices (root, `ip`, /dev/net/tun);
// otherwise why not, in one line.
Status netns_available();

// The `ip` binary's path.
Result<std::string> ip_binary();

// Runs `ip ARGS...`, appending the command and its output to DIR/netns/commands.log.
Status run_ip(const std::string& dir, const std::vector<std::string>& args);

std::string netns_prefix(const std::string& dir);                // "synod-HHHHHH-"
std::string tun_name(const std::string& dir, std::size_t node);  // "syHHHHHHnI"
std::string host_tun_name(const std::string& dir);               // "syHHHHHHr"
std::string netns_dir(const std::string& dir);                   // DIR/netns

// Sets NodeInfo::netns of every node whose namespace exists (called by load_testnet).
void attach_namespaces(Testnet& testnet);

// The words that run a program in the node's namespace ("ip netns exec NAME"), or none.
std::vector<std::string> netns_launcher(const NodeInfo& node);

// Waits (at most 5 s) until the launcher of process `pid` has replaced itself with the
// program, so that nobody reads the process's command line while it changes.
void wait_launched(pid_t pid, const std::string& program);

// The addresses of a netns testnet: every node's own IPv4 address (one per node, all in
// one /24, from `init --hosts`) and the host's address in that /24 (the highest free one).
struct NetworkPlan {
  std::vector<std::uint32_t> node_addresses;  // host byte order
  std::uint32_t host_address = 0;
  std::string subnet;  // "10.77.3.0/24"
};
Result<NetworkPlan> plan_network(const Testnet& testnet);
std::string ipv4_text(std::uint32_t address);

// Makes the namespaces (loopback up). Removes what it made if it fails.
Status create_namespaces(const Testnet& testnet);

// The running link emulator of the testnet, if any.
std::optional<pid_t> find_emulator(const std::string& dir);

// Stops the emulator (if running) and deletes every namespace under the testnet's prefix.
// Nodes must be stopped first. Returns what it removed, for people ("" when nothing).
Result<std::string> remove_network(const std::string& dir);

// Whether anything of an earlier `up --netns` is left (namespaces or the emulator).
bool network_exists(const std::string& dir);

}  // namespace synod::testnet
