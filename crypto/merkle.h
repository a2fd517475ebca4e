// Merkle trees over 32-byte hashes (transaction hashes, account leaves), with inclusion
// proofs.
//
// Domain separation: a leaf is SHA-256(0x00 || item) and an inner node is
// SHA-256(0x01 || left || right), so no inner node can be passed off as a leaf (the
// second-preimage trick).
//
// Odd-leaf rule: when a level has an odd number of nodes, the last one is promoted to the
// next level unchanged. It is never paired with a copy of itself, so two different lists
// of items can never share a root (the duplicated-last-leaf flaw of Bitcoin's tree,
// CVE-2012-2459).
//
// Length binding: the root of a non-empty list is SHA-256(0x02 || u64 little-endian item
// count || top node), so a proof cannot claim a different leaf_count (and with it a
// different index): without it, index 0 of [a,b,c] would also verify as index 0 of a list
// of 4, and c (index 2 of 3) as index 1 of a list of 2.
//
// The root of an empty list is the all-zero hash.
#pragma once

#include <cstdint>
#include <vector>

#include "crypto/sha256.h"

namespace synod::crypto {

Hash256 merkle_leaf_hash(const Hash256& item);
Hash256 merkle_inner_hash(const Hash256& left, const Hash256& right);

Hash256 merkle_root(const std::vector<Hash256>& items);

struct MerkleProof {
  std::uint64_t index = 0;        // position of the item in the list
  std::uint64_t leaf_count = 0;   // length of the list
  std::vector<Hash256> siblings;  // bottom-up; levels where the node was promoted have none
};

// Proof for items[index]; index must be < items.size().
MerkleProof merkle_prove(const std::vector<Hash256>& items, std::uint64_t index);

// True when `proof` shows that `item` is at proof.index in a list of proof.leaf_count
// items whose root is `root`. A proof with too many or too few siblings is rejected.
bool merkle_verify(const Hash256& root, const Hash256& item, const MerkleProof& proof);

}  // namespace synod::crypto
