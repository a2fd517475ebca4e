#include "node/store_readers.h"

namespace synod::node {

Result<const chain::BlockStore*> StoreReaders::this_thread() {
  const std::thread::id self = std::this_thread::get_id();
  {
    std::lock_guard lock(mutex_);
    if (auto found = by_thread_.find(self); found != by_thread_.end())
      return static_cast<const chain::BlockStore*>(found->second.get());
  }
  // Opened outside the lock: another thread's first read need not wait for it.
  auto opened = chain::BlockStore::open_reader(path_);
  if (!opened)
    return opened.error();
  std::lock_guard lock(mutex_);
  auto& slot = by_thread_[self];
  slot = std::move(*opened);
  return static_cast<const chain::BlockStore*>(slot.get());
}

}  // namespace synod::node
