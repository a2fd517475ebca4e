// Read-only connections to the node's chain.db for the threads that answer block reads (the
// JSON-RPC threads): one per thread, opened on its first read and closed with this object, so
// that no SQLite connection is ever used by two threads (SQLite's multi-thread mode). A thread
// id the system reuses for a later thread gets the same connection, one thread after the other.
//
// Thread safety: this_thread() from any thread; the store it returns belongs to the calling
// thread. Lifetime: outlives every thread that reads through it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "chain/block_store.h"

namespace synod::node {

class StoreReaders {
 public:
  explicit StoreReaders(std::string path) : path_(std::move(path)) {}
  StoreReaders(const StoreReaders&) = delete;
  StoreReaders& operator=(const StoreReaders&) = delete;

  // The calling thread's connection; an error when it cannot be opened (tried again on the
  // thread's next call).
  Result<const chain::BlockStore*> this_thread();

 private:
  const std::string path_;
  std::mutex mutex_;  // guards the map, not the connections (each is its thread's alone)
  std::map<std::thread::id, std::unique_ptr<chain::BlockStore>> by_thread_;
};

}  // namespace synod::node
