// The recorded trace of a proof-of-work run (trace_recorder.h, pow_cluster_trace.cpp):
// block messages with their fates, blocks mined by whom, forks, reorgs and orphans; and
// recording leaves the run unchanged.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "tests/sim/pow_seeds.h"
#include "tests/sim/trace_html.h"
#include "tests/sim/trace_recorder.h"

using namespace synod;
using namespace synod::sim;
using nlohmann::json;

namespace {

// Seed 3: miners at 41, 41, 13 and 41 H/s, a partition {0,2} | {1,3} from 14.4 s to 27.1 s
// and a crash of n3: both sides mine, and one side's blocks are orphaned when it heals.
constexpr std::uint64_t kEventfulSeed = 3;

std::map<std::string, std::vector<json>> by_kind(const json& events) {
  std::map<std::string, std::vector<json>> out;
  for (const auto& event : events)
    out[event["kind"].get<std::string>()].push_back(event);
  return out;
}

}  // namespace

TEST_CASE(
    "a recorded proof-of-work run holds its block messages, blocks mined, forks, reorgs "
    "and orphans",
    "[sim][trace][pow]") {
  TraceRecorder recorder(TraceRecorder::kMaxEventsLimit);
  const PowRunResult result = run_pow_seed(kEventfulSeed, {}, nullptr, &recorder);
  REQUIRE(result.ok());
  REQUIRE(result.reorgs >= 1);  // the run this test is about: a partition that forked
  const json trace = recorder.to_json();
  REQUIRE_FALSE(trace["truncated"].get<bool>());
  CHECK(trace["run"]["consensus"] == "pow");
  REQUIRE(trace["nodes"].size() == 4);
  auto kinds = by_kind(trace["events"]);

  // Messages: blocks, fetches and their answers, each delivery or drop after its send.
  std::map<std::uint64_t, json> sends;
  std::set<std::string> types;
  std::size_t partition_drops = 0;
  for (const auto& event : trace["events"]) {
    if (event["kind"] == "send") {
      sends[event["id"]] = event;
      types.insert(event["type"].get<std::string>());
    } else if (event["kind"] == "deliver" || event["kind"] == "drop") {
      REQUIRE(sends.count(event["id"]) == 1);
      partition_drops += event.value("reason", "") == "partition" ? 1 : 0;
    }
  }
  CHECK(types == std::set<std::string>{"BLOCK", "BLOCKS", "FETCH"});
  CHECK(kinds["deliver"].size() > 300);
  CHECK(partition_drops > 0);
  CHECK(kinds["partition"].size() == 1);
  CHECK(kinds["heal"].size() == 1);

  // Every block mined is recorded with its miner; their count is the run's.
  CHECK(kinds["mined"].size() == result.blocks_mined);
  for (const auto& mined : kinds["mined"])
    CHECK(mined["node"].get<std::uint64_t>() < 4);

  // A fork names two different blocks mined at one height by two miners.
  REQUIRE_FALSE(kinds["fork"].empty());
  for (const auto& fork : kinds["fork"]) {
    REQUIRE(fork["hashes"].size() >= 2);
    CHECK(fork["hashes"][0] != fork["hashes"][1]);
    CHECK(fork["miners"].size() == fork["hashes"].size());
  }

  // The reorgs the invariant checker counted, with who switched, how deep and what it left.
  REQUIRE(kinds["reorg"].size() == result.reorgs);
  std::uint64_t deepest = 0;
  for (const auto& reorg : kinds["reorg"]) {
    CHECK(reorg["depth"] == reorg["abandoned"].size());
    CHECK(reorg["height"].get<std::uint64_t>() > reorg["fork_height"].get<std::uint64_t>());
    deepest = std::max(deepest, reorg["depth"].get<std::uint64_t>());
  }
  CHECK(deepest == result.deepest_reorg);

  // Orphans: the mined blocks off the final chain, counted in the trace.
  std::size_t orphaned = 0;
  for (const auto& mined : kinds["mined"])
    orphaned += mined["orphaned"].get<bool>() ? 1 : 0;
  CHECK(orphaned > 0);
  CHECK(trace["orphans"] == orphaned);
  CHECK(kinds["tip"].size() > kinds["mined"].size());  // other nodes adopt what is mined
}

TEST_CASE("recording a proof-of-work run does not change it", "[sim][trace][pow]") {
  TraceRecorder recorder;
  const PowRunResult recorded = run_pow_seed(kEventfulSeed, {}, nullptr, &recorder);
  const PowRunResult plain = run_pow_seed(kEventfulSeed, {});
  CHECK(recorder.size() > 0);
  CHECK(recorded.trace_hash == plain.trace_hash);
  CHECK(recorded.height == plain.height);
}

TEST_CASE("a proof-of-work trace renders as a self-contained page", "[sim][trace][pow]") {
  TraceRecorder recorder;
  (void)run_pow_seed(kEventfulSeed, {}, nullptr, &recorder);
  const std::string page = render_trace_html(recorder.to_json());
  CHECK(page.find("\"kind\":\"reorg\"") != std::string::npos);
  CHECK(page.find("/*SYNOD_") == std::string::npos);
  CHECK(page.find("https://") == std::string::npos);
}
