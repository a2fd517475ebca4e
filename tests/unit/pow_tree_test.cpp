// pow_pos/block_tree and pow_pos/orphan_pool: fork choice by most work with ties to the
// first seen, invalidation, fork points, Bitcoin's locator, pruning, the bounded orphan pool.
#include <catch2/catch.hpp>

#include "pow_pos/block_tree.h"
#include "pow_pos/orphan_pool.h"
#include "pow_test_util.h"

using namespace pow_test;
using namespace synod::pow_pos;

namespace {

using BlockPtr = std::shared_ptr<const Block>;

BlockPtr root_block() {
  auto block = std::make_shared<Block>();
  block->header.seal = PowSeal{};
  block->header.timestamp_ms = 100;
  return block;
}

// A child of `parent` with `target`; `salt` tells siblings apart. (The tree does not check
// work: that is the rules' job.)
BlockPtr child(const BlockPtr& parent, const Uint256& target, std::uint64_t salt = 0) {
  auto block = std::make_shared<Block>();
  block->header.height = parent->header.height + 1;
  block->header.prev_hash = parent->hash();
  block->header.timestamp_ms = parent->header.timestamp_ms + 10;
  block->header.seal = PowSeal{salt, target.to_hash()};
  return block;
}

const Uint256 kEasy = Uint256(1) << 252;  // work 15
const Uint256 kHard = Uint256(1) << 248;  // work 255

// `count` blocks on `parent`, all with `target`.
std::vector<BlockPtr> grow(BlockTree& tree, BlockPtr parent, std::size_t count,
                           const Uint256& target = kEasy, std::uint64_t salt = 0) {
  std::vector<BlockPtr> out;
  for (std::size_t i = 0; i < count; ++i) {
    parent = child(parent, target, salt);
    tree.insert(parent, Validity::kHeader);
    out.push_back(parent);
  }
  return out;
}

}  // namespace

TEST_CASE("pow tree sums work from the root", "[pow][tree]") {
  BlockTree tree(root_block(), Uint256(1000));
  auto chain = grow(tree, root_block(), 3);
  CHECK(tree.find(chain[2]->hash())->chain_work == Uint256(1000 + 3 * 15));
  CHECK(tree.best().hash == chain[2]->hash());
  CHECK(tree.size() == 4);
  CHECK(tree.root().hash == root_block()->hash());
}

TEST_CASE("pow tree prefers more work over more blocks", "[pow][tree]") {
  BlockTree tree(root_block(), Uint256());
  auto longer = grow(tree, root_block(), 5, kEasy, 1);  // 5 x 15 = 75
  CHECK(tree.best().hash == longer.back()->hash());
  auto shorter = grow(tree, root_block(), 1, kHard, 2);  // 255
  CHECK(tree.best().hash == shorter.back()->hash());
  CHECK(tree.best().height() == 1);
}

TEST_CASE("pow tree breaks ties in work by arrival order", "[pow][tree]") {
  BlockTree tree(root_block(), Uint256());
  auto first = grow(tree, root_block(), 2, kEasy, 1);
  auto second = grow(tree, root_block(), 2, kEasy, 2);
  CHECK(tree.best().hash == first.back()->hash());
  // One more block on the second branch wins.
  auto more = grow(tree, second.back(), 1);
  CHECK(tree.best().hash == more.back()->hash());
}

TEST_CASE("pow tree marks a block and its descendants invalid", "[pow][tree]") {
  BlockTree tree(root_block(), Uint256());
  auto main = grow(tree, root_block(), 2, kEasy, 1);
  auto side = grow(tree, root_block(), 3, kEasy, 2);
  REQUIRE(tree.best().hash == side.back()->hash());
  CHECK(tree.mark_invalid(side[1]->hash(), Rejection::kBadStateRoot) == 2);
  CHECK(tree.best().hash == main.back()->hash());
  CHECK(tree.find(side[1]->hash())->invalid_reason == Rejection::kBadStateRoot);
  CHECK(tree.find(side[2]->hash())->invalid_reason == Rejection::kInvalidAncestor);
  CHECK(tree.find(side[0]->hash())->validity == Validity::kHeader);
  CHECK(tree.mark_invalid(side[1]->hash(), Rejection::kBadStateRoot) == 0);  // already
}

