// The soak's final checks, once the load has stopped: the validators reach one height,
// hold the same blocks (hence the same state roots) at every height, and the ledger holds
// every transaction of the receipt log.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "testnet/cluster.h"
#include "testnet/soak_receipts.h"

namespace synod::testnet {

// Waits until every node has stored the highest height one of them has now; returns that
// height. (PBFT keeps committing blocks, empty ones too, so heights never stand still.)
// `interrupted` is polled so that Ctrl-C ends the wait.
Result<std::uint64_t> wait_all_reach(Cluster& cluster, std::chrono::seconds timeout,
                                     const std::function<bool()>& interrupted);

struct LedgerFacts {
  std::uint64_t height = 0;
  std::uint64_t transactions = 0;
  std::string tip_hash_hex;
  std::string state_root_hex;                 // of block `height`
  std::unordered_set<std::string> tx_hashes;  // hex, of every block 1..height
};

// Reads blocks 1..height from every node and compares them: the same block hash at every
// height, hence the same header and state root. The facts are node 0's.
Result<LedgerFacts> compare_ledgers(Cluster& cluster, std::uint64_t height);

// Every receipt's hash is in the ledger; an error names the first ones missing.
Status check_receipts(const std::vector<Receipt>& receipts, const LedgerFacts& ledger);

}  // namespace synod::testnet
