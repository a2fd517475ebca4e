// What a replica holds for later on a peer's word: normal-case messages for the view it is
// about to enter (they can overtake the NEW-VIEW) and pre-prepares for sequences above its
// head. Without a share per sender, one Byzantine validator could make every replica hold
// hundreds of maximal blocks. A correct primary has one block in flight (replica.h), so a
// share of two blocks' worth per sender leaves room to spare; what exceeds it is dropped
// and counted (DropReason::kOverBudget), and state transfer fetches any block still needed.
#pragma once

#include <cstddef>

#include "chain/genesis.h"
#include "pbft/messages.h"

namespace synod::pbft {

// Messages held for later at most, all senders together.
inline constexpr std::size_t kMaxBufferedMessages = 256;

struct BufferUse {
  std::size_t messages = 0;
  std::size_t bytes = 0;
  std::size_t transactions = 0;

  BufferUse& operator+=(const BufferUse& other) {
    messages += other.messages;
    bytes += other.bytes;
    transactions += other.transactions;
    return *this;
  }
};

// What holding `message` costs: one message, and for a PRE-PREPARE its block's size
// (without encoding it) and transactions.
BufferUse buffer_use(const Message& message);
BufferUse buffer_use(const Signed<PrePrepare>& message);

struct BufferLimits {
  std::size_t messages_per_sender = 0;
  std::size_t bytes_per_sender = 0;
  std::size_t transactions_per_sender = 0;

  // kMaxBufferedMessages shared out among `validators`, and two blocks' worth each.
  static BufferLimits for_chain(const chain::PbftParams& params, std::size_t validators);
  // Whether a sender holding `held` may add `more`.
  bool admits(const BufferUse& held, const BufferUse& more) const;
};

// A block over the genesis' transaction or byte limit: no view accepts it, so it is not
// worth holding.
bool exceeds_block_limits(const BufferUse& pre_prepare, const chain::PbftParams& params);

}  // namespace synod::pbft