TEST_CASE("pow tree finds fork points, ancestors and paths", "[pow][tree]") {
  BlockTree tree(root_block(), Uint256());
  auto trunk = grow(tree, root_block(), 3, kEasy, 1);
  auto left = grow(tree, trunk[1], 3, kEasy, 2);
  auto right = grow(tree, trunk[1], 1, kEasy, 3);
  CHECK(tree.fork_point(left.back()->hash(), right.back()->hash()) == trunk[1]->hash());
  CHECK(tree.fork_point(left.back()->hash(), trunk[0]->hash()) == trunk[0]->hash());
  CHECK(tree.fork_point(trunk[2]->hash(), trunk[2]->hash()) == trunk[2]->hash());
  CHECK_FALSE(tree.fork_point(left.back()->hash(), crypto::Hash256{}).has_value());
  CHECK(tree.ancestor(left.back()->hash(), 1)->hash == trunk[0]->hash());
  CHECK(tree.ancestor(left.back()->hash(), 9) == nullptr);
  auto path = tree.path(trunk[1]->hash(), left.back()->hash());
  REQUIRE(path.size() == 3);
  CHECK(path[0]->hash == left[0]->hash());
  CHECK(path[2]->hash == left[2]->hash());
  CHECK(tree.path(right[0]->hash(), left.back()->hash()).empty());  // not an ancestor
  CHECK(tree.leaves().size() == 3);
}

TEST_CASE("pow tree chain points run newest first and stop at the root", "[pow][tree]") {
  BlockTree tree(root_block(), Uint256());
  auto chain = grow(tree, root_block(), 4);
  auto points = tree.chain_points(chain[3]->hash(), 3);
  REQUIRE(points.size() == 3);
  CHECK(points[0].height == 4);
  CHECK(points[2].height == 2);
  CHECK(points[0].target == kEasy);
  CHECK(points[0].timestamp_ms == 140);
  CHECK(tree.chain_points(chain[3]->hash(), 10).size() == 5);  // root included
}

TEST_CASE("pow tree locator: ten one by one, then doubling steps, then block 0", "[pow][tree]") {
  const BlockPtr root = root_block();
  BlockTree tree(root, Uint256());
  auto chain = grow(tree, root, 30);
  const crypto::Hash256 genesis_hash = root->hash();
  auto heights = [&](const std::vector<crypto::Hash256>& locator) {
    std::vector<std::uint64_t> out;
    for (const auto& hash : locator)
      out.push_back(tree.find(hash) ? tree.find(hash)->height() : 999);
    return out;
  };
  // Bitcoin's CChain::GetLocator on a 30-block chain.
  CHECK(heights(tree.locator(chain.back()->hash(), genesis_hash)) ==
        std::vector<std::uint64_t>{30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 17, 13, 5, 0});
  CHECK(heights(tree.locator(chain[2]->hash(), genesis_hash)) ==
        std::vector<std::uint64_t>{3, 2, 1, 0});
  CHECK(tree.locator(root->hash(), genesis_hash) == std::vector<crypto::Hash256>{genesis_hash});
  // After pruning below 15, heights under the root are skipped straight to block 0.
  tree.prune(chain[14]->hash());
  std::vector<crypto::Hash256> pruned = tree.locator(chain.back()->hash(), genesis_hash);
  CHECK(pruned.back() == genesis_hash);
  pruned.pop_back();
  CHECK(heights(pruned) ==
        std::vector<std::uint64_t>{30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 17});
}

TEST_CASE("pow tree prune keeps only the new root's descendants", "[pow][tree]") {
  BlockTree tree(root_block(), Uint256());
  auto trunk = grow(tree, root_block(), 6, kEasy, 1);
  auto old_fork = grow(tree, trunk[0], 4, kEasy, 2);  // forks below the new root
  auto new_fork = grow(tree, trunk[3], 1, kEasy, 3);  // forks above it
  CHECK(tree.prune(trunk[2]->hash()) == 3 + 4);       // root, trunk 0..1, old fork
  CHECK(tree.root().hash == trunk[2]->hash());
  CHECK(tree.size() == 4 + 1);
  CHECK_FALSE(tree.contains(old_fork[3]->hash()));
  CHECK(tree.contains(new_fork[0]->hash()));
  CHECK(tree.best().hash == trunk[5]->hash());
  CHECK(tree.find(trunk[5]->hash())->chain_work == Uint256(6 * 15));  // work is kept
}

