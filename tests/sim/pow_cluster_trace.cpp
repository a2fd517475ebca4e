// PowCluster's recorded trace (PowClusterOptions::recorder): block messages, fetches and
// their answers are labelled for the chart; blocks mined, tips adopted, reorgs, crashes
// and restarts are recorded; the network reports drops and partitions itself.
#include "pow_pos/pow_messages.h"
#include "tests/sim/pow_cluster.h"
#include "tests/sim/short_hex.h"

namespace synod::sim {

void PowCluster::record_nodes() {
  if (options_.recorder == nullptr)
    return;
  std::vector<TraceNode> described;
  for (const auto& node : nodes_)
    described.push_back({node->slot, static_cast<std::uint32_t>(node->slot), node->role});
  options_.recorder->set_nodes(std::move(described));
  network_.set_observer(options_.recorder);
}

std::optional<SlotId> PowCluster::miner_of(const chain::BlockHeader& header) const {
  for (SlotId slot = 0; slot < genesis_.miner_keys.size(); ++slot) {
    if (genesis_.miner_keys[slot].public_key() == header.proposer)
      return slot;
  }
  return std::nullopt;
}

// "BLOCK #12 3fa2c19b0e4d by n2"; empty (left out of the chart) when nothing records.
std::string PowCluster::message_label(ByteView message) const {
  if (!recording())
    return {};
  auto block = pow_pos::decode_block_message(message);
  if (!block.ok())
    return "MESSAGE (" + std::to_string(message.size()) + "B, not a block)";
  const auto miner = miner_of(block->header);
  return "BLOCK #" + std::to_string(block->header.height) + " " + short_hex(block->hash()) +
         (miner ? " by n" + std::to_string(*miner) : std::string());
}

void PowCluster::record_mined(SlotId slot, const chain::Block& block) {
  if (!recording())
    return;
  options_.recorder->on_mined(slot, block.header.height, short_hex(block.hash()),
                              short_hex(block.header.prev_hash), block.transactions.size(),
                              queue_.now());
}

// An append of a block the slot mined itself is left to record_mined.
void PowCluster::record_store_change(SlotId slot, const StoreChange& change) {
  if (!recording())
    return;
  const PowStore& store = nodes_.at(slot)->store;
  if (!change.undone.empty()) {
    std::vector<std::string> abandoned;
    for (const auto& block : change.undone)
      abandoned.push_back(short_hex(block.hash()));
    options_.recorder->on_reorg(slot, change.fork_height, abandoned, store.height(),
                                short_hex(store.head().hash()), queue_.now());
    return;
  }
  for (std::uint64_t height = change.fork_height + 1; height <= store.height(); ++height) {
    const chain::Block& block = store.at(height);
    const auto miner = miner_of(block.header);
    if (miner == slot) {
      // A PoW block the slot mined was recorded by deliver_hit; a PoS block it signed
      // reaches the chart only here, as the engine appends it.
      if (genesis_.genesis->mode == chain::ConsensusMode::kPos)
        record_mined(slot, block);
      continue;
    }
    options_.recorder->on_tip(slot, height, short_hex(block.hash()), miner, queue_.now());
  }
}

void PowCluster::finish_recording() {
  if (options_.recorder == nullptr)
    return;
  // The longest best chain among the honest nodes (they converged by the end of a run).
  const PowNode* longest = nullptr;
  for (const auto& node : nodes_) {
    if (node->honest && (!longest || node->store.height() > longest->store.height()))
      longest = node.get();
  }
  if (longest == nullptr)
    return;
  std::set<std::string> final_chain;
  for (std::uint64_t height = 0; height <= longest->store.height(); ++height)
    final_chain.insert(short_hex(longest->store.at(height).hash()));
  options_.recorder->mark_orphans(final_chain);
}

}  // namespace synod::sim
