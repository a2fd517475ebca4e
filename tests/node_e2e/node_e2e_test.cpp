// End-to-end tests of synod-node: four real processes on 127.0.0.1.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <thread>

#include "chain/address.h"
#include "chain/transaction.h"
#include "crypto/hex.h"

#include "tests/node_e2e/local_cluster.h"

using namespace synod;
using e2e::kCommitMs;
using e2e::kStartMs;
using e2e::LocalCluster;
using nlohmann::json;

namespace {

// Waits until every listed node reaches `height`, then checks they agree on the block hash
// at that height and on the state root once their heads are equal.
void require_agreement(LocalCluster& cluster, const std::vector<std::size_t>& nodes,
                       std::uint64_t height) {
  std::set<std::string> hashes;
  for (std::size_t i : nodes) {
    INFO("node " << i << " log:\n" << cluster.log_tail(i));
    REQUIRE(cluster.wait_for(
        i, [&](const json& s) { return s["stored_height"] >= height; }, kCommitMs));
    auto block = e2e::rpc_call(cluster.nodes()[i].rpc_port, "get_block", json{{"height", height}});
    REQUIRE(block.body.contains("result"));
    hashes.insert(block.body["result"]["hash"].get<std::string>());
  }
  REQUIRE(hashes.size() == 1);
}

// Submits `count` transfers round-robin over nodes that are up; returns how many went in.
std::size_t submit_load(LocalCluster& cluster, const std::vector<std::size_t>& nodes,
                        std::size_t count) {
  std::size_t accepted = 0;
  for (std::size_t k = 0; k < count; ++k) {
    std::size_t from = k % cluster.accounts().size();
    std::size_t to = (from + 1) % cluster.accounts().size();
    auto [ok, detail] = cluster.transfer(nodes[k % nodes.size()], from, to, 1);
    if (ok)
      ++accepted;
  }
  return accepted;
}

}  // namespace

