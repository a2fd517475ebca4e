#include "pbft/buffer_budget.h"

#include <algorithm>

namespace synod::pbft {
namespace {

// A block's header, seal and framing, and a vote's whole encoding, are well under this.
constexpr std::size_t kFixedMessageBytes = 512;

}  // namespace

BufferUse buffer_use(const Signed<PrePrepare>& message) {
  BufferUse use{1, kFixedMessageBytes, message.body.block.transactions.size()};
  for (const auto& tx : message.body.block.transactions)
    use.bytes += tx.encoded_size();
  return use;
}

BufferUse buffer_use(const Message& message) {
  if (const auto* pre_prepare = std::get_if<Signed<PrePrepare>>(&message))
    return buffer_use(*pre_prepare);
  return BufferUse{1, kFixedMessageBytes, 0};
}

BufferLimits BufferLimits::for_chain(const chain::PbftParams& params, std::size_t validators) {
  BufferLimits limits;
  limits.messages_per_sender = kMaxBufferedMessages / std::max<std::size_t>(validators, 1);
  limits.bytes_per_sender = 2 * (params.max_block_bytes + kFixedMessageBytes);
  limits.transactions_per_sender = 2 * params.max_block_transactions;
  return limits;
}

bool BufferLimits::admits(const BufferUse& held, const BufferUse& more) const {
  return held.messages + more.messages <= messages_per_sender &&
         held.bytes + more.bytes <= bytes_per_sender &&
         held.transactions + more.transactions <= transactions_per_sender;
}

bool exceeds_block_limits(const BufferUse& pre_prepare, const chain::PbftParams& params) {
  return pre_prepare.transactions > params.max_block_transactions ||
         pre_prepare.bytes > params.max_block_bytes + kFixedMessageBytes;
}

}  // namespace synod::pbft
