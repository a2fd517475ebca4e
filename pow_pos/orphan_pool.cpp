#include "pow_pos/orphan_pool.h"

#include <cassert>

namespace synod::pow_pos {

OrphanPool::OrphanPool(std::size_t max_count, std::size_t max_bytes)
    : max_count_(max_count), max_bytes_(max_bytes) {}

bool OrphanPool::add(Orphan orphan, std::size_t bytes, std::size_t* evicted) {
  assert(orphan.block);
  if (evicted)
    *evicted = 0;
  const crypto::Hash256 hash = orphan.block->hash();
  if (contains(hash) || bytes > max_bytes_ || max_count_ == 0)
    return false;
  while (!by_age_.empty() && (size() + 1 > max_count_ || bytes_ + bytes > max_bytes_)) {
    erase(by_age_.begin()->second);
    if (evicted)
      ++*evicted;
  }
  const crypto::Hash256 parent = orphan.block->header.prev_hash;
  const std::uint64_t sequence = next_sequence_++;
  by_hash_.emplace(hash, Held{std::move(orphan), bytes, sequence});
  by_parent_.emplace(parent, hash);
  by_age_.emplace(sequence, hash);
  bytes_ += bytes;
  return true;
}

void OrphanPool::erase(const crypto::Hash256& hash) {
  auto it = by_hash_.find(hash);
  assert(it != by_hash_.end());
  const crypto::Hash256& parent = it->second.orphan.block->header.prev_hash;
  for (auto [low, high] = by_parent_.equal_range(parent); low != high; ++low) {
    if (low->second == hash) {
      by_parent_.erase(low);
      break;
    }
  }
  by_age_.erase(it->second.sequence);
  bytes_ -= it->second.bytes;
  by_hash_.erase(it);
}

std::vector<Orphan> OrphanPool::take_children(const crypto::Hash256& parent) {
  std::map<std::uint64_t, crypto::Hash256> children;  // oldest first
  for (auto [low, high] = by_parent_.equal_range(parent); low != high; ++low)
    children.emplace(by_hash_.at(low->second).sequence, low->second);
  std::vector<Orphan> out;
  out.reserve(children.size());
  for (const auto& [sequence, hash] : children) {
    out.push_back(by_hash_.at(hash).orphan);
    erase(hash);
  }
  return out;
}

std::size_t OrphanPool::drop_at_or_below(std::uint64_t height) {
  std::vector<crypto::Hash256> drop;
  for (const auto& [hash, held] : by_hash_) {
    if (held.orphan.block->header.height <= height)
      drop.push_back(hash);
  }
  for (const auto& hash : drop)
    erase(hash);
  return drop.size();
}

}  // namespace synod::pow_pos
