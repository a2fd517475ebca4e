// The proof-of-stake scenario, nothing-at-stake: one validator is restarted with
// --byzantine double-sign and signs blocks on every branch it sees near its best tip. The
// scenario shows, in this order and each checked rather than taken from a node's word:
// - the offence: the two headers an honest node's evidence transaction carries, decoded
//   here: one height, two hashes, both seals the offender's, both blocks held by the nodes;
// - the evidence: that transaction, the block that carries it and its sender, the reporter;
// - the slash: every validator's account read before and after it, and the blocks between
//   walked, so each change is accounted for: the offender lost exactly slash_percent of its
//   stake, the reporter gained exactly reporter_percent of that, the rest left the supply;
// - the chain going on without the offender: enough blocks that a slashed validator still
//   in the lottery would almost surely have signed one, none of them its; and every node's
//   ledger saying why. The nodes agree at the end.
// restore() restarts the offender honestly; it stays slashed.
#include <algorithm>
#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <thread>

#include "testnet/scenario_catalog.h"

#include "chain/address.h"
#include "client/json_fields.h"
#include "crypto/hex.h"
#include "testnet/pos_slash_check.h"
#include "testnet/pow_status.h"
#include "wallet/cli_support.h"

namespace synod::testnet {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

// Node-0's ledger views kept while waiting for the slash: one per head, a few minutes' worth.
constexpr std::size_t kHistoryMax = 256;
// How far back from the first slashed view a view from before the slash is looked for.
constexpr std::uint64_t kMaxBlocksWalked = 256;
// Exclusion: watch enough blocks that a slashed validator still drawing would have signed
// none of them with probability under 1%; at least 5, at most 100 (the time budget).
constexpr double kMissProbabilityMax = 0.01;
constexpr std::uint64_t kMinBlocksWatched = 5;
constexpr std::uint64_t kMaxBlocksWatched = 100;

// The evidence transaction that slashed the offender, and what it proves.
struct SlashEvidence {
  std::string tx_hash;
  std::string reporter;  // address
  std::size_t bytes = 0;
  Offence offence;
};

// Node-0's best chain above the slash, read from one head: the height its ledger records the
// slash at and the proposer of each block above it, lowest first.
struct ChainAfterSlash {
  std::uint64_t slashed_at = 0;
  std::uint64_t head_height = 0;
  std::vector<std::string> proposers;  // heights slashed_at + 1 .. head_height
};

// One scenario run: the testnet, the offender and what the honest nodes report.
class NothingAtStake {
 public:
  explicit NothingAtStake(ScenarioRun& run);

  Status run();

 private:
  const std::string& name(std::size_t i) const { return cluster_.node(i).name; }
  const chain::Genesis& genesis() const { return cluster_.testnet().genesis; }
  std::string address_of_node(std::size_t i) const { return validator_addresses_.at(i); }
  std::string who(const std::string& address) const;

  Status precheck();
  Status check_agreement();
  Result<LedgerView> read_view(std::size_t via);
  void remember(LedgerView view);
  Result<LedgerView> wait_for_slash(seconds timeout);
  Result<json> block_by_hash(const std::string& hash);
  Result<std::vector<json>> blocks_since_history(const LedgerView& after, LedgerView& before);
  Result<SlashEvidence> find_evidence(const std::vector<json>& blocks, std::uint64_t slashed_at);
  std::vector<std::size_t> holders(const std::string& block_hash);
  Status show_offence(const Offence& offence, const json& why);
  Status show_slash(const LedgerView& before, const LedgerView& after,
                    const std::vector<json>& blocks, const SlashEvidence& evidence,
                    const json& why);
  Result<ChainAfterSlash> read_chain_after_slash();
  Result<ChainAfterSlash> wait_chain_after_slash(std::uint64_t slashed_at, std::uint64_t blocks);
  Status check_excluded(const LedgerView& after, std::uint64_t slashed_at);
  Status check_ledgers(std::uint64_t slashed_at);

