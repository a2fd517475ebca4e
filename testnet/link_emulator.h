// The links of a netns testnet, carried in user space: one TUN device per node, moved into
// the node's namespace as its eth0, and one for the host. The emulator reads every IPv4
// packet a node sends, and delivers it to the node (or host) it is addressed to after the
// link's delay, unless the link is cut (partition) or the packet is lost (testnet/link_rules.h).
//
// Why not veth links and tc netem: kernels built without sch_netem (common in VMs and
// containers) cannot delay packets in the kernel; a TUN device and a few hundred lines of
// user space can, on any Linux with /dev/net/tun, and the same place cuts partitions.
//
// Packets on one link leave in the order they came (a jittered delay never reorders them,
// unlike netem's default; on a busy link the delay therefore tends toward delay + jitter),
// and at most kMaxQueuedBytes wait at once (more are dropped and counted). The emulator logs its
// counters every 10 s to DIR/netns/links.log.
#pragma once

#include <string>

#include "base/result.h"

namespace synod::testnet {

// Runs the emulator for the testnet in `dir` until SIGTERM or SIGINT: makes the devices,
// writes DIR/netns/links.ready, and re-reads DIR/netns/links.json on SIGHUP. Its
// namespaces must exist (create_namespaces). Returns when stopped; its devices go with it.
Status run_link_emulator(const std::string& dir);

}  // namespace synod::testnet
