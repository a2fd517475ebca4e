// Checking what a node says against the genesis, so the tools trust the genesis rather
// than the node that answered.
//
// The genesis comes from a file the user names (--genesis FILE) or is pinned on first use:
// the wallet fetches it from the node once (get_genesis), checks that it parses and hashes
// to what the node claims, and stores it under $SYNOD_HOME/pinned/ (default ~/.synod/);
// later runs compare the node's genesis hash with the pinned one and refuse a mismatch.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "chain/block.h"
#include "chain/genesis.h"
#include "client/rpc_client.h"

namespace synod::client {

struct TrustedGenesis {
  chain::Genesis genesis;
  std::string hash_hex;
  std::string source;         // "FILE" or the pinned file's path
  bool newly_pinned = false;  // pinned by this call
};

// The directory pinned geneses live in: $SYNOD_HOME/pinned, else $HOME/.synod/pinned.
std::string pin_directory();

// The genesis to check `node` against: `genesis_file` if given (it must be the genesis the
// node runs), else the pinned one for the node's chain id (pinning it on first use).
Result<TrustedGenesis> trusted_genesis(RpcClient& node,
                                       const std::optional<std::string>& genesis_file);

// A PBFT block of `genesis`' chain: block 0 is the genesis' own block; a later block
// carries a commit certificate made in the genesis' signing domain (a network sharing the
// chain id and keys but not the genesis cannot make one), and block 1 names block 0 as
// its parent.
Status check_pbft_block(const chain::Block& block, const chain::Genesis& genesis);

struct VerifiedBlock {
  chain::Block block;
  nlohmann::json rpc;  // the node's JSON rendering (for display only)
  std::size_t signatures = 0;
  std::size_t validators = 0;
  std::size_t quorum = 0;
};

// Fetches a block (`which`: {"height": N}, {"hash": hex} or ["latest"]), decodes its
// canonical bytes, checks that they hash to what the node claims and that the transactions
// match the header's tx_root, and, for PBFT, that it is of `genesis`' chain: block 0 must be
// the genesis' own block, and a later one needs a commit certificate made in the genesis'
// signing domain (chain id and genesis hash; chain/signing_domain.h).
// A node that does not have the block gives an error mentioning "no such block".
Result<VerifiedBlock> fetch_verified_block(RpcClient& node, const chain::Genesis& genesis,
                                           const nlohmann::json& which);

// The block at `height`, which the node has reported committed: a node answers get_tx as
// soon as its replica commits, a moment before the block is stored, so "no such block" is
// retried for up to `timeout`.
Result<VerifiedBlock> fetch_committed_block(RpcClient& node, const chain::Genesis& genesis,
                                            std::uint64_t height,
                                            std::chrono::milliseconds timeout);

}  // namespace synod::client
