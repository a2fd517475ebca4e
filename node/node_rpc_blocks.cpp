// The JSON-RPC methods about blocks: get_block, get_blocks (long-polled by full nodes and
// the bench) and get_chain_tips; blocks still queued for the storage thread are served
// from memory.
#include "chain/genesis.h"
#include "chain/limits.h"
#include "node/json_view.h"
#include "node/node_impl.h"
#include "node/rpc_detail.h"

namespace synod::node {

using nlohmann::json;
using namespace rpc_detail;

namespace {

// get_blocks answers at most this many bytes of blocks (before hex), whatever was asked.
constexpr std::size_t kMaxBlocksAnswerBytes = 8u << 20;

Result<std::vector<crypto::Hash256>> parse_locator(const json& locator) {
  if (!locator.is_array() || locator.size() > kMaxLocatorHashes) {
    return make_error("locator: expected an array of at most " + std::to_string(kMaxLocatorHashes) +
                      " block hashes, newest first");
  }
  std::vector<crypto::Hash256> hashes;
  for (const auto& item : locator) {
    if (!item.is_string())
      return make_error("locator: expected hex block hashes");
    auto hash = crypto::fixed_from_hex<crypto::Hash256>(item.get<std::string>(), "hash");
    if (!hash)
      return make_error("locator: " + hash.message());
    hashes.push_back(*hash);
  }
  return hashes;
}

}  // namespace

Result<Node::Impl::BlocksSnapshot> Node::Impl::blocks_answer(std::uint64_t from_height,
                                                             std::uint64_t max_blocks,
                                                             const RpcReply& reply,
                                                             EncodedBlocks* encoded) const {
  BlocksSnapshot snapshot;
  snapshot.head_height = head_height();
  const std::size_t allowance = std::min(kMaxBlocksAnswerBytes, reply.budget());
  std::size_t bytes = 0;
  for (std::uint64_t height = from_height;
       height <= snapshot.head_height && snapshot.blocks.size() < max_blocks && bytes < allowance;
       ++height) {
    std::shared_ptr<const SharedBlockHex> taken;
    if (encoded != nullptr) {
      if (auto cached = encoded->find(height); cached != encoded->end())
        taken = cached->second;
    }
    if (!taken) {
      auto block = best_block_at(height);
      if (!block)
        return block.error();
      if (!block->has_value())
        break;
      taken = std::make_shared<const SharedBlockHex>((*block)->encode());
      if (encoded != nullptr)
        encoded->emplace(height, taken);
    }
    bytes += taken->hex_size();
    snapshot.blocks.push_back(std::move(taken));
  }
  reply.charge(bytes);
  return snapshot;
}

void Node::Impl::answer_blocks(std::uint64_t from_height, std::uint64_t max_blocks,
                               const RpcReply& reply, EncodedBlocks* encoded) const {
  if (reply.budget() == 0) {
    return reply.error(kBudgetSpent,
                       "response budget spent: the other entries of this batch took it all");
  }
  auto answer = blocks_answer(from_height, max_blocks, reply, encoded);
  if (!answer)
    return reply.error(kInternal, answer.message());
  // The hex (twice the bytes) and the JSON are made on an RPC thread, from the snapshot.
  reply.result_from([snapshot = std::move(*answer)] {
    json blocks = json::array();
    for (const auto& block : snapshot.blocks)
      blocks.push_back(block->text());
    return json{{"blocks", std::move(blocks)}, {"head_height", snapshot.head_height}};
  });
}

Result<std::optional<chain::Block>> Node::Impl::best_block_at(std::uint64_t height) const {
  if (height > head_height())
    return std::optional<chain::Block>{};
  // Blocks still queued for the storage thread are served from memory.
  if (auto queued = backlog.unstored_blocks.find(height); queued != backlog.unstored_blocks.end())
    return std::optional<chain::Block>(queued->second.block);
  return reader->block_at(height);
}

Result<std::optional<chain::Block>> Node::Impl::any_block(const crypto::Hash256& hash) const {
  for (const auto& [height, queued] : backlog.unstored_blocks) {
    if (queued.block.hash() == hash)
      return std::optional<chain::Block>(queued.block);
  }
  return reader->block_by_hash(hash);
}

Result<std::uint64_t> Node::Impl::locate_best(const std::vector<crypto::Hash256>& hashes) const {
  // The newest blocks may still wait for the storage thread.
  for (const auto& hash : hashes) {
    for (const auto& [height, queued] : backlog.unstored_blocks) {
      if (queued.block.hash() == hash)
        return height;
    }
  }
  auto found = reader->locate(hashes);
  if (!found)
    return found.error();
  return found->value_or(0);  // nothing in common: every chain shares block 0
}

void Node::Impl::answer_block_waiters() {
  // Every waiter asks for the same new block or two: each is hex-encoded once.
  EncodedBlocks encoded;
  for (auto it = block_waiters.by_arrival.begin(); it != block_waiters.by_arrival.end();) {
    BlockWaiter& waiter = it->second;
    if (waiter.from_height > head_height()) {
      ++it;
      continue;
    }
    answer_blocks(waiter.from_height, waiter.max_blocks, waiter.reply, &encoded);
    waiter.deadline->cancel();
    it = block_waiters.by_arrival.erase(it);
  }
}

void Node::Impl::rpc_get_block(const json& params, RpcReply reply) {
  const json* which = nullptr;
  if (params.is_object()) {
    if (params.contains("height"))
      which = &params["height"];
    if (params.contains("hash"))
      which = &params["hash"];
  } else if (params.is_array() && !params.empty()) {
    which = &params[0];
  }
  Result<std::optional<chain::Block>> block = std::optional<chain::Block>{};
  if (which == nullptr || (which->is_string() && which->get<std::string>() == "latest")) {
    block = best_block_at(head_height());
  } else if (which->is_number_unsigned()) {
    block = best_block_at(which->get<std::uint64_t>());
  } else if (which->is_string()) {
    auto hash = crypto::fixed_from_hex<crypto::Hash256>(which->get<std::string>(), "hash");
    if (!hash)
      return reply.error(kInvalidParams, hash.message());
    block = any_block(*hash);
  } else {
    return reply.error(kInvalidParams, "expected {\"height\": N}, {\"hash\": hex} or \"latest\"");
  }
  if (!block)
    return reply.error(kInternal, block.message());
  if (!block->has_value())
    return reply.error(kNotFound, "no such block");
  auto best = best_block_at((*block)->header.height);
  if (!best)
    return reply.error(kInternal, best.message());
  bool in_best_chain = best->has_value() && (*best)->hash() == (*block)->hash();
  std::uint64_t confirmations = in_best_chain ? head_height() - (*block)->header.height + 1 : 0;
  // A block's JSON (every transaction, and the raw hex) is made on an RPC thread, from a copy.
  reply.result_from([block = std::move(**block), in_best_chain, confirmations,
                     finality = std::string(chain::to_string(engine->finality()))] {
    json out = block_to_json(block);
    out["in_best_chain"] = in_best_chain;
    out["confirmations"] = confirmations;
    out["finality"] = finality;
    return out;
  });
}

void Node::Impl::rpc_get_blocks(const json& params, RpcReply reply) {
  bool by_height = params.is_object() && params.contains("from_height") &&
                   params["from_height"].is_number_unsigned();
  bool by_locator = params.is_object() && params.contains("locator");
  if (by_height == by_locator) {
    return reply.error(kInvalidParams,
                       "expected {\"from_height\": N or \"locator\": [hex, ...] (newest first, at "
                       "most " +
                           std::to_string(kMaxLocatorHashes) + "), \"max_blocks\": M (1 to " +
                           std::to_string(kMaxFetchBlocks) + "), \"wait_ms\": W (0 to " +
                           std::to_string(BlockWaiters::kMaxWaitMs) + ")}");
  }
  std::uint64_t from_height = 0;
  if (by_height) {
    from_height = params["from_height"].get<std::uint64_t>();
  } else {
    auto locator = parse_locator(params["locator"]);
    if (!locator)
      return reply.error(kInvalidParams, locator.message());
    auto located = locate_best(*locator);
    if (!located)
      return reply.error(kInternal, located.message());
    from_height = *located + 1;
  }
  std::uint64_t max_blocks = kMaxFetchBlocks;
  if (params.contains("max_blocks")) {
    const json& value = params["max_blocks"];
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() == 0 ||
        value.get<std::uint64_t>() > kMaxFetchBlocks) {
      return reply.error(kInvalidParams, "max_blocks: 1 to " + std::to_string(kMaxFetchBlocks));
    }
    max_blocks = value.get<std::uint64_t>();
  }
  std::uint64_t wait_ms = 0;
  if (params.contains("wait_ms")) {
    const json& value = params["wait_ms"];
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() > BlockWaiters::kMaxWaitMs)
      return reply.error(kInvalidParams,
                         "wait_ms: 0 to " + std::to_string(BlockWaiters::kMaxWaitMs));
    wait_ms = value.get<std::uint64_t>();
  }
  // Only the very next block is worth waiting for; a request further ahead is answered
  // at once (empty), so nobody can park requests for heights that are far away. So is one
  // that finds no waiter slot left for its address (the client polls again).
  bool next_block = from_height == head_height() + 1;
  if (wait_ms > 0 && next_block && !stopping) {
    if (AddressSlots::Token slot = block_waiters.slots.take(reply.caller())) {
      park_block_waiter(from_height, max_blocks, wait_ms, std::move(reply), std::move(slot));
      return;
    }
    gauges.rpc_waiters_refused->inc();
  }
  answer_blocks(from_height, max_blocks, reply);
}

