// The JSON-RPC methods about the node and its ledger: status, dump_consensus_state,
// get_account, get_genesis, get_validators; /health and /metrics; and the table that
// registers every method (transactions: node_rpc_tx.cpp; blocks: node_rpc_blocks.cpp).
// Validators and full nodes serve the same methods.
#include "chain/genesis.h"
#include "chain/limits.h"
#include "node/json_view.h"
#include "node/node_impl.h"
#include "node/rpc_detail.h"

namespace synod::node {

using nlohmann::json;
using namespace rpc_detail;

Status Node::Impl::open_rpc() {
  gauges.rpc_connections_refused = &metrics.counter(
      "synod_rpc_connections_refused_total",
      "JSON-RPC connections closed at once: the server or the client's address was full");
  gauges.rpc_waiters_refused =
      &metrics.counter("synod_rpc_waiters_refused_total",
                       "Long polls (get_blocks, wait_events) not parked: every slot, or every "
                       "slot the client's address may hold, taken");
  block_waiters = BlockWaiters(config.rpc_max_waiters_per_address);
  HttpServerOptions rpc_options;
  rpc_options.listen_address = config.rpc_listen;
  rpc_options.max_body_bytes = config.rpc_max_body_bytes;
  rpc_options.max_connections = config.rpc_max_connections;
  rpc_options.max_connections_per_address = config.rpc_max_connections_per_address;
  rpc_options.connections_refused = gauges.rpc_connections_refused;
  // Methods read the engine and the mempool: they run on the event loop. HTTP, parsing and
  // rendering stay on the RPC threads, and so do get_block's and get_blocks' store reads and
  // encoding (node/block_reads.h).
  rpc_options.run_handlers = [this](std::function<void()> work) {
    boost::asio::post(io, std::move(work));
  };
  rpc = std::make_unique<HttpServer>(rpc_io, rpc_options);
  register_rpc_methods();
  return Status::success();
}

void Node::Impl::start_rpc_threads() {
  rpc_work.emplace(rpc_io.get_executor());
  for (std::size_t i = 0; i < config.rpc_threads; ++i) {
    rpc_threads.emplace_back([this] {
      set_thread_name("synod-rpc");
      rpc_io.run();
    });
  }
}

void Node::Impl::join_rpc_threads() {
  for (auto& thread : rpc_threads) {
    if (thread.joinable())
      thread.join();
  }
  rpc_threads.clear();
}

void Node::Impl::register_rpc_methods() {
  using Method = void (Node::Impl::*)(const json& params, RpcReply reply);
  static constexpr std::pair<const char*, Method> kMethods[] = {
      {"status", &Node::Impl::rpc_status},
      {"dump_consensus_state", &Node::Impl::rpc_dump_consensus_state},
      {"submit_tx", &Node::Impl::rpc_submit_tx},
      {"get_tx", &Node::Impl::rpc_get_tx},
      {"get_block", &Node::Impl::rpc_get_block},
      {"get_blocks", &Node::Impl::rpc_get_blocks},
      {"get_chain_tips", &Node::Impl::rpc_get_chain_tips},
      {"get_account", &Node::Impl::rpc_get_account},
      {"get_genesis", &Node::Impl::rpc_get_genesis},
      {"get_validators", &Node::Impl::rpc_get_validators},
  };
  for (const auto& [method_name, method] : kMethods) {
    // An init-capture: clang before 16 cannot capture a structured binding.
    rpc->add_method(method_name, [this, handler = method](const json& params, RpcReply reply) {
      (this->*handler)(params, std::move(reply));
    });
  }
  register_event_stream();  // wait_events (node_events.cpp)
  rpc->set_health([this] {
    return json{{"status", stopping ? "stopping" : "ok"},
                {"role", role_name()},
                {"height", head_height()},
                {"peers_connected", peers_connected()}};
  });
  // The engine's and the mempool's own series are gathered at scrape time, not after every
  // action.
  rpc->set_metrics([this] {
    engine_metrics->publish(engine->metrics());
    mempool->advance_time(now_ms());
    engine_metrics->publish(mempool_metrics(*mempool));
    return metrics.render();
  });
}

// A proof-of-work participant mines rather than validates.
const char* Node::Impl::role_name() const {
  if (is_full_node())
    return "full_node";
  return genesis->mode == chain::ConsensusMode::kPow ? "miner" : "validator";
}

json Node::Impl::status_json() const {
  json byzantine = json::array();
  for (const auto& kind : options.byzantine)
    byzantine.push_back(kind);
  json out = {{"chain_id", genesis->chain_id},
              {"mode", chain::to_string(genesis->mode)},
              {"finality", chain::to_string(engine->finality())},
              {"role", role_name()},
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
  if (mining.miner)
    out["hash_rate"] = mining.hash_rate;
  if (is_full_node())
    out["upstreams"] = upstreams_json();
  return out;
}

json Node::Impl::upstreams_json() const {
  json list = json::array();
  for (std::size_t i = 0; i < follow.upstreams.size(); ++i) {
    list.push_back(
        {{"endpoint", follow.upstreams[i].to_string()},
         {"reachable", follow.asked[i] ? json(bool(follow.reachable[i])) : json(nullptr)}});
  }
  return list;
}

json Node::Impl::consensus_json() const {
  json dump = engine->consensus_dump(now_ms());
  if (is_full_node()) {
    // The engine numbers its upstreams; the node knows where they are.
    if (dump.contains("upstream") && dump["upstream"].is_number_unsigned()) {
      auto which = dump["upstream"].get<std::size_t>();
      if (which < follow.upstreams.size())
        dump["upstream"] = follow.upstreams[which].to_string();
    }
    dump["upstreams"] = upstreams_json();
  }
  return dump;
}

void Node::Impl::rpc_status(const json&, RpcReply reply) {
  reply.result(status_json());
}

void Node::Impl::rpc_dump_consensus_state(const json&, RpcReply reply) {
  reply.result(consensus_json());
}

void Node::Impl::rpc_get_account(const json& params, RpcReply reply) {
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
}

void Node::Impl::rpc_get_genesis(const json&, RpcReply reply) {
  reply.result({{"genesis", json::parse(chain::genesis_to_json(*genesis))},
                {"hash", hex(genesis->hash().view())}});
}

void Node::Impl::rpc_get_validators(const json&, RpcReply reply) {
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
}

}  // namespace synod::node
