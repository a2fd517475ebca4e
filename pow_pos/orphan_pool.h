// Blocks whose parent is not known yet (Bitcoin's orphan blocks), waiting for it.
//
// Bounded by count and by encoded bytes: adding past either bound evicts the oldest
// orphans first, and a single block larger than the byte bound is not kept. When a parent
// arrives, take_children() hands its waiting children back (and forgets them). Not
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "chain/block.h"
#include "chain/engine.h"

namespace synod::pow_pos {

struct Orphan {
  std::shared_ptr<const chain::Block> block;
  std::optional<chain::PeerIndex> from;  // who sent it (nullopt: ourselves)
};

class OrphanPool {
 public:
  OrphanPool(std::size_t max_count, std::size_t max_bytes);

  // Keeps `orphan` (whose encoding is `bytes` long); false when it is already held or can
  // never fit. Returns how many older orphans were evicted through `evicted`.
  bool add(Orphan orphan, std::size_t bytes, std::size_t* evicted = nullptr);
  bool contains(const crypto::Hash256& hash) const { return by_hash_.count(hash) != 0; }
  // Removes and returns the orphans whose parent is `parent`, oldest first.
  std::vector<Orphan> take_children(const crypto::Hash256& parent);
  // Forgets every orphan at or below `height` (they can no longer connect).
  std::size_t drop_at_or_below(std::uint64_t height);

  std::size_t size() const { return by_hash_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Held {
    Orphan orphan;
    std::size_t bytes = 0;
    std::uint64_t sequence = 0;
  };
  void erase(const crypto::Hash256& hash);

  std::size_t max_count_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::map<crypto::Hash256, Held> by_hash_;
  std::multimap<crypto::Hash256, crypto::Hash256> by_parent_;  // parent -> orphan
  std::map<std::uint64_t, crypto::Hash256> by_age_;            // sequence -> orphan
};

}  // namespace synod::pow_pos
