#include "pow_pos/block_tree.h"

#include <algorithm>
#include <cassert>
#include <set>

namespace synod::pow_pos {

const char* to_string(Validity validity) {
  switch (validity) {
    case Validity::kHeader:
      return "headers-only";
    case Validity::kValid:
      return "valid";
    case Validity::kInvalid:
      return "invalid";
  }
  return "unknown";
}

Uint256 TreeEntry::target() const {
  if (const auto* seal = std::get_if<chain::PowSeal>(&block->header.seal))
    return Uint256::from_hash(seal->target);
  if (const auto* seal = std::get_if<chain::PosSeal>(&block->header.seal))
    return Uint256::from_hash(seal->difficulty);
  return Uint256();
}

BlockTree::BlockTree(std::shared_ptr<const chain::Block> root, const Uint256& root_work,
                     TieBreak tie_break)
    : tie_break_(tie_break) {
  assert(root);
  TreeEntry entry;
  entry.hash = root->hash();
  entry.block = std::move(root);
  entry.chain_work = root_work;
  entry.arrival = next_arrival_++;
  entry.validity = Validity::kValid;
  root_hash_ = entry.hash;
  candidates_.emplace(key_of(entry), entry.hash);
  entries_.emplace(entry.hash, std::move(entry));
}

BlockTree::CandidateKey BlockTree::key_of(const TreeEntry& entry) const {
  return CandidateKey{entry.chain_work,
                      tie_break_ == TieBreak::kLowestHash ? entry.hash : crypto::Hash256{},
                      entry.arrival};
}

bool BlockTree::better(const TreeEntry& a, const TreeEntry& b) const {
  if (a.chain_work != b.chain_work)
    return a.chain_work > b.chain_work;
  return tie_break_ == TieBreak::kLowestHash && a.hash < b.hash;
}

const TreeEntry* BlockTree::find(const crypto::Hash256& hash) const {
  auto it = entries_.find(hash);
  return it == entries_.end() ? nullptr : &it->second;
}

const TreeEntry& BlockTree::at(const crypto::Hash256& hash) const {
  auto it = entries_.find(hash);
  assert(it != entries_.end());
  return it->second;
}

TreeEntry& BlockTree::at(const crypto::Hash256& hash) {
  auto it = entries_.find(hash);
  assert(it != entries_.end());
  return it->second;
}

const TreeEntry& BlockTree::insert(std::shared_ptr<const chain::Block> block, Validity validity) {
  assert(block && validity != Validity::kInvalid);
  TreeEntry& parent = at(block->header.prev_hash);
  assert(parent.validity != Validity::kInvalid);
  assert(block->header.height == parent.height() + 1);
  TreeEntry entry;
  entry.hash = block->hash();
  assert(!contains(entry.hash));
  entry.block = std::move(block);
  entry.chain_work = parent.chain_work.add_saturating(seal_work(entry.header()));
  entry.arrival = next_arrival_++;
  entry.validity = validity;
  parent.children.push_back(entry.hash);
  candidates_.emplace(key_of(entry), entry.hash);
  auto [it, inserted] = entries_.emplace(entry.hash, std::move(entry));
  assert(inserted);
  return it->second;
}

void BlockTree::set_valid(const crypto::Hash256& hash, chain::StateDiff diff,
                          std::vector<crypto::Hash256> tx_hashes) {
  TreeEntry& entry = at(hash);
  assert(entry.validity != Validity::kInvalid);
  entry.validity = Validity::kValid;
  entry.diff = std::move(diff);
  entry.tx_hashes = std::move(tx_hashes);
}

std::size_t BlockTree::mark_invalid(const crypto::Hash256& hash, Rejection reason) {
  assert(hash != root_hash_);
  std::size_t changed = 0;
  std::vector<std::pair<crypto::Hash256, Rejection>> pending = {{hash, reason}};
  while (!pending.empty()) {
    auto [current, why] = pending.back();
    pending.pop_back();
    TreeEntry& entry = at(current);
    if (entry.validity != Validity::kInvalid) {
      candidates_.erase(key_of(entry));
      entry.validity = Validity::kInvalid;
      entry.invalid_reason = why;
      entry.diff.reset();
      ++changed;
    }
    for (const auto& child : entry.children)
      pending.emplace_back(child, Rejection::kInvalidAncestor);
  }
  return changed;
}

const TreeEntry& BlockTree::best() const {
  assert(!candidates_.empty());
  return at(candidates_.begin()->second);
}

std::optional<crypto::Hash256> BlockTree::fork_point(const crypto::Hash256& a,
                                                     const crypto::Hash256& b) const {
  const TreeEntry* left = find(a);
  const TreeEntry* right = find(b);
  while (left && right && left != right) {
    if (left->height() >= right->height())
      left = find(left->parent());
    else
      right = find(right->parent());
  }
  if (!left || !right)
    return std::nullopt;
  return left->hash;
}

const TreeEntry* BlockTree::ancestor(const crypto::Hash256& hash, std::uint64_t height) const {
  const TreeEntry* entry = find(hash);
  while (entry && entry->height() > height)
    entry = find(entry->parent());
  return entry && entry->height() == height ? entry : nullptr;
}

std::vector<const TreeEntry*> BlockTree::path(const crypto::Hash256& ancestor_hash,
                                              const crypto::Hash256& descendant) const {
  std::vector<const TreeEntry*> out;
  const TreeEntry* top = find(ancestor_hash);
  const TreeEntry* entry = find(descendant);
  if (!top)
    return out;
  while (entry && entry->height() > top->height()) {
    out.push_back(entry);
    entry = find(entry->parent());
  }
  if (entry != top)
    return {};
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<ChainPoint> BlockTree::chain_points(const crypto::Hash256& hash,
                                                std::size_t count) const {
  std::vector<ChainPoint> out;
  out.reserve(count);
  for (const TreeEntry* entry = find(hash); entry && out.size() < count;
       entry = find(entry->parent())) {
    out.push_back(ChainPoint{entry->height(), entry->header().timestamp_ms, entry->target()});
  }
  return out;
}

std::vector<crypto::Hash256> BlockTree::locator(const crypto::Hash256& tip,
                                                const crypto::Hash256& genesis_hash) const {
  std::vector<crypto::Hash256> out;
  const TreeEntry* entry = find(tip);
  if (!entry) {
    out.push_back(genesis_hash);
    return out;
  }
  std::uint64_t height = entry->height();
  std::uint64_t step = 1;
  const std::uint64_t root_height = root().height();
  while (true) {
    if (height == 0) {
      out.push_back(genesis_hash);
      break;
    }
    if (height < root_height) {
      height = 0;  // pruned: straight to block 0
      continue;
    }
    if (const TreeEntry* at_height = ancestor(tip, height))
      out.push_back(at_height->hash);
    height = height > step ? height - step : 0;
    if (out.size() > 10)
      step *= 2;
  }
  return out;
}

std::vector<const TreeEntry*> BlockTree::leaves() const {
  std::vector<const TreeEntry*> out;
  for (const auto& [hash, entry] : entries_) {
    if (entry.children.empty())
      out.push_back(&entry);
  }
  std::sort(out.begin(), out.end(),
            [](const TreeEntry* a, const TreeEntry* b) { return a->arrival < b->arrival; });
  return out;
}

void BlockTree::erase(const crypto::Hash256& hash) {
  auto it = entries_.find(hash);
  assert(it != entries_.end());
  candidates_.erase(key_of(it->second));
  entries_.erase(it);
}

std::size_t BlockTree::prune(const crypto::Hash256& new_root) {
  assert(at(new_root).validity != Validity::kInvalid);
  std::set<crypto::Hash256> keep;
  std::vector<crypto::Hash256> pending = {new_root};
  while (!pending.empty()) {
    crypto::Hash256 hash = pending.back();
    pending.pop_back();
    keep.insert(hash);
    for (const auto& child : at(hash).children)
      pending.push_back(child);
  }
  std::vector<crypto::Hash256> drop;
  for (const auto& [hash, entry] : entries_) {
    if (keep.count(hash) == 0)
      drop.push_back(hash);
  }
  for (const auto& hash : drop)
    erase(hash);
  root_hash_ = new_root;
  return drop.size();
}

}  // namespace synod::pow_pos
