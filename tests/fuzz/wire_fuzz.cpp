// Fuzz target: the peer wire decoder (channels: consensus, transaction gossip, fetch
// request and response, locator request).
#include "node/wire.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

namespace {

Bytes reencode(const node::WireFrame& frame) {
  return std::visit(
      [](const auto& body) -> Bytes {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, node::ConsensusFrame>)
          return node::encode_consensus(body.message);
        else if constexpr (std::is_same_v<T, node::TransactionsFrame>)
          return node::encode_transactions(body.transactions);
        else if constexpr (std::is_same_v<T, node::FetchRequestFrame>)
          return node::encode_fetch_request(body.from_height, body.max_blocks);
        else if constexpr (std::is_same_v<T, node::FetchResponseFrame>)
          return node::encode_fetch_response(body.blocks);
        else
          return node::encode_locator_request(body.locator, body.max_blocks);
      },
      frame);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input = fuzz::input_view(data, size);
  auto frame = node::decode_wire(input);
  if (!frame.ok()) {
    fuzz::require(!frame.message().empty(), "a rejected frame has a reason");
    return 0;
  }
  fuzz::require(reencode(*frame) == Bytes(input.begin(), input.end()),
                "wire frame re-encodes to its input");
  if (const auto* gossip = std::get_if<node::TransactionsFrame>(&*frame))
    fuzz::require(gossip->transactions.size() <= node::kMaxGossipBatch, "gossip batch is capped");
  if (const auto* response = std::get_if<node::FetchResponseFrame>(&*frame))
    fuzz::require(response->blocks.size() <= node::kMaxFetchBlocks, "fetch response is capped");
  if (const auto* request = std::get_if<node::LocatorRequestFrame>(&*frame))
    fuzz::require(request->locator.size() <= node::kMaxLocatorHashes, "locator is capped");
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  const std::vector<chain::Block> blocks = sample_blocks();
  const crypto::Hash256 genesis_hash = blocks.back().hash();
  return {
      node::encode_consensus(encode(sample_headers()[0])),
      node::encode_transactions(sample_transactions()),
      node::encode_transactions({}),
      node::encode_fetch_request(7, node::kMaxFetchBlocks),
      node::encode_fetch_response({blocks[0], blocks[2]}),
      node::encode_fetch_response({}),
      node::encode_locator_request({blocks[0].hash(), blocks[2].hash(), genesis_hash}, 16),
  };
}
