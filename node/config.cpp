#include "node/config.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "client/rpc_client.h"

namespace synod::node {

using nlohmann::json;

namespace {

Status check_known(const json& object, std::initializer_list<const char*> allowed,
                   const std::string& where) {
  for (const auto& item : object.items()) {
    bool known = false;
    for (const char* key : allowed)
      known = known || item.key() == key;
    if (!known)
      return make_error(where + item.key() + ": unknown field");
  }
  return Status::success();
}

template <typename T>
Status read_number(const json& object, const char* key, T& out, const std::string& where) {
  if (!object.contains(key))
    return Status::success();
  if (!object[key].is_number_unsigned()) {
    return make_error(where + key + ": expected a non-negative integer");
  }
  out = object[key].get<T>();
  return Status::success();
}

Status read_text(const json& object, const char* key, std::string& out, const std::string& where) {
  if (!object.contains(key))
    return Status::success();
  if (!object[key].is_string())
    return make_error(where + key + ": expected a string");
  out = object[key].get<std::string>();
  return Status::success();
}

Status read_mining(const json& root, NodeConfig& config) {
  if (!root.contains("mining"))
    return Status::success();
  const json& mining = root["mining"];
  const std::string where = "config mining.";
  if (!mining.is_object())
    return make_error("config mining: expected an object");
  if (auto status = check_known(mining, {"enabled", "hash_rate_limit"}, where); !status)
    return status;
  if (mining.contains("enabled")) {
    if (!mining["enabled"].is_boolean())
      return make_error(where + "enabled: expected true or false");
    config.mining_enabled = mining["enabled"].get<bool>();
  }
  return read_number(mining, "hash_rate_limit", config.hash_rate_limit, where);
}

Status read_upstreams(const json& root, NodeConfig& config) {
  if (!root.contains("upstreams"))
    return Status::success();
  const json& list = root["upstreams"];
  if (!list.is_array() || list.size() > kMaxUpstreams) {
    return make_error("config upstreams: expected an array of at most " +
                      std::to_string(kMaxUpstreams) + " \"HOST:PORT\" strings");
  }
  for (const auto& item : list) {
    if (!item.is_string())
      return make_error("config upstreams: expected \"HOST:PORT\" strings");
    auto endpoint = client::parse_endpoint(item.get<std::string>());
    if (!endpoint)
      return make_error("config upstreams: " + endpoint.message());
    config.upstreams.push_back(endpoint->to_string());
  }
  return Status::success();
}

Status read_mempool(const json& root, NodeConfig& config) {
  if (!root.contains("mempool"))
    return Status::success();
  const json& pool = root["mempool"];
  const std::string where = "config mempool.";
  if (!pool.is_object())
    return make_error("config mempool: expected an object");
  if (auto status =
          check_known(pool, {"max_transactions", "max_bytes", "nonce_window", "min_fee"}, where);
      !status) {
    return status;
  }
  for (auto status : {read_number(pool, "max_transactions", config.mempool.max_transactions, where),
                      read_number(pool, "max_bytes", config.mempool.max_bytes, where),
                      read_number(pool, "nonce_window", config.mempool.nonce_window, where),
                      read_number(pool, "min_fee", config.mempool.min_fee, where)}) {
    if (!status)
      return status;
  }
  return Status::success();
}

// The RPC and peer-handshake limits (flat keys, rpc_* and peer_*).
Status read_limits(const json& root, NodeConfig& config) {
  const std::string where = "config ";
  for (auto status :
       {read_number(root, "rpc_threads", config.rpc_threads, where),
        read_number(root, "rpc_max_connections", config.rpc_max_connections, where),
        read_number(root, "rpc_max_connections_per_address", config.rpc_max_connections_per_address,
                    where),
        read_number(root, "rpc_max_waiters_per_address", config.rpc_max_waiters_per_address, where),
        read_number(root, "peer_handshake_threads", config.peer_handshake_threads, where),
        read_number(root, "peer_handshakes_per_second", config.peer_handshakes_per_second, where),
        read_number(root, "peer_handshake_burst", config.peer_handshake_burst, where),
        read_number(root, "peer_handshakes_per_second_per_address",
                    config.peer_handshakes_per_second_per_address, where),
        read_number(root, "peer_handshake_burst_per_address",
                    config.peer_handshake_burst_per_address, where)}) {
    if (!status)
      return status;
  }
  return Status::success();
}

Status check_limits(const NodeConfig& config) {
  if (config.rpc_threads == 0 || config.rpc_threads > 64)
    return make_error("config rpc_threads: must be 1 to 64");
  if (config.rpc_max_connections == 0 || config.rpc_max_connections_per_address == 0 ||
      config.rpc_max_waiters_per_address == 0)
    return make_error("config rpc_max_*: must be > 0");
  if (config.peer_handshake_threads == 0 || config.peer_handshake_threads > 16)
    return make_error("config peer_handshake_threads: must be 1 to 16");
  if (config.peer_handshakes_per_second == 0 || config.peer_handshake_burst == 0 ||
      config.peer_handshakes_per_second_per_address == 0 ||
      config.peer_handshake_burst_per_address == 0)
    return make_error("config peer_handshake*: rates and bursts must be > 0");
  return Status::success();
}

// Ranges and enumerations, once every field is read.
Status check_values(const NodeConfig& config) {
  if (config.follow_poll_ms == 0 || config.follow_poll_ms > 60'000)
    return make_error("config follow_poll_ms: must be 1 to 60000");
  if (config.verify_threads == 0 || config.verify_threads > 64)
    return make_error("config verify_threads: must be 1 to 64");
  if (config.summary_interval_blocks == 0)
    return make_error("config summary_interval_blocks: must be > 0");
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  bool level_ok = false;
  for (const char* level : kLevels)
    level_ok = level_ok || config.log_level == level;
  if (!level_ok)
    return make_error("config log_level: one of trace, debug, info, warn, error");
  return Status::success();
}

}  // namespace

Result<NodeConfig> parse_config(const std::string& json_text) {
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object())
    return make_error("config: not a JSON object");
  const std::string where = "config ";
  if (auto status = check_known(root,
                                {"moniker",
                                 "rpc_listen",
                                 "peer_listen",
                                 "verify_threads",
                                 "batch_delay_ms",
                                 "view_change_timeout_ms",
                                 "rpc_max_body_bytes",
                                 "summary_interval_blocks",
                                 "log_level",
                                 "mempool",
                                 "upstreams",
                                 "follow_poll_ms",
                                 "mining",
                                 "rpc_threads",
                                 "rpc_max_connections",
                                 "rpc_max_connections_per_address",
                                 "rpc_max_waiters_per_address",
                                 "peer_handshake_threads",
                                 "peer_handshakes_per_second",
                                 "peer_handshake_burst",
                                 "peer_handshakes_per_second_per_address",
                                 "peer_handshake_burst_per_address"},
                                where);
      !status) {
    return status.error();
  }
  NodeConfig config;
  for (auto status :
       {read_text(root, "moniker", config.moniker, where),
        read_text(root, "rpc_listen", config.rpc_listen, where),
        read_text(root, "peer_listen", config.peer_listen, where),
        read_text(root, "log_level", config.log_level, where),
        read_number(root, "verify_threads", config.verify_threads, where),
        read_number(root, "batch_delay_ms", config.batch_delay_ms, where),
        read_number(root, "view_change_timeout_ms", config.view_change_timeout_ms, where),
        read_number(root, "rpc_max_body_bytes", config.rpc_max_body_bytes, where),
        read_number(root, "summary_interval_blocks", config.summary_interval_blocks, where),
        read_number(root, "follow_poll_ms", config.follow_poll_ms, where)}) {
    if (!status)
      return status.error();
  }
  for (auto status :
       {read_upstreams(root, config), read_mining(root, config), read_mempool(root, config),
        read_limits(root, config), check_values(config), check_limits(config)}) {
    if (!status)
      return status.error();
  }
  return config;
}

Result<NodeConfig> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return make_error("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto config = parse_config(text.str());
  if (!config)
    return make_error(path + ": " + config.message());
  return config;
}

std::string config_to_json(const NodeConfig& config) {
  json root = {
      {"moniker", config.moniker},
      {"rpc_listen", config.rpc_listen},
      {"peer_listen", config.peer_listen},
      {"verify_threads", config.verify_threads},
      {"batch_delay_ms", config.batch_delay_ms},
      {"view_change_timeout_ms", config.view_change_timeout_ms},
      {"rpc_max_body_bytes", config.rpc_max_body_bytes},
      {"rpc_threads", config.rpc_threads},
      {"rpc_max_connections", config.rpc_max_connections},
      {"rpc_max_connections_per_address", config.rpc_max_connections_per_address},
      {"rpc_max_waiters_per_address", config.rpc_max_waiters_per_address},
      {"peer_handshake_threads", config.peer_handshake_threads},
      {"peer_handshakes_per_second", config.peer_handshakes_per_second},
      {"peer_handshake_burst", config.peer_handshake_burst},
      {"peer_handshakes_per_second_per_address", config.peer_handshakes_per_second_per_address},
      {"peer_handshake_burst_per_address", config.peer_handshake_burst_per_address},
      {"summary_interval_blocks", config.summary_interval_blocks},
      {"log_level", config.log_level},
      {"upstreams", config.upstreams},
      {"follow_poll_ms", config.follow_poll_ms},
      {"mining", {{"enabled", config.mining_enabled}, {"hash_rate_limit", config.hash_rate_limit}}},
      {"mempool",
       {{"max_transactions", config.mempool.max_transactions},
        {"max_bytes", config.mempool.max_bytes},
        {"nonce_window", config.mempool.nonce_window},
        {"min_fee", config.mempool.min_fee}}}};
  return root.dump(2) + "\n";
}

}  // namespace synod::node
