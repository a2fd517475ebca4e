// The recorded trace of a simulated run (trace_recorder.h) and its HTML page
// (trace_html.h): every message's send and fate, the faults, view changes and commits; the
// cap; recording leaves the run unchanged.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "tests/sim/pbft_engines.h"
#include "tests/sim/runner.h"
#include "tests/sim/trace_html.h"
#include "tests/sim/trace_recorder.h"

using namespace synod;
using namespace synod::sim;
using nlohmann::json;

namespace {

// Four validators; validator 3 equivocates; {0,1,2} | {3} from 200 to 600 ms; the primary
// (0) crashes at 1000 ms and restarts at 2500 ms, so the backups change view.
Scenario eventful_scenario() {
  Scenario scenario = quiet_scenario(31, 4, 3'000);
  scenario.adversaries[3] = "equivocate";
  scenario.partitions.push_back(PartitionFault{{{0, 1, 2}, {3}}, 200, 600});
  scenario.crashes.push_back(CrashFault{0, 1'000, 2'500});
  scenario.stable_ms = 2'600;
  return scenario;
}

RunResult run_recorded(const Scenario& scenario, TraceRecorder* recorder) {
  RunOptions options;
  options.factory = pbft_engine_factory(scenario.seed);
  options.describe_message = describe_pbft_message;
  options.recorder = recorder;
  return run_scenario(scenario, options);
}

std::size_t count_kind(const json& events, const std::string& kind) {
  std::size_t count = 0;
  for (const auto& event : events)
    count += event["kind"] == kind ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE(
    "a recorded run holds every message with its fate, the faults, view changes and "
    "commits",
    "[sim][trace]") {
  TraceRecorder recorder(TraceRecorder::kMaxEventsLimit);
  const Scenario scenario = eventful_scenario();
  RunResult result = run_recorded(scenario, &recorder);
  REQUIRE(result.ok());
  const json trace = recorder.to_json();
  REQUIRE_FALSE(trace["truncated"].get<bool>());
  CHECK(trace["format"] == "synod-sim-trace/1");
  REQUIRE(trace["nodes"].size() == 4);
  CHECK(trace["nodes"][3]["role"] == "equivocate");
  const json& events = trace["events"];

  // Time never goes back, and every delivery or drop follows its own send.
  std::map<std::uint64_t, json> sends;
  std::set<std::string> types;
  std::map<std::string, std::size_t> drops;
  std::uint64_t last_t = 0;
  for (const auto& event : events) {
    REQUIRE(event["t"].get<std::uint64_t>() >= last_t);
    last_t = event["t"];
    if (event["kind"] == "send") {
      sends[event["id"]] = event;
      types.insert(event["type"].get<std::string>());
      CHECK(event.value("byzantine", false) == (event["from"] == 3));
    } else if (event["kind"] == "deliver" || event["kind"] == "drop") {
      REQUIRE(sends.count(event["id"]) == 1);
      if (event["kind"] == "drop")
        ++drops[event["reason"]];
    }
  }
  for (const char* type :
       {"pre_prepare", "prepare", "commit", "checkpoint", "view_change", "new_view"}) {
    INFO(type);
    CHECK(types.count(type) == 1);
  }
  CHECK(count_kind(events, "deliver") > 300);
  CHECK(drops["partition"] > 0);      // to and from validator 3 while cut off
  CHECK(drops["receiver down"] > 0);  // to the crashed primary
  CHECK(count_kind(events, "partition") == 1);
  CHECK(count_kind(events, "heal") == 1);
  CHECK(count_kind(events, "crash") == 1);
  CHECK(count_kind(events, "start") == 5);  // four at t=0, the restart

  // The backups start a view change and enter view 1 (primary 1); commits go on after it.
  bool started = false;
  bool entered = false;
  std::uint64_t commit_after_view = 0;
  for (const auto& event : events) {
    if (event["kind"] == "view" && event["node"] == 1) {
      started = started || event["in_view_change"].get<bool>();
      entered = entered || (!event["in_view_change"].get<bool>() && event["view"] >= 1);
    }
    if (event["kind"] == "commit" && entered)
      commit_after_view = std::max<std::uint64_t>(commit_after_view, event["height"]);
  }
  CHECK(started);
  CHECK(entered);
  CHECK(commit_after_view > 0);
}

TEST_CASE("the trace stops at its cap and says so", "[sim][trace]") {
  TraceRecorder recorder(50);
  RunResult result = run_recorded(quiet_scenario(7, 4, 1'000), &recorder);
  REQUIRE(result.ok());
  CHECK(recorder.size() == 50);
  CHECK(recorder.full());
  const json trace = recorder.to_json();
  CHECK(trace["truncated"].get<bool>());
  CHECK(trace["events"].size() == 50);
  CHECK(trace["note"].get<std::string>().find("cap of 50 events") != std::string::npos);
}

TEST_CASE("recording a run does not change it", "[sim][trace]") {
  const Scenario scenario = eventful_scenario();
  TraceRecorder recorder;
  RunResult recorded = run_recorded(scenario, &recorder);
  RunResult plain = run_recorded(scenario, nullptr);
  CHECK(recorder.size() > 0);
  CHECK(recorded.trace_hash == plain.trace_hash);
  CHECK(recorded.height == plain.height);
}

TEST_CASE("the HTML page inlines the chart and the trace, and a label cannot close its script",
          "[sim][trace]") {
  TraceRecorder recorder;
  recorder.set_nodes({{0, 0, "honest"}, {1, 1, "honest"}});
  recorder.on_wire({WireEvent::Kind::kSend, 1, 0, 1, "PREPARE </script><b>x</b>", 5});
  recorder.on_wire({WireEvent::Kind::kDeliver, 1, 0, 1, "PREPARE </script><b>x</b>", 9});
  const std::string page = render_trace_html(recorder.to_json());
  CHECK(page.find("SynodMsc") != std::string::npos);    // the chart's script
  CHECK(page.find(".msc-arrow") != std::string::npos);  // its style
  CHECK(page.find("/*SYNOD_") == std::string::npos);    // every placeholder filled
  CHECK(page.find("<\\/script><b>x<\\/b>") != std::string::npos);
  CHECK(page.find("</script><b>") == std::string::npos);
  CHECK(page.find("http://") == page.find("http://www.w3.org/2000/svg"));  // no fetches
  CHECK(page.find("https://") == std::string::npos);
}
