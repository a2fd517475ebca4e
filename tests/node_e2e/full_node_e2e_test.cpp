// End-to-end tests of non-validating full nodes: real synod-node processes on 127.0.0.1, a
// full node following four validators over JSON-RPC get_blocks, and a lying upstream played
// by this test process.
#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "chain/block.h"
#include "chain/certificate.h"
#include "client/json_fields.h"
#include "crypto/hex.h"
#include "node/rpc/http_server.h"

#include "tests/node_e2e/local_cluster.h"

using namespace synod;
using e2e::kCommitMs;
using e2e::kStartMs;
using e2e::LocalCluster;
using nlohmann::json;

namespace {

bool is_full_node(const json& status) {
  return client::string_field(status, "role") == "full_node";
}

json block_at(LocalCluster& cluster, std::size_t i, std::uint64_t height) {
  auto answer = e2e::rpc_call(cluster.nodes()[i].rpc_port, "get_block", json{{"height", height}});
  REQUIRE(answer.transport_ok);
  REQUIRE(answer.body.contains("result"));
  return answer.body["result"];
}

// Waits until node i has stored `height`.
bool wait_stored(LocalCluster& cluster, std::size_t i, std::uint64_t height, int timeout_ms) {
  return cluster.wait_for(
      i, [&](const json& s) { return client::unsigned_field(s, "stored_height") >= height; },
      timeout_ms);
}

// Node `full` has the same block as node `validator` at every height from 1 to `height`, and
// the same state root at `height`.
void require_same_chain(LocalCluster& cluster, std::size_t full, std::size_t validator,
                        std::uint64_t height) {
  INFO("full node log:\n" << cluster.log_tail(full));
  REQUIRE(wait_stored(cluster, full, height, kCommitMs));
  REQUIRE(wait_stored(cluster, validator, height, kCommitMs));
  for (std::uint64_t h = 1; h <= height; ++h) {
    INFO("height " << h);
    json ours = block_at(cluster, full, h);
    json theirs = block_at(cluster, validator, h);
    // Certificates may differ (each validator keeps the quorum it collected); the block may not.
    REQUIRE(ours["hash"] == theirs["hash"]);
    REQUIRE(ours["header"] == theirs["header"]);
    REQUIRE(ours["transactions"] == theirs["transactions"]);
    // ... and what the full node stores as proof must be proof.
    auto raw = crypto::from_hex(ours["raw"].get<std::string>());
    REQUIRE(raw);
    auto stored = chain::decode_block(*raw);
    REQUIRE(stored);
    REQUIRE(chain::verify_block_certificate(*stored, cluster.genesis().validators,
                                            chain::SigningDomain::of(cluster.genesis())));
  }
  REQUIRE(block_at(cluster, full, height)["header"]["state_root"] ==
          block_at(cluster, validator, height)["header"]["state_root"]);
}

bool wait_committed(std::uint16_t port, const std::string& hash, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto tx = e2e::rpc_call(port, "get_tx", json{{"hash", hash}});
    if (tx.body.contains("result") && tx.body["result"]["status"] == "committed")
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// The value of an unlabelled counter in Prometheus text; -1 when it is not there.
double metric_value(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + " ", 0) == 0 || line.rfind(name + "{}", 0) == 0)
      return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

std::string whole_log(LocalCluster& cluster, std::size_t i) {
  std::ifstream in(cluster.nodes()[i].home + "/node.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A JSON-RPC upstream that lies: it answers get_blocks with what a real validator answers,
// but tampers with every block it hands out (a changed transaction amount, a changed state
// root, the certificate removed, or a certificate cut below quorum, in turn per answer).
// Runs its own io_context thread; each answer is produced on a helper thread (the proxied
// call may long-poll), joined when the liar goes away.
class LyingUpstream {
 public:
  explicit LyingUpstream(std::uint16_t honest_rpc_port)
      : honest_port_(honest_rpc_port), server_(io_, node::HttpServerOptions{}) {
    server_.add_method("get_blocks", [this](const json& params, node::RpcReply reply) {
      std::lock_guard lock(mutex_);
      helpers_.emplace_back([this, params, reply] { answer(params, reply); });
    });
    auto started = server_.start();
    REQUIRE(started);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~LyingUpstream() {
    server_.stop();
    std::vector<std::thread> helpers;
    {
      std::lock_guard lock(mutex_);
      helpers.swap(helpers_);
    }
    for (auto& helper : helpers)
      helper.join();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  LyingUpstream(const LyingUpstream&) = delete;
  LyingUpstream& operator=(const LyingUpstream&) = delete;

  std::string endpoint() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  std::size_t blocks_tampered() const { return tampered_.load(); }

 private:
  void answer(const json& params, const node::RpcReply& reply) {
    auto honest = e2e::rpc_call(honest_port_, "get_blocks", params, 8000);
    if (!honest.transport_ok || !honest.body.contains("result"))
      return reply.error(-32603, "the liar's own upstream is unavailable");
    json result = honest.body["result"];
    std::size_t mode = answers_.fetch_add(1);
    for (auto& item : result["blocks"]) {
      auto bytes = crypto::from_hex(item.get<std::string>());
      auto block = bytes ? chain::decode_block(*bytes) : Result<chain::Block>(make_error("hex"));
      if (!block)
        continue;
      tamper(*block, mode);
      item = crypto::to_hex(block->encode());
      ++tampered_;
    }
    reply.result(result);
  }

  static void tamper(chain::Block& block, std::size_t mode) {
    switch (mode % 4) {
      case 0:
        if (!block.transactions.empty()) {
          block.transactions[0].amount += 1;
          break;
        }
        [[fallthrough]];
      case 1:
        block.header.state_root.data[0] ^= 0x01;
        break;
      case 2:
        block.certificate.reset();
        break;
      default:
        if (block.certificate)
          block.certificate->signatures.resize(1);
        else
          block.header.state_root.data[0] ^= 0x01;
        break;
    }
  }

  std::uint16_t honest_port_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  node::HttpServer server_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::thread> helpers_;  // guarded by mutex_
  std::atomic<std::size_t> answers_{0};
  std::atomic<std::size_t> tampered_{0};
};

}  // namespace

TEST_CASE("a full node follows the validators, relays transactions and catches up after kill -9",
          "[e2e][full_node]") {
  LocalCluster cluster(4, 8);
  cluster.start_all();
  REQUIRE(cluster.wait_healthy_all(kStartMs));
  std::size_t full = cluster.add_full_node({cluster.rpc_endpoint(0), cluster.rpc_endpoint(1)});
  cluster.start(full);
  INFO("full node log:\n" << cluster.log_tail(full));
  REQUIRE(cluster.wait_for(full, is_full_node, kStartMs));
  auto status = cluster.status(full).value();
  REQUIRE(status["validator_index"].is_null());
  REQUIRE(status["upstreams"].size() == 2);

  std::vector<std::string> hashes;
  for (std::size_t k = 0; k < 6; ++k) {
    auto [ok, hash] = cluster.transfer(k % 4, k, (k + 1) % 8, 100 + k);
    REQUIRE(ok);
    hashes.push_back(hash);
  }
  // A transaction sent to the full node is relayed to a validator and commits.
  auto [relayed, relayed_hash] = cluster.transfer(full, 6, 7, 77);
  INFO("submit_tx to the full node: " << relayed_hash);
  REQUIRE(relayed);
  hashes.push_back(relayed_hash);
  for (const auto& hash : hashes)
    REQUIRE(wait_committed(cluster.nodes()[0].rpc_port, hash, kCommitMs));
  REQUIRE(wait_committed(cluster.nodes()[full].rpc_port, relayed_hash, kCommitMs));

  // The transfers may share a block or two; heartbeat blocks make at least three.
  REQUIRE(cluster.wait_for(
      0, [](const json& s) { return s["height"].get<std::uint64_t>() >= 3; }, kCommitMs));
  std::uint64_t target = cluster.height(0);
  require_same_chain(cluster, full, 0, target);
  for (std::size_t account : {0, 6, 7}) {
    json address = {
        {"address", chain::to_string(chain::address_of(cluster.accounts()[account].public_key()))}};
    auto ours = e2e::rpc_call(cluster.nodes()[full].rpc_port, "get_account", address);
    auto theirs = e2e::rpc_call(cluster.nodes()[0].rpc_port, "get_account", address);
    REQUIRE(ours.body["result"]["balance"] == theirs.body["result"]["balance"]);
    REQUIRE(ours.body["result"]["nonce"] == theirs.body["result"]["nonce"]);
  }

  // get_block on the full node serves the block with its certificate, which checks out
  // against the genesis alone.
  json served = block_at(cluster, full, target);
  REQUIRE(served["certificate"].is_object());
  REQUIRE(served["certificate"]["block_hash"] == served["hash"]);
  REQUIRE(served["certificate"]["signatures"].size() >= cluster.genesis().validators.quorum());
  auto raw = crypto::from_hex(served["raw"].get<std::string>());
  REQUIRE(raw);
  auto decoded = chain::decode_block(*raw);
  REQUIRE(decoded);
  REQUIRE(chain::verify_block_certificate(*decoded, cluster.genesis().validators,
                                          chain::SigningDomain::of(cluster.genesis())));
  // A full node serves get_blocks too (so full nodes can follow full nodes): canonical
  // certified blocks from the height asked, bounded parameters, a long poll for the next.
  auto get_blocks = [&](const json& params) {
    return e2e::rpc_call(cluster.nodes()[full].rpc_port, "get_blocks", params, 8000).body;
  };
  json answer = get_blocks({{"from_height", 1}, {"max_blocks", 3}});
  REQUIRE(answer["result"]["blocks"].size() == 3);
  REQUIRE(answer["result"]["head_height"].get<std::uint64_t>() >= target);
  for (std::uint64_t h = 1; h <= 3; ++h) {
    auto bytes = crypto::from_hex(answer["result"]["blocks"][h - 1].get<std::string>());
    REQUIRE(bytes);
    auto block = chain::decode_block(*bytes);
    REQUIRE(block);
    REQUIRE(block->header.height == h);
    REQUIRE(chain::verify_block_certificate(*block, cluster.genesis().validators,
                                            chain::SigningDomain::of(cluster.genesis())));
  }
  REQUIRE(get_blocks({{"from_height", 1}, {"max_blocks", 65}})["error"]["code"] == -32602);
  REQUIRE(get_blocks({{"from_height", 1}, {"wait_ms", 5001}})["error"]["code"] == -32602);
  REQUIRE(get_blocks({{"max_blocks", 1}})["error"]["code"] == -32602);
  REQUIRE(get_blocks({{"from_height", 1'000'000}, {"wait_ms", 5000}})["result"]["blocks"].empty());
  std::uint64_t head = cluster.height(full);
  // The validators commit a heartbeat block every 500 ms: a long poll for the next block
  // brings one (a short answer could also be empty, hence the few tries).
  bool got_next = false;
  for (int attempt = 0; attempt < 5 && !got_next; ++attempt) {
    json next = get_blocks({{"from_height", head + 1}, {"max_blocks", 1}, {"wait_ms", 5000}});
    REQUIRE(next.contains("result"));
    got_next = next["result"]["blocks"].size() == 1;
  }
  REQUIRE(got_next);

  auto dump = e2e::rpc_call(cluster.nodes()[full].rpc_port, "dump_consensus_state");
  REQUIRE(dump.body["result"]["role"] == "full_node");
  REQUIRE(dump.body["result"]["blocks_rejected"] == 0);
  REQUIRE(dump.body["result"]["last_rejection"] == "");

  // kill -9 the full node; the chain moves on without it; restarted, it catches up.
  cluster.kill(full);
  for (std::size_t k = 0; k < 4; ++k) {
    auto [ok, hash] = cluster.transfer(k % 4, k, (k + 3) % 8, 5);
    REQUIRE(ok);
    REQUIRE(wait_committed(cluster.nodes()[0].rpc_port, hash, kCommitMs));
  }
  std::uint64_t later = cluster.height(0);
  REQUIRE(later > target);
  cluster.start(full);
  REQUIRE(cluster.wait_for(full, is_full_node, kStartMs));
  require_same_chain(cluster, full, 0, later);
  REQUIRE(cluster.terminate(full));
  for (std::size_t i = 0; i < 4; ++i)
    REQUIRE(cluster.terminate(i));
}

TEST_CASE("a full node rejects a lying upstream's blocks and follows an honest one",
          "[e2e][full_node]") {
  LocalCluster cluster(4, 8);
  cluster.start_all();
  REQUIRE(cluster.wait_healthy_all(kStartMs));
  // The liar relays validator 1's answers, tampered; the honest upstream is validator 3.
  LyingUpstream liar(cluster.nodes()[1].rpc_port);
  std::size_t full = cluster.add_full_node({liar.endpoint(), cluster.rpc_endpoint(3)});
  cluster.start(full);
  INFO("full node log:\n" << cluster.log_tail(full));
  REQUIRE(cluster.wait_for(full, is_full_node, kStartMs));
  for (std::size_t k = 0; k < 6; ++k) {
    auto [ok, hash] = cluster.transfer(k % 3, k, (k + 1) % 8, 10 + k);
    REQUIRE(ok);
    REQUIRE(wait_committed(cluster.nodes()[0].rpc_port, hash, kCommitMs));
  }
  std::uint64_t target = cluster.height(1);
  require_same_chain(cluster, full, 1, target);
  REQUIRE(liar.blocks_tampered() > 0);

  // With the honest upstream dead, only the liar answers: the full node keeps refusing it.
  auto rejected_so_far = [&] {
    auto dump = e2e::rpc_call(cluster.nodes()[full].rpc_port, "dump_consensus_state");
    return dump.body["result"]["blocks_rejected"].get<std::uint64_t>();
  };
  std::uint64_t before = rejected_so_far();
  REQUIRE(before > 0);
  cluster.kill(3);
  for (std::size_t k = 0; k < 3; ++k) {
    auto [ok, hash] = cluster.transfer(k % 3, k, (k + 2) % 8, 20 + k);
    REQUIRE(ok);
    REQUIRE(wait_committed(cluster.nodes()[0].rpc_port, hash, kCommitMs));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCommitMs);
  while (rejected_so_far() < before + 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(rejected_so_far() >= before + 3);
  // Whatever it holds now is the validators' chain.
  std::uint64_t held = cluster.height(full);
  require_same_chain(cluster, full, 1, held);

  // The honest upstream comes back: the full node catches up past what the liar offered.
  cluster.start(3);
  std::uint64_t later = cluster.height(1);
  REQUIRE(later > held);
  require_same_chain(cluster, full, 1, later);

  auto metrics = e2e::http_get(cluster.nodes()[full].rpc_port, "/metrics");
  INFO("metrics:\n" << metrics);
  REQUIRE(metric_value(metrics, "synod_follower_blocks_rejected_total") > 0);
  auto dump = e2e::rpc_call(cluster.nodes()[full].rpc_port, "dump_consensus_state");
  INFO("dump_consensus_state: " << dump.body.dump());
  REQUIRE(dump.body["result"]["blocks_rejected"].get<std::uint64_t>() > 0);
  REQUIRE_FALSE(dump.body["result"]["last_rejection"].get<std::string>().empty());
  REQUIRE(dump.body["result"]["last_rejection"].get<std::string>().find("upstream 0") !=
          std::string::npos);
  REQUIRE(cluster.running(full));
}

TEST_CASE("a full node's config must match its key", "[e2e][full_node]") {
  LocalCluster cluster(4, 1);
  auto require_one_line_error = [&](std::size_t i) {
    auto code = cluster.wait_exit(i, kStartMs);
    std::string log = whole_log(cluster, i);
    INFO("log:\n" << log);
    REQUIRE(code.has_value());
    REQUIRE(*code == 1);
    std::size_t lines = 0;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty())
        ++lines;
    }
    REQUIRE(lines == 1);
    REQUIRE(log.find("upstreams") != std::string::npos);
  };

  SECTION("a key outside the genesis without upstreams") {
    std::size_t full = cluster.add_full_node({});
    cluster.start(full);
    require_one_line_error(full);
  }
  SECTION("a validator's key with upstreams") {
    cluster.set_config(0, {{"upstreams", json::array({cluster.rpc_endpoint(1)})}});
    cluster.start(0);
    require_one_line_error(0);
  }
}
