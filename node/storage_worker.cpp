#include "node/storage_worker.h"

#include "base/thread_name.h"

namespace synod::node {

StorageWorker::StorageWorker(std::unique_ptr<chain::BlockStore> store, Stored stored)
    : store_(std::move(store)), stored_(std::move(stored)), thread_([this] { loop(); }) {}

StorageWorker::~StorageWorker() {
  stop();
}

void StorageWorker::enqueue(chain::Block block, chain::StateDiff diff,
                            std::vector<crypto::Hash256> tx_hashes) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Item{std::move(block), std::move(diff), std::move(tx_hashes)});
  }
  wake_.notify_one();
}

void StorageWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

std::size_t StorageWorker::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void StorageWorker::loop() {
  set_thread_name("synod-store");
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return;  // stopping, and everything is written
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    std::uint64_t height = item.block.header.height;
    Status status = store_->append(item.block, item.diff, item.tx_hashes);
    if (status && store_->index_due())
      status = store_->index_transactions();
    stored_(height, status, store_->indexed_height());
  }
}

}  // namespace synod::node
