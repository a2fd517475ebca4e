// The cluster driver with fake engines: timers, persistence across crashes, message
// routing (twins, partitions), block fetches, gossip, and a toy consensus end to end.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/sim/cluster.h"
#include "tests/sim/invariants.h"
#include "tests/sim/runner.h"
#include "tests/sim/toy_engine.h"
#include "tests/sim/workload.h"
#include "tests/support/quiet_queries.h"

using namespace synod;
using namespace synod::sim;

namespace {

// An engine that records its inputs and answers each with what `script` returns.
struct Recorder {
  std::vector<std::string> events;  // "n<slot> <event>" in order
  std::function<chain::Actions(SlotId, const std::string&)> script;
};

class RecordingEngine final : public testing::QuietQueries {
 public:
  RecordingEngine(SlotId slot, Recorder& recorder) : slot_(slot), recorder_(recorder) {}
  chain::Actions start(TimeMs now) override { return note("start@" + std::to_string(now)); }
  chain::Actions on_message(ReplicaIndex from, ByteView message, TimeMs) override {
    return note("msg:v" + std::to_string(from) + ":" + std::string(message.begin(), message.end()));
  }
  chain::Actions on_transactions(TimeMs) override { return note("txs"); }
  chain::Actions on_timer(std::uint32_t id, TimeMs now) override {
    return note("timer" + std::to_string(id) + "@" + std::to_string(now));
  }
  chain::Actions on_block_stored(std::uint64_t height, TimeMs) override {
    return note("stored" + std::to_string(height));
  }
  chain::Actions on_blocks_fetched(ReplicaIndex peer, std::vector<chain::Block> blocks,
                                   TimeMs) override {
    return note("fetched:v" + std::to_string(peer) + ":" + std::to_string(blocks.size()));
  }

 private:
  chain::Actions note(const std::string& event) {
    recorder_.events.push_back("n" + std::to_string(slot_) + " " + event);
    return recorder_.script ? recorder_.script(slot_, event) : chain::Actions{};
  }
  SlotId slot_;
  Recorder& recorder_;
};

EngineFactory recording_factory(Recorder& recorder) {
  return [&recorder](const NodeContext& context) -> Result<std::unique_ptr<chain::Engine>> {
    return std::unique_ptr<chain::Engine>(new RecordingEngine(context.node.slot, recorder));
  };
}

EngineFactory toy_factory() {
  return [](const NodeContext& context) -> Result<std::unique_ptr<chain::Engine>> {
    return std::unique_ptr<chain::Engine>(
        new ToyEngine(context.genesis.genesis, context.key, context.node.validator, context.mempool,
                      context.node.store.head(), context.node.store.state));
  };
}

ClusterOptions quiet_options(std::size_t validators) {
  ClusterOptions options;
  options.validators = validators;
  options.network.latency_base_ms = 10;
  options.network.latency_jitter_mean_ms = 0;
  return options;
}

Bytes text(const std::string& value) {
  return Bytes(value.begin(), value.end());
}

bool contains(const std::vector<std::string>& events, const std::string& event) {
  return std::find(events.begin(), events.end(), event) != events.end();
}

}  // namespace

TEST_CASE("generated genesis is valid and deterministic", "[sim][cluster]") {
  SimGenesis a = make_sim_genesis(7, 5, sim_pbft_params());
  SimGenesis b = make_sim_genesis(7, 5, sim_pbft_params());
  CHECK(a.genesis->hash() == b.genesis->hash());
  CHECK(a.genesis->validators.size() == 7);
  CHECK(a.genesis->validators.max_faulty() == 2);
  CHECK(a.account_keys.size() == 5);
  auto parsed = chain::parse_genesis(chain::genesis_to_json(*a.genesis));
  REQUIRE(parsed.ok());
  CHECK(parsed->hash() == a.genesis->hash());
}