void Node::Impl::park_block_waiter(std::uint64_t from_height, std::uint64_t max_blocks,
                                   std::uint64_t wait_ms, RpcReply reply,
                                   AddressSlots::Token slot) {
  std::uint64_t waiter_key = block_waiters.added++;
  BlockWaiter& waiter =
      block_waiters.by_arrival
          .emplace(waiter_key,
                   BlockWaiter{from_height, max_blocks, std::move(reply),
                               std::make_unique<boost::asio::steady_timer>(io), std::move(slot)})
          .first->second;
  waiter.deadline->expires_after(std::chrono::milliseconds(wait_ms));
  waiter.deadline->async_wait([this, waiter_key](const boost::system::error_code& error) {
    if (error)
      return;  // answered already (the waiter is gone) or stopping
    auto expired = block_waiters.by_arrival.find(waiter_key);
    if (expired == block_waiters.by_arrival.end())
      return;  // a block answered it after the deadline, before this ran
    expired->second.reply.result({{"blocks", json::array()}, {"head_height", head_height()}});
    block_waiters.by_arrival.erase(expired);
  });
}

void Node::Impl::rpc_get_chain_tips(const json&, RpcReply reply) {
  auto tips = reader->chain_tips();
  if (!tips)
    return reply.error(kInternal, tips.message());
  json list = json::array();
  for (const auto& tip : *tips) {
    list.push_back({{"height", tip.height},
                    {"hash", hex(tip.hash.view())},
                    {"branch_length", tip.branch_length},
                    {"status", tip.active ? "active" : "valid-fork"}});
  }
  reply.result({{"tips", list}, {"stored_height", stored_height}});
}

}  // namespace synod::node
