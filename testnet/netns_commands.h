// The synod-testnet commands of a testnet whose nodes run in network namespaces: up
// --netns, and shape, partition and heal on its links (testnet/netns.h,
// testnet/link_emulator.h). `down` calls remove_network after stopping the nodes.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "testnet/link_rules.h"

namespace synod::testnet {

// Makes the namespaces and links (after removing leftovers of an earlier run), then starts
// the nodes in them like cmd_up. If anything fails, what it made is removed again.
// The caller checks netns_available() first.
Status cmd_up_netns(const std::string& dir, const std::vector<std::string>& byzantine,
                    std::uint64_t timeout_s, bool as_json, const LinkShape& shape);

// A plain `up` on a testnet with namespaces but no link emulator (a crashed earlier run)
// would start nodes with no network: an error saying to run `down` first.
Status refuse_broken_network(const std::string& dir);

// `down`'s second half: stops the link emulator and deletes the namespaces, if any.
Status cmd_remove_network(const std::string& dir, bool as_json);

// New delay, jitter and loss on every link between two nodes of the running testnet.
Status cmd_shape(const std::string& dir, const LinkShape& shape, bool as_json);
// Cuts the links between the groups of `groups` ("0,1/2,3"), or (heal) restores them.
Status cmd_partition(const std::string& dir, const std::string& groups, bool as_json);
Status cmd_heal(const std::string& dir, bool as_json);

// For bench and status: "loopback" for a plain testnet, else the namespaces' link shape
// ("network namespaces, 50 ms ± 5 ms one way, no loss" and ", partitioned" when it is).
std::string describe_links(const std::string& dir);

}  // namespace synod::testnet
