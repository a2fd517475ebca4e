#include "tests/sim/pow_store.h"

#include <algorithm>
#include <cassert>

namespace synod::sim {

PowStore::PowStore(const chain::Genesis& genesis) : state_(chain::State::from_genesis(genesis)) {
  chain::Block block0 = chain::make_genesis_block(genesis);
  const crypto::Hash256 hash = block0.hash();
  blocks_.emplace(hash, Stored{std::move(block0), chain::StateDiff{}});
  best_.push_back(hash);
}

const chain::Block& PowStore::at(std::uint64_t height) const {
  return blocks_.at(best_.at(height)).block;
}

const chain::Block* PowStore::find(const crypto::Hash256& hash) const {
  auto it = blocks_.find(hash);
  return it == blocks_.end() ? nullptr : &it->second.block;
}

bool PowStore::on_best_chain(const crypto::Hash256& hash) const {
  const chain::Block* block = find(hash);
  return block != nullptr && block->header.height < best_.size() &&
         best_[block->header.height] == hash;
}

Status PowStore::check_append(const chain::AppendBlockAction& action, const crypto::Hash256& parent,
                              std::uint64_t parent_height) const {
  const chain::BlockHeader& header = action.block.header;
  const std::string what = "block at height " + std::to_string(header.height);
  if (header.height != parent_height + 1)
    return make_error(what + " does not follow height " + std::to_string(parent_height));
  if (header.prev_hash != parent)
    return make_error(what + " does not extend the block below it");
  // The engine hands over the hashes it computed while checking the block; drivers index
  // by them, so they must be the transactions' own.
  bool match = action.tx_hashes.size() == action.block.transactions.size();
  for (std::size_t i = 0; match && i < action.tx_hashes.size(); ++i)
    match = action.tx_hashes[i] == action.block.transactions[i].hash();
  if (!match)
    return make_error(what + " carries transaction hashes that are not its transactions'");
  return Status::success();
}

void PowStore::apply(chain::AppendBlockAction action, StoreChange& change) {
  const crypto::Hash256 hash = action.block.hash();
  AppliedBlock applied{action.block, action.diff, state_};
  state_.apply(action.diff);
  Stored& stored = blocks_[hash];
  stored.block = std::move(action.block);
  stored.diff = std::move(action.diff);
  best_.push_back(hash);
  change.applied.push_back(std::move(applied));
}

Result<StoreChange> PowStore::append(chain::AppendBlockAction action) {
  if (auto status = check_append(action, best_.back(), height()); !status)
    return status.error();
  StoreChange change;
  change.fork_height = height();
  apply(std::move(action), change);
  return change;
}

Result<StoreChange> PowStore::reorg(chain::ReorgAction action) {
  if (action.branch.empty())
    return make_error("reorg with an empty branch");
  if (action.fork_height > height() || best_[action.fork_height] != action.fork_hash) {
    return make_error("reorg forks at height " + std::to_string(action.fork_height) +
                      " from a block that is not on the best chain");
  }
  crypto::Hash256 parent = action.fork_hash;
  std::uint64_t parent_height = action.fork_height;
  for (const auto& append : action.branch) {
    if (auto status = check_append(append, parent, parent_height); !status)
      return make_error("reorg branch: " + status.message());
    parent = append.block.hash();
    ++parent_height;
  }
  StoreChange change;
  change.fork_height = action.fork_height;
  while (height() > action.fork_height) {
    const Stored& top = blocks_.at(best_.back());
    assert(top.diff.has_value());
    state_.revert(*top.diff);
    change.undone.insert(change.undone.begin(), top.block);
    best_.pop_back();
  }
  for (auto& append : action.branch)
    apply(std::move(append), change);
  return change;
}

void PowStore::store_side(chain::Block block) {
  const crypto::Hash256 hash = block.hash();
  blocks_.try_emplace(hash, Stored{std::move(block), std::nullopt});
}

std::optional<std::uint64_t> PowStore::locate(const std::vector<crypto::Hash256>& locator) const {
  for (const auto& hash : locator) {
    if (on_best_chain(hash))
      return find(hash)->header.height;
  }
  return std::nullopt;
}

std::vector<chain::Block> PowStore::serve(
    std::uint64_t from_height, std::uint32_t max_blocks,
    const std::function<bool(const chain::Block&)>& may_serve) const {
  std::vector<chain::Block> out;
  for (std::uint64_t h = from_height; h <= height() && out.size() < max_blocks; ++h) {
    const chain::Block& block = at(h);
    if (may_serve && !may_serve(block))
      break;
    out.push_back(block);
  }
  return out;
}

Result<std::optional<chain::Block>> PowStore::block_at(std::uint64_t height) const {
  if (height >= best_.size())
    return std::optional<chain::Block>();
  return std::optional<chain::Block>(at(height));
}

Result<std::optional<chain::Block>> PowStore::block_by_hash(const crypto::Hash256& hash) const {
  const chain::Block* block = find(hash);
  return block ? std::optional<chain::Block>(*block) : std::optional<chain::Block>();
}

Result<std::optional<chain::StateDiff>> PowStore::undo_at(std::uint64_t height) const {
  if (height == 0 || height >= best_.size())
    return std::optional<chain::StateDiff>();
  return blocks_.at(best_[height]).diff;
}

Result<std::vector<chain::Block>> PowStore::side_blocks(std::uint64_t min_height) const {
  std::vector<chain::Block> out;
  for (const auto& [hash, stored] : blocks_) {
    if (stored.block.header.height >= min_height && !on_best_chain(hash))
      out.push_back(stored.block);
  }
  return out;
}

std::vector<pow_pos::ChainPoint> PowStore::points_below(std::uint64_t height,
                                                        std::size_t count) const {
  std::vector<pow_pos::ChainPoint> points;
  for (std::uint64_t h = std::min(height, this->height() + 1); h-- > 0 && points.size() < count;) {
    const chain::BlockHeader& header = at(h).header;
    pow_pos::Uint256 value;
    if (const auto* pow = std::get_if<chain::PowSeal>(&header.seal))
      value = pow_pos::Uint256::from_hash(pow->target);
    else if (const auto* pos = std::get_if<chain::PosSeal>(&header.seal))
      value = pow_pos::Uint256::from_hash(pos->difficulty);
    points.push_back({header.height, header.timestamp_ms, value});
  }
  return points;
}

Result<std::optional<Bytes>> PowStore::persisted(const std::string& key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? std::optional<Bytes>() : std::optional<Bytes>(it->second);
}

}  // namespace synod::sim
