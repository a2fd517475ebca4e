// The tree of known blocks of a proof-of-work chain: every retained block by hash with its
// height, cumulative work, parent, children, arrival order and validity.
//
// Fork choice (Bitcoin's): the best block is the one with the most cumulative work among
// blocks not known to be invalid; between equal work, the one that arrived first
// (TieBreak::kFirstSeen), or, for proof-of-stake, the lowest block hash
// (TieBreak::kLowestHash), which every node computes alike. A block's work is its seal's
// (seal_work: a PoW target's expected hashes, 1 for a PoS block, so the most work is the
// longest chain). A child always has more work than its parent, so the best block is a tip.
//
// The tree has one root: the oldest block kept (block 0 on a young chain). Its cumulative
// work is given when the tree is built; everything else descends from it. prune() moves
// the root up the best chain and drops everything not descending from the new root, which
// bounds the tree to a window below the best tip.
//
// Entries hold the blocks (shared, immutable) and, once a block's transactions have been
// executed, its state diff (which is also its undo data). Not thread-safe; entry
// references stay valid until the entry is pruned.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "chain/block.h"
#include "chain/state.h"
#include "pow_pos/pow_rules.h"
#include "pow_pos/uint256.h"

namespace synod::pow_pos {

enum class Validity : std::uint8_t {
  kHeader,   // header checks passed; transactions not executed yet
  kValid,    // executed on its parent's state: valid
  kInvalid,  // invalid itself, descends from an invalid block, or refused (too deep a reorg)
};
const char* to_string(Validity validity);

struct TreeEntry {
  crypto::Hash256 hash;
  std::shared_ptr<const chain::Block> block;
  Uint256 chain_work;         // cumulative, from block 0
  std::uint64_t arrival = 0;  // unique, increasing in insertion order
  Validity validity = Validity::kHeader;
  std::optional<Rejection> invalid_reason;
  std::optional<chain::StateDiff> diff;    // set by set_valid (absent for old recovered blocks)
  std::vector<crypto::Hash256> tx_hashes;  // set with diff
  std::vector<crypto::Hash256> children;

  const chain::BlockHeader& header() const { return block->header; }
  std::uint64_t height() const { return block->header.height; }
  const crypto::Hash256& parent() const { return block->header.prev_hash; }
  // The number retargeting averages: a PoW seal's target, a PoS seal's difficulty (zero
  // for block 0).
  Uint256 target() const;
};

enum class TieBreak : std::uint8_t { kFirstSeen, kLowestHash };

class BlockTree {
 public:
  // `root` is kValid, with cumulative work `root_work`.
  BlockTree(std::shared_ptr<const chain::Block> root, const Uint256& root_work,
            TieBreak tie_break = TieBreak::kFirstSeen);

  std::size_t size() const { return entries_.size(); }
  const TreeEntry& root() const { return at(root_hash_); }
  const TreeEntry* find(const crypto::Hash256& hash) const;
  bool contains(const crypto::Hash256& hash) const { return entries_.count(hash) != 0; }

  // Adds a block whose parent is in the tree and not invalid, with cumulative work
  // parent + seal_work(header) (saturating). The block must not be in the tree yet.
  const TreeEntry& insert(std::shared_ptr<const chain::Block> block, Validity validity);
  // Records the result of executing a kHeader (or kValid, re-executed) block.
  void set_valid(const crypto::Hash256& hash, chain::StateDiff diff,
                 std::vector<crypto::Hash256> tx_hashes);
  // Marks `hash` invalid for `reason` and every descendant kInvalidAncestor; returns how
  // many entries changed. The root can never be marked.
  std::size_t mark_invalid(const crypto::Hash256& hash, Rejection reason);

  // The most-work entry not invalid, ties broken by the tree's TieBreak (never empty: the
  // root is valid).
  const TreeEntry& best() const;
  // Whether fork choice puts `a` strictly before `b`: more work, or (kLowestHash) equal work
  // and a lower hash. Under kFirstSeen equal work never wins: the chain we have came first.
  bool better(const TreeEntry& a, const TreeEntry& b) const;
  // The highest common ancestor of two entries; nullopt if either is unknown.
  std::optional<crypto::Hash256> fork_point(const crypto::Hash256& a,
                                            const crypto::Hash256& b) const;
  // The ancestor-or-self of `hash` at `height`; null when unknown, above it or pruned.
  const TreeEntry* ancestor(const crypto::Hash256& hash, std::uint64_t height) const;
  // The entries after `ancestor` up to and including `descendant`, oldest first; empty when
  // `ancestor` is not an ancestor of `descendant`.
  std::vector<const TreeEntry*> path(const crypto::Hash256& ancestor,
                                     const crypto::Hash256& descendant) const;
  // `hash` and up to count - 1 of its ancestors, newest first, as retargeting sees them.
  std::vector<ChainPoint> chain_points(const crypto::Hash256& hash, std::size_t count) const;
  // Bitcoin's block locator for the chain ending at `tip`: the tip and its 10 parents one by
  // one, then steps doubling from 2, then block 0 (`genesis_hash`). Heights below the root
  // are skipped (block 0 excepted): a peer's best chain that forked from ours below the
  // root is one we could not switch to anyway.
  std::vector<crypto::Hash256> locator(const crypto::Hash256& tip,
                                       const crypto::Hash256& genesis_hash) const;
  // Entries without children, in arrival order.
  std::vector<const TreeEntry*> leaves() const;

  // Makes `new_root` (which must be in the tree and not invalid) the root and drops every
  // entry not descending from it. Returns how many were dropped.
  std::size_t prune(const crypto::Hash256& new_root);

 private:
  // Orders candidates best first: more work, then the lower tie hash (the block hash under
  // kLowestHash, zero otherwise), then earlier arrival.
  struct CandidateKey {
    Uint256 work;
    crypto::Hash256 tie;
    std::uint64_t arrival = 0;
    bool operator<(const CandidateKey& other) const {
      if (work != other.work)
        return work > other.work;
      if (tie != other.tie)
        return tie < other.tie;
      return arrival < other.arrival;
    }
  };
  CandidateKey key_of(const TreeEntry& entry) const;

  const TreeEntry& at(const crypto::Hash256& hash) const;
  TreeEntry& at(const crypto::Hash256& hash);
  void erase(const crypto::Hash256& hash);

  std::map<crypto::Hash256, TreeEntry> entries_;
  std::map<CandidateKey, crypto::Hash256> candidates_;  // entries not invalid
  crypto::Hash256 root_hash_;
  std::uint64_t next_arrival_ = 0;
  TieBreak tie_break_;
};

}  // namespace synod::pow_pos
