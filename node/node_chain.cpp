// The best chain as the node tracks it between the engine and the storage thread: blocks
// appended and reorgs are queued for the store, and served from memory (get_block,
// get_blocks, get_tx) until the storage thread reports them written.
#include <spdlog/spdlog.h>

#include <cassert>

#include "node/node_impl.h"

namespace synod::node {

void Node::Impl::on_append(const chain::AppendBlockAction& append) {
  if (genesis->mode == chain::ConsensusMode::kPos)
    slashes.on_block(append.block, append.diff, *genesis);
  std::uint64_t sequence = storage->enqueue_append(append);
  note_best_block(append.block, append.tx_hashes, sequence);
  answer_block_waiters();
}

void Node::Impl::on_reorg(const chain::ReorgAction& reorg) {
  assert(!reorg.branch.empty());
  forget_above(reorg.fork_height);
  if (genesis->mode == chain::ConsensusMode::kPos) {
    slashes.forget_above(reorg.fork_height);
    for (const auto& append : reorg.branch)
      slashes.on_block(append.block, append.diff, *genesis);
  }
  std::uint64_t sequence = storage->enqueue_reorg(reorg);
  backlog.last_reorg_sequence = sequence;
  for (const auto& append : reorg.branch)
    note_best_block(append.block, append.tx_hashes, sequence);
  ++reorgs_seen;
  answer_block_waiters();
}

void Node::Impl::note_best_block(const chain::Block& block,
                                 const std::vector<crypto::Hash256>& tx_hashes,
                                 std::uint64_t sequence) {
  assert(tx_hashes.size() == block.transactions.size());
  chain::TimeMs now = now_ms();
  crypto::Hash256 block_hash = block.hash();
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    const crypto::Hash256& tx_hash = tx_hashes[i];
    backlog.remember_unindexed(
        tx_hash, chain::TxLocation{block.header.height, static_cast<std::uint32_t>(i), block_hash});
    follow.relayed.erase(tx_hash);
    if (auto it = admitted_at.find(tx_hash); it != admitted_at.end()) {
      gauges.commit_latency->observe(static_cast<double>(now - it->second) / 1000.0);
      admitted_at.erase(it);
    }
  }
  verified.erase(tx_hashes);
  backlog.unstored_blocks[block.header.height] = WriteBacklog::UnstoredBlock{
      sequence,
      std::make_shared<const BlockCell>(std::make_shared<const chain::Block>(block), block_hash)};
  gauges.blocks_committed->inc();
  gauges.transactions_committed->inc(block.transactions.size());
  log_summary(block);
}

void Node::Impl::forget_above(std::uint64_t fork_height) {
  backlog.unstored_blocks.erase(backlog.unstored_blocks.upper_bound(fork_height),
                                backlog.unstored_blocks.end());
  auto abandoned = backlog.unindexed_by_height.upper_bound(fork_height);
  for (auto it = abandoned; it != backlog.unindexed_by_height.end(); ++it) {
    for (const auto& tx_hash : it->second)
      backlog.unindexed_transactions.erase(tx_hash);
  }
  backlog.unindexed_by_height.erase(abandoned, backlog.unindexed_by_height.end());
}

void Node::Impl::on_written(const WriteReport& report) {
  if (!report.status && !report.best_chain_changed) {
    // A side block is kept so that peers and a restart see the fork; losing one costs a
    // re-fetch, not the chain.
    spdlog::warn("cannot store a side block: {}", report.status.message());
    return;
  }
  if (!report.status) {
    fatal("cannot store the chain at height " + std::to_string(report.head_height) + ": " +
          report.status.message());
    return;
  }
  if (!report.best_chain_changed)
    return;
  std::erase_if(backlog.unstored_blocks,
                [&](const auto& entry) { return entry.second.sequence <= report.sequence; });
  // Written before a reorg the event loop already applied: its heights and index speak of
  // the abandoned branch, so only the reorg's own report moves things on.
  if (report.sequence < backlog.last_reorg_sequence)
    return;
  stored_height = report.head_height;
  auto indexed_end = backlog.unindexed_by_height.upper_bound(report.indexed_height);
  for (auto it = backlog.unindexed_by_height.begin(); it != indexed_end; ++it) {
    for (const auto& tx_hash : it->second)
      backlog.unindexed_transactions.erase(tx_hash);
  }
  backlog.unindexed_by_height.erase(backlog.unindexed_by_height.begin(), indexed_end);
  if (!stopping)
    execute(engine->on_block_stored(report.head_height, now_ms()));
}

}  // namespace synod::node
