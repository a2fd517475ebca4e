// The proof-of-work scenario: the double spend of section 11 of the Bitcoin paper, live.
//
// The attacker (the last miner) restarts with no peer links ("private-mining") and a hash
// rate the scenario sets. It pays a merchant through the honest network and, with the same
// account nonce, pays itself on its secret branch. When the merchant has seen the payment
// `z` blocks deep, the attacker keeps mining until its branch has more work than the public
// one (or until it gives up), then reconnects. With a minority of the hash power it should
// fail; with a majority the honest nodes reorganise onto its branch and the merchant's
// confirmed payment is gone. The scenario passes when both rounds end as the theory says.
#include <chrono>
#include <fstream>
#include <thread>

#include "chain/address.h"
#include "chain/transaction.h"
#include "client/json_fields.h"
#include "crypto/hex.h"
#include "testnet/pow_status.h"
#include "testnet/scenario_catalog.h"

namespace synod::testnet {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

namespace {

constexpr std::uint64_t kConfirmations = 6;  // how deep the merchant waits, as Bitcoin users do
constexpr std::uint64_t kPublishLead = 2;    // blocks ahead before the attacker reconnects
constexpr std::uint64_t kAmount = 5000;
constexpr auto kGiveUpAfter = seconds(15);  // of racing once the merchant has shipped

struct Tip {
  std::uint64_t height = 0;
  std::string hash;
  std::string work;  // decimal
};

// One round of the attack, and what it left behind.
struct Attack {
  std::size_t attacker = 0;
  std::size_t merchant_node = 0;  // the honest node the merchant watches
  std::uint64_t attacker_rate = 0;
  double share = 0;       // of the total hash rate
  bool expect_success;    // a majority attacker
  std::string pay_hash;   // attacker -> merchant, through the honest nodes
  std::string keep_hash;  // attacker -> its own other address, on the secret branch
  std::uint64_t merchant_balance_before = 0;
  std::string merchant_address;
  std::uint64_t fork_height = 0;    // the last block both branches share
  std::uint64_t public_height = 0;  // the public tip when the attacker reconnected
};

Result<Tip> tip_of(ScenarioRun& run, std::size_t node) {
  auto status = run.cluster().call(node, "status");
  if (!status)
    return status.error();
  return Tip{client::unsigned_field(*status, "height"), client::string_field(*status, "head_hash"),
             client::string_field(*status, "tip_work")};
}

// The node's configured cap (config.json "mining"."hash_rate_limit").
Result<std::uint64_t> configured_hash_rate(const NodeInfo& node) {
  std::ifstream file(node.home + "/config.json");
  json config = json::parse(file, nullptr, /*allow_exceptions=*/false);
  std::uint64_t rate = client::unsigned_field(client::field(config, "mining"), "hash_rate_limit");
  if (rate == 0)
    return make_error(node.name +
                      ": the scenario needs every miner capped (mining.hash_rate_limit)");
  return rate;
}

// "committed", "pending" or "unknown", as get_tx reports it on `node`.
std::string tx_status(ScenarioRun& run, std::size_t node, const std::string& hash,
                      std::uint64_t* confirmations = nullptr) {
  auto tx = run.cluster().call(node, "get_tx", {{"hash", hash}});
  if (!tx)
    return "unanswered";
  if (confirmations != nullptr)
    *confirmations = client::unsigned_field(*tx, "confirmations");
  return client::string_field(*tx, "status");
}

std::uint64_t balance_of(ScenarioRun& run, std::size_t node, const std::string& address) {
  auto account = run.cluster().call(node, "get_account", {{"address", address}});
  return account ? client::unsigned_field(*account, "balance") : 0;
}

// Polls `done` every 200 ms until it holds or `timeout` passes.
template <typename Predicate>
bool wait_until(Predicate done, Clock::duration timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return true;
}

Status wait_agreement(ScenarioRun& run, const std::string& when) {
  Cluster& cluster = run.cluster();
  PowAgreement agreement;
  bool agreed = wait_until(
      [&] {
        std::vector<std::pair<std::size_t, json>> answers;
        for (std::size_t i : run.all()) {
          if (auto status = cluster.call(i, "status"))
            answers.emplace_back(i, *status);
        }
        agreement = check_pow_agreement(cluster, answers);
        return agreement.agree && agreement.nodes == cluster.size() && agreement.lowest_tip >= 3;
      },
      seconds(60));
  if (!agreed)
    return make_error(when + ": the miners do not agree: " + agreement.message);
  run.say(when + ": " + agreement.message);
  return Status::success();
}

// Restarts the attacker cut off from its peers, at its attack hash rate.
Status go_private(ScenarioRun& run, Attack& attack) {
  run.say(run.name(attack.attacker) + " goes private with " +
          std::to_string(static_cast<int>(attack.share * 100 + 0.5)) +
          "% of the hash power: restarted with --byzantine private-mining --hash-rate-limit " +
          std::to_string(attack.attacker_rate) + " (no peer links; it mines in secret)");
  SYNOD_TRY(run.restart(attack.attacker, "private-mining",
                        {"--hash-rate-limit", std::to_string(attack.attacker_rate)}));
  auto fork = tip_of(run, attack.attacker);
  if (!fork)
    return fork.error();
  attack.fork_height = fork->height;
  run.say("its secret branch starts after block " + std::to_string(fork->height) + " (" +
          fork->hash.substr(0, 16) + ")");
  return Status::success();
}

Status submit(ScenarioRun& run, std::size_t node, const chain::Transaction& tx) {
  auto sent = run.cluster().rpc(node).call("submit_tx", {{"tx", crypto::to_hex(tx.encode())}});
  if (!sent.ok())
    return make_error("submit_tx to " + run.name(node) + ": " + sent.error().message);
  return Status::success();
}

// Two transfers from the attacker's account with one nonce: to the merchant through the
// honest network, and to the attacker's own fresh address on its secret branch.
Status send_conflicting_payments(ScenarioRun& run, Attack& attack) {
  Cluster& cluster = run.cluster();
  auto keys = cluster.account_keys();
  if (!keys)
    return keys.error();
  const crypto::KeyPair& payer = (*keys)[0];
  auto account =
      cluster.call(attack.attacker, "get_account",
                   {{"address", chain::to_string(chain::address_of(payer.public_key()))}});
  if (!account)
    return account.error();
  std::uint64_t nonce = client::unsigned_field(*account, "nonce");
  attack.merchant_address = chain::to_string(chain::address_of((*keys)[1].public_key()));
  auto merchant = chain::address_of((*keys)[1].public_key());
  auto stash = chain::address_of(crypto::KeyPair::generate().public_key());
  const auto domain = chain::SigningDomain::of(cluster.testnet().genesis);
  auto pay = chain::make_transfer(payer, domain, merchant, kAmount, 1, nonce);
  auto keep = chain::make_transfer(payer, domain, stash, kAmount, 1, nonce);
  attack.pay_hash = crypto::to_hex(pay.hash().view());
  attack.keep_hash = crypto::to_hex(keep.hash().view());
  attack.merchant_balance_before = balance_of(run, attack.merchant_node, attack.merchant_address);
  SYNOD_TRY(submit(run, attack.attacker, keep));
  SYNOD_TRY(submit(run, attack.merchant_node, pay));
  run.say("account-0 pays the merchant (account-1) " + std::to_string(kAmount) + " through " +
          run.name(attack.merchant_node) + " (tx " + attack.pay_hash.substr(0, 12) +
          ") and, with the same nonce " + std::to_string(nonce) + ", pays itself on " +
          run.name(attack.attacker) + "'s secret branch (tx " + attack.keep_hash.substr(0, 12) +
          ")");
  return Status::success();
}

// The merchant ships once the payment is kConfirmations deep; the attack must really be
// under way by then: the conflicting payment is in the attacker's secret branch.
Status wait_merchant_ships(ScenarioRun& run, const Attack& attack) {
  std::uint64_t confirmations = 0;
  if (!wait_until(
          [&] {
            return tx_status(run, attack.merchant_node, attack.pay_hash, &confirmations) ==
                       "committed" &&
                   confirmations >= kConfirmations;
          },
          seconds(90)))
    return make_error("the payment reached only " + std::to_string(confirmations) +
                      " confirmations on " + run.name(attack.merchant_node) + " in 90 s");
  run.say("the merchant sees the payment " + std::to_string(confirmations) + " blocks deep on " +
          run.name(attack.merchant_node) + " and ships the goods");
  if (!wait_until(
          [&] { return tx_status(run, attack.attacker, attack.keep_hash) == "committed"; },
          seconds(120)))  // a 10% attacker finds a block every ~12 s; slower on a busy machine
    return make_error("the attacker never mined its conflicting payment into its secret branch");
  if (tx_status(run, attack.attacker, attack.pay_hash) == "committed")
    return make_error("the merchant's payment leaked into the attacker's secret branch");
  run.say("attack under way: " + run.name(attack.attacker) +
          "'s secret branch holds the conflicting payment instead");
  return Status::success();
}

// Mines on until the secret branch is kPublishLead blocks ahead with more work, or gives
// up after kGiveUpAfter. Returns whether it got ahead.
Result<bool> race(ScenarioRun& run, Attack& attack) {
  Tip honest, secret;
  bool ahead = wait_until(
      [&] {
        auto h = tip_of(run, attack.merchant_node);
        auto s = tip_of(run, attack.attacker);
        if (!h || !s)
          return false;
        honest = *h;
        secret = *s;
        return secret.height >= honest.height + kPublishLead && more_work(secret.work, honest.work);
      },
      kGiveUpAfter);
  attack.public_height = honest.height;
  run.say(std::string(ahead ? "the secret branch pulled ahead" : "the attacker gives up") +
          ": secret tip " + std::to_string(secret.height) + ", public tip " +
          std::to_string(honest.height) + (ahead ? "; it publishes" : "; it reconnects anyway"));
  return ahead;
}

// Reconnects the attacker (no longer private, same hash rate) and waits for the outcome
// the theory expects; a different outcome, or none within the time, is a failure.
Status publish_and_judge(ScenarioRun& run, const Attack& attack) {
  auto reorgs_before = run.cluster().call(attack.merchant_node, "status");
  SYNOD_TRY(run.restart(attack.attacker, "",
                        {"--hash-rate-limit", std::to_string(attack.attacker_rate)}));
  std::size_t merchant = attack.merchant_node;
  auto reversed = [&] {
    return tx_status(run, merchant, attack.keep_hash) == "committed" &&
           tx_status(run, merchant, attack.pay_hash) != "committed";
  };
  auto stands = [&] {
    return tx_status(run, attack.attacker, attack.pay_hash) == "committed" &&
           tx_status(run, attack.attacker, attack.keep_hash) != "committed";
  };
  bool expected =
      attack.expect_success ? wait_until(reversed, seconds(60)) : wait_until(stands, seconds(60));
  std::uint64_t confirmations = 0;
  std::string pay = tx_status(run, merchant, attack.pay_hash, &confirmations);
  std::string observed =
      "on " + run.name(merchant) + " the payment is " + pay +
      (pay == "committed" ? " (" + std::to_string(confirmations) + " deep)" : "") +
      ", the conflicting one " + tx_status(run, merchant, attack.keep_hash);
  if (!expected) {
    return make_error(
        std::string(attack.expect_success ? "the majority attacker" : "the minority attacker") +
        " did not get the expected outcome: " + observed);
  }
  auto after = run.cluster().call(merchant, "status");
  std::uint64_t reorgs = after && reorgs_before
                             ? client::unsigned_field(*after, "reorgs") -
                                   client::unsigned_field(*reorgs_before, "reorgs")
                             : 0;
  std::uint64_t balance = balance_of(run, merchant, attack.merchant_address);
  run.say(observed + "; " + std::to_string(reorgs) + " reorg(s) on " + run.name(merchant) +
          "; merchant balance " + std::to_string(attack.merchant_balance_before) + " -> " +
          std::to_string(balance));
  bool paid = balance >= attack.merchant_balance_before + kAmount;
  if (attack.expect_success == paid)
    return make_error("the merchant's balance does not match the outcome");
  if (attack.expect_success && attack.public_height > attack.fork_height) {
    run.say(run.name(merchant) + " abandoned blocks " + std::to_string(attack.fork_height + 1) +
            ".." + std::to_string(attack.public_height) + " of the public chain (a reorg " +
            std::to_string(attack.public_height - attack.fork_height) + " blocks deep)");
  }
  run.say(attack.expect_success ? "the majority attacker reversed a payment the merchant had "
                                  "seen " +
                                      std::to_string(kConfirmations) + " blocks deep"
                                : "the minority attacker failed: the payment stands");
  return Status::success();
}

Status attack_round(ScenarioRun& run, Attack attack) {
  SYNOD_TRY(go_private(run, attack));
  SYNOD_TRY(send_conflicting_payments(run, attack));
  SYNOD_TRY(wait_merchant_ships(run, attack));
  auto ahead = race(run, attack);
  if (!ahead)
    return ahead.error();
  SYNOD_TRY(publish_and_judge(run, attack));
  run.say("restoring " + run.name(attack.attacker) + " as an honest miner at its configured rate");
  SYNOD_TRY(run.restart(attack.attacker, ""));
  return Status::success();
}

Status double_spend(ScenarioRun& run) {
  SYNOD_TRY(run.all_running());
  Cluster& cluster = run.cluster();
  std::uint64_t honest_rate = 0;
  for (std::size_t i = 0; i + 1 < cluster.size(); ++i) {
    auto rate = configured_hash_rate(cluster.node(i));
    if (!rate)
      return rate.error();
    honest_rate += *rate;
  }
  SYNOD_TRY(wait_agreement(run, "before the attack"));
  Attack attack;
  attack.attacker = cluster.size() - 1;
  // The minority first: a majority's fast secret branch leaves a harder target behind.
  attack.attacker_rate = std::max<std::uint64_t>(1, honest_rate / 9);
  attack.share = 0.1;
  attack.expect_success = false;
  run.say("round 1: an attacker with 10% of the hash power (Nakamoto: success " +
          std::string("probability 0.0002 at z = 6)"));
  SYNOD_TRY(attack_round(run, attack));
  SYNOD_TRY(wait_agreement(run, "after round 1"));
  attack.attacker_rate = honest_rate * 3;
  attack.share = 0.75;
  attack.expect_success = true;
  run.say("round 2: an attacker with 75% of the hash power (Nakamoto: it always catches up)");
  SYNOD_TRY(attack_round(run, attack));
  return wait_agreement(run, "after round 2");
}

}  // namespace

std::vector<Scenario> pow_scenarios() {
  return {{"double-spend", chain::ConsensusMode::kPow, double_spend,
           "a miner pays a merchant, then mines a secret branch without that payment: with 10% "
           "of the hash power it fails, with 75% it reverses the confirmed payment"}};
}

}  // namespace synod::testnet
