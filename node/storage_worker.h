// Writes committed blocks to the store on a thread of its own, so a block's SQLite
// transaction (and its fsync) never stalls the event loop that runs consensus.
//
// Thread safety: enqueue() and stop() from one thread (the event loop); `stored` is called
// on the worker thread, in height order, after each block is durable. Once kIndexBatch
// transactions wait for the transaction index, the worker writes them into it after a
// block (BlockStore::index_transactions).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "chain/block_store.h"

namespace synod::node {

class StorageWorker {
 public:
  // `indexed_height`: the store's, after this block (see BlockStore::indexed_height).
  using Stored =
      std::function<void(std::uint64_t height, Status status, std::uint64_t indexed_height)>;

  StorageWorker(std::unique_ptr<chain::BlockStore> store, Stored stored);
  ~StorageWorker();
  StorageWorker(const StorageWorker&) = delete;
  StorageWorker& operator=(const StorageWorker&) = delete;

  // `tx_hashes`: the hashes of the block's transactions, in order (see BlockStore::append).
  void enqueue(chain::Block block, chain::StateDiff diff, std::vector<crypto::Hash256> tx_hashes);
  // Writes everything queued, then joins the thread. Idempotent.
  void stop();
  std::size_t queued() const;

 private:
  struct Item {
    chain::Block block;
    chain::StateDiff diff;
    std::vector<crypto::Hash256> tx_hashes;
  };

  void loop();

  std::unique_ptr<chain::BlockStore> store_;
  Stored stored_;
  mutable std::mutex mutex_;  // guards queue_ and stopping_
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace synod::node
