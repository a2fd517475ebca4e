// The proof-of-stake scenario, nothing-at-stake: one validator is restarted with
// --byzantine double-sign and signs blocks on every branch it sees near its best tip. The
// scenario shows the offence (two signed headers at one height), the evidence an honest
// node puts in a block, the slash (stake burned, the reporter paid, the reason on the
// offender's account), and the chain going on without the offender: no block it signs
// after the slash is accepted, and the nodes agree. restore() restarts it honestly; it
// stays slashed.
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "testnet/scenario_catalog.h"

#include "chain/address.h"
#include "client/json_fields.h"
#include "crypto/hex.h"
#include "testnet/pow_status.h"
#include "wallet/cli_support.h"

namespace synod::testnet {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

// One scenario run: the testnet, the offender and what the honest nodes report.
class NothingAtStake {
 public:
  explicit NothingAtStake(ScenarioRun& run)
      : cluster_(run.cluster()), run_(run), offender_(cluster_.size() - 1) {}

  Status run();

 private:
  const std::string& name(std::size_t i) const { return cluster_.node(i).name; }
  std::string address_of_node(std::size_t i) const {
    return chain::to_string(
        chain::address_of(cluster_.testnet().genesis.validators.at(i).public_key));
  }
  Result<json> account(std::size_t via, std::size_t whose) {
    return cluster_.call(via, "get_account", {{"address", address_of_node(whose)}});
  }

  Status precheck();
  Result<json> wait_for_slash(seconds timeout);
  Status describe_evidence(std::uint64_t slashed_at);
  Status check_excluded(std::uint64_t slashed_at, std::uint64_t more_blocks);
  Status check_agreement();

  Cluster& cluster_;
  ScenarioRun& run_;  // narration, and the restart that restore() undoes
  std::size_t offender_;
};

Status NothingAtStake::precheck() {
  if (auto status = run_.all_running(); !status)
    return status;
  if (auto status = cluster_.wait_healthy(run_.all(), 1, true, seconds(60), "checking the testnet");
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
  run_.say(agreement.message);
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
    run_.say("evidence: transaction " + cli::prefix(client::string_field(tx, "hash"), 16) +
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
  run_.say("the chain went on to height " + std::to_string(target) + "; none of the " +
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
  run_.say(name(offender_) + " stakes " + std::to_string(stake_before) +
           "; restarting it with --byzantine double-sign: it now signs on every branch it sees "
           "that ends within 2 blocks of its best tip");
  if (auto status = run_.restart(offender_, "double-sign"); !status)
    return status;
  auto slashed = wait_for_slash(seconds(180));
  if (!slashed)
    return slashed.error();
  const json& why = client::field(*slashed, "slashed");
  const std::uint64_t offence = client::unsigned_field(why, "offence_height");
  const std::uint64_t slashed_at = client::unsigned_field(why, "slashed_at_height");
  run_.say("offence: " + name(offender_) + " signed two different blocks at height " +
           std::to_string(offence));
  if (auto status = describe_evidence(slashed_at); !status)
    return status;
  const std::uint64_t stake_after = client::unsigned_field(*slashed, "stake");
  run_.say("slash: at block " + std::to_string(slashed_at) + " " + name(offender_) +
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

std::vector<Scenario> pos_scenarios() {
  return {{"nothing-at-stake", chain::ConsensusMode::kPos,
           [](ScenarioRun& run) { return NothingAtStake(run).run(); },
           "a validator signs on every branch it sees; honest nodes prove it, slash it and go "
           "on without it"}};
}

}  // namespace synod::testnet
