#include "testnet/cluster.h"

#include <algorithm>
#include <thread>

#include "chain/transaction.h"
#include "client/json_fields.h"
#include "client/process.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "wallet/chain_client.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

Cluster::Cluster(Testnet testnet) : testnet_(std::move(testnet)) {
  clients_.resize(testnet_.nodes.size());
}

std::vector<std::size_t> Cluster::running() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < size(); ++i) {
    if (process(i).state == ProcessState::kRunning)
      out.push_back(i);
  }
  return out;
}

client::RpcClient& Cluster::rpc(std::size_t index) {
  auto& client = clients_.at(index);
  if (!client) {
    client::RpcClientOptions options;
    options.connect_timeout = std::chrono::milliseconds(1000);
    options.request_timeout = std::chrono::milliseconds(3000);
    client = std::make_unique<client::RpcClient>(node(index).rpc, options);
  }
  return *client;
}

Result<json> Cluster::call(std::size_t index, const std::string& method, const json& params) {
  auto outcome = rpc(index).call(method, params);
  if (!outcome.ok())
    return make_error(node(index).name + ": " + client::describe(outcome.error()));
  return outcome.result();
}

Status Cluster::start(std::size_t index, const std::string& byzantine,
                      const std::vector<std::string>& extra_args) {
  if (!binary_) {
    auto binary = node_binary();
    if (!binary)
      return binary.error();
    binary_ = *binary;
  }
  const NodeInfo& info = node(index);
  std::vector<std::pair<std::uint32_t, const char*>> ports = {{info.rpc.port, "RPC"}};
  if (info.is_validator()) {  // full nodes open no peer port
    auto peer = client::parse_endpoint(info.peer_address);
    if (!peer)
      return make_error(info.name + ": peer address: " + peer.message());
    ports.emplace_back(peer->port, "peer");
  }
  for (const auto& [port, what] : ports) {
    // A node in its own network namespace has its ports to itself.
    if (info.netns.empty() && !port_free(port)) {
      return make_error("cannot start " + info.name + ": its " + what + " port " +
                        std::to_string(port) + " is in use by another process");
    }
  }
  rpc(index).close();
  auto pid = start_node(*binary_, info, byzantine, extra_args);
  if (!pid)
    return pid.error();
  return Status::success();
}

Status Cluster::stop(std::size_t index, std::chrono::milliseconds grace) {
  rpc(index).close();
  return stop_node(node(index), grace);
}

std::string Cluster::log_tail(std::size_t index, std::size_t lines) const {
  std::string out;
  for (const auto& line : client::tail_lines(node(index).log_file(), lines))
    out += "\n    " + line;
  if (out.empty())
    out = "\n    (" + node(index).log_file() + " is empty)";
  return out;
}

