// What either mode's block producer (mining, the stake lottery) puts in its next block.
#include "crypto/merkle.h"
#include "pow_pos/nakamoto_core.h"

namespace synod::pow_pos {

BlockBatch NakamotoCore::select_block_batch(chain::State& parent_state, std::uint64_t height,
                                            std::size_t room_bytes, std::uint64_t max_transactions,
                                            std::uint64_t reward) {
  const chain::Address self = chain::address_of(key.public_key());
  const auto policy = chain::SignaturePolicy::kAlreadyVerified;
  BlockBatch batch;
  batch.transactions =
      mempool.select_batch(parent_state, max_transactions, room_bytes, &batch.tx_hashes);
  batch.execution = parent_state.execute(batch.transactions, self, policy, reward, height);
  const auto& rejection = batch.execution.rejection;
  if (rejection && rejection->index < batch.transactions.size()) {
    const std::size_t bad = rejection->index;
    mempool.remove(batch.tx_hashes[bad]);
    batch.dropped = 1;
    batch.transactions.resize(bad);
    batch.tx_hashes.resize(bad);
    batch.execution = parent_state.execute(batch.transactions, self, policy, reward, height);
  }
  return batch;
}

chain::BlockHeader NakamotoCore::child_header(const TreeEntry& parent, const BlockBatch& batch,
                                              chain::State& parent_state) const {
  chain::BlockHeader header;
  header.height = parent.height() + 1;
  header.prev_hash = parent.hash;
  header.tx_root = crypto::merkle_root(batch.tx_hashes);
  header.state_root = parent_state.root_after(batch.execution.diff);
  header.proposer = key.public_key();
  return header;
}

}  // namespace synod::pow_pos
