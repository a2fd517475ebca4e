// Ten protocol bugs planted behind a test-only switch (pbft/planted_bug.h), each of which the
// simulator's checkers must catch. Six are found by the Twins generator (twins.h): the test
// runs scenarios 0, 1, 2, ... with the bug until one reports a violation of the expected
// checker, then runs the same scenarios again without the bug and requires them clean. The
// other four need a fault Twins does not make (a forged signature, an invalid block, a crash,
// commits lost to all but one replica) and run a directed scenario, once with the bug (the
// checker must report it) and once without (clean and live).
//
// `synod-sim --twins --scenario ID --planted-bug NAME --verbose` replays a Twins case.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "crypto/signature_memo.h"
#include "pbft/messages.h"
#include "tests/sim/honest_votes.h"
#include "tests/sim/pbft_engines.h"
#include "tests/sim/runner.h"
#include "tests/sim/twins.h"

using namespace synod;
using namespace synod::sim;
using pbft::PlantedBug;

namespace {

bool reports(const RunResult& result, const std::string& checker) {
  for (const auto& violation : result.violations) {
    if (violation.what.rfind(checker, 0) == 0)
      return true;
  }
  return false;
}

std::string listing(const RunResult& result) {
  std::string out = "scenario: " + result.scenario + "\n";
  for (const auto& violation : result.violations)
    out += "  t=" + std::to_string(violation.at_ms) + "ms " + violation.what + "\n";
  return out;
}

// Runs Twins scenarios from 0 with `bug` until one reports `checker`; then requires the
// scenarios up to it clean without the bug. Returns the id that caught it.
std::uint64_t caught_by_twins(PlantedBug bug, const std::string& checker,
                              std::uint64_t max_scenarios) {
  crypto::SignatureMemo memo;
  std::optional<std::uint64_t> caught;
  for (std::uint64_t id = 0; id < max_scenarios && !caught; ++id) {
    RunResult result = run_twins(id, TwinsOptions{bug, nullptr});
    if (reports(result, checker)) {
      caught = id;
      INFO(listing(result));
      CHECK(reports(result, checker));
    }
  }
  INFO("planted bug " << pbft::to_string(bug) << " not caught by '" << checker << "' in "
                      << max_scenarios << " Twins scenarios");
  REQUIRE(caught);
  for (std::uint64_t id = 0; id <= *caught; ++id) {
    RunResult result = run_twins(id, TwinsOptions{});
    INFO("without the bug: " << listing(result));
    REQUIRE(result.ok());
  }
  std::cout << "planted bug " << pbft::to_string(bug) << ": caught by '" << checker
            << "' at Twins scenario " << *caught << "\n";
  return *caught;
}

// `extra_filter` cuts links until scenario.stable_ms. SIM_TRACE=1 in the environment prints
// every event of the directed runs.
RunResult run_directed(const Scenario& scenario, PlantedBug bug, const LinkFilter& extra_filter) {
  crypto::SignatureMemo memo;
  HonestVoteChecker checker;
  RunOptions options;
  options.factory = pbft_engine_factory(scenario.seed, bug);
  options.describe_message = describe_pbft_message;
  options.trace = std::getenv("SIM_TRACE") != nullptr ? &std::cout : nullptr;
  options.prepare = [&](Cluster& cluster) {
    cluster.set_link_filter([&cluster, &checker, extra_filter, stable_ms = scenario.stable_ms](
                                SlotId from, SlotId to, ByteView message) {
      const SimNode& sender = cluster.node(from);
      if (sender.honest && !message.empty()) {
        if (auto decoded = pbft::decode_message(message))
          checker.on_sent(sender.validator, *decoded, cluster.now());
      }
      return !extra_filter || cluster.now() >= stable_ms || extra_filter(from, to, message);
    });
  };
  RunResult result = run_scenario(scenario, options);
  for (const auto& violation : checker.violations())
    result.violations.push_back(violation);
  return result;
}

// With the bug the checker reports it; without, the same scenario is clean and every
// transaction commits.
void caught_directed(const Scenario& scenario, PlantedBug bug, const std::string& checker,
                     const LinkFilter& filter = {}) {
  RunResult buggy = run_directed(scenario, bug, filter);
  INFO("with " << pbft::to_string(bug) << ": " << listing(buggy));
  CHECK(reports(buggy, checker));
  RunResult clean = run_directed(scenario, PlantedBug::kNone, filter);
  INFO("without the bug: " << listing(clean));
  CHECK(clean.ok());
  CHECK(clean.transactions_committed == clean.transactions_submitted);
}

// The view of a PRE-PREPARE, PREPARE, COMMIT or NEW-VIEW, and its type.
std::optional<std::pair<pbft::MessageType, std::uint64_t>> view_of(ByteView message) {
  auto decoded = pbft::decode_message(message);
  if (!decoded)
    return std::nullopt;
  return std::visit(
      [&](const auto& m) -> std::optional<std::pair<pbft::MessageType, std::uint64_t>> {
        using Body = std::decay_t<decltype(m.body)>;
        if constexpr (std::is_same_v<Body, pbft::ViewChange>) {
          return std::pair{pbft::type_of(*decoded), m.body.new_view};
        } else if constexpr (std::is_same_v<Body, pbft::Checkpoint>) {
          return std::pair{pbft::type_of(*decoded), std::uint64_t{0}};
        } else {
          return std::pair{pbft::type_of(*decoded), m.body.view};
        }
      },
      *decoded);
}

}  // namespace

