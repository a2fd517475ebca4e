// The JSON-RPC methods: status, submit_tx, get_tx, get_block, get_account,
// get_validators, dump_consensus_state; and /health, /metrics.
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
  const auto& head_hash = replica->head_hash();
  auto primary = replica->primary();
  json byzantine = json::array();
  for (auto kind : options.byzantine)
    byzantine.push_back(pbft::to_string(kind));
  return {{"chain_id", genesis->chain_id},
          {"mode", chain::to_string(genesis->mode)},
          {"node_id", name},
          {"validator_index", index},
          {"public_key", hex(key->public_key().view())},
          {"height", replica->head_height()},
          {"stored_height", stored_height},
          {"head_hash", hex(head_hash.view())},
          {"state_root", hex(replica->state().root().view())},
          {"view", replica->view()},
          {"primary", primary},
          {"primary_name", genesis->validators.at(primary).name},
          {"in_view_change", replica->in_view_change()},
          {"peers_connected", peers->connected_count()},
          {"validators", genesis->validators.size()},
          {"mempool_size", mempool->size()},
          {"syncing", replica->snapshot(now_ms()).syncing},
          {"byzantine", byzantine},
          {"genesis_hash", hex(genesis->hash().view())}};
}

json Node::Impl::consensus_json() const {
  auto snapshot = replica->snapshot(now_ms());
  json instances = json::array();
  for (const auto& instance : snapshot.instances) {
    instances.push_back({{"sequence", instance.sequence},
                         {"view", instance.view},
                         {"digest", hex(instance.digest.view())},
                         {"transactions", instance.transactions},
                         {"prepares", instance.prepares},
                         {"commits", instance.commits},
                         {"prepared", instance.prepared}});
  }
  json votes = json::array();
  for (const auto& [target, count] : snapshot.view_change_votes) {
    votes.push_back({{"view", target}, {"replicas", count}});
  }
  json dropped = json::object();
  const auto& counters = replica->counters();
  for (int reason = 0; reason < static_cast<int>(pbft::DropReason::kCount_); ++reason) {
    dropped[pbft::to_string(static_cast<pbft::DropReason>(reason))] = counters.dropped[reason];
  }
  json deadline = nullptr;
  if (snapshot.progress_deadline_ms) {
    auto now = now_ms();
    deadline = *snapshot.progress_deadline_ms > now ? *snapshot.progress_deadline_ms - now : 0;
  }
  return {{"validator_index", snapshot.index},
          {"view", snapshot.view},
          {"primary", snapshot.primary},
          {"in_view_change", snapshot.in_view_change},
          {"view_change_target", snapshot.view_change_target},
          {"consecutive_view_changes", snapshot.consecutive_view_changes},
          {"view_change_votes", votes},
          {"head_height", snapshot.head_height},
          {"head_hash", hex(snapshot.head_hash.view())},
          {"stable_checkpoint", snapshot.stable_checkpoint},
          {"low_watermark", snapshot.low_watermark},
          {"high_watermark", snapshot.high_watermark},
          {"instances", instances},
          {"request_timer_ms_left", deadline},
          {"syncing", snapshot.syncing},
          {"messages_in", counters.messages_in},
          {"messages_out", counters.messages_out},
          {"invalid_proposals", counters.invalid_proposals},
          {"blocks_fetched", counters.blocks_fetched},
          {"dropped", dropped}};
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
    if (auto it = unstored_transactions.find(*hash); it != unstored_transactions.end()) {
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
      out["confirmations"] = replica->head_height() - location->height + 1;
    } else if (mempool->contains(*hash)) {
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
    // Blocks committed but still queued for the storage thread are served from memory.
    auto pending = [&](auto matches) -> bool {
      for (const auto& [height, queued] : unstored_blocks) {
        if (matches(height, queued)) {
          block = std::optional<chain::Block>(queued);
          return true;
        }
      }
      return false;
    };
    if (which == nullptr || (which->is_string() && which->get<std::string>() == "latest")) {
      std::uint64_t latest = replica->head_height();
      if (!pending([&](std::uint64_t height, const chain::Block&) { return height == latest; })) {
        block = reader->block_at(stored_height);
      }
    } else if (which->is_number_unsigned()) {
      std::uint64_t wanted = which->get<std::uint64_t>();
      if (!pending([&](std::uint64_t height, const chain::Block&) { return height == wanted; })) {
        block = reader->block_at(wanted);
      }
    } else if (which->is_string()) {
      auto hash = crypto::fixed_from_hex<crypto::Hash256>(which->get<std::string>(), "hash");
      if (!hash)
        return reply.error(kInvalidParams, hash.message());
      if (!pending(
              [&](std::uint64_t, const chain::Block& queued) { return queued.hash() == *hash; })) {
        block = reader->block_by_hash(*hash);
      }
    } else {
      return reply.error(kInvalidParams, "expected {\"height\": N}, {\"hash\": hex} or \"latest\"");
    }
    if (!block)
      return reply.error(kInternal, block.message());
    if (!block->has_value())
      return reply.error(kNotFound, "no such block");
    reply.result(block_to_json(**block));
  });

  rpc->add_method("get_account", [this](const json& params, RpcReply reply) {
    const json* value = param(params, "address");
    if (!value || !value->is_string()) {
      return reply.error(kInvalidParams, "expected {\"address\": \"syn...\"}");
    }
    auto address = chain::parse_address(value->get<std::string>());
    if (!address)
      return reply.error(kInvalidParams, address.message());
    json out = account_to_json(*address, replica->state().account(*address));
    out["height"] = replica->head_height();
    reply.result(out);
  });

  rpc->add_method("get_genesis", [this](const json&, RpcReply reply) {
    reply.result({{"genesis", json::parse(chain::genesis_to_json(*genesis))},
                  {"hash", hex(genesis->hash().view())}});
  });

  rpc->add_method("get_validators", [this](const json&, RpcReply reply) {
    json list = json::array();
    const auto& validators = genesis->validators;
    for (std::size_t i = 0; i < validators.size(); ++i) {
      const auto& validator = validators.at(i);
      bool self = i == index;
      list.push_back(
          {{"index", i},
           {"name", validator.name},
           {"public_key", hex(validator.public_key.view())},
           {"address", chain::to_string(chain::address_of(validator.public_key))},
           {"peer_address", validator.peer_address},
           {"power", validator.power},
           {"primary", i == replica->primary()},
           {"connected", self || peers->is_connected(static_cast<chain::ReplicaIndex>(i))}});
    }
    reply.result({{"validators", list},
                  {"count", validators.size()},
                  {"max_faulty", validators.max_faulty()},
                  {"quorum", validators.quorum()},
                  {"view", replica->view()}});
  });

  rpc->set_health([this] {
    return json{{"status", stopping ? "stopping" : "ok"},
                {"height", replica->head_height()},
                {"peers_connected", peers->connected_count()}};
  });
  rpc->set_metrics([this] { return metrics.render(); });
}

}  // namespace synod::node
