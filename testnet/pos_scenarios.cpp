#include "testnet/pos_scenarios.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "chain/address.h"
#include "client/json_fields.h"
#include "crypto/hex.h"
#include "testnet/cluster.h"
#include "testnet/pow_status.h"
#include "wallet/cli_support.h"

namespace synod::testnet {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

// The narration and verdict, as the other scenarios print them.
class Narrator {
 public:
  explicit Narrator(bool as_json) : start_(Clock::now()), as_json_(as_json) {}

  void say(const std::string& text) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    if (as_json_) {
      steps_.push_back({{"t_s", std::round(elapsed * 10) / 10}, {"text", text}});
      return;
    }
    std::printf("[%6.1fs] %s\n", elapsed, text.c_str());
    std::fflush(stdout);
  }

  int verdict(const std::string& failure) {
    if (as_json_) {
      cli::print_json({{"scenario", kNothingAtStakeScenario},
                       {"pass", failure.empty()},
                       {"verdict", failure.empty() ? "PASS" : "FAIL: " + failure},
                       {"steps", steps_}});
    } else {
      std::printf("%s\n", failure.empty() ? "PASS" : ("FAIL: " + failure).c_str());
    }
    return failure.empty() ? 0 : 1;
  }

 private:
  Clock::time_point start_;
  bool as_json_;
  json steps_ = json::array();
};

// One scenario run: the testnet, the offender and what the honest nodes report.
class NothingAtStake {
 public:
  NothingAtStake(Cluster& cluster, Narrator& narrator)
      : cluster_(cluster), say_(narrator), offender_(cluster.size() - 1) {}

  Status run();
  Status restore() {
    if (!byzantine_started_)
      return Status::success();
    say_.say("restarting " + name(offender_) + " honestly (it stays slashed)");
    if (auto status = cluster_.stop(offender_); !status)
      return status;
    return cluster_.start(offender_);
  }

 private:
  const std::string& name(std::size_t i) const { return cluster_.node(i).name; }
  std::string address_of_node(std::size_t i) const {
    return chain::to_string(
        chain::address_of(cluster_.testnet().genesis.validators.at(i).public_key));
  }
  Result<json> account(std::size_t via, std::size_t whose) {
    return cluster_.call(via, "get_account", {{"address", address_of_node(whose)}});
  }
  std::vector<std::size_t> honest() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i + 1 < cluster_.size(); ++i)
      out.push_back(i);
    return out;
  }

  Status precheck();
  Result<json> wait_for_slash(seconds timeout);
  Status describe_evidence(std::uint64_t slashed_at);
  Status check_excluded(std::uint64_t slashed_at, std::uint64_t more_blocks);
  Status check_agreement();

  Cluster& cluster_;
  Narrator& say_;
  std::size_t offender_;
  bool byzantine_started_ = false;
};

Status NothingAtStake::precheck() {
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < cluster_.size(); ++i)
    all.push_back(i);
  if (auto status = cluster_.wait_healthy(all, 1, true, seconds(60), "checking the testnet");
      !status)
    return status;
  return check_agreement();
}

Status NothingAtStake::check_agreement() {
  std::vector<std::pair<std::size_t, json>> answers;
  for (std::size_t i : cluster_.running()) {
    if (auto status = cluster_.call(i, "status"); status && status->is_object())
      answers.emplace_back(i, *status);
  }
  PowAgreement agreement = check_pow_agreement(cluster_, answers);
  if (!agreement.agree)
    return make_error(agreement.message);
  say_.say(agreement.message);
  return Status::success();
}

