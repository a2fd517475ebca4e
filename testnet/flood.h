// synod-testnet flood: a misbehaving client, for throughput under attack (Aardvark's
// "flooding client", Clement et al., NSDI 2009).
//
// K connections to one node send JSON-RPC batches of submit_tx as fast as the node answers,
// for a given time. Each transaction is new (nothing a dedup cache could absorb) and none
// can commit:
//   bad-signature  transfers from the testnet's funded accounts whose signatures do not
//                  verify: the node pays an Ed25519 verification for each;
//   unfunded       validly signed transfers from fresh keys with no balance;
//   junk           bodies that are not JSON-RPC at all (random bytes, cut-off JSON).
// Run it next to `synod-testnet bench` to see what the honest load keeps.
#pragma once

#include <cstddef>
#include <string>

#include "base/result.h"

namespace synod::testnet {

struct FloodOptions {
  std::string dir;
  std::string target = "0";  // NODE to flood
  double duration_s = 10;
  std::size_t connections = 2;
  std::string kind = "bad-signature";
  bool json = false;
};

Status cmd_flood(const FloodOptions& options);

}  // namespace synod::testnet
