#include "node/storage_worker.h"

#include "base/thread_name.h"

namespace synod::node {

StorageWorker::StorageWorker(std::unique_ptr<chain::BlockStore> store, Written written)
    : store_(std::move(store)), written_(std::move(written)), thread_([this] { loop(); }) {}

StorageWorker::~StorageWorker() {
  stop();
}

std::uint64_t StorageWorker::enqueue(Work work) {
  std::uint64_t sequence = 0;
  {
    std::lock_guard lock(mutex_);
    sequence = next_sequence_++;
    queue_.push_back(Item{sequence, std::move(work)});
  }
  wake_.notify_one();
  return sequence;
}

std::uint64_t StorageWorker::enqueue_append(chain::AppendBlockAction append) {
  return enqueue(std::move(append));
}

std::uint64_t StorageWorker::enqueue_reorg(chain::ReorgAction reorg) {
  return enqueue(std::move(reorg));
}

std::uint64_t StorageWorker::enqueue_side_block(chain::Block block) {
  return enqueue(std::move(block));
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
    written_(write(item));
  }
}

WriteReport StorageWorker::write(Item& item) {
  WriteReport report;
  report.sequence = item.sequence;
  if (auto* append = std::get_if<chain::AppendBlockAction>(&item.work)) {
    report.status = store_->append(append->block, append->diff, append->tx_hashes);
    report.best_chain_changed = true;
  } else if (auto* reorg = std::get_if<chain::ReorgAction>(&item.work)) {
    report.status = store_->reorg(*reorg);
    report.best_chain_changed = true;
  } else {
    report.status = store_->store_side_block(std::get<chain::Block>(item.work));
  }
  if (report.status && store_->index_due())
    report.status = store_->index_transactions();
  report.head_height = store_->head_height().value_or(0);
  report.indexed_height = store_->indexed_height();
  return report;
}

}  // namespace synod::node