  Cluster& cluster_;
  ScenarioRun& run_;  // narration, and the restart that restore() undoes
  std::size_t offender_;
  std::vector<std::string> validator_addresses_;  // genesis order
  std::deque<LedgerView> history_;                // node-0 before the slash, oldest first
};

NothingAtStake::NothingAtStake(ScenarioRun& run)
    : cluster_(run.cluster()), run_(run), offender_(cluster_.size() - 1) {
  for (const auto& validator : genesis().validators.all())
    validator_addresses_.push_back(chain::to_string(chain::address_of(validator.public_key)));
}

std::string NothingAtStake::who(const std::string& address) const {
  for (std::size_t i = 0; i < validator_addresses_.size(); ++i) {
    if (validator_addresses_[i] == address)
      return name(i) + " (" + address + ")";
  }
  return address;
}

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

// Every validator's account on node `via`, read between two status answers that name the
// same head, so the accounts are that head's ledger.
Result<LedgerView> NothingAtStake::read_view(std::size_t via) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto first = cluster_.call(via, "status");
    if (!first)
      return first.error();
    LedgerView view{
        client::unsigned_field(*first, "height"), client::string_field(*first, "head_hash"), {}};
    for (const std::string& address : validator_addresses_) {
      auto answer = cluster_.call(via, "get_account", {{"address", address}});
      if (!answer)
        return answer.error();
      auto account = stake_account_from_json(*answer);
      if (!account)
        return make_error(name(via) + ": " + account.message());
      view.accounts[address] = *account;
    }
    auto second = cluster_.call(via, "status");
    if (!second)
      return second.error();
    if (client::string_field(*second, "head_hash") == view.head_hash)
      return view;
  }
  return make_error(name(via) + "'s head moved during each of 5 readings of its accounts");
}

void NothingAtStake::remember(LedgerView view) {
  if (!history_.empty() && history_.back().head_hash == view.head_hash)
    return;
  history_.push_back(std::move(view));
  if (history_.size() > kHistoryMax)
    history_.pop_front();
}

