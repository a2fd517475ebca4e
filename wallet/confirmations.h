// Waiting for a transaction's confirmations, and proving a proof-of-work block: the pieces
// of synod-wallet's transfer, tx and block commands that know about probabilistic finality.
//
// A PBFT block is final once committed (its commit certificate proves it); a PoW block is
// only as safe as the work piled on it, counted in confirmations: the block itself is 1,
// each block on top of it one more. A reorg can take a block off the best chain again;
// its transactions then go back to pending and into a later block.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "chain/genesis.h"
#include "client/rpc_client.h"
#include "pow_pos/uint256.h"
#include "wallet/chain_client.h"

namespace synod::wallet {

// Where get_tx last placed a transaction.
struct Inclusion {
  std::uint64_t height = 0;
  std::string block_hash;
  std::uint64_t confirmations = 0;
  std::chrono::steady_clock::duration waited{};
};

// Polls get_tx until the transaction is in a block of the node's best chain with at least
// `confirmations` confirmations (0 or 1: committed, in a block), or `deadline` passes. A
// transaction that a reorg takes out of the best chain is waited for again; the timeout
// error says where it was last seen and how to check later.
Result<Inclusion> wait_for_confirmations(client::RpcClient& node, const std::string& tx_hash,
                                         std::uint64_t confirmations,
                                         std::chrono::steady_clock::time_point start,
                                         std::chrono::seconds timeout);

// A proof-of-work or proof-of-stake block checked against the pinned genesis: it is on the
// node's best chain, and that chain, from block 0 to the node's head, passes the mode's
// client::ChainVerifier.
struct PowProof {
  client::VerifiedBlock block;
  std::uint64_t confirmations = 0;  // head height - block height + 1, on the checked chain
  std::uint64_t chain_height = 0;   // the checked chain's head
  pow_pos::Uint256 chain_work;      // of the checked chain, to its head
  pow_pos::Uint256 block_work;      // of this block alone
  chain::ConsensusMode mode = chain::ConsensusMode::kPow;  // pow or pos
};

// nullopt: the block is not on the node's best chain (a reorg took it off, or never was).
Result<std::optional<PowProof>> prove_pow_block(client::RpcClient& node,
                                                const chain::Genesis& genesis,
                                                client::VerifiedBlock block);

// The same, for the block with hash `block_hash_hex` (fetched and decoded first).
Result<std::optional<PowProof>> prove_pow_block(client::RpcClient& node,
                                                const chain::Genesis& genesis,
                                                const std::string& block_hash_hex);

// "proof of work verified: 14 blocks from the pinned genesis ..." for people, and --json.
std::string pow_proof_line(const PowProof& proof);
nlohmann::json pow_proof_json(const PowProof& proof);

// The default --timeout of a transfer: 30 s, plus in PoW mode five block intervals a
// confirmation (blocks come at random; most arrive well within that).
std::chrono::seconds default_transfer_timeout(const chain::Genesis& genesis,
                                              std::uint64_t confirmations);

}  // namespace synod::wallet