Status Cluster::wait_healthy(const std::vector<std::size_t>& indices, std::uint64_t min_height,
                             bool all_peers, std::chrono::seconds timeout,
                             const std::string& label) {
  cli::Progress progress(label);
  auto start = Clock::now();
  for (;;) {
    std::size_t healthy = 0;
    std::size_t peers = 0;
    std::uint64_t lowest = UINT64_MAX;
    std::string problem;
    for (std::size_t i : indices) {
      if (process(i).state == ProcessState::kDown) {
        return make_error(node(i).name + " exited; last lines of " + node(i).log_file() + ":" +
                          log_tail(i));
      }
      auto body = rpc(i).get("/health");
      json health = body ? json::parse(*body, nullptr, false) : json();
      if (client::string_field(health, "status") != "ok") {
        lowest = 0;
        problem = node(i).name + " not answering yet";
        continue;
      }
      std::uint64_t connected = client::unsigned_field(health, "peers_connected");
      peers += connected;
      lowest = std::min(lowest, client::unsigned_field(health, "height"));
      if (!all_peers || connected >= node(i).peers_when_up(testnet_.validator_count()))
        ++healthy;
    }
    if (lowest == UINT64_MAX)
      lowest = 0;
    if (healthy == indices.size() && lowest >= min_height) {
      progress.finish();
      return Status::success();
    }
    if (Clock::now() - start >= timeout) {
      progress.finish();
      return make_error(label + ": timed out after " + std::to_string(timeout.count()) + " s (" +
                        std::to_string(healthy) + "/" + std::to_string(indices.size()) +
                        " healthy, lowest height " + std::to_string(lowest) +
                        (problem.empty() ? "" : ", " + problem) + ")");
    }
    progress.update(std::to_string(healthy) + "/" + std::to_string(indices.size()) + " healthy, " +
                    std::to_string(peers) + " peer links, height " + std::to_string(lowest));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Status Cluster::wait_height(std::size_t index, std::uint64_t height, std::chrono::seconds timeout,
                            const std::string& label) {
  cli::Progress progress(label);
  auto start = Clock::now();
  std::uint64_t current = 0;
  for (;;) {
    if (process(index).state == ProcessState::kDown) {
      return make_error(node(index).name + " exited; last lines of its log:" + log_tail(index));
    }
    auto status = call(index, "status");
    if (status)
      current = client::unsigned_field(*status, "stored_height");
    if (status && current >= height) {
      progress.finish();
      return Status::success();
    }
    if (Clock::now() - start >= timeout) {
      progress.finish();
      return make_error(node(index).name + " reached height " + std::to_string(current) + ", not " +
                        std::to_string(height) + ", within " + std::to_string(timeout.count()) +
                        " s");
    }
    progress.update(node(index).name + " at height " + std::to_string(current) + " of " +
                    std::to_string(height));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::map<std::size_t, std::uint64_t> Cluster::heights(const std::vector<std::size_t>& indices) {
  std::map<std::size_t, std::uint64_t> out;
  for (std::size_t i : indices) {
    if (auto status = call(i, "status"))
      out[i] = client::unsigned_field(*status, "stored_height");
  }
  return out;
}

Result<std::vector<crypto::KeyPair>> Cluster::account_keys() {
  if (!accounts_) {
    std::vector<crypto::KeyPair> keys;
    for (const auto& file : testnet_.account_files) {
      auto key = crypto::load_key_file(file);
      if (!key)
        return make_error(file + ": " + key.message());
      keys.push_back(*key);
    }
    if (keys.size() < 2)
      return make_error("the testnet needs at least 2 funded accounts");
    accounts_ = std::move(keys);
  }
  return *accounts_;
}

Result<std::vector<std::string>> Cluster::submit_transfers(std::size_t via, std::size_t count) {
  auto keys = account_keys();
  if (!keys)
    return keys.error();
  std::size_t accounts = keys->size();
  std::vector<std::uint64_t> nonces(accounts, UINT64_MAX);
  std::vector<std::string> hashes;
  const auto domain = chain::SigningDomain::of(testnet_.genesis);
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t from = i % accounts;
    const auto& key = (*keys)[from];
    if (nonces[from] == UINT64_MAX) {
      auto account = call(via, "get_account",
                          {{"address", chain::to_string(chain::address_of(key.public_key()))}});
      if (!account)
        return account.error();
      nonces[from] = client::unsigned_field(*account, "nonce");
    }
    auto to = chain::address_of((*keys)[(from + 1) % accounts].public_key());
    // `via` may not have stored the newest block yet, so its nonce can be one that is
    // already used: step past nonces the node reports as taken.
    for (int attempt = 0;; ++attempt) {
      auto tx = chain::make_transfer(key, domain, to, 1 + i % 7, 1, nonces[from]++);
      auto outcome = rpc(via).call("submit_tx", {{"tx", crypto::to_hex(tx.encode())}});
      if (outcome.ok()) {
        hashes.push_back(crypto::to_hex(tx.hash().view()));
        break;
      }
      const json& data = outcome.error().data;
      std::string reason = client::string_field(data, "reason");
      bool taken = reason == "duplicate" || reason == "stale_nonce" || reason == "nonce_taken";
      if (!taken || attempt >= 64) {
        return make_error(node(via).name +
                          " refused a transfer: " + client::describe(outcome.error()));
      }
    }
  }
  return hashes;
}

Result<std::vector<std::uint64_t>> Cluster::wait_committed(std::size_t index,
                                                           const std::vector<std::string>& hashes,
                                                           std::chrono::seconds timeout,
                                                           const std::string& label) {
  cli::Progress progress(label);
  auto start = Clock::now();
  std::vector<std::uint64_t> heights(hashes.size(), 0);
  std::vector<bool> done(hashes.size(), false);
  std::size_t committed = 0;
  for (;;) {
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      if (done[i])
        continue;
      auto tx = call(index, "get_tx", {{"hash", hashes[i]}});
      if (!tx || client::string_field(*tx, "status") != "committed")
        break;  // commits come in order per sender; check the rest next round
      heights[i] = client::unsigned_field(*tx, "height");
      done[i] = true;
      ++committed;
    }
    if (committed == hashes.size()) {
      progress.finish();
      return heights;
    }
    if (Clock::now() - start >= timeout) {
      progress.finish();
      return make_error(std::to_string(hashes.size() - committed) + " of " +
                        std::to_string(hashes.size()) + " transfers not committed on " +
                        node(index).name + " within " + std::to_string(timeout.count()) + " s");
    }
    progress.update(std::to_string(committed) + "/" + std::to_string(hashes.size()) +
                    " committed on " + node(index).name);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Agreement check_agreement(Cluster& cluster, const std::vector<std::size_t>& indices) {
  Agreement out;
  auto heights = cluster.heights(indices);
  if (heights.empty()) {
    out.message = "agreement: no node answered";
    return out;
  }
  std::uint64_t common = UINT64_MAX;
  for (const auto& [index, height] : heights)
    common = std::min(common, height);
  out.height = common;
  out.nodes = heights.size();
  std::map<std::string, std::vector<std::string>> by_hash;
  for (const auto& [index, height] : heights) {
    auto block = cluster.call(index, "get_block", {{"height", common}});
    if (!block || client::string_field(*block, "hash").empty()) {
      out.message = "agreement: no common block yet (lowest height " + std::to_string(common) + ")";
      return out;
    }
    by_hash[client::string_field(*block, "hash")].push_back(cluster.node(index).name);
  }
  out.any_block = true;
  if (by_hash.size() > 1) {
    out.message = "DISAGREEMENT at height " + std::to_string(common) + ":";
    for (const auto& [hash, names] : by_hash) {
      for (const auto& name : names)
        out.message += " " + name + "=" + cli::prefix(hash, 12);
    }
    return out;
  }
  out.hash_hex = by_hash.begin()->first;
  auto verified = client::fetch_verified_block(cluster.rpc(heights.begin()->first),
                                               cluster.testnet().genesis, {{"height", common}});
  if (!verified) {
    out.message = "agreement: block " + std::to_string(common) +
                  " matches but its certificate does not verify: " + verified.message();
    return out;
  }
  out.signatures = verified->signatures;
  out.agree = true;
  out.message =
      "agreement: " + std::string(out.nodes == cluster.size() ? "all " : "") +
      std::to_string(out.nodes) + " answering nodes have block " + std::to_string(common) + " = " +
      cli::prefix(out.hash_hex, 16) + " (certificate " + std::to_string(out.signatures) + "/" +
      std::to_string(cluster.testnet().validator_count()) + " verified against the genesis)";
  return out;
}

}  // namespace synod::testnet
