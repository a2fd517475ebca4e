// Merkle trees: roots against an independent reference, proofs, and the attacks the
// construction is meant to stop (odd-leaf duplication, inner node as leaf, forged length).
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "crypto/merkle.h"
#include "crypto/sha256.h"

using namespace synod;
using crypto::Hash256;
using crypto::MerkleProof;

namespace {

Hash256 item(std::uint64_t n) {
  Bytes seed(8);
  for (int i = 0; i < 8; ++i)
    seed[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  return crypto::sha256(seed);
}

std::vector<Hash256> items(std::size_t count) {
  std::vector<Hash256> out;
  for (std::size_t i = 0; i < count; ++i)
    out.push_back(item(i));
  return out;
}

Hash256 prefixed_hash(std::uint8_t prefix, std::initializer_list<ByteView> parts) {
  Bytes buffer{prefix};
  for (ByteView part : parts)
    append(buffer, part);
  return crypto::sha256(buffer);
}

// The tree exactly as merkle.h describes it, written independently of merkle.cpp.
Hash256 reference_root(const std::vector<Hash256>& list) {
  if (list.empty())
    return Hash256{};
  std::vector<Hash256> level;
  for (const auto& x : list)
    level.push_back(prefixed_hash(0x00, {x.view()}));
  while (level.size() > 1) {
    std::vector<Hash256> up;
    for (std::size_t i = 0; i < level.size(); i += 2) {
      if (i + 1 < level.size())
        up.push_back(prefixed_hash(0x01, {level[i].view(), level[i + 1].view()}));
      else
        up.push_back(level[i]);
    }
    level = up;
  }
  Bytes count(8);
  for (int i = 0; i < 8; ++i)
    count[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(list.size() >> (8 * i));
  return prefixed_hash(0x02, {count, level.front().view()});
}

Hash256 flip_bit(Hash256 hash, std::size_t bit) {
  hash.data[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  return hash;
}

constexpr std::size_t kMaxItems = 17;

}  // namespace

TEST_CASE("merkle root of the empty list is the all-zero hash", "[crypto][merkle]") {
  CHECK(crypto::merkle_root({}) == Hash256{});
}

TEST_CASE("merkle roots of 0..17 items match the reference construction", "[crypto][merkle]") {
  for (std::size_t n = 0; n <= kMaxItems; ++n) {
    INFO("n = " << n);
    CHECK(crypto::merkle_root(items(n)) == reference_root(items(n)));
  }
}

TEST_CASE("merkle roots of 0..17 items are pairwise distinct", "[crypto][merkle]") {
  // Every list here is a prefix of the next, so equal roots would mean a length forgery.
  std::vector<Hash256> roots;
  for (std::size_t n = 0; n <= kMaxItems; ++n)
    roots.push_back(crypto::merkle_root(items(n)));
  for (std::size_t a = 0; a < roots.size(); ++a) {
    for (std::size_t b = a + 1; b < roots.size(); ++b)
      CHECK(roots[a] != roots[b]);
  }
}

TEST_CASE("merkle leaf and inner hashes use the 0x00 and 0x01 domain prefixes",
          "[crypto][merkle]") {
  const Hash256 a = item(1);
  const Hash256 b = item(2);
  CHECK(crypto::merkle_leaf_hash(a) == prefixed_hash(0x00, {a.view()}));
  CHECK(crypto::merkle_inner_hash(a, b) == prefixed_hash(0x01, {a.view(), b.view()}));
  CHECK(crypto::merkle_inner_hash(a, b) != crypto::merkle_inner_hash(b, a));
}

TEST_CASE("merkle root changes when any item changes or items swap", "[crypto][merkle]") {
  const auto list = items(9);
  const Hash256 root = crypto::merkle_root(list);
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto changed = list;
    changed[i] = flip_bit(changed[i], 0);
    CHECK(crypto::merkle_root(changed) != root);
  }
  auto swapped = list;
  std::swap(swapped[3], swapped[4]);
  CHECK(crypto::merkle_root(swapped) != root);
}

TEST_CASE("merkle proofs for every index of 1..17 items verify", "[crypto][merkle]") {
  for (std::size_t n = 1; n <= kMaxItems; ++n) {
    const auto list = items(n);
    const Hash256 root = crypto::merkle_root(list);
    for (std::size_t i = 0; i < n; ++i) {
      MerkleProof proof = crypto::merkle_prove(list, i);
      INFO("n = " << n << ", index = " << i);
      CHECK(proof.index == i);
      CHECK(proof.leaf_count == n);
      CHECK(crypto::merkle_verify(root, list[i], proof));
    }
  }
}

TEST_CASE("merkle proof for one item has no siblings", "[crypto][merkle]") {
  const auto list = items(1);
  MerkleProof proof = crypto::merkle_prove(list, 0);
  CHECK(proof.siblings.empty());
  CHECK(crypto::merkle_verify(crypto::merkle_root(list), list[0], proof));
}

TEST_CASE("merkle proof fails for a different item or a different root", "[crypto][merkle]") {
  for (std::size_t n = 1; n <= kMaxItems; ++n) {
    const auto list = items(n);
    const Hash256 root = crypto::merkle_root(list);
    const Hash256 other_root = crypto::merkle_root(items(n + 1));
    for (std::size_t i = 0; i < n; ++i) {
      MerkleProof proof = crypto::merkle_prove(list, i);
      INFO("n = " << n << ", index = " << i);
      CHECK_FALSE(crypto::merkle_verify(root, item(1000), proof));
      CHECK_FALSE(crypto::merkle_verify(other_root, list[i], proof));
    }
  }
}

TEST_CASE("merkle proof with a tampered sibling fails", "[crypto][merkle]") {
  for (std::size_t n = 2; n <= kMaxItems; ++n) {
    const auto list = items(n);
    const Hash256 root = crypto::merkle_root(list);
    for (std::size_t i = 0; i < n; ++i) {
      const MerkleProof proof = crypto::merkle_prove(list, i);
      for (std::size_t s = 0; s < proof.siblings.size(); ++s) {
        for (std::size_t bit : {std::size_t{0}, std::size_t{129}, std::size_t{255}}) {
          MerkleProof tampered = proof;
          tampered.siblings[s] = flip_bit(tampered.siblings[s], bit);
          INFO("n = " << n << ", index = " << i << ", sibling = " << s << ", bit = " << bit);
          CHECK_FALSE(crypto::merkle_verify(root, list[i], tampered));
        }
      }
    }
  }
}

TEST_CASE("merkle proof with a tampered index fails", "[crypto][merkle]") {
  for (std::size_t n = 1; n <= kMaxItems; ++n) {
    const auto list = items(n);
    const Hash256 root = crypto::merkle_root(list);
    for (std::size_t i = 0; i < n; ++i) {
      const MerkleProof proof = crypto::merkle_prove(list, i);
      for (std::uint64_t j : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{2},
                              std::uint64_t{n - 1}, std::uint64_t{n}, std::uint64_t{n + 1},
                              std::uint64_t{i ^ 1}, std::uint64_t{i + 2}, ~std::uint64_t{0}}) {
        if (j == i)
          continue;
        MerkleProof tampered = proof;
        tampered.index = j;
        INFO("n = " << n << ", index = " << i << " claimed as " << j);
        CHECK_FALSE(crypto::merkle_verify(root, list[i], tampered));
      }
    }
  }
}

TEST_CASE("merkle proof with a tampered leaf_count fails", "[crypto][merkle]") {
  for (std::size_t n = 1; n <= kMaxItems; ++n) {
    const auto list = items(n);
    const Hash256 root = crypto::merkle_root(list);
    for (std::size_t i = 0; i < n; ++i) {
      const MerkleProof proof = crypto::merkle_prove(list, i);
      for (std::uint64_t count = 0; count <= 2 * kMaxItems + 2; ++count) {
        if (count == n)
          continue;
        MerkleProof tampered = proof;
        tampered.leaf_count = count;
        INFO("n = " << n << ", index = " << i << ", leaf_count claimed " << count);
        CHECK_FALSE(crypto::merkle_verify(root, list[i], tampered));
      }
      MerkleProof huge = proof;
      huge.leaf_count = ~std::uint64_t{0};
      CHECK_FALSE(crypto::merkle_verify(root, list[i], huge));
    }
  }
}

TEST_CASE("merkle proof with tampered index and leaf_count together fails", "[crypto][merkle]") {
  // Every (index, leaf_count) pair other than the true one: the root commits to the count
  // and the count fixes the tree shape, so no other position can be claimed.
  for (std::size_t n = 1; n <= 9; ++n) {
    const auto list = items(n);
    const Hash256 root = crypto::merkle_root(list);
    for (std::size_t i = 0; i < n; ++i) {
      const MerkleProof proof = crypto::merkle_prove(list, i);
      for (std::uint64_t count = 1; count <= 20; ++count) {
        for (std::uint64_t j = 0; j < count; ++j) {
          if (count == n && j == i)
            continue;
          MerkleProof tampered = proof;
          tampered.leaf_count = count;
          tampered.index = j;
          INFO("n = " << n << ", index = " << i << " claimed as " << j << " of " << count);
          CHECK_FALSE(crypto::merkle_verify(root, list[i], tampered));
        }
      }
    }
  }
}

TEST_CASE("merkle proof with an extra sibling fails", "[crypto][merkle]") {
  for (std::size_t n = 1; n <= kMaxItems; ++n) {
    const auto list = items(n);
    const Hash256 root = crypto::merkle_root(list);
    for (std::size_t i = 0; i < n; ++i) {
      const MerkleProof proof = crypto::merkle_prove(list, i);
      MerkleProof at_end = proof;
      at_end.siblings.push_back(item(99));
      CHECK_FALSE(crypto::merkle_verify(root, list[i], at_end));
      MerkleProof at_front = proof;
      at_front.siblings.insert(at_front.siblings.begin(), item(99));
      CHECK_FALSE(crypto::merkle_verify(root, list[i], at_front));
    }
  }
}

TEST_CASE("merkle proof with a missing sibling fails", "[crypto][merkle]") {
  for (std::size_t n = 2; n <= kMaxItems; ++n) {
    const auto list = items(n);
    const Hash256 root = crypto::merkle_root(list);
    for (std::size_t i = 0; i < n; ++i) {
      const MerkleProof proof = crypto::merkle_prove(list, i);
      REQUIRE_FALSE(proof.siblings.empty());
      for (std::size_t s = 0; s < proof.siblings.size(); ++s) {
        MerkleProof tampered = proof;
        tampered.siblings.erase(tampered.siblings.begin() + static_cast<std::ptrdiff_t>(s));
        INFO("n = " << n << ", index = " << i << ", dropped sibling " << s);
        CHECK_FALSE(crypto::merkle_verify(root, list[i], tampered));
      }
    }
  }
}

TEST_CASE("merkle odd-leaf rule: [a,b,c] and [a,b,c,c] have different roots", "[crypto][merkle]") {
  const Hash256 a = item(1), b = item(2), c = item(3);
  CHECK(crypto::merkle_root({a, b, c}) != crypto::merkle_root({a, b, c, c}));
  CHECK(crypto::merkle_root({a}) != crypto::merkle_root({a, a}));
  CHECK(crypto::merkle_root({a, b, c, item(4), item(5)}) !=
        crypto::merkle_root({a, b, c, item(4), item(5), item(5)}));
  // The odd node is promoted, not paired with itself.
  const Hash256 top = crypto::merkle_inner_hash(
      crypto::merkle_inner_hash(crypto::merkle_leaf_hash(a), crypto::merkle_leaf_hash(b)),
      crypto::merkle_leaf_hash(c));
  CHECK(crypto::merkle_root({a, b, c}) == reference_root({a, b, c}));
  CHECK(crypto::merkle_prove({a, b, c}, 2).siblings ==
        std::vector<Hash256>{
            crypto::merkle_inner_hash(crypto::merkle_leaf_hash(a), crypto::merkle_leaf_hash(b))});
  CHECK(top != crypto::merkle_root({a, b, c}));  // the root also binds the count
}

TEST_CASE("merkle inner node cannot be proven as a leaf", "[crypto][merkle]") {
  const std::vector<Hash256> list{item(1), item(2), item(3), item(4)};
  const Hash256 root = crypto::merkle_root(list);
  const Hash256 left = crypto::merkle_inner_hash(crypto::merkle_leaf_hash(list[0]),
                                                 crypto::merkle_leaf_hash(list[1]));
  const Hash256 right = crypto::merkle_inner_hash(crypto::merkle_leaf_hash(list[2]),
                                                  crypto::merkle_leaf_hash(list[3]));
  // The list of the two inner nodes has its own, different root.
  CHECK(crypto::merkle_root({left, right}) != root);
  for (std::uint64_t count = 1; count <= 8; ++count) {
    for (std::uint64_t index = 0; index < count; ++index) {
      for (const auto& siblings :
           {std::vector<Hash256>{}, std::vector<Hash256>{right}, std::vector<Hash256>{left},
            std::vector<Hash256>{right, right}}) {
        INFO("count " << count << ", index " << index << ", siblings " << siblings.size());
        CHECK_FALSE(crypto::merkle_verify(root, left, MerkleProof{index, count, siblings}));
        CHECK_FALSE(crypto::merkle_verify(root, right, MerkleProof{index, count, siblings}));
      }
    }
  }
}

TEST_CASE("merkle proof with zero leaf_count or index past the end fails", "[crypto][merkle]") {
  const auto list = items(4);
  const Hash256 root = crypto::merkle_root(list);
  CHECK_FALSE(crypto::merkle_verify(root, list[0], MerkleProof{0, 0, {}}));
  CHECK_FALSE(crypto::merkle_verify(Hash256{}, list[0], MerkleProof{0, 0, {}}));
  MerkleProof proof = crypto::merkle_prove(list, 3);
  proof.index = 4;
  CHECK_FALSE(crypto::merkle_verify(root, list[3], proof));
}
