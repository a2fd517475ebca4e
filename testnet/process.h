// Node processes of a local testnet: start them detached (client::spawn_process: own
// session, output to the node's log), find them again through their pid files, signal
// them, and read their CPU time and memory from /proc.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "testnet/layout.h"

namespace synod::testnet {

enum class ProcessState { kDown, kRunning, kPaused };
const char* to_string(ProcessState state);

struct NodeProcess {
  ProcessState state = ProcessState::kDown;
  pid_t pid = 0;  // valid unless kDown
};

// The node's process, from its pid file, if that pid is still a synod-node for this home
// (a stale pid file or a reused pid reads as kDown).
NodeProcess find_process(const NodeInfo& node);

// synod-node: $SYNOD_NODE_BIN, else next to this executable.
Result<std::string> node_binary();

// Starts `binary --home HOME [--byzantine KINDS] [EXTRA...]` in its own session with stdout
// and stderr appended to the node's log, and writes its pid file. A node with a network
// namespace (NodeInfo::netns) is started inside it (testnet/netns.h, netns_launcher).
Result<pid_t> start_node(const std::string& binary, const NodeInfo& node,
                         const std::string& byzantine,
                         const std::vector<std::string>& extra_args = {});

// Sends `signal` (SIGCONT first for SIGTERM, so a paused node can act on it).
Status signal_node(const NodeInfo& node, int signal);

// SIGTERM, then SIGKILL once `grace` has passed; waits until the process is gone and
// removes the pid file. OK when the node was not running. `waiting` (if set) is called
// while it waits, for progress display.
Status stop_node(const NodeInfo& node, std::chrono::milliseconds grace,
                 const std::function<void()>& waiting = {});

// True when nothing listens on 127.0.0.1:port (a bind test).
bool port_free(std::uint32_t port);

struct ProcessSample {
  double cpu_seconds = 0;  // user + system time since start
  std::uint64_t rss_bytes = 0;
};
std::optional<ProcessSample> sample_process(pid_t pid);

}  // namespace synod::testnet
