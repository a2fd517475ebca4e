// Writes the engine's chain changes to the store on a thread of its own, so a block's
// SQLite transaction (and its fsync) never stalls the event loop that runs consensus.
//
// Work items are written in the order they were enqueued: a block appended to the best
// chain, a reorg (one SQLite transaction, see BlockStore::reorg), or a side block. Once
// kIndexBatch transactions wait for the transaction index, the worker writes them into it
// after an item (BlockStore::index_transactions).
//
// Thread safety: enqueue_*() and stop() from one thread (the event loop); `written` is
// called on the worker thread, in enqueue order, after each item is durable.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>

#include "chain/block_store.h"
#include "chain/engine.h"

namespace synod::node {

// What the worker reports after each item: its sequence number (from enqueue_*()), the
// best chain's stored head after it, whether it changed the best chain, the outcome, and
// the store's indexed height (see BlockStore::indexed_height).
struct WriteReport {
  std::uint64_t sequence = 0;
  std::uint64_t head_height = 0;
  bool best_chain_changed = false;
  Status status;
  std::uint64_t indexed_height = 0;
};

class StorageWorker {
 public:
  using Written = std::function<void(WriteReport report)>;

  StorageWorker(std::unique_ptr<chain::BlockStore> store, Written written);
  ~StorageWorker();
  StorageWorker(const StorageWorker&) = delete;
  StorageWorker& operator=(const StorageWorker&) = delete;

  // Each returns the item's sequence number (1, 2, ...), which its report carries.
  std::uint64_t enqueue_append(chain::AppendBlockAction append);
  std::uint64_t enqueue_reorg(chain::ReorgAction reorg);
  std::uint64_t enqueue_side_block(chain::Block block);
  // Writes everything queued, then joins the thread. Idempotent.
  void stop();
  std::size_t queued() const;

 private:
  using Work = std::variant<chain::AppendBlockAction, chain::ReorgAction, chain::Block>;
  struct Item {
    std::uint64_t sequence = 0;
    Work work;
  };

  std::uint64_t enqueue(Work work);
  void loop();
  WriteReport write(Item& item);

  std::unique_ptr<chain::BlockStore> store_;
  Written written_;
  mutable std::mutex mutex_;  // guards queue_, next_sequence_ and stopping_
  std::condition_variable wake_;
  std::deque<Item> queue_;
  std::uint64_t next_sequence_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace synod::node