// Reads node-0's ledger until the offender's account records a slash; the views before it
// go to history_.
Result<LedgerView> NothingAtStake::wait_for_slash(seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto view = read_view(0);
    if (view && !view->accounts.at(address_of_node(offender_)).slashed.is_null())
      return *view;
    if (view)
      remember(std::move(*view));
    if (Clock::now() >= deadline) {
      return make_error(
          "no slash of " + name(offender_) + " within " + std::to_string(timeout.count()) + " s" +
          (view ? "" : " (last reading: " + view.message() + ")") + cluster_.log_tail(0));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// Block `hash` on node-0, checked to be that block.
Result<json> NothingAtStake::block_by_hash(const std::string& hash) {
  auto block = cluster_.call(0, "get_block", {{"hash", hash}});
  if (!block)
    return block.error();
  if (client::string_field(*block, "hash") != hash)
    return make_error(name(0) + " answered another block for " + hash);
  return *block;
}

// The blocks from the latest remembered view that `after`'s head descends from (`before`)
// up to that head, oldest first: walked back by hash, so a reorg meanwhile cannot mix
// branches.
Result<std::vector<json>> NothingAtStake::blocks_since_history(const LedgerView& after,
                                                               LedgerView& before) {
  std::vector<json> walked;
  std::string hash = after.head_hash;
  for (std::uint64_t step = 0; step <= kMaxBlocksWalked; ++step) {
    auto seen = std::find_if(history_.rbegin(), history_.rend(),
                             [&](const LedgerView& view) { return view.head_hash == hash; });
    if (seen != history_.rend()) {
      before = *seen;
      std::reverse(walked.begin(), walked.end());
      return walked;
    }
    auto block = block_by_hash(hash);
    if (!block)
      return block.error();
    const json& header = client::field(*block, "header");
    if (client::unsigned_field(header, "height") == 0)
      break;
    hash = client::string_field(header, "prev_hash");
    walked.push_back(std::move(*block));
  }
  return make_error(name(0) +
                    "'s chain at the slash does not lead back to a ledger read before it");
}

// The evidence transaction against the offender in the block at `slashed_at`.
Result<SlashEvidence> NothingAtStake::find_evidence(const std::vector<json>& blocks,
                                                    std::uint64_t slashed_at) {
  const auto slashing = std::find_if(blocks.begin(), blocks.end(), [&](const json& block) {
    return client::unsigned_field(client::field(block, "header"), "height") == slashed_at;
  });
  if (slashing == blocks.end())
    return make_error("block " + std::to_string(slashed_at) + " is not among those walked");
  std::string problem = "holds no evidence transaction";
  for (const auto& tx : client::field(*slashing, "transactions")) {
    if (client::string_field(tx, "kind") != "evidence")
      continue;
    const std::string payload = client::string_field(tx, "evidence");
    auto offence = read_offence(payload, chain::SigningDomain::of(genesis()),
                                genesis().validators.at(offender_).public_key);
    if (!offence) {
      problem = "holds evidence that does not prove the offence: " + offence.message();
      continue;
    }
    return SlashEvidence{client::string_field(tx, "hash"), client::string_field(tx, "from_address"),
                         payload.size() / 2, *offence};
  }
  return make_error("block " + std::to_string(slashed_at) + " slashed " + name(offender_) +
                    " but " + problem);
}

// The running nodes that store the block `block_hash`, on their best chain or a side branch.
std::vector<std::size_t> NothingAtStake::holders(const std::string& block_hash) {
  std::vector<std::size_t> found;
  for (std::size_t i : cluster_.running()) {
    auto block = cluster_.call(i, "get_block", {{"hash", block_hash}});
    if (block && client::string_field(*block, "hash") == block_hash)
      found.push_back(i);
  }
  return found;
}

// The attack first: two different blocks at one height, both signed by the offender, and
// both blocks the network saw, not only headers.
Status NothingAtStake::show_offence(const Offence& offence, const json& why) {
  if (offence.height != client::unsigned_field(why, "offence_height")) {
    return make_error("the evidence's headers are at height " + std::to_string(offence.height) +
                      " but get_account records the offence at " +
                      client::field_text(why, "offence_height"));
  }
  std::string held;
  for (const std::string* hash : {&offence.first_hash, &offence.second_hash}) {
    const std::vector<std::size_t> nodes = holders(*hash);
    if (nodes.empty())
      return make_error("block " + *hash + " of the offence is held by no node");
    held += "; " + cli::prefix(*hash, 16) + " is held by " + run_.list(nodes);
  }
  run_.say("offence: " + name(offender_) + " signed two different blocks at height " +
           std::to_string(offence.height) + ": " + offence.first_hash + " and " +
           offence.second_hash + ", both seals valid signatures of proposer " +
           cli::prefix(offence.proposer, 16) + " (" + name(offender_) + ")" + held);
  return Status::success();
}

Status NothingAtStake::show_slash(const LedgerView& before, const LedgerView& after,
                                  const std::vector<json>& blocks, const SlashEvidence& evidence,
                                  const json& why) {
  const chain::PosParams& params = genesis().pos;
  auto ordinary = ordinary_changes(blocks, params.block_reward);
  if (!ordinary)
    return ordinary.error();
  auto figures = audit_slash(before, after, *ordinary,
                             {address_of_node(offender_), evidence.reporter}, params);
  if (!figures)
    return make_error("the slash does not add up: " + figures.message());
  if (figures->slashed == 0)
    return make_error("the slash took no stake (slash_percent " +
                      std::to_string(params.slash_percent) + ")");
  const std::string span =
      "heights " + std::to_string(before.height) + " to " + std::to_string(after.height);
  run_.say("slash: at block " + client::field_text(why, "slashed_at_height") + " " +
           name(offender_) + "'s stake went from " + std::to_string(figures->stake_before) +
           " to " + std::to_string(figures->stake_after) + ": " + std::to_string(figures->slashed) +
           " taken (slash_percent " + std::to_string(params.slash_percent) +
           "); get_account records reason " + client::string_field(why, "reason"));
  run_.say("reporter: " + who(evidence.reporter) + " was paid " +
           std::to_string(figures->reporter_share) + " = reporter_percent " +
           std::to_string(params.reporter_percent) + " of the " + std::to_string(figures->slashed) +
           " slashed (balance " + std::to_string(figures->reporter_before) + " -> " +
           std::to_string(figures->reporter_after) + " over " + span + ", " +
           std::to_string(static_cast<std::int64_t>(figures->reporter_from_blocks)) +
           " of it block rewards and fees)");
  run_.say("burned: " + std::to_string(figures->burned) +
           " left the supply; the validators' accounts held " +
           std::to_string(figures->supply_before) + " and then " +
           std::to_string(figures->supply_after) + " = " + std::to_string(figures->supply_before) +
           " + " + std::to_string(static_cast<std::int64_t>(figures->supply_from_blocks)) +
           " from the blocks' rewards, fees and transfers - " + std::to_string(figures->burned) +
           " burned");
  return Status::success();
}

// Node-0's ledger at one head (read_view) and the blocks from that head back to the slash it
// records, walked by hash: one branch, whatever the node's head does meanwhile. An error
// when that ledger holds no slash (a reorg undid it for now).
Result<ChainAfterSlash> NothingAtStake::read_chain_after_slash() {
  auto view = read_view(0);
  if (!view)
    return view.error();
  const json& why = view->accounts.at(address_of_node(offender_)).slashed;
  if (!why.is_object())
    return make_error(name(0) + "'s best chain holds no slash of " + name(offender_));
  ChainAfterSlash seen{client::unsigned_field(why, "slashed_at_height"), view->height, {}};
  std::string hash = view->head_hash;
  for (std::uint64_t height = seen.head_height; height > seen.slashed_at; --height) {
    if (seen.proposers.size() > kMaxBlocksWalked)
      return make_error(name(0) + "'s head is more than " + std::to_string(kMaxBlocksWalked) +
                        " blocks above the slash");
    auto block = block_by_hash(hash);
    if (!block)
      return block.error();
    const json& header = client::field(*block, "header");
    if (client::unsigned_field(header, "height") != height)
      return make_error(name(0) + "'s block " + hash + " is not at height " +
                        std::to_string(height));
    seen.proposers.push_back(client::string_field(header, "proposer"));
    hash = client::string_field(header, "prev_hash");
  }
  std::reverse(seen.proposers.begin(), seen.proposers.end());
  return seen;
}

// Waits until node-0's best chain holds `blocks` blocks above its slash. A reorg can move the
// slash higher after the scenario first saw it: the offender signs on every branch, so its
// own branch, which leaves the evidence out, can win for a while; the evidence then goes
// back to the mempool and into a later block. The count starts from where the slash is now.
Result<ChainAfterSlash> NothingAtStake::wait_chain_after_slash(std::uint64_t slashed_at,
                                                               std::uint64_t blocks) {
  const auto per_block = std::chrono::milliseconds(4 * genesis().pos.block_interval_ms);
  const auto deadline = Clock::now() + seconds(60) + blocks * per_block;
  std::string last_problem;
  while (Clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<seconds>(deadline - Clock::now());
    if (auto status = cluster_.wait_height(0, slashed_at + blocks, std::max(left, seconds(1)),
                                           "the chain going on");
        !status)
      return status.error();
    auto seen = read_chain_after_slash();
    if (seen && seen->head_height >= seen->slashed_at + blocks)
      return *seen;
    if (seen)
      slashed_at = seen->slashed_at;
    else
      last_problem = " (last reading: " + seen.message() + ")";
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return make_error(name(0) + "'s best chain did not reach " + std::to_string(blocks) +
                    " blocks above the slash in time" + last_problem);
}

// The chain goes on for enough blocks that a broken exclusion would show, none of them
// signed by the offender. If exclusion were broken, the offender would still draw with the
// stake the slash left it, so its share of blocks would be remaining / (total remaining):
// with four validators of equal stake and slash_percent 50, 1/7, and 30 blocks all missing
// it happen with probability (6/7)^30 = 0.98% (the 5 blocks this scenario once watched:
// 46%). With the offender's pre-slash share, 1/4, 17 blocks would do ((3/4)^17 = 0.75%),
// but that share overstates what a slashed validator would draw with.
Status NothingAtStake::check_excluded(const LedgerView& after, std::uint64_t slashed_at) {
  std::uint64_t total_stake = 0;
  for (const auto& [address, account] : after.accounts)
    total_stake += account.stake;
  const std::uint64_t remaining = after.accounts.at(address_of_node(offender_)).stake;
  const ExclusionWatch watch = exclusion_watch(remaining, total_stake, kMissProbabilityMax,
                                               kMinBlocksWatched, kMaxBlocksWatched);
  auto seen = wait_chain_after_slash(slashed_at, watch.blocks);
  if (!seen)
    return seen.error();
  if (seen->slashed_at != slashed_at) {
    run_.say("reorg: " + name(0) + "'s best chain now carries the slash in block " +
             std::to_string(seen->slashed_at) + ", not " + std::to_string(slashed_at) +
             ": a branch of the offender's, without the evidence, won for a while, and the "
             "evidence went back to the mempool and into a later block");
  }
  const std::string offender_key =
      crypto::to_hex(genesis().validators.at(offender_).public_key.view());
  for (std::size_t i = 0; i < seen->proposers.size(); ++i) {
    if (seen->proposers[i] == offender_key)
      return make_error("block " + std::to_string(seen->slashed_at + 1 + i) +
                        " after the slash is the offender's");
  }
  char chance[32];
  std::snprintf(chance, sizeof chance, "%.2f%%", 100 * watch.miss_probability);
  run_.say("the chain went on to height " + std::to_string(seen->head_height) + "; none of the " +
           std::to_string(seen->proposers.size()) + " blocks after the slash is " +
           name(offender_) + "'s (still drawing with " + std::to_string(remaining) + " of " +
           std::to_string(total_stake) + " stake, it would have signed none of the first " +
           std::to_string(watch.blocks) + " with probability " + chance +
           "): it is out of the lottery");
  return check_ledgers(seen->slashed_at);
}

// What every other node's ledger says of the offender: slashed for double_sign by the
// same block, and out of the lottery (lottery stake 0, whatever stake it still holds).
Status NothingAtStake::check_ledgers(std::uint64_t slashed_at) {
  const std::vector<std::size_t> nodes = run_.all_except(offender_);
  for (std::size_t i : nodes) {
    auto answer = cluster_.call(i, "get_account", {{"address", address_of_node(offender_)}});
    if (!answer)
      return answer.error();
    const json& why = client::field(*answer, "slashed");
    if (client::string_field(why, "reason") != "double_sign" ||
        client::unsigned_field(why, "slashed_at_height") != slashed_at ||
        !client::field(*answer, "lottery_stake").is_number_unsigned() ||
        client::unsigned_field(*answer, "lottery_stake") != 0) {
      return make_error(name(i) + "'s get_account for " + name(offender_) +
                        " does not record the double_sign slash at block " +
                        std::to_string(slashed_at) + " with lottery stake 0: " + answer->dump());
    }
  }
  run_.say("get_account on " + run_.list(nodes) + ": " + name(offender_) +
           " slashed, reason double_sign, at block " + std::to_string(slashed_at) +
           ", lottery stake 0");
  return Status::success();
}

Status NothingAtStake::run() {
  if (auto status = precheck(); !status)
    return status;
  auto first = read_view(0);
  if (!first)
    return first.error();
  const std::uint64_t stake_before = first->accounts.at(address_of_node(offender_)).stake;
  remember(std::move(*first));
  run_.say(name(offender_) + " stakes " + std::to_string(stake_before) +
           "; restarting it with --byzantine double-sign: it now signs on every branch it sees "
           "that ends within 2 blocks of its best tip");
  if (auto status = run_.restart(offender_, "double-sign"); !status)
    return status;
  auto after = wait_for_slash(seconds(180));
  if (!after)
    return after.error();
  const json why = after->accounts.at(address_of_node(offender_)).slashed;
  const std::uint64_t slashed_at = client::unsigned_field(why, "slashed_at_height");
  LedgerView before;
  auto blocks = blocks_since_history(*after, before);
  if (!blocks)
    return blocks.error();
  auto evidence = find_evidence(*blocks, slashed_at);
  if (!evidence)
    return evidence.error();
  if (auto status = show_offence(evidence->offence, why); !status)
    return status;
  run_.say("evidence: transaction " + cli::prefix(evidence->tx_hash, 16) + " in block " +
           std::to_string(slashed_at) + " carries the two signed headers (" +
           std::to_string(evidence->bytes) + " bytes); reporter " + who(evidence->reporter));
  if (auto status = show_slash(before, *after, *blocks, *evidence, why); !status)
    return status;
  if (auto status = check_excluded(*after, slashed_at); !status)
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
