// The JSON-RPC methods: status, submit_tx, get_tx, get_block, get_blocks, get_account,
// get_validators, get_genesis, dump_consensus_state; and /health, /metrics. Validators and
// full nodes serve the same methods; a full node relays submit_tx to an upstream.
#include "chain/genesis.h"
#include "chain/limits.h"
#include "crypto/hex.h"
#include "node/json_view.h"
#include "node/node_impl.h"

namespace synod::node {

using nlohmann::json;

namespace {

constexpr int kInvalidParams = -32602;
constexpr int kTransactionRefused = -32001;
constexpr int kNotFound = -32004;
constexpr int kInternal = -32603;
constexpr int kUpstreamUnavailable = -32010;
// get_blocks answers at most this many bytes of blocks (before hex), whatever was asked.
constexpr std::size_t kMaxBlocksAnswerBytes = 8u << 20;

// Named parameter `key` from an object, or the first positional one from an array.
const json* param(const json& params, const char* key) {
  if (params.is_object() && params.contains(key))
    return &params[key];
  if (params.is_array() && !params.empty())
    return &params[0];
  return nullptr;
}

std::string hex(ByteView bytes) {
  return crypto::to_hex(bytes);
}

}  // namespace

json Node::Impl::status_json() const {
  json byzantine = json::array();
  for (const auto& kind : options.byzantine)
    byzantine.push_back(kind);
  json out = {{"chain_id", genesis->chain_id},
              {"mode", chain::to_string(genesis->mode)},
              {"finality", chain::to_string(engine->finality())},
              {"role", is_full_node() ? "full_node" : "validator"},
              {"node_id", name},
              {"validator_index", is_full_node() ? json(nullptr) : json(index)},
              {"public_key", hex(key->public_key().view())},
              {"height", head_height()},
              {"stored_height", stored_height},
              {"head_hash", hex(head_hash().view())},
              {"state_root", hex(ledger().root().view())},
              {"peers_connected", peers_connected()},
              {"validators", genesis->validators.size()},
              {"mempool_size", mempool->size()},
              {"byzantine", byzantine},
              {"genesis_hash", hex(genesis->hash().view())}};
  // The mode's own fields (PBFT: view, primary, in_view_change, syncing).
  out.update(engine->status(now_ms()));
  if (engine->finality() == chain::Finality::kProbabilistic)
    out["reorgs"] = reorgs_seen;
  if (miner)
    out["hash_rate"] = hash_rate;
  if (is_full_node())
    out["upstreams"] = upstreams_json();
  return out;
}

json Node::Impl::upstreams_json() const {
  json list = json::array();
  for (std::size_t i = 0; i < upstreams.size(); ++i) {
    list.push_back(
        {{"endpoint", upstreams[i].to_string()},
         {"reachable", upstream_asked[i] ? json(bool(upstream_reachable[i])) : json(nullptr)}});
  }
  return list;
}

Result<json> Node::Impl::blocks_answer(std::uint64_t from_height, std::uint64_t max_blocks) const {
  json blocks = json::array();
  std::size_t bytes = 0;
  std::uint64_t head = head_height();
  for (std::uint64_t height = from_height;
       height <= head && blocks.size() < max_blocks && bytes < kMaxBlocksAnswerBytes; ++height) {
    Bytes encoded;
    if (auto queued = unstored_blocks.find(height); queued != unstored_blocks.end()) {
      encoded = queued->second.block.encode();
    } else {
      auto block = reader->block_at(height);
      if (!block)
        return block.error();
      if (!block->has_value())
        break;
      encoded = (*block)->encode();
    }
    bytes += encoded.size();
    blocks.push_back(hex(encoded));
  }
  return json{{"blocks", std::move(blocks)}, {"head_height", head}};
}

Result<std::optional<chain::Block>> Node::Impl::best_block_at(std::uint64_t height) const {
  if (height > head_height())
    return std::optional<chain::Block>{};
  // Blocks still queued for the storage thread are served from memory.
  if (auto queued = unstored_blocks.find(height); queued != unstored_blocks.end())
    return std::optional<chain::Block>(queued->second.block);
  return reader->block_at(height);
}

Result<std::optional<chain::Block>> Node::Impl::any_block(const crypto::Hash256& hash) const {
  for (const auto& [height, queued] : unstored_blocks) {
    if (queued.block.hash() == hash)
      return std::optional<chain::Block>(queued.block);
  }
  return reader->block_by_hash(hash);
}

void Node::Impl::answer_block_waiters() {
  for (auto it = block_waiters.begin(); it != block_waiters.end();) {
    BlockWaiter& waiter = it->second;
    if (waiter.from_height > head_height()) {
      ++it;
      continue;
    }
    auto answer = blocks_answer(waiter.from_height, waiter.max_blocks);
    if (answer) {
      waiter.reply.result(std::move(*answer));
    } else {
      waiter.reply.error(kInternal, answer.message());
    }
    waiter.deadline->cancel();
    it = block_waiters.erase(it);
  }
}

json Node::Impl::consensus_json() const {
  json dump = engine->consensus_dump(now_ms());
  if (is_full_node()) {
    // The engine numbers its upstreams; the node knows where they are.
    if (dump.contains("upstream") && dump["upstream"].is_number_unsigned()) {
      auto which = dump["upstream"].get<std::size_t>();
      if (which < upstreams.size())
        dump["upstream"] = upstreams[which].to_string();
    }
    dump["upstreams"] = upstreams_json();
  }
  return dump;
}

void Node::Impl::register_rpc_methods() {
  rpc->add_method("status", [this](const json&, RpcReply reply) { reply.result(status_json()); });

  rpc->add_method("dump_consensus_state",
                  [this](const json&, RpcReply reply) { reply.result(consensus_json()); });

  rpc->add_method("submit_tx", [this](const json& params, RpcReply reply) {
    chain::Transaction tx;
    if (const json* raw = param(params, "tx"); raw && raw->is_string()) {
      auto bytes = crypto::from_hex(raw->get<std::string>());
      if (!bytes)
        return reply.error(kInvalidParams, "tx: " + bytes.message());
      auto decoded = chain::decode_transaction(*bytes);
      if (!decoded)
        return reply.error(kInvalidParams, decoded.message());
      tx = std::move(*decoded);
    } else if (const json* form = param(params, "transaction"); form && form->is_object()) {
      auto parsed = transaction_from_json(*form);
      if (!parsed)
        return reply.error(kInvalidParams, parsed.message());
      tx = std::move(*parsed);
    } else {
      return reply.error(
          kInvalidParams,
          "expected {\"tx\": hex of the signed transaction} or {\"transaction\": {...}}");
    }
    const crypto::Hash256 tx_hash = tx.hash();
    std::string hash = hex(tx_hash.view());
    if (is_full_node()) {
      relay(std::move(tx), [reply](client::RpcOutcome outcome) mutable {
        if (outcome.ok())
          return reply.result(outcome.result());
        const auto& error = outcome.error();
        if (error.kind == client::RpcError::Kind::kRpc)
          return reply.error(error.code, error.message, error.data);
        reply.error(kUpstreamUnavailable,
                    "no upstream could take the transaction: " + client::describe(error));
      });
      return;
    }
    submit(std::move(tx), tx_hash, [reply, hash](std::optional<std::string> refusal) mutable {
      if (refusal) {
        reply.error(kTransactionRefused, "transaction refused: " + *refusal,
                    json{{"reason", *refusal}, {"hash", hash}});
      } else {
        reply.result({{"hash", hash}, {"status", "pending"}});
      }
    });
  });

  rpc->add_method("get_tx", [this](const json& params, RpcReply reply) {
    const json* value = param(params, "hash");
    if (!value || !value->is_string())
      return reply.error(kInvalidParams, "expected {\"hash\": hex}");
    auto hash = crypto::fixed_from_hex<crypto::Hash256>(value->get<std::string>(), "hash");
    if (!hash)
      return reply.error(kInvalidParams, hash.message());
    std::optional<chain::TxLocation> location;
    if (auto it = unindexed_transactions.find(*hash); it != unindexed_transactions.end()) {
      location = it->second;
    } else {
      auto found = reader->find_transaction(*hash);
      if (!found)
        return reply.error(kInternal, found.message());
      location = *found;
    }
    json out = {{"hash", value->get<std::string>()}};
    if (location) {
      out["status"] = "committed";
      out["height"] = location->height;
      out["index"] = location->index;
      out["block_hash"] = hex(location->block_hash.view());
      out["confirmations"] = head_height() - location->height + 1;
      out["in_best_chain"] = true;
    } else if (mempool->contains(*hash) || relayed_recently(*hash)) {
      out["status"] = "pending";
    } else {
      out["status"] = "unknown";
    }
    reply.result(out);
  });

  rpc->add_method("get_block", [this](const json& params, RpcReply reply) {
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
    json out = block_to_json(**block);
    out["in_best_chain"] = in_best_chain;
    out["confirmations"] = in_best_chain ? head_height() - (*block)->header.height + 1 : 0;
    out["finality"] = chain::to_string(engine->finality());
    reply.result(out);
  });

  rpc->add_method("get_chain_tips", [this](const json&, RpcReply reply) {
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
  });

  // Committed blocks with their certificates, as canonical hex, for full nodes following
  // this one: {"from_height": N, "max_blocks": M (at most kMaxFetchBlocks), "wait_ms": W}.
  // With wait_ms, a request for blocks not committed yet waits up to W ms for the next one.
  rpc->add_method("get_blocks", [this](const json& params, RpcReply reply) {
    if (!params.is_object() || !params.contains("from_height") ||
        !params["from_height"].is_number_unsigned()) {
      return reply.error(kInvalidParams, "expected {\"from_height\": N, \"max_blocks\": M (1 to " +
                                             std::to_string(kMaxFetchBlocks) +
                                             "), \"wait_ms\": W (0 to " +
                                             std::to_string(kMaxBlockWaitMs) + ")}");
    }
    std::uint64_t from_height = params["from_height"].get<std::uint64_t>();
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
      if (!value.is_number_unsigned() || value.get<std::uint64_t>() > kMaxBlockWaitMs)
        return reply.error(kInvalidParams, "wait_ms: 0 to " + std::to_string(kMaxBlockWaitMs));
      wait_ms = value.get<std::uint64_t>();
    }
    // Only the very next block is worth waiting for; a request further ahead is answered
    // at once (empty), so nobody can park requests for heights that are far away.
    bool next_block = from_height == head_height() + 1;
    if (wait_ms > 0 && next_block && block_waiters.size() < kMaxBlockWaiters && !stopping) {
      std::uint64_t waiter_key = block_waiters_added++;
      BlockWaiter& waiter =
          block_waiters
              .emplace(waiter_key, BlockWaiter{from_height, max_blocks, reply,
                                               std::make_unique<boost::asio::steady_timer>(io)})
              .first->second;
      waiter.deadline->expires_after(std::chrono::milliseconds(wait_ms));
      waiter.deadline->async_wait([this, waiter_key](const boost::system::error_code& error) {
        if (error)
          return;  // answered already (the waiter is gone) or stopping
        auto expired = block_waiters.find(waiter_key);
        if (expired == block_waiters.end())
          return;  // a block answered it after the deadline, before this ran
        expired->second.reply.result({{"blocks", json::array()}, {"head_height", head_height()}});
        block_waiters.erase(expired);
      });
      return;
    }
    auto answer = blocks_answer(from_height, max_blocks);
    if (!answer)
      return reply.error(kInternal, answer.message());
    reply.result(std::move(*answer));
  });