TEST_CASE("timers fire at their time, re-arm, cancel, and die with a crash", "[sim][cluster]") {
  Recorder recorder;
  recorder.script = [](SlotId slot, const std::string& event) -> chain::Actions {
    if (slot != 0 || event != "start@0")
      return {};
    return {chain::SetTimerAction{1, 50}, chain::SetTimerAction{2, 70},
            chain::SetTimerAction{2, 80},  // re-armed: fires once, at 80
            chain::SetTimerAction{3, 90}, chain::CancelTimerAction{3},
            chain::SetTimerAction{4, 200}};
  };
  Cluster cluster(quiet_options(4), recording_factory(recorder));
  cluster.start();
  cluster.queue().schedule(150, [&] { cluster.crash(0); });
  cluster.queue().schedule(160, [&] { cluster.restart(0); });
  REQUIRE(cluster.run_until(500));
  std::vector<std::string> node0;
  for (const auto& event : recorder.events) {
    if (event.rfind("n0 ", 0) == 0)
      node0.push_back(event);
  }
  CHECK(node0 ==
        std::vector<std::string>{"n0 start@0", "n0 timer1@50", "n0 timer2@80", "n0 start@160"});
}

TEST_CASE("persisted records survive a crash, but the engine and mempool do not",
          "[sim][cluster]") {
  Recorder recorder;
  int built = 0;
  std::vector<std::size_t> kv_sizes;
  recorder.script = [](SlotId slot, const std::string& event) -> chain::Actions {
    if (slot == 1 && event.rfind("start", 0) == 0)
      return {chain::PersistAction{"votes", text("v")}};
    return {};
  };
  auto factory = [&](const NodeContext& context) -> Result<std::unique_ptr<chain::Engine>> {
    ++built;
    if (context.node.slot == 1)
      kv_sizes.push_back(context.node.store.kv.size());
    CHECK(context.mempool.empty());
    return std::unique_ptr<chain::Engine>(new RecordingEngine(context.node.slot, recorder));
  };
  Cluster cluster(quiet_options(4), factory);
  cluster.start();
  const auto& keys = cluster.genesis().account_keys;
  auto tx = chain::make_transfer(keys[0], chain::SigningDomain::of(*cluster.genesis().genesis),
                                 chain::address_of(keys[1].public_key()), 5, 1, 0);
  CHECK_FALSE(cluster.submit(1, tx).has_value());
  CHECK(cluster.node(1).mempool->size() == 1);
  cluster.crash(1);
  CHECK_FALSE(cluster.node(1).up());
  CHECK(cluster.node(1).store.kv.at("votes") == text("v"));
  cluster.restart(1);
  CHECK(cluster.node(1).mempool->empty());
  CHECK(built == 5);
  CHECK(kv_sizes == std::vector<std::size_t>{0, 1});
  CHECK(cluster.node(1).restarts == 1);
}

TEST_CASE(
    "sends reach the validator's every reachable copy (twins), broadcasts skip the "
    "sender's validator",
    "[sim][cluster]") {
  Recorder recorder;
  recorder.script = [](SlotId slot, const std::string& event) -> chain::Actions {
    if (event != "start@0")
      return {};
    if (slot == 1)
      return {chain::SendAction{0, text("to0")}};
    if (slot == 4)  // the twin of validator 0
      return {chain::BroadcastAction{text("twin")}};
    return {};
  };
  ClusterOptions options = quiet_options(4);
  options.twins = {0};
  Cluster cluster(options, recording_factory(recorder));
  CHECK_FALSE(cluster.node(0).honest);
  CHECK_FALSE(cluster.node(4).honest);
  CHECK(cluster.node(4).validator == 0);
  cluster.start();
  REQUIRE(cluster.run_until(100));
  const auto& events = recorder.events;
  CHECK(contains(events, "n0 msg:v1:to0"));
  CHECK(contains(events, "n4 msg:v1:to0"));
  CHECK(contains(events, "n1 msg:v0:twin"));
  CHECK(contains(events, "n3 msg:v0:twin"));
  CHECK_FALSE(contains(events, "n0 msg:v0:twin"));

  // Partitioned: slot 1 now reaches only the twin copy of validator 0.
  recorder.events.clear();
  cluster.network().partition({{0, 2}, {1, 3, 4}});
  recorder.script = [](SlotId slot, const std::string& event) -> chain::Actions {
    if (slot == 1 && event.rfind("start", 0) == 0)
      return {chain::SendAction{0, text("again")}};
    return {};
  };
  cluster.crash(1);
  cluster.restart(1);
  REQUIRE(cluster.run_until(300));
  CHECK(contains(recorder.events, "n4 msg:v1:again"));
  CHECK_FALSE(contains(recorder.events, "n0 msg:v1:again"));
}

