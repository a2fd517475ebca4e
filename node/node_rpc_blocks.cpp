// The JSON-RPC methods about blocks: get_block, get_blocks (long-polled by full nodes and
// the bench) and get_chain_tips. On the event loop they only parse, look among the blocks
// still queued for the storage thread and take a snapshot; the store reads and the encoding
// run where the answer is rendered, on an RPC thread (node/block_reads.h).
#include "chain/genesis.h"
#include "chain/limits.h"
#include "node/json_view.h"
#include "node/node_impl.h"
#include "node/rpc_detail.h"

namespace synod::node {

using nlohmann::json;
using namespace rpc_detail;

namespace {

// get_blocks answers at most this many bytes of blocks (as hex), whatever was asked.
constexpr std::size_t kMaxBlocksAnswerBytes = 8u << 20;

// A get_blocks request's parameters: from a height or after a locator.
struct BlocksParams {
  std::optional<std::uint64_t> from_height;
  std::vector<crypto::Hash256> locator;
  std::uint64_t max_blocks = kMaxFetchBlocks;
  std::uint64_t wait_ms = 0;
};

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

// An optional unsigned parameter from 1 (or 0) to `max`.
Result<std::uint64_t> bounded(const json& params, const char* key, std::uint64_t min,
                              std::uint64_t max, std::uint64_t fallback) {
  if (!params.contains(key))
    return fallback;
  const json& value = params[key];
  if (!value.is_number_unsigned() || value.get<std::uint64_t>() < min ||
      value.get<std::uint64_t>() > max) {
    return make_error(std::string(key) + ": " + std::to_string(min) + " to " + std::to_string(max));
  }
  return value.get<std::uint64_t>();
}

Result<BlocksParams> parse_blocks_params(const json& params) {
  bool by_height = params.is_object() && params.contains("from_height") &&
                   params["from_height"].is_number_unsigned();
  bool by_locator = params.is_object() && params.contains("locator");
  if (by_height == by_locator) {
    return make_error(
        "expected {\"from_height\": N or \"locator\": [hex, ...] (newest first, at "
        "most " +
        std::to_string(kMaxLocatorHashes) + "), \"max_blocks\": M (1 to " +
        std::to_string(kMaxFetchBlocks) + "), \"wait_ms\": W (0 to " +
        std::to_string(BlockWaiters::kMaxWaitMs) + ")}");
  }
  BlocksParams parsed;
  if (by_height) {
    parsed.from_height = params["from_height"].get<std::uint64_t>();
  } else {
    auto locator = parse_locator(params["locator"]);
    if (!locator)
      return locator.error();
    parsed.locator = std::move(*locator);
  }
  auto max_blocks = bounded(params, "max_blocks", 1, kMaxFetchBlocks, kMaxFetchBlocks);
  if (!max_blocks)
    return max_blocks.error();
  auto wait_ms = bounded(params, "wait_ms", 0, BlockWaiters::kMaxWaitMs, 0);
  if (!wait_ms)
    return wait_ms.error();
  parsed.max_blocks = *max_blocks;
  parsed.wait_ms = *wait_ms;
  return parsed;
}

// get_blocks' answer, on an RPC thread: reads, hex and JSON, within the reply's budget.
RpcAnswer render_blocks(StoreReaders& readers, const BlocksQuery& query,
                        const RpcReply::BudgetShare& budget) {
  if (budget.left() == 0)
    return RpcFailure{kBudgetSpent,
                      "response budget spent: the other entries of this batch took "
                      "it all"};
  const chain::BlockStore* store = nullptr;
  if (reads_store(query)) {
    auto connection = readers.this_thread();
    if (!connection)
      return RpcFailure{kInternal, connection.message()};
    store = *connection;
  }
  auto cells = read_blocks(store, query, std::min(kMaxBlocksAnswerBytes, budget.left()));
  if (!cells)
    return RpcFailure{kInternal, cells.message()};
  std::size_t bytes = 0;
  json blocks = json::array();
  for (const auto& cell : *cells) {
    bytes += cell->hex_size();
    blocks.push_back(cell->hex());
  }
  budget.charge(bytes);
  return json{{"blocks", std::move(blocks)}, {"head_height", query.chain.head_height}};
}

json found_block_json(const FoundBlock& found, const std::string& finality) {
  json out = block_to_json(*found.block);
  out["in_best_chain"] = found.in_best_chain();
  out["confirmations"] = found.confirmations;
  out["finality"] = finality;
  return out;
}

}  // namespace

std::uint64_t Node::Impl::first_unstored_height() const {
  return backlog.unstored_blocks.empty() ? head_height() + 1
                                         : backlog.unstored_blocks.begin()->first;
}

ChainSnapshot Node::Impl::chain_snapshot(std::uint64_t from_height,
                                         std::uint64_t max_blocks) const {
  ChainSnapshot snapshot{head_height(), first_unstored_height(), {}};
  const auto& unstored = backlog.unstored_blocks;
  for (auto it = unstored.lower_bound(std::max(from_height, snapshot.first_unstored));
       it != unstored.end() && snapshot.unstored.size() < max_blocks; ++it) {
    snapshot.unstored.push_back(it->second.cell);
  }
  return snapshot;
}

void Node::Impl::answer_blocks(BlocksQuery query, const RpcReply& reply) const {
  // The snapshot is all the loop does; the cells are encoded once, by the first RPC thread
  // that needs them, for every answer that holds them (long polls share new blocks).
  reply.answer_from(
      [readers = store_readers, query = std::move(query), budget = reply.budget_share()] {
        return render_blocks(*readers, query, budget);
      });
}

std::optional<std::pair<std::uint64_t, crypto::Hash256>> Node::Impl::locate_recent(
    const std::vector<crypto::Hash256>& locator) const {
  for (const auto& hash : locator) {
    if (hash == head_hash())
      return std::make_pair(head_height(), hash);
    for (const auto& [height, queued] : backlog.unstored_blocks) {
      if (queued.cell->hash() == hash)
        return std::make_pair(height, hash);
    }
  }
  return std::nullopt;
}

void Node::Impl::answer_block_waiters() {
  for (auto it = block_waiters.by_arrival.begin(); it != block_waiters.by_arrival.end();) {
    BlockWaiter& waiter = it->second;
    if (waiter.from_height > head_height()) {
      ++it;
      continue;
    }
    BlocksQuery query;
    query.chain = chain_snapshot(waiter.from_height, waiter.max_blocks);
    query.from_height = waiter.from_height;
    query.max_blocks = waiter.max_blocks;
    answer_blocks(std::move(query), waiter.reply);
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
  BlockQuery query{head_height(), first_unstored_height(), std::nullopt, std::nullopt};
  if (which == nullptr || (which->is_string() && which->get<std::string>() == "latest")) {
    query.height = head_height();
  } else if (which->is_number_unsigned()) {
    query.height = which->get<std::uint64_t>();
  } else if (which->is_string()) {
    auto hash = crypto::fixed_from_hex<crypto::Hash256>(which->get<std::string>(), "hash");
    if (!hash)
      return reply.error(kInvalidParams, hash.message());
    query.hash = *hash;
  } else {
    return reply.error(kInvalidParams, "expected {\"height\": N}, {\"hash\": hex} or \"latest\"");
  }
  if (query.height && *query.height > head_height())
    return reply.error(kNotFound, "no such block");
  answer_block(query, std::move(reply));
}

std::shared_ptr<const BlockCell> Node::Impl::unstored_cell(const BlockQuery& query) const {
  const auto& unstored = backlog.unstored_blocks;
  if (query.height) {
    auto found = unstored.find(*query.height);
    return found == unstored.end() ? nullptr : found->second.cell;
  }
  for (const auto& [height, queued] : unstored) {
    if (queued.cell->hash() == *query.hash)
      return queued.cell;
  }
  return nullptr;
}

void Node::Impl::answer_block(const BlockQuery& query, RpcReply reply) const {
  std::string finality(chain::to_string(engine->finality()));
  // A block still queued for the storage thread is on the best chain, and in memory.
  if (auto cell = unstored_cell(query)) {
    FoundBlock found{cell->block(), head_height() - cell->height() + 1};
    return reply.result_from([found, finality] { return found_block_json(found, finality); });
  }
  // The JSON (every transaction, and the raw hex) is made on an RPC thread too.
  reply.answer_from([readers = store_readers, query, finality]() -> RpcAnswer {
    auto store = readers->this_thread();
    if (!store)
      return RpcFailure{kInternal, store.message()};
    auto found = read_block(**store, query);
    if (!found)
      return RpcFailure{kInternal, found.message()};
    if (!found->has_value())
      return RpcFailure{kNotFound, "no such block"};
    return found_block_json(**found, finality);
  });
}

void Node::Impl::rpc_get_blocks(const json& params, RpcReply reply) {
  auto parsed = parse_blocks_params(params);
  if (!parsed)
    return reply.error(kInvalidParams, parsed.message());
  BlocksQuery query;
  query.max_blocks = parsed->max_blocks;
  if (parsed->from_height) {
    query.from_height = *parsed->from_height;
  } else if (auto recent = locate_recent(parsed->locator)) {
    query.from_height = recent->first + 1;
    query.anchor = recent->second;
  } else {
    // Found (if at all) below the unstored blocks and the head, off the loop: not the next
    // block, so never a long poll.
    query.locator = std::move(parsed->locator);
  }
  // Only the very next block is worth waiting for; a request further ahead is answered
  // at once (empty), so nobody can park requests for heights that are far away. So is one
  // that finds no waiter slot left for its address (the client polls again).
  bool next_block = query.locator.empty() && query.from_height == head_height() + 1;
  if (parsed->wait_ms > 0 && next_block && !stopping) {
    if (AddressSlots::Token slot = block_waiters.slots.take(reply.caller())) {
      park_block_waiter(query.from_height, query.max_blocks, parsed->wait_ms, std::move(reply),
                        std::move(slot));
      return;
    }
    gauges.rpc_waiters_refused->inc();
  }
  query.chain = chain_snapshot(query.locator.empty() ? query.from_height : 0, query.max_blocks);
  answer_blocks(std::move(query), reply);
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
  // Scans the side blocks: on an RPC thread, on its own connection.
  reply.answer_from([readers = store_readers, stored = stored_height]() -> RpcAnswer {
    auto store = readers->this_thread();
    if (!store)
      return RpcFailure{kInternal, store.message()};
    auto tips = (*store)->chain_tips();
    if (!tips)
      return RpcFailure{kInternal, tips.message()};
    json list = json::array();
    for (const auto& tip : *tips) {
      list.push_back({{"height", tip.height},
                      {"hash", hex(tip.hash.view())},
                      {"branch_length", tip.branch_length},
                      {"status", tip.active ? "active" : "valid-fork"}});
    }
    return json{{"tips", list}, {"stored_height", stored}};
  });
}

}  // namespace synod::node