TEST_CASE("four nodes commit transfers and agree on head and state root", "[e2e]") {
  LocalCluster cluster(4, 8);
  cluster.start_all();
  REQUIRE(cluster.wait_healthy_all(kStartMs));
  std::vector<std::string> hashes;
  for (std::size_t k = 0; k < 8; ++k) {
    auto [ok, hash] = cluster.transfer(k % 4, k, (k + 1) % 8, 100 + k);
    REQUIRE(ok);
    hashes.push_back(hash);
  }
  for (const auto& hash : hashes) {
    bool committed = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCommitMs);
    while (!committed && std::chrono::steady_clock::now() < deadline) {
      auto tx = e2e::rpc_call(cluster.nodes()[0].rpc_port, "get_tx", json{{"hash", hash}});
      committed = tx.body.contains("result") && tx.body["result"]["status"] == "committed";
      if (!committed)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(committed);
  }
  // Stop the chain from moving, then compare heads and state roots.
  std::uint64_t target = cluster.height(0);
  require_agreement(cluster, {0, 1, 2, 3}, target);
  std::set<std::string> roots;
  for (std::size_t i = 0; i < 4; ++i) {
    auto block = e2e::rpc_call(cluster.nodes()[i].rpc_port, "get_block", json{{"height", target}});
    roots.insert(block.body["result"]["header"]["state_root"].get<std::string>());
    auto account = e2e::rpc_call(
        cluster.nodes()[i].rpc_port, "get_account",
        json{{"address", chain::to_string(chain::address_of(cluster.accounts()[1].public_key()))}});
    // Account 1 sent 101 + fee 1 and received 100 from account 0.
    REQUIRE(account.body["result"]["balance"] == 1'000'000'000 - 101 - 1 + 100);
  }
  REQUIRE(roots.size() == 1);
  for (std::size_t i = 0; i < 4; ++i)
    REQUIRE(cluster.terminate(i));
}

TEST_CASE("every RPC method answers, and bad requests get JSON-RPC errors", "[e2e]") {
  LocalCluster cluster(4, 3);  // accounts 0-2: the gapped transfers below go to account 2
  cluster.start_all();
  REQUIRE(cluster.wait_healthy_all(kStartMs));
  auto port = cluster.nodes()[0].rpc_port;
  auto call = [&](const std::string& method, const json& params) {
    return e2e::rpc_call(port, method, params).body;
  };
  REQUIRE(call("status", json::object())["result"]["chain_id"] == "synod-e2e");
  REQUIRE(call("get_validators", json::object())["result"]["count"] == 4);
  REQUIRE(call("get_genesis", json::object())["result"]["genesis"]["chain_id"] == "synod-e2e");
  REQUIRE(call("dump_consensus_state", json::object())["result"].contains("instances"));
  REQUIRE(call("get_block", json{{"height", 0}})["result"]["header"]["height"] == 0);
  REQUIRE(call("get_block", json::array({"latest"}))["result"].contains("raw"));
  REQUIRE(call("get_block", json{{"height", 999999}})["error"]["code"] == -32004);
  REQUIRE(call("get_block", json{{"height", "x"}})["error"]["code"] == -32602);
  REQUIRE(call("get_account", json{{"address", "nope"}})["error"]["code"] == -32602);
  REQUIRE(call("get_tx", json{{"hash", std::string(64, '0')}})["result"]["status"] == "unknown");
  REQUIRE(call("get_tx", json{{"hash", "zz"}})["error"]["code"] == -32602);
  REQUIRE(call("submit_tx", json{{"tx", "00ff"}})["error"]["code"] == -32602);
  REQUIRE(call("submit_tx", json::object())["error"]["code"] == -32602);
  REQUIRE(call("no_such_method", json::object())["error"]["code"] == -32601);

  // A transaction with a bad nonce is refused with its reason.
  const auto domain = chain::SigningDomain::of(cluster.genesis());
  auto tx = chain::make_transfer(cluster.accounts()[0], domain,
                                 chain::address_of(cluster.accounts()[1].public_key()), 5, 1, 7777);
  auto refused = call("submit_tx", json{{"tx", crypto::to_hex(tx.encode())}});
  REQUIRE(refused["error"]["code"] == -32001);
  REQUIRE(refused["error"]["data"]["reason"] == "nonce_too_far");

  // A transfer signed for a network made from the same keys with this chain id but another
  // genesis: the same funded key and a valid nonce, refused for its signature, not admitted.
  chain::Genesis twin = cluster.genesis();
  twin.genesis_time_ms += 1;
  const auto twin_domain = chain::SigningDomain::of(twin);
  REQUIRE(twin_domain.chain_id == domain.chain_id);
  REQUIRE(twin_domain.genesis_hash != domain.genesis_hash);
  const auto payee = chain::address_of(cluster.accounts()[1].public_key());
  auto foreign = chain::make_transfer(cluster.accounts()[0], twin_domain, payee, 5, 1, 0);
  REQUIRE(foreign.signature_valid(twin_domain));
  auto replayed = call("submit_tx", json{{"tx", crypto::to_hex(foreign.encode())}});
  REQUIRE(replayed["error"]["code"] == -32001);
  REQUIRE(replayed["error"]["data"]["reason"] == "bad_signature");
  const std::string foreign_hash = crypto::to_hex(foreign.hash().view());
  REQUIRE(call("get_tx", json{{"hash", foreign_hash}})["result"]["status"] == "unknown");
  // The same transfer signed for this genesis is taken.
  auto own = chain::make_transfer(cluster.accounts()[0], domain, payee, 5, 1, 0);
  REQUIRE(call("submit_tx", json{{"tx", crypto::to_hex(own.encode())}})["result"]["status"] ==
          "pending");

  // Nonces behind a gap wait, parked and pending, up to the per-sender cap (64 by default).
  const auto& gapped_sender = cluster.accounts()[1];
  const auto to = chain::address_of(cluster.accounts()[2].public_key());
  for (std::uint64_t nonce = 1; nonce <= 64; ++nonce) {
    auto gapped = chain::make_transfer(gapped_sender, domain, to, 5, 1, nonce);
    REQUIRE(call("submit_tx", json{{"tx", crypto::to_hex(gapped.encode())}})["result"]["status"] ==
            "pending");
  }
  auto over = chain::make_transfer(gapped_sender, domain, to, 5, 1, 65);
  auto limited = call("submit_tx", json{{"tx", crypto::to_hex(over.encode())}});
  REQUIRE(limited["error"]["code"] == -32001);
  REQUIRE(limited["error"]["data"]["reason"] == "sender_limit");

  // Malformed JSON and oversized bodies: errors, and the node keeps serving.
  std::string bad_json =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 9\r\n\r\n{\"jsonrpc";
  REQUIRE(e2e::http_raw(port, bad_json).find("-32700") != std::string::npos);
  std::string huge = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n";
  REQUIRE(e2e::http_raw(port, huge).find("413") != std::string::npos);
  REQUIRE(call("status", json::object()).contains("result"));
}

TEST_CASE("a backup killed under load restarts and catches up to the same head", "[e2e]") {
  LocalCluster cluster(4, 16);
  cluster.start_all();
  REQUIRE(cluster.wait_healthy_all(kStartMs));
  REQUIRE(submit_load(cluster, {0, 1, 2, 3}, 200) == 200);
  cluster.kill(2);
  REQUIRE(submit_load(cluster, {0, 1, 3}, 300) == 300);
  REQUIRE(cluster.wait_for(
      0, [](const json& s) { return s["mempool_size"] == 0; }, kCommitMs));
  cluster.start(2);
  std::uint64_t target = cluster.height(0);
  require_agreement(cluster, {0, 1, 2, 3}, target);
}

TEST_CASE("when the primary is killed the others change view and keep committing", "[e2e]") {
  LocalCluster cluster(4, 8);
  cluster.start_all();
  REQUIRE(cluster.wait_healthy_all(kStartMs));
  REQUIRE(cluster.status(1).value()["primary"] == 0);
  cluster.kill(0);
  REQUIRE(submit_load(cluster, {1, 2, 3}, 50) == 50);
  REQUIRE(cluster.wait_for(
      1, [](const json& s) { return s["view"] >= 1 && s["mempool_size"] == 0; }, kCommitMs));
  std::uint64_t target = cluster.height(1);
  require_agreement(cluster, {1, 2, 3}, target);
}

TEST_CASE("honest nodes agree and commit beside an equivocating primary", "[e2e]") {
  LocalCluster cluster(4, 8);
  cluster.start(0, "equivocate");
  for (std::size_t i = 1; i < 4; ++i)
    cluster.start(i);
  REQUIRE(cluster.wait_healthy_all(kStartMs));
  REQUIRE(submit_load(cluster, {1, 2, 3}, 60) == 60);
  REQUIRE(cluster.wait_for(
      1, [](const json& s) { return s["mempool_size"] == 0; }, kCommitMs));
  // The attack happened: the primary proposed two different blocks for some slot.
  auto evil = e2e::rpc_call(cluster.nodes()[0].rpc_port, "dump_consensus_state");
  REQUIRE(evil.body["result"]["adversary"]["equivocate"]["conflicting_proposals"] > 0);
  require_agreement(cluster, {1, 2, 3}, cluster.height(1));
}

TEST_CASE("honest nodes agree and commit beside a node forging signatures", "[e2e]") {
  LocalCluster cluster(4, 8);
  cluster.start(1, "forge-signature");
  for (std::size_t i : {0, 2, 3})
    cluster.start(i);
  REQUIRE(cluster.wait_healthy_all(kStartMs));
  REQUIRE(submit_load(cluster, {0, 2, 3}, 60) == 60);
  REQUIRE(cluster.wait_for(
      0, [](const json& s) { return s["mempool_size"] == 0; }, kCommitMs));
  require_agreement(cluster, {0, 2, 3}, cluster.height(0));
  auto dropped = e2e::rpc_call(cluster.nodes()[0].rpc_port, "dump_consensus_state");
  REQUIRE(dropped.body["result"]["dropped"]["bad_signature"] > 0);
}

TEST_CASE("garbage and oversized frames at the peer and RPC ports do not stop a node", "[e2e]") {
  LocalCluster cluster(4, 4);
  cluster.start_all();
  REQUIRE(cluster.wait_healthy_all(kStartMs));
  const auto& node = cluster.nodes()[0];
  std::string garbage(4096, '\x7f');
  std::string oversized = std::string("\xff\xff\xff\x7f", 4) + std::string(1024, 'x');
  for (int round = 0; round < 20; ++round) {
    e2e::send_raw(node.peer_port, garbage);
    e2e::send_raw(node.peer_port, oversized);
    e2e::send_raw(node.rpc_port, garbage);
    e2e::send_raw(node.rpc_port, oversized);
  }
  REQUIRE(cluster.running(0));
  auto [ok, hash] = cluster.transfer(0, 0, 1, 10);
  REQUIRE(ok);
  REQUIRE(cluster.wait_for(
      0, [](const json& s) { return s["mempool_size"] == 0 && s["height"] >= 1; }, kCommitMs));
  REQUIRE(cluster.status(0).value()["peers_connected"] == 3);
}
