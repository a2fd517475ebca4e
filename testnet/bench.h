// synod-testnet bench: a load generator for a running testnet.
//
// It pre-signs transfers between the funded accounts (nonces fetched first, signing done
// before the clock starts), then K sender threads submit them in JSON-RPC batches over
// keep-alive connections, each sender owning a disjoint set of accounts so every
// account's nonces arrive in order. An observer thread follows the chain on one node block
// by block and matches transaction hashes against the recorded submit times: throughput
// and submit-to-commit latency come from the commits themselves. Node CPU time and RSS are
// read from /proc.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace synod::testnet {

struct BenchOptions {
  std::string dir;
  double duration_s = 10;
  std::uint64_t rate = 0;  // transactions per second offered; 0: as fast as accepted
  std::size_t senders = 4;
  std::size_t batch_max = 100;  // the node's JSON-RPC batch limit
  std::string target;           // NODE to submit to; empty: spread senders over all nodes
  bool json = false;
};

Status cmd_bench(const BenchOptions& options);

}  // namespace synod::testnet
