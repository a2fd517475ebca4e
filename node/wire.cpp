#include "node/wire.h"

#include "chain/codec.h"
#include "chain/limits.h"

namespace synod::node {

using chain::Reader;
using chain::Writer;

Bytes encode_consensus(ByteView message) {
  Bytes out;
  out.reserve(message.size() + 1);
  out.push_back(static_cast<std::uint8_t>(Channel::kConsensus));
  append(out, message);
  return out;
}

Bytes encode_transactions(const std::vector<chain::Transaction>& transactions) {
  Writer out;
  out.u8(static_cast<std::uint8_t>(Channel::kTransactions));
  out.count(transactions.size());
  for (const auto& tx : transactions)
    chain::write(out, tx);
  return out.take();
}

Bytes encode_fetch_request(std::uint64_t from_height, std::uint32_t max_blocks) {
  Writer out;
  out.u8(static_cast<std::uint8_t>(Channel::kFetchRequest));
  out.u64(from_height);
  out.u32(max_blocks);
  return out.take();
}

Bytes encode_fetch_response(const std::vector<chain::Block>& blocks) {
  Writer out;
  out.u8(static_cast<std::uint8_t>(Channel::kFetchResponse));
  out.count(blocks.size());
  for (const auto& block : blocks)
    chain::write(out, block);
  return out.take();
}

Bytes encode_locator_request(const std::vector<crypto::Hash256>& locator,
                             std::uint32_t max_blocks) {
  Writer out;
  out.u8(static_cast<std::uint8_t>(Channel::kLocatorRequest));
  out.count(locator.size());
  for (const auto& hash : locator)
    out.fixed(hash);
  out.u32(max_blocks);
  return out.take();
}

Result<WireFrame> decode_wire(ByteView frame) {
  if (frame.empty())
    return make_error("empty frame");
  auto channel = static_cast<Channel>(frame[0]);
  ByteView body = frame.subspan(1);
  switch (channel) {
    case Channel::kConsensus:
      return WireFrame(ConsensusFrame{Bytes(body.begin(), body.end())});
    case Channel::kTransactions:
      return chain::decode_all<WireFrame>(body, "transactions frame", [](Reader& in) {
        TransactionsFrame out;
        std::size_t n = in.count(kMaxGossipBatch, chain::kMinTransactionBytes);
        out.transactions.reserve(n);
        for (std::size_t i = 0; i < n && in.ok(); ++i) {
          out.transactions.push_back(chain::read_transaction(in));
        }
        return WireFrame(std::move(out));
      });
    case Channel::kFetchRequest:
      return chain::decode_all<WireFrame>(body, "fetch request", [](Reader& in) {
        FetchRequestFrame out;
        out.from_height = in.u64();
        out.max_blocks = in.u32();
        return WireFrame(out);
      });
    case Channel::kFetchResponse:
      return chain::decode_all<WireFrame>(body, "fetch response", [](Reader& in) {
        FetchResponseFrame out;
        std::size_t n = in.count(kMaxFetchBlocks, 100);
        for (std::size_t i = 0; i < n && in.ok(); ++i)
          out.blocks.push_back(chain::read_block(in));
        return WireFrame(std::move(out));
      });
    case Channel::kLocatorRequest:
      return chain::decode_all<WireFrame>(body, "locator request", [](Reader& in) {
        LocatorRequestFrame out;
        std::size_t n = in.count(kMaxLocatorHashes, 32);
        out.locator.reserve(n);
        for (std::size_t i = 0; i < n && in.ok(); ++i)
          out.locator.push_back(in.fixed<crypto::Hash256>());
        out.max_blocks = in.u32();
        return WireFrame(std::move(out));
      });
  }
  return make_error("unknown channel " + std::to_string(frame[0]));
}

}  // namespace synod::node