  rpc->add_method("get_account", [this](const json& params, RpcReply reply) {
    const json* value = param(params, "address");
    if (!value || !value->is_string()) {
      return reply.error(kInvalidParams, "expected {\"address\": \"syn...\"}");
    }
    auto address = chain::parse_address(value->get<std::string>());
    if (!address)
      return reply.error(kInvalidParams, address.message());
    json out = account_to_json(*address, ledger().account(*address));
    out["height"] = head_height();
    reply.result(out);
  });

  rpc->add_method("get_genesis", [this](const json&, RpcReply reply) {
    reply.result({{"genesis", json::parse(chain::genesis_to_json(*genesis))},
                  {"hash", hex(genesis->hash().view())}});
  });

  rpc->add_method("get_validators", [this](const json&, RpcReply reply) {
    json facts = engine->validator_facts();
    std::optional<std::size_t> current_primary;
    if (facts.contains("primary") && facts["primary"].is_number_unsigned())
      current_primary = facts["primary"].get<std::size_t>();
    json list = json::array();
    const auto& validators = genesis->validators;
    for (std::size_t i = 0; i < validators.size(); ++i) {
      const auto& validator = validators.at(i);
      json entry = {{"index", i},
                    {"name", validator.name},
                    {"public_key", hex(validator.public_key.view())},
                    {"address", chain::to_string(chain::address_of(validator.public_key))},
                    {"peer_address", validator.peer_address},
                    {"power", validator.power},
                    {"primary", current_primary == i}};
      // A full node has no links to validators, so it says nothing about them.
      if (peers) {
        entry["connected"] = i == index || peers->is_connected(static_cast<chain::ReplicaIndex>(i));
      }
      list.push_back(std::move(entry));
    }
    json out = {{"validators", list}, {"count", validators.size()}};
    out.update(facts);
    reply.result(out);
  });

  rpc->set_health([this] {
    return json{{"status", stopping ? "stopping" : "ok"},
                {"role", is_full_node() ? "full_node" : "validator"},
                {"height", head_height()},
                {"peers_connected", peers_connected()}};
  });
  // The engine's own series are gathered at scrape time, not after every action.
  rpc->set_metrics([this] {
    engine_metrics->publish(engine->metrics());
    return metrics.render();
  });
}

}  // namespace synod::node
