#include "testnet/web_relay.h"

#include <chrono>

#include "testnet/process.h"

namespace synod::testnet {

using nlohmann::json;

namespace {

constexpr std::uint64_t kLongPollMs = 4'000;
constexpr int kBranchFetchMax = 24;
constexpr std::chrono::milliseconds kRetryDelay{500};
constexpr std::chrono::milliseconds kProcessInterval{1'000};

client::RpcClientOptions relay_options() {
  client::RpcClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(1'000);
  options.request_timeout = std::chrono::milliseconds(kLongPollMs + 3'000);
  return options;
}

// PoS: how many slashing-evidence transactions the block carries.
std::size_t evidence_transactions(const json& block) {
  std::size_t count = 0;
  if (block.contains("transactions") && block["transactions"].is_array()) {
    for (const auto& tx : block["transactions"])
      count += tx.is_object() && tx.value("kind", "") == "evidence" ? 1 : 0;
  }
  return count;
}

}  // namespace

WebRelay::WebRelay(Testnet testnet, WebHub& hub) : testnet_(std::move(testnet)), hub_(hub) {}

WebRelay::~WebRelay() {
  stop();
}

void WebRelay::start() {
  for (std::size_t i = 0; i < testnet_.nodes.size(); ++i)
    threads_.emplace_back([this, i] { follow_node(i); });
  threads_.emplace_back([this] { watch_processes(); });
}

void WebRelay::stop() {
  stopping_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable())
      thread.join();
  }
  threads_.clear();
}

void WebRelay::follow_node(std::size_t index) {
  client::RpcClient rpc(testnet_.nodes[index].rpc, relay_options());
  std::uint64_t seq = 0;
  while (!stopping_) {
    auto outcome = rpc.call("wait_events", {{"after", seq}, {"wait_ms", kLongPollMs}});
    if (!outcome.ok()) {
      hub_.set_node_reachable(index, false);
      rpc.close();
      seq = 0;
      std::this_thread::sleep_for(kRetryDelay);
      continue;
    }
    const json& answer = outcome.result();
    seq = answer.value("seq", std::uint64_t{0});
    const json& events = answer.contains("events") ? answer["events"] : json::array();
    if (events.empty() || !events.back().contains("state")) {
      hub_.set_node_reachable(index, true);
      continue;
    }
    json state = events.back()["state"];
    const std::string head = state.value("head_hash", "");
    hub_.set_node_state(index, std::move(state));
    if (!head.empty() && !hub_.knows_block(head))
      fetch_branch(rpc, head);
  }
}

bool WebRelay::claim_fetch(const std::string& hash) {
  std::lock_guard lock(fetching_mutex_);
  return fetching_.insert(hash).second;
}

void WebRelay::release_fetch(const std::string& hash) {
  std::lock_guard lock(fetching_mutex_);
  fetching_.erase(hash);
}

void WebRelay::fetch_branch(client::RpcClient& rpc, std::string hash) {
  for (int fetched = 0; fetched < kBranchFetchMax && !hub_.knows_block(hash); ++fetched) {
    if (!claim_fetch(hash))
      return;  // another node's thread fetches it (and the blocks below it)
    auto outcome = rpc.call("get_block", {{"hash", hash}});
    if (!outcome.ok()) {
      release_fetch(hash);
      return;
    }
    const json& block = outcome.result();
    const json& header = block["header"];
    const std::uint64_t height = header.value("height", std::uint64_t{0});
    json entry = {{"hash", hash},
                  {"height", height},
                  {"prev", header.value("prev_hash", "")},
                  {"txs", block.contains("transactions") ? block["transactions"].size() : 0},
                  {"seal", header.contains("seal") ? header["seal"].value("kind", "") : ""}};
    if (block.contains("certificate") && block["certificate"].is_object())
      entry["signatures"] = block["certificate"].value("signatures", json::array()).size();
    entry["evidence"] = evidence_transactions(block);
    hub_.add_block(std::move(entry));
    release_fetch(hash);  // after the hub knows it, so no other thread fetches it again
    if (height == 0)
      return;
    hash = header.value("prev_hash", "");
  }
}

void WebRelay::watch_processes() {
  std::vector<std::unique_ptr<client::RpcClient>> clients;
  for (const auto& node : testnet_.nodes)
    clients.push_back(std::make_unique<client::RpcClient>(node.rpc, relay_options()));
  while (!stopping_) {
    std::size_t reachable = testnet_.nodes.size();
    for (const auto& node : testnet_.nodes) {
      const ProcessState state = find_process(node).state;
      hub_.set_node_process(node.index, to_string(state));
      if (state == ProcessState::kRunning && reachable == testnet_.nodes.size())
        reachable = node.index;
    }
    if (reachable < clients.size())
      check_transfers(*clients[reachable]);
    std::this_thread::sleep_for(kProcessInterval);
  }
}

// The page's transfers that are not yet committed: asked about once a second, a few at most.
void WebRelay::check_transfers(client::RpcClient& rpc) {
  for (json transfer : hub_.pending_transfers()) {
    auto outcome = rpc.call("get_tx", {{"hash", transfer.value("hash", "")}});
    if (!outcome.ok() || outcome.result().value("status", "") != "committed")
      continue;
    transfer["status"] = "committed";
    transfer["height"] = outcome.result().value("height", std::uint64_t{0});
    transfer["block_hash"] = outcome.result().value("block_hash", "");
    hub_.log_transfer(std::move(transfer));
  }
}

}  // namespace synod::testnet
