// Building an engine core from the store: the best chain's retained blocks, their undo data,
// the side branches, and the cumulative work from the persisted anchor.
#include <algorithm>

#include "chain/codec.h"
#include "pow_pos/nakamoto_core.h"

namespace synod::pow_pos {
namespace {

constexpr std::uint32_t kDefaultFetchBatchBlocks = 64;
constexpr std::uint64_t kFetchTimeoutMs = 10'000;
constexpr std::size_t kMinOrphans = 256;
constexpr std::size_t kOrphanBytes = 32 * 1024 * 1024;

PowLimits make_limits(const chain::EngineSetup& setup, const ChainShape& shape) {
  PowLimits limits;
  limits.sync_interval_ms =
      setup.poll_interval_ms ? setup.poll_interval_ms : shape.block_interval_ms;
  limits.fetch_timeout_ms = kFetchTimeoutMs;
  limits.fetch_batch_blocks =
      setup.fetch_batch_blocks ? setup.fetch_batch_blocks : kDefaultFetchBatchBlocks;
  // Twice the reorg depth: a reorg to a shorter, heavier branch must still find the
  // ancestry its next blocks retarget on.
  limits.retained_depth = 2 * shape.max_reorg_depth + shape.history_points;
  limits.max_tree_blocks = 4 * limits.retained_depth + 1024;
  limits.max_orphans = std::max<std::size_t>(kMinOrphans, 2 * limits.fetch_batch_blocks);
  limits.max_orphan_bytes = std::max<std::size_t>(kOrphanBytes, 2 * shape.max_block_bytes);
  return limits;
}

Result<std::vector<PeerIndex>> make_peers(const chain::EngineSetup& setup,
                                          const ChainShape& shape) {
  const std::string role = shape.mode == "pow" ? "miner" : "validator";
  std::vector<PeerIndex> peers;
  const auto& validators = setup.genesis->validators;
  if (setup.participant) {
    const chain::ReplicaIndex self = *setup.participant;
    if (self >= validators.size())
      return make_error(shape.mode + ": participant index " + std::to_string(self) + " is not a " +
                        role);
    if (validators.at(self).public_key != setup.key.public_key()) {
      return make_error(shape.mode + ": this node's key is not " + role + " " +
                        std::to_string(self) + "'s key");
    }
    for (PeerIndex i = 0; i < validators.size(); ++i) {
      if (i != self)
        peers.push_back(i);
    }
    return peers;
  }
  if (setup.upstreams == 0)
    return make_error(shape.mode + ": a full node needs at least one upstream");
  for (PeerIndex i = 0; i < setup.upstreams; ++i)
    peers.push_back(i);
  return peers;
}

Result<chain::Block> stored_block(const chain::ChainReader& reader, std::uint64_t height,
                                  const std::string& mode) {
  auto block = reader.block_at(height);
  if (!block)
    return make_error(mode + ": reading block " + std::to_string(height) + ": " + block.message());
  if (!block->has_value())
    return make_error(mode + ": block " + std::to_string(height) + " of the best chain is missing");
  return std::move(**block);
}

// The persisted work anchor, if it names a block of the stored best chain.
std::optional<WorkAnchor> stored_anchor(const chain::ChainReader& reader, const ChainShape& shape) {
  const std::string& mode = shape.mode;
  auto persisted = reader.persisted(shape.anchor_key);
  if (!persisted || !persisted->has_value())
    return std::nullopt;
  auto anchor = decode_anchor(**persisted);
  if (!anchor)
    return std::nullopt;
  auto block = stored_block(reader, anchor->height, mode);
  if (!block || block->hash() != anchor->hash)
    return std::nullopt;
  return *anchor;
}

// The sum of the work of the best chain's blocks in (from, to].
Result<Uint256> work_between(const chain::ChainReader& reader, std::uint64_t from, std::uint64_t to,
                             const std::string& mode) {
  Uint256 work;
  for (std::uint64_t h = from + 1; h <= to; ++h) {
    auto block = stored_block(reader, h, mode);
    if (!block)
      return block.error();
    work = work.add_saturating(seal_work(block->header));
  }
  return work;
}

// The cumulative work of the best chain's block at `height`: counted from the persisted
// anchor (forwards or backwards) when it is on the best chain, else from block 0.
Result<Uint256> work_at(const chain::ChainReader& reader, std::uint64_t height,
                        const ChainShape& shape, std::optional<WorkAnchor>& anchor) {
  anchor = stored_anchor(reader, shape);
  if (anchor && anchor->height <= height) {
    auto more = work_between(reader, anchor->height, height, shape.mode);
    if (!more)
      return more.error();
    return anchor->chain_work.add_saturating(*more);
  }
  if (anchor) {
    auto above = work_between(reader, height, anchor->height, shape.mode);
    if (!above)
      return above.error();
    if (auto work = anchor->chain_work.sub_checked(*above))
      return *work;
    anchor.reset();  // inconsistent with the blocks: ignore it
  }
  return work_between(reader, 0, height, shape.mode);
}

// The best chain from its oldest retained block up to the head; undo data for the top
// max_reorg_depth blocks.
Result<BlockTree> load_best_chain(const chain::EngineSetup& setup, const ChainShape& shape,
                                  const PowLimits& limits, std::optional<WorkAnchor>& anchor) {
  const std::string& mode = shape.mode;
  const std::uint64_t head = setup.head.header.height;
  auto genesis_block =
      std::make_shared<const chain::Block>(chain::make_genesis_block(*setup.genesis));
  if (head == 0) {
    if (setup.head.hash() != genesis_block->hash())
      return make_error(mode + ": the stored block 0 is not this genesis' block 0");
    return BlockTree(genesis_block, Uint256(), shape.tie_break);
  }
  if (setup.stored == nullptr)
    return make_error(mode + ": a stored chain needs a ChainReader");
  const chain::ChainReader& reader = *setup.stored;
  const std::uint64_t low = head > limits.retained_depth ? head - limits.retained_depth : 0;
  auto root = low == 0 ? Result<chain::Block>(*genesis_block) : stored_block(reader, low, mode);
  if (!root)
    return root.error();
  auto root_work = work_at(reader, low, shape, anchor);
  if (!root_work)
    return root_work.error();
  BlockTree tree(std::make_shared<const chain::Block>(std::move(*root)), *root_work,
                 shape.tie_break);
  crypto::Hash256 previous = tree.root().hash;
  for (std::uint64_t h = low + 1; h <= head; ++h) {
    auto block = stored_block(reader, h, mode);
    if (!block)
      return block.error();
    if (block->header.prev_hash != previous || block->header.height != h)
      return make_error(mode + ": stored block " + std::to_string(h) + " does not extend block " +
                        std::to_string(h - 1));
    previous = block->hash();
    const TreeEntry& entry =
        tree.insert(std::make_shared<const chain::Block>(std::move(*block)), Validity::kValid);
    if (head - h < shape.max_reorg_depth) {
      auto undo = reader.undo_at(h);
      if (!undo || !undo->has_value())
        return make_error(mode + ": the undo data of block " + std::to_string(h) + " is missing");
      std::vector<crypto::Hash256> hashes;
      for (const auto& tx : entry.block->transactions)
        hashes.push_back(tx.hash());
      tree.set_valid(entry.hash, std::move(**undo), std::move(hashes));
    }
  }
  if (previous != setup.head.hash())
    return make_error(mode + ": the stored best chain does not end at the stored head");
  return tree;
}

// Side blocks above the reorg horizon, oldest first; each is checked again as a header
// (no clock: it was accepted before) and waits, headers-only, for its branch to win.
void load_side_blocks(NakamotoCore& impl, const chain::ChainReader& reader, std::uint64_t head) {
  const std::uint64_t depth = impl.shape.max_reorg_depth;
  auto side = reader.side_blocks(head > depth ? head - depth : 0);
  if (!side) {
    ++impl.counters.local_errors;
    return;
  }
  std::stable_sort(side->begin(), side->end(), [](const chain::Block& a, const chain::Block& b) {
    return a.header.height < b.header.height;
  });
  for (chain::Block& block : *side) {
    if (impl.tree.contains(block.hash()) || !impl.rules->check_shape(block).ok() ||
        !impl.check_context(block, std::nullopt).ok()) {
      continue;
    }
    impl.tree.insert(std::make_shared<const chain::Block>(std::move(block)), Validity::kHeader);
  }
}

}  // namespace

Bytes encode_anchor(const WorkAnchor& anchor) {
  chain::Writer out;
  out.u64(anchor.height);
  out.fixed(anchor.hash);
  out.fixed(anchor.chain_work.to_hash());
  return out.take();
}

Result<WorkAnchor> decode_anchor(ByteView bytes) {
  return chain::decode_all<WorkAnchor>(bytes, "work anchor", [](chain::Reader& in) {
    WorkAnchor anchor;
    anchor.height = in.u64();
    anchor.hash = in.fixed<crypto::Hash256>();
    anchor.chain_work = Uint256::from_hash(in.fixed<crypto::Hash256>());
    return anchor;
  });
}

Result<std::unique_ptr<NakamotoCore>> recover_core(chain::EngineSetup& setup,
                                                   std::unique_ptr<const ChainRules> rules) {
  const ChainShape& shape = rules->shape();
  if (setup.state.root() != setup.head.header.state_root)
    return make_error(shape.mode + ": the state does not match the head block's state root");
  auto peers = make_peers(setup, shape);
  if (!peers)
    return peers.error();
  const PowLimits limits = make_limits(setup, shape);
  std::optional<WorkAnchor> anchor;
  auto tree = load_best_chain(setup, shape, limits, anchor);
  if (!tree)
    return tree.error();
  const std::uint64_t head = setup.head.header.height;
  const chain::ChainReader* reader = setup.stored;
  auto impl = std::make_unique<NakamotoCore>(setup, std::move(rules), std::move(*tree), limits);
  impl->peers = std::move(*peers);
  impl->anchor = anchor;
  if (reader != nullptr)
    load_side_blocks(*impl, *reader, head);
  return impl;
}

}  // namespace synod::pow_pos