TEST_CASE("pow tree records execution results", "[pow][tree]") {
  BlockTree tree(root_block(), Uint256());
  auto chain = grow(tree, root_block(), 1);
  CHECK(tree.find(chain[0]->hash())->validity == Validity::kHeader);
  StateDiff diff;
  diff.changes.push_back({Address{}, std::nullopt, Account{5, 0, 0}});
  tree.set_valid(chain[0]->hash(), diff, {crypto::Hash256{}});
  const TreeEntry* entry = tree.find(chain[0]->hash());
  CHECK(entry->validity == Validity::kValid);
  CHECK(entry->diff == diff);
  CHECK(entry->tx_hashes.size() == 1);
  CHECK(std::string(to_string(Validity::kHeader)) == "headers-only");
}

// ---- orphan pool -----------------------------------------------------------------------------

TEST_CASE("pow orphan pool hands children back when their parent arrives, oldest first",
          "[pow][orphans]") {
  OrphanPool pool(10, 10'000);
  const BlockPtr parent = child(root_block(), kEasy);
  const BlockPtr a = child(parent, kEasy, 1);
  const BlockPtr b = child(parent, kEasy, 2);
  const BlockPtr other = child(a, kEasy, 3);
  CHECK(pool.add({b, PeerIndex{1}}, 100));
  CHECK(pool.add({a, PeerIndex{2}}, 100));
  CHECK(pool.add({other, std::nullopt}, 100));
  CHECK_FALSE(pool.add({a, PeerIndex{2}}, 100));  // held already
  CHECK(pool.size() == 3);
  CHECK(pool.bytes() == 300);
  auto children = pool.take_children(parent->hash());
  REQUIRE(children.size() == 2);
  CHECK(children[0].block->hash() == b->hash());
  CHECK(children[0].from == PeerIndex{1});
  CHECK(children[1].block->hash() == a->hash());
  CHECK(pool.size() == 1);
  CHECK(pool.bytes() == 100);
  CHECK(pool.take_children(parent->hash()).empty());
  CHECK(pool.contains(other->hash()));
}

TEST_CASE("pow orphan pool is bounded by count and bytes, evicting the oldest", "[pow][orphans]") {
  OrphanPool pool(3, 1000);
  std::vector<BlockPtr> blocks;
  for (std::uint64_t i = 0; i < 5; ++i)
    blocks.push_back(child(root_block(), kEasy, 100 + i));
  std::size_t evicted = 0;
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(pool.add({blocks[i], std::nullopt}, 100, &evicted));
  CHECK(evicted == 0);
  CHECK(pool.add({blocks[3], std::nullopt}, 100, &evicted));
  CHECK(evicted == 1);
  CHECK(pool.size() == 3);
  CHECK_FALSE(pool.contains(blocks[0]->hash()));
  // A big one pushes out as many old ones as it needs.
  CHECK(pool.add({blocks[4], std::nullopt}, 850, &evicted));
  CHECK(evicted == 2);
  CHECK(pool.size() == 2);
  CHECK(pool.bytes() == 950);
  CHECK(pool.contains(blocks[3]->hash()));
  // One that could never fit is not kept and evicts nothing.
  CHECK_FALSE(pool.add({blocks[0], std::nullopt}, 1001, &evicted));
  CHECK(pool.size() == 2);
}

TEST_CASE("pow orphan pool drops orphans that can no longer connect", "[pow][orphans]") {
  OrphanPool pool(10, 10'000);
  const BlockPtr one = child(root_block(), kEasy, 1);
  const BlockPtr two = child(one, kEasy, 2);
  const BlockPtr three = child(two, kEasy, 3);
  CHECK(pool.add({one, std::nullopt}, 10));
  CHECK(pool.add({three, std::nullopt}, 10));
  CHECK(pool.drop_at_or_below(2) == 1);
  CHECK(pool.size() == 1);
  CHECK(pool.contains(three->hash()));
}
