// testnet/web_hub.h: the web view's state: node states, the bounded block tree and logs,
// and browsers waiting for the next version.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "testnet/web_hub.h"

using namespace synod::testnet;
using nlohmann::json;

namespace {

Testnet two_nodes() {
  Testnet testnet;
  testnet.dir = "net";
  for (std::size_t i = 0; i < 2; ++i) {
    NodeInfo node;
    node.index = i;
    node.name = "node-" + std::to_string(i);
    node.rpc = {"127.0.0.1", static_cast<std::uint16_t>(26657 + 2 * i)};
    testnet.nodes.push_back(node);
  }
  return testnet;
}

}  // namespace

TEST_CASE("web hub: a node state change bumps the version, a repeat does not", "[unit][web]") {
  WebHub hub(two_nodes());
  const auto v0 = hub.version();
  hub.set_node_state(1, {{"height", 3}});
  const auto v1 = hub.version();
  CHECK(v1 > v0);
  hub.set_node_state(1, {{"height", 3}});
  CHECK(hub.version() == v1);
  const json state = hub.snapshot();
  CHECK(state["nodes"][1]["state"]["height"] == 3);
  CHECK(state["nodes"][1]["reachable"] == true);
  CHECK(state["nodes"][0]["state"].is_null());
}

TEST_CASE("web hub: the encoded state is made once per version and shared", "[unit][web]") {
  WebHub hub(two_nodes());
  const auto first = hub.snapshot_text();
  CHECK(hub.snapshot_text() == first);  // no change: the same encoding, not a new one
  CHECK(json::parse(*first) == hub.snapshot());
  hub.set_node_state(0, {{"height", 9}});
  const auto second = hub.snapshot_text();
  CHECK(second != first);
  CHECK(json::parse(*second)["nodes"][0]["state"]["height"] == 9);
}

TEST_CASE("web hub: the block tree keeps the newest blocks only", "[unit][web]") {
  WebHub hub(two_nodes());
  for (std::uint64_t h = 0; h < WebHub::kBlocksKept + 40; ++h)
    hub.add_block({{"hash", "b" + std::to_string(h)}, {"height", h}, {"prev", ""}});
  const json blocks = hub.snapshot()["blocks"];
  CHECK(blocks.size() == WebHub::kBlocksKept);
  CHECK_FALSE(hub.knows_block("b0"));
  CHECK(hub.knows_block("b" + std::to_string(WebHub::kBlocksKept + 39)));
}

TEST_CASE("web hub: logs update entries by id and stay bounded", "[unit][web]") {
  WebHub hub(two_nodes());
  hub.log_transfer({{"id", "t1"}, {"hash", "t1"}, {"status", "pending"}});
  REQUIRE(hub.pending_transfers().size() == 1);
  hub.log_transfer({{"id", "t1"}, {"hash", "t1"}, {"status", "committed"}});
  CHECK(hub.pending_transfers().empty());
  for (int i = 0; i < 50; ++i)
    hub.log_action({{"id", "a" + std::to_string(i)}, {"state", "done"}});
  CHECK(hub.snapshot()["actions"].size() == WebHub::kLogKept);
  CHECK(hub.snapshot()["transfers"].size() == 1);
}

TEST_CASE("web hub: a waiting browser wakes on a change, or at its timeout", "[unit][web]") {
  WebHub hub(two_nodes());
  const auto seen = hub.version();
  CHECK(hub.wait_change(seen, std::chrono::milliseconds(10)) == seen);  // nothing changed
  std::thread writer([&hub] { hub.set_node_process(0, "up"); });
  const auto woken = hub.wait_change(seen, std::chrono::seconds(30));
  writer.join();
  CHECK(woken != seen);
}
