// The Twins generator (twins.h): the partition set, the index-to-scenario mapping, the
// per-round links, and a short clean chunk without planted bugs.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "crypto/signature_memo.h"
#include "tests/sim/twins.h"

using namespace synod;
using namespace synod::sim;

TEST_CASE("twins partitions: every split of 5 slots into 1, 2 or 3 groups, once", "[sim][twins]") {
  const auto& partitions = twins_partitions();
  REQUIRE(partitions.size() == 41);  // 1 + S(5,2) + S(5,3) = 1 + 15 + 25
  std::set<std::set<std::set<SlotId>>> distinct;
  std::size_t by_count[4] = {};
  for (const auto& groups : partitions) {
    std::set<std::set<SlotId>> as_sets;
    std::size_t slots = 0;
    for (const auto& group : groups) {
      CHECK_FALSE(group.empty());
      as_sets.insert(std::set<SlotId>(group.begin(), group.end()));
      slots += group.size();
    }
    CHECK(slots == TwinsScenario::kSlots);
    REQUIRE(groups.size() <= 3);
    ++by_count[groups.size()];
    distinct.insert(as_sets);
  }
  CHECK(distinct.size() == 41);
  CHECK(by_count[1] == 1);
  CHECK(by_count[2] == 15);
  CHECK(by_count[3] == 25);
  CHECK(twins_space_size() == 4ULL * 41 * 41 * 41 * 41 * 41 * 41);
}

TEST_CASE("twins scenarios: the same id gives the same scenario, distinct ids distinct ones",
          "[sim][twins]") {
  CHECK(twins_scenario(12345).describe() == twins_scenario(12345).describe());
  std::set<std::string> seen;
  std::size_t twins_seen[4] = {};
  for (std::uint64_t id = 0; id < 20'000; ++id) {
    TwinsScenario scenario = twins_scenario(id);
    ++twins_seen[scenario.twin];
    seen.insert(scenario.describe().substr(scenario.describe().find(':')));
  }
  CHECK(seen.size() == 20'000);
  for (std::size_t count : twins_seen)
    CHECK(count > 4'000);  // about 5,000 each
}

TEST_CASE("twins links: a message reaches only its round's group, later views are open",
          "[sim][twins]") {
  TwinsScenario scenario = twins_scenario(0);
  scenario.rounds[0] = {{0, 1, 4}, {2, 3}};
  scenario.rounds[1] = {{0, 1, 2, 3, 4}};
  CHECK(scenario.connected(0, 0, 4));
  CHECK(scenario.connected(0, 3, 2));
  CHECK_FALSE(scenario.connected(0, 1, 2));
  CHECK_FALSE(scenario.connected(0, 4, 3));
  CHECK(scenario.connected(1, 1, 2));
  CHECK(scenario.connected(TwinsScenario::kRounds, 4, 3));
}

TEST_CASE("twins chunk: in scenarios 0-99 the twins equivocate, yet all stay clean and live",
          "[sim][twins]") {
  crypto::SignatureMemo memo;
  std::uint64_t blocks = 0;
  std::uint64_t equivocated = 0;
  for (std::uint64_t id = 0; id < 100; ++id) {
    TwinsStats stats;
    RunResult result = run_twins(id, TwinsOptions{}, &stats);
    equivocated += stats.twin_equivocated ? 1 : 0;
    std::string listing;
    for (const auto& violation : result.violations)
      listing += "  " + violation.what + "\n";
    INFO("scenario " << result.scenario << "\n"
                     << listing << "replay: " << twins_replay_command(id, TwinsOptions{}));
    REQUIRE(result.ok());
    CHECK(result.transactions_committed == result.transactions_submitted);
    blocks += result.height;
  }
  CHECK(blocks > 100);
  CHECK(equivocated > 10);  // the twin pair did sign conflicting messages, in many scenarios
}
