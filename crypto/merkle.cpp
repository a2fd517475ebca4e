#include "crypto/merkle.h"

#include <cassert>

namespace synod::crypto {

Hash256 merkle_leaf_hash(const Hash256& item) {
  std::uint8_t buffer[1 + 32];
  buffer[0] = 0x00;
  std::copy(item.data.begin(), item.data.end(), buffer + 1);
  return sha256(ByteView(buffer, sizeof(buffer)));
}

Hash256 merkle_inner_hash(const Hash256& left, const Hash256& right) {
  std::uint8_t buffer[1 + 64];
  buffer[0] = 0x01;
  std::copy(left.data.begin(), left.data.end(), buffer + 1);
  std::copy(right.data.begin(), right.data.end(), buffer + 33);
  return sha256(ByteView(buffer, sizeof(buffer)));
}

namespace {

// Commits the root to the number of items (see "Length binding" in merkle.h).
Hash256 bind_leaf_count(std::uint64_t leaf_count, const Hash256& top) {
  std::uint8_t buffer[1 + 8 + 32];
  buffer[0] = 0x02;
  for (int i = 0; i < 8; ++i)
    buffer[1 + i] = static_cast<std::uint8_t>(leaf_count >> (8 * i));
  std::copy(top.data.begin(), top.data.end(), buffer + 9);
  return sha256(ByteView(buffer, sizeof(buffer)));
}

std::vector<Hash256> leaf_level(const std::vector<Hash256>& items) {
  std::vector<Hash256> level;
  level.reserve(items.size());
  for (const auto& item : items)
    level.push_back(merkle_leaf_hash(item));
  return level;
}

std::vector<Hash256> next_level(const std::vector<Hash256>& level) {
  std::vector<Hash256> up;
  up.reserve((level.size() + 1) / 2);
  for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
    up.push_back(merkle_inner_hash(level[i], level[i + 1]));
  }
  if (level.size() % 2 == 1)
    up.push_back(level.back());  // odd node promoted unchanged
  return up;
}

}  // namespace

Hash256 merkle_root(const std::vector<Hash256>& items) {
  if (items.empty())
    return Hash256{};
  auto level = leaf_level(items);
  while (level.size() > 1)
    level = next_level(level);
  return bind_leaf_count(items.size(), level.front());
}

MerkleProof merkle_prove(const std::vector<Hash256>& items, std::uint64_t index) {
  assert(index < items.size());
  MerkleProof proof{index, items.size(), {}};
  auto level = leaf_level(items);
  std::uint64_t position = index;
  while (level.size() > 1) {
    std::uint64_t sibling = position ^ 1;
    if (sibling < level.size())
      proof.siblings.push_back(level[sibling]);
    level = next_level(level);
    position /= 2;
  }
  return proof;
}

bool merkle_verify(const Hash256& root, const Hash256& item, const MerkleProof& proof) {
  if (proof.leaf_count == 0 || proof.index >= proof.leaf_count)
    return false;
  Hash256 node = merkle_leaf_hash(item);
  std::uint64_t position = proof.index;
  std::uint64_t width = proof.leaf_count;
  std::size_t used = 0;
  while (width > 1) {
    std::uint64_t sibling = position ^ 1;
    if (sibling < width) {
      if (used == proof.siblings.size())
        return false;
      const Hash256& other = proof.siblings[used++];
      node = (position % 2 == 0) ? merkle_inner_hash(node, other) : merkle_inner_hash(other, node);
    }
    position /= 2;
    width = (width + 1) / 2;
  }
  return used == proof.siblings.size() && bind_leaf_count(proof.leaf_count, node) == root;
}

}  // namespace synod::crypto