TEST_CASE("block fetches return the peer's stored blocks, subject to partitions",
          "[sim][cluster]") {
  Recorder recorder;
  recorder.script = [](SlotId slot, const std::string& event) -> chain::Actions {
    if (slot == 1 && event.rfind("start", 0) == 0)
      return {chain::FetchBlocksAction{2, 0, 10}, chain::FetchBlocksAction{3, 5, 10}};
    return {};
  };
  Cluster cluster(quiet_options(4), recording_factory(recorder));
  cluster.start();
  REQUIRE(cluster.run_until(100));
  CHECK(contains(recorder.events, "n1 fetched:v2:1"));  // block 0 only
  CHECK(contains(recorder.events, "n1 fetched:v3:0"));  // nothing from height 5
  recorder.events.clear();
  cluster.network().partition({{1}, {0, 2, 3}});
  cluster.crash(1);
  cluster.restart(1);
  REQUIRE(cluster.run_until(300));
  CHECK(recorder.events == std::vector<std::string>{"n1 start@100"});
}

TEST_CASE("client transactions are gossiped to every reachable mempool", "[sim][cluster]") {
  Recorder recorder;
  Cluster cluster(quiet_options(4), recording_factory(recorder));
  cluster.start();
  cluster.network().partition({{0, 1, 2}, {3}});
  const auto& keys = cluster.genesis().account_keys;
  auto tx = chain::make_transfer(keys[2], chain::SigningDomain::of(*cluster.genesis().genesis),
                                 chain::address_of(keys[3].public_key()), 5, 1, 0);
  CHECK_FALSE(cluster.submit(0, tx).has_value());
  REQUIRE(cluster.run_until(100));
  CHECK(cluster.node(1).mempool->contains(tx.hash()));
  CHECK(cluster.node(2).mempool->contains(tx.hash()));
  CHECK_FALSE(cluster.node(3).mempool->contains(tx.hash()));
  CHECK(contains(recorder.events, "n1 txs"));
  CHECK_FALSE(contains(recorder.events, "n3 txs"));
}

TEST_CASE("a toy-consensus cluster commits every transaction and passes the invariants",
          "[sim][cluster]") {
  auto run = [](std::uint64_t seed) {
    Scenario scenario = quiet_scenario(seed, 4, 3'000);
    scenario.stable_network.latency_jitter_mean_ms = 5;
    scenario.stable_network.drop_probability = 0;
    RunOptions options;
    options.factory = toy_factory();
    return run_scenario(scenario, options);
  };
  RunResult a = run(3);
  for (const auto& violation : a.violations)
    UNSCOPED_INFO(violation.what);
  REQUIRE(a.ok());
  CHECK(a.transactions_submitted > 50);
  CHECK(a.transactions_committed == a.transactions_submitted);
  CHECK(a.height > 10);
  RunResult b = run(3);
  CHECK(b.trace_hash == a.trace_hash);
  CHECK(b.events == a.events);
  CHECK(b.height == a.height);
  RunResult c = run(4);
  CHECK(c.trace_hash != a.trace_hash);
}

TEST_CASE("a toy-consensus backup that crashes catches up by fetching blocks", "[sim][cluster]") {
  Scenario scenario = quiet_scenario(9, 4, 4'000);
  scenario.crashes.push_back(CrashFault{2, 500, 2'500});
  scenario.stable_ms = 2'500;
  RunOptions options;
  options.factory = toy_factory();
  RunResult result = run_scenario(scenario, options);
  for (const auto& violation : result.violations)
    UNSCOPED_INFO(violation.what);
  REQUIRE(result.ok());
  CHECK(result.transactions_committed == result.transactions_submitted);
}