TEST_CASE("planted bug commit-quorum-too-small: Twins finds it, the certificate checker reports",
          "[sim][twins]") {
  caught_by_twins(PlantedBug::kCommitQuorumTooSmall, "certificate:", 200);
}

TEST_CASE("planted bug execute-before-committed: Twins finds it, the certificate checker reports",
          "[sim][twins]") {
  caught_by_twins(PlantedBug::kExecuteBeforeCommitted, "certificate:", 200);
}

TEST_CASE(
    "planted bug accept-conflicting-pre-prepare: Twins finds it, an honest replica "
    "equivocates",
    "[sim][twins]") {
  caught_by_twins(PlantedBug::kAcceptConflictingPrePrepare, "equivocation:", 600);
}

TEST_CASE("planted bug count-duplicate-votes: Twins finds it, the certificate checker reports",
          "[sim][twins]") {
  caught_by_twins(PlantedBug::kCountDuplicateVotes, "certificate:", 600);
}

TEST_CASE("planted bug low-watermark-ahead: Twins finds it, the liveness checker reports",
          "[sim][twins]") {
  caught_by_twins(PlantedBug::kLowWatermarkAhead, "liveness:", 200);
}

TEST_CASE("planted bug accept-old-view-votes: Twins finds it, the certificate checker reports",
          "[sim][twins]") {
  caught_by_twins(PlantedBug::kAcceptOldViewVotes, "certificate:", 600);
}

// A forging validator's messages all carry bad signatures; a replica that does not check
// them counts its COMMITs, and the certificate it stores does not verify.
TEST_CASE("planted bug accept-bad-signatures: a forging primary, the certificate checker reports",
          "[sim][twins]") {
  Scenario scenario = quiet_scenario(91, 4, 2'000);
  scenario.adversaries[0] = "forge-signature";
  caught_directed(scenario, PlantedBug::kAcceptBadSignatures, "certificate:");
}

// The invalid-block primary's first proposal carries a transaction whose signature does not
// verify; a replica that skips the check commits it.
TEST_CASE(
    "planted bug skip-transaction-signatures: an invalid-block primary, the validity "
    "checker reports",
    "[sim][twins]") {
  Scenario scenario = quiet_scenario(92, 4, 2'000);
  scenario.adversaries[0] = "invalid-block";
  caught_directed(scenario, PlantedBug::kSkipTransactionSignatures, "validity:");
}

// Primary 0 is cut off from the start, proposes its heartbeat block at 500 ms, crashes at
// 700 ms and restarts at once. Having persisted nothing, it does not know it proposed in
// view 0 and proposes a different block for the same sequence.
TEST_CASE("planted bug skip-persist-before-send: a restarted primary equivocates", "[sim][twins]") {
  Scenario scenario = quiet_scenario(93, 4, 2'000);
  scenario.partitions.push_back(PartitionFault{{{0}, {1, 2, 3}}, 0, 1'500});
  scenario.crashes.push_back(CrashFault{0, 700, 720});
  scenario.stable_ms = 1'500;
  caught_directed(scenario, PlantedBug::kSkipPersistBeforeSend, "equivocation:");
}

// Block 1 prepares everywhere in view 0 but only validator 1 receives the COMMITs, and
// validator 1 is then unheard until 3 s. The NEW-VIEW of view 2 (primary 2, from the
// view-changes of 0, 2 and 3) must re-propose the prepared block; a new primary that drops
// the prepared certificates proposes another block 1, which 0, 2 and 3 commit.
TEST_CASE("planted bug ignore-prepared-certificates: the agreement checker reports",
          "[sim][twins]") {
  Scenario scenario = quiet_scenario(94, 4, 2'000);
  scenario.stable_ms = 3'000;
  auto filter = [](SlotId from, SlotId to, ByteView message) {
    auto kind = message.empty() ? std::nullopt : view_of(message);
    if (!kind)
      return from != 1 && to != 1;  // fetches: nobody learns block 1 from validator 1
    if (kind->first == pbft::MessageType::kCommit && kind->second == 0)
      return to == 1;
    return from != 1 || kind->second == 0;
  };
  caught_directed(scenario, PlantedBug::kIgnorePreparedCertificates, "agreement:", filter);
}
