// The wait_events push stream of a real node (node_events.cpp): the current state at once,
// the next block by long poll, and JSON-RPC errors for bad parameters.
#include <catch2/catch.hpp>

#include <chrono>

#include "tests/node_e2e/local_cluster.h"

using namespace synod;
using e2e::kCommitMs;
using e2e::kStartMs;
using e2e::LocalCluster;
using nlohmann::json;

TEST_CASE("wait_events gives the node's state and pushes the next block", "[e2e]") {
  LocalCluster cluster(4, 2);
  cluster.start_all();
  REQUIRE(cluster.wait_healthy_all(kStartMs));
  const auto port = cluster.nodes()[1].rpc_port;

  auto first = e2e::rpc_call(port, "wait_events", json{{"after", 0}, {"wait_ms", 0}}).body;
  REQUIRE(first.contains("result"));
  REQUIRE(first["result"]["events"].size() == 1);
  const json state = first["result"]["events"][0]["state"];
  CHECK(state["role"] == "validator");
  CHECK(state["quorum"] == 3);
  CHECK(state.contains("view"));
  CHECK(state.contains("primary"));
  CHECK(state.contains("instance"));
  const std::uint64_t height = state["height"];
  std::uint64_t seq = first["result"]["seq"];

  REQUIRE(cluster.transfer(0, 0, 1, 5).first);
  // Long polls until an event shows a higher height (blocks commit within seconds).
  bool pushed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCommitMs);
  while (!pushed && std::chrono::steady_clock::now() < deadline) {
    auto next =
        e2e::rpc_call(port, "wait_events", json{{"after", seq}, {"wait_ms", 2'000}}, 5'000).body;
    REQUIRE(next.contains("result"));
    seq = next["result"]["seq"];
    for (const auto& event : next["result"]["events"])
      pushed = pushed || event["state"]["height"].get<std::uint64_t>() > height;
  }
  CHECK(pushed);

  CHECK(e2e::rpc_call(port, "wait_events", json{{"after", -1}}).body["error"]["code"] == -32602);
  CHECK(e2e::rpc_call(port, "wait_events", json{{"wait_ms", 60'000}}).body["error"]["code"] ==
        -32602);
  for (std::size_t i = 0; i < 4; ++i)
    REQUIRE(cluster.terminate(i));
}
