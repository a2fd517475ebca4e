// What travels inside an authenticated peer connection: a one-byte channel, then the body.
// Consensus messages are the engine's own canonical bytes; the node only routes them.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "base/result.h"
#include "chain/block.h"

namespace synod::node {

enum class Channel : std::uint8_t {
  kConsensus = 1,       // an engine message (pbft/messages.h)
  kTransactions = 2,    // gossip: a batch of signed transactions
  kFetchRequest = 3,    // state transfer: blocks from a height
  kFetchResponse = 4,   // state transfer: committed blocks with certificates
  kLocatorRequest = 5,  // sync: best-chain blocks after the first known locator hash
};

inline constexpr std::size_t kMaxGossipBatch = 4096;
inline constexpr std::uint32_t kMaxFetchBlocks = 64;
// A Bitcoin-style locator of a chain of 2^64 blocks has about 10 + 64 hashes.
inline constexpr std::size_t kMaxLocatorHashes = 101;

struct ConsensusFrame {
  Bytes message;
};
struct TransactionsFrame {
  std::vector<chain::Transaction> transactions;
};
struct FetchRequestFrame {
  std::uint64_t from_height = 0;
  std::uint32_t max_blocks = 0;
};
struct FetchResponseFrame {
  std::vector<chain::Block> blocks;
};
struct LocatorRequestFrame {
  std::vector<crypto::Hash256> locator;  // newest first
  std::uint32_t max_blocks = 0;
};
using WireFrame = std::variant<ConsensusFrame, TransactionsFrame, FetchRequestFrame,
                               FetchResponseFrame, LocatorRequestFrame>;

Bytes encode_consensus(ByteView message);
Bytes encode_transactions(const std::vector<chain::Transaction>& transactions);
Bytes encode_fetch_request(std::uint64_t from_height, std::uint32_t max_blocks);
Bytes encode_fetch_response(const std::vector<chain::Block>& blocks);
Bytes encode_locator_request(const std::vector<crypto::Hash256>& locator, std::uint32_t max_blocks);
// Strict: unknown channels, over-limit counts and trailing bytes are errors.
Result<WireFrame> decode_wire(ByteView frame);

}  // namespace synod::node