// Polls an honest node until the offender's account records a slash.
Result<json> NothingAtStake::wait_for_slash(seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto answer = account(0, offender_);
    if (answer && answer->contains("slashed"))
      return *answer;
    if (Clock::now() >= deadline) {
      return make_error("no slash of " + name(offender_) + " within " +
                        std::to_string(timeout.count()) + " s" + cluster_.log_tail(0));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// The block that slashed: its evidence transaction, the two headers in it, the reporter.
Status NothingAtStake::describe_evidence(std::uint64_t slashed_at) {
  auto block = cluster_.call(0, "get_block", {{"height", slashed_at}});
  if (!block)
    return block.error();
  for (const auto& tx : client::field(*block, "transactions")) {
    if (client::string_field(tx, "kind") != "evidence")
      continue;
    std::string reporter = client::string_field(tx, "from_address");
    for (std::size_t i = 0; i < cluster_.size(); ++i) {
      if (address_of_node(i) == reporter)
        reporter = name(i) + " (" + reporter + ")";
    }
    say_.say("evidence: transaction " + cli::prefix(client::string_field(tx, "hash"), 16) +
             " in block " + std::to_string(slashed_at) + " carries the two signed headers (" +
             std::to_string(client::string_field(tx, "evidence").size() / 2) +
             " bytes); reporter " + reporter);
    return Status::success();
  }
  return make_error("block " + std::to_string(slashed_at) +
                    " slashed the offender but holds no evidence transaction");
}

// The chain goes on for `more_blocks` blocks, none of them signed by the offender.
Status NothingAtStake::check_excluded(std::uint64_t slashed_at, std::uint64_t more_blocks) {
  const std::uint64_t target = slashed_at + more_blocks;
  if (auto status = cluster_.wait_height(0, target, seconds(120), "the chain going on"); !status)
    return status;
  const std::string offender_key =
      crypto::to_hex(cluster_.testnet().genesis.validators.at(offender_).public_key.view());
  for (std::uint64_t height = slashed_at + 1; height <= target; ++height) {
    auto block = cluster_.call(0, "get_block", {{"height", height}});
    if (!block)
      return block.error();
    if (client::string_field(client::field(*block, "header"), "proposer") == offender_key)
      return make_error("block " + std::to_string(height) + " after the slash is the offender's");
  }
  say_.say("the chain went on to height " + std::to_string(target) + "; none of the " +
           std::to_string(more_blocks) + " blocks after the slash is " + name(offender_) +
           "'s: it is out of the lottery");
  return Status::success();
}

Status NothingAtStake::run() {
  if (auto status = precheck(); !status)
    return status;
  auto before = account(0, offender_);
  if (!before)
    return before.error();
  const std::uint64_t stake_before = client::unsigned_field(*before, "stake");
  say_.say(name(offender_) + " stakes " + std::to_string(stake_before) +
           "; restarting it with --byzantine double-sign: it now signs on every branch it sees");
  if (auto status = cluster_.stop(offender_); !status)
    return status;
  byzantine_started_ = true;
  if (auto status = cluster_.start(offender_, "double-sign"); !status)
    return status;
  auto slashed = wait_for_slash(seconds(180));
  if (!slashed)
    return slashed.error();
  const json& why = client::field(*slashed, "slashed");
  const std::uint64_t offence = client::unsigned_field(why, "offence_height");
  const std::uint64_t slashed_at = client::unsigned_field(why, "slashed_at_height");
  say_.say("offence: " + name(offender_) + " signed two different blocks at height " +
           std::to_string(offence));
  if (auto status = describe_evidence(slashed_at); !status)
    return status;
  const std::uint64_t stake_after = client::unsigned_field(*slashed, "stake");
  say_.say("slash: at block " + std::to_string(slashed_at) + " " + name(offender_) +
           "'s stake went from " + std::to_string(stake_before) + " to " +
           std::to_string(stake_after) + "; get_account records reason " +
           client::string_field(why, "reason"));
  if (stake_after >= stake_before)
    return make_error("the slash took no stake");
  if (auto status = check_excluded(slashed_at, 5); !status)
    return status;
  return check_agreement();
}

}  // namespace

int run_nothing_at_stake(const std::string& dir, bool as_json) {
  auto testnet = load_testnet(dir);
  if (!testnet) {
    std::fprintf(stderr, "synod-testnet: error: %s\n", testnet.message().c_str());
    return 2;
  }
  Narrator narrator(as_json);
  if (testnet->genesis.mode != chain::ConsensusMode::kPos || testnet->validator_count() < 3 ||
      testnet->full_node_count() != 0) {
    return narrator.verdict(
        "the nothing-at-stake scenario needs a PoS testnet of at least 3 "
        "validators and no full nodes");
  }
  Cluster cluster(std::move(*testnet));
  narrator.say(std::string("scenario ") + kNothingAtStakeScenario + ": " +
               kNothingAtStakeDescription);
  NothingAtStake scenario(cluster, narrator);
  Status result = scenario.run();
  Status restored = scenario.restore();
  if (!result)
    return narrator.verdict(result.message());
  if (!restored)
    return narrator.verdict("could not restore the testnet afterwards: " + restored.message());
  return narrator.verdict("");
}

}  // namespace synod::testnet
