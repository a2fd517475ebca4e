// The set of transaction hashes whose signatures this node has already verified, shared by
// the verification worker pool and the consensus engine's proposal check, so each
// signature is verified once per node whichever path sees the transaction first.
//
// Thread-safe (one mutex). A transaction leaves the set when it commits (nothing needs its
// verdict after that), so the set holds about the mempool, not the chain's history. It is
// also bounded: when full it is cleared, which costs at most a second verification of some
// transactions, never a missed one.
#pragma once

#include <mutex>
#include <unordered_set>
#include <vector>

#include "crypto/keyed_hash.h"
#include "crypto/sha256.h"

namespace synod::node {

class VerifiedSignatures {
 public:
  explicit VerifiedSignatures(std::size_t capacity = 1'000'000) : capacity_(capacity) {}

  bool contains(const crypto::Hash256& tx_hash) const {
    std::lock_guard lock(mutex_);
    return hashes_.count(tx_hash) != 0;
  }
  void insert(const crypto::Hash256& tx_hash) {
    std::lock_guard lock(mutex_);
    if (hashes_.size() >= capacity_)
      hashes_.clear();
    hashes_.insert(tx_hash);
  }
  void erase(const std::vector<crypto::Hash256>& tx_hashes) {
    std::lock_guard lock(mutex_);
    for (const auto& tx_hash : tx_hashes)
      hashes_.erase(tx_hash);
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return hashes_.size();
  }

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;  // guards hashes_
  std::unordered_set<crypto::Hash256, crypto::KeyedHash> hashes_;
};

}  // namespace synod::node
