#include "testnet/web_hub.h"

#include <algorithm>

#include "chain/genesis.h"

namespace synod::testnet {

using nlohmann::json;

WebHub::WebHub(const Testnet& testnet) {
  std::size_t validators = 0;
  for (const auto& node : testnet.nodes) {
    validators += node.is_validator() ? 1 : 0;
    nodes_.push_back({{"index", node.index},
                      {"name", node.name},
                      {"role", node.is_validator() ? "validator" : "full"},
                      {"rpc", node.rpc.to_string()},
                      {"process", "down"},
                      {"reachable", false},
                      {"state", nullptr}});
  }
  testnet_ = {{"dir", testnet.dir},
              {"chain_id", testnet.genesis.chain_id},
              {"mode", chain::to_string(testnet.genesis.mode)},
              {"validators", validators},
              {"quorum", testnet.genesis.validators.quorum()}};
}

void WebHub::changed() {
  ++version_;
  cv_.notify_all();
}

void WebHub::set_node_state(std::size_t index, json state) {
  std::lock_guard lock(mutex_);
  json& node = nodes_.at(index);
  node["reachable"] = true;
  if (node["state"] == state)
    return;
  node["state"] = std::move(state);
  changed();
}

void WebHub::set_node_reachable(std::size_t index, bool reachable) {
  std::lock_guard lock(mutex_);
  json& node = nodes_.at(index);
  if (node["reachable"] == reachable)
    return;
  node["reachable"] = reachable;
  changed();
}

void WebHub::set_node_process(std::size_t index, const std::string& process) {
  std::lock_guard lock(mutex_);
  json& node = nodes_.at(index);
  if (node["process"] == process)
    return;
  node["process"] = process;
  changed();
}

void WebHub::add_block(json block) {
  std::lock_guard lock(mutex_);
  const std::string hash = block.value("hash", "");
  if (hash.empty() || blocks_.count(hash))
    return;
  blocks_[hash] = std::move(block);
  while (blocks_.size() > kBlocksKept) {
    auto lowest =
        std::min_element(blocks_.begin(), blocks_.end(), [](const auto& a, const auto& b) {
          return a.second["height"].template get<std::uint64_t>() <
                 b.second["height"].template get<std::uint64_t>();
        });
    blocks_.erase(lowest);
  }
  changed();
}

bool WebHub::knows_block(const std::string& hash) const {
  std::lock_guard lock(mutex_);
  return blocks_.count(hash) > 0;
}

void WebHub::upsert(std::deque<json>& log, json entry) {
  for (auto& existing : log) {
    if (existing["id"] == entry["id"]) {
      existing = std::move(entry);
      return;
    }
  }
  log.push_back(std::move(entry));
  while (log.size() > kLogKept)
    log.pop_front();
}

void WebHub::log_action(json action) {
  std::lock_guard lock(mutex_);
  upsert(actions_, std::move(action));
  changed();
}

void WebHub::log_transfer(json transfer) {
  std::lock_guard lock(mutex_);
  upsert(transfers_, std::move(transfer));
  changed();
}

std::vector<json> WebHub::pending_transfers() const {
  std::lock_guard lock(mutex_);
  std::vector<json> pending;
  for (const auto& transfer : transfers_) {
    if (transfer.value("status", "") == "pending")
      pending.push_back(transfer);
  }
  return pending;
}

json WebHub::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_locked();
}

std::shared_ptr<const std::string> WebHub::snapshot_text() const {
  std::lock_guard lock(mutex_);
  if (!encoded_ || encoded_version_ != version_) {
    encoded_ = std::make_shared<const std::string>(snapshot_locked().dump());
    encoded_version_ = version_;
  }
  return encoded_;
}

json WebHub::snapshot_locked() const {
  json blocks = json::array();
  for (const auto& [hash, block] : blocks_)
    blocks.push_back(block);
  return {{"version", version_}, {"testnet", testnet_}, {"nodes", nodes_},
          {"blocks", blocks},    {"actions", actions_}, {"transfers", transfers_}};
}

std::uint64_t WebHub::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

std::uint64_t WebHub::wait_change(std::uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return version_ != seen; });
  return version_;
}

}  // namespace synod::testnet
