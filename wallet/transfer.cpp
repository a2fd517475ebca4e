// synod-wallet transfer (and stake, unstake, evidence): sign locally, submit, wait for the
// commit (PBFT) or for K confirmations (PoW, PoS), and verify the block against the pinned
// genesis.
#include <cassert>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "chain/address.h"
#include "chain/pos_seal.h"
#include "chain/transaction.h"
#include "client/json_fields.h"
#include "crypto/hex.h"
#include "wallet/cli_support.h"
#include "wallet/command_support.h"
#include "wallet/confirmations.h"
#include "wallet/wallet_commands.h"

namespace synod::wallet {

using client::unsigned_field;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// A deeper wait than any reorg a node performs (max_reorg_depth is at most 10,000).
constexpr std::uint64_t kMaxConfirmations = 10'000;

struct Submitted {
  std::string hash;
  std::uint64_t nonce = 0;
};

// A transfer's (or stake's, unstake's, evidence's) arguments, checked.
struct TransferPlan {
  chain::TxKind kind = chain::TxKind::kTransfer;
  crypto::KeyPair key;
  chain::Address to;
  std::uint64_t amount = 0;
  std::uint64_t fee = 0;
  std::optional<std::uint64_t> nonce;           // none: the account's next nonce
  std::optional<std::uint64_t> confirmations;   // none: the mode's default
  std::optional<std::chrono::seconds> timeout;  // none: default_transfer_timeout
  Bytes evidence;                               // kind evidence
};

// Signed in the trusted genesis' domain, so the transaction is valid on its chain only,
// not on another network that shares the chain id and keys.
chain::Transaction sign(const TransferPlan& plan, const chain::SigningDomain& domain,
                        std::uint64_t nonce) {
  switch (plan.kind) {
    case chain::TxKind::kTransfer:
      return chain::make_transfer(plan.key, domain, plan.to, plan.amount, plan.fee, nonce);
    case chain::TxKind::kEvidence:
      return chain::make_evidence(plan.key, domain, plan.evidence, plan.fee, nonce);
    case chain::TxKind::kStake:
    case chain::TxKind::kUnstake:
      break;
  }
  return chain::make_stake(plan.key, domain, plan.kind, plan.amount, plan.fee, nonce);
}

// Signs and submits; a nonce already taken by a pending transaction of the same sender
// moves to the next one (unless the user chose the nonce).
Result<Submitted> sign_and_submit(client::RpcClient& node, const TransferPlan& plan,
                                  const chain::Genesis& genesis) {
  const crypto::KeyPair& key = plan.key;
  const std::optional<std::uint64_t> chosen_nonce = plan.nonce;
  std::uint64_t nonce = 0;
  if (chosen_nonce) {
    nonce = *chosen_nonce;
  } else {
    auto account = call(node, "get_account",
                        {{"address", chain::to_string(chain::address_of(key.public_key()))}});
    if (!account)
      return account.error();
    nonce = unsigned_field(*account, "nonce");
  }
  const auto domain = chain::SigningDomain::of(genesis);
  constexpr int kMaxNonceSteps = 64;
  for (int attempt = 0;; ++attempt) {
    auto tx = sign(plan, domain, nonce);
    auto outcome = node.call("submit_tx", {{"tx", crypto::to_hex(tx.encode())}});
    if (outcome.ok())
      return Submitted{crypto::to_hex(tx.hash().view()), nonce};
    const auto& error = outcome.error();
    std::string reason = client::string_field(error.data, "reason");
    if (outcome.is_rpc_error(client::kRpcTransactionRefused) && reason == "nonce_taken" &&
        !chosen_nonce && attempt < kMaxNonceSteps) {
      ++nonce;
      continue;
    }
    return make_error(client::describe(error));
  }
}

// --confirmations and --timeout: optional; their defaults depend on the chain's mode.
Status check_waiting_args(const TransferArgs& args, TransferPlan& plan) {
  if (!args.confirmations.empty()) {
    if (args.no_wait)
      return make_error("--confirmations and --no-wait do not combine");
    auto parsed = cli::parse_unsigned(args.confirmations, "--confirmations");
    if (!parsed)
      return parsed.error();
    if (*parsed > kMaxConfirmations)
      return make_error("--confirmations: must be 0 to " + std::to_string(kMaxConfirmations));
    plan.confirmations = *parsed;
  }
  if (!args.timeout_s.empty()) {
    auto timeout = cli::parse_unsigned(args.timeout_s, "--timeout");
    if (!timeout)
      return timeout.error();
    if (*timeout == 0 || *timeout > 86400)
      return make_error("--timeout: must be 1 to 86400 seconds");
    plan.timeout = std::chrono::seconds(*timeout);
  }
  return Status::success();
}

// The recipient and amount by kind: a transfer names both; stake and unstake an amount and
// their own address; evidence neither, but a file with two signed headers.
Status check_kind_args(const TransferArgs& args, TransferPlan& plan) {
  auto kind = chain::parse_tx_kind(args.kind);
  if (!kind)
    return make_error("unknown transaction kind " + args.kind);
  plan.kind = *kind;
  if (plan.kind != chain::TxKind::kTransfer) {
    plan.to = chain::address_of(plan.key.public_key());
  } else {
    if (args.to.empty())
      return make_error("--to: a recipient address is required");
    auto to = chain::parse_address(args.to);
    if (!to)
      return make_error("--to " + args.to + ": " + to.message());
    plan.to = *to;
  }
  if (plan.kind == chain::TxKind::kEvidence) {
    auto evidence = load_evidence_file(args.evidence_file);
    if (!evidence)
      return evidence.error();
    plan.evidence = std::move(*evidence);
    return Status::success();
  }
  auto amount = cli::parse_amount(args.amount, "--amount", /*allow_zero=*/false);
  if (!amount)
    return amount.error();
  plan.amount = *amount;
  return Status::success();
}

Result<TransferPlan> check_transfer_args(const TransferArgs& args) {
  auto key = load_key(args.key_file);
  if (!key)
    return key.error();
  TransferPlan plan{chain::TxKind::kTransfer, *key, {}, 0, 0, {}, {}, {}, {}};
  if (auto status = check_kind_args(args, plan); !status)
    return status.error();
  auto fee = cli::parse_amount(args.fee, "--fee", /*allow_zero=*/true);
  if (!fee)
    return fee.error();
  if (plan.amount > UINT64_MAX - *fee)
    return make_error("--amount plus --fee exceed 2^64 - 1");
  plan.fee = *fee;
  if (!args.nonce.empty()) {
    auto parsed = cli::parse_unsigned(args.nonce, "--nonce");
    if (!parsed)
      return parsed.error();
    plan.nonce = *parsed;
  }
  if (auto status = check_waiting_args(args, plan); !status)
    return status.error();
  return plan;
}

// Whether `block` holds the transaction `hash`, as the node said it does.
Status check_contains(const client::VerifiedBlock& block, const std::string& hash) {
  for (const auto& tx : block.block.transactions) {
    if (crypto::to_hex(tx.hash().view()) == hash)
      return Status::success();
  }
  return make_error("node says the transaction is in block " +
                    std::to_string(block.block.header.height) +
                    ", but that block does not contain it");
}

// The block a committed transfer landed in, verified, and checked to contain it.
Result<client::VerifiedBlock> block_of_commit(client::RpcClient& node,
                                              const chain::Genesis& genesis,
                                              const Inclusion& commit, const std::string& hash) {
  auto block =
      client::fetch_committed_block(node, genesis, commit.height, std::chrono::milliseconds(5000));
  if (!block)
    return make_error("transaction committed at height " + std::to_string(commit.height) +
                      " but its block failed verification: " + block.message());
  if (auto status = check_contains(*block, hash); !status)
    return status.error();
  return block;
}

// A submitted transfer, and how long and how deep to wait for it.
struct Waiting {
  std::string hash;
  std::uint64_t confirmations = 0;
  Clock::time_point start;
  std::chrono::seconds timeout;
};

// PBFT: waits for the commit (and `confirmations` blocks, if asked), verifies the block's
// commit certificate, and reports.
Status finish_pbft_transfer(client::RpcClient& node, const chain::Genesis& genesis,
                            const Waiting& wait, json out, bool as_json) {
  auto commit =
      wait_for_confirmations(node, wait.hash, wait.confirmations, wait.start, wait.timeout);
  if (!commit)
    return commit.error();
  auto block = block_of_commit(node, genesis, *commit, wait.hash);
  if (!block)
    return block.error();
  auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(commit->waited).count();
  out["status"] = "committed";
  out["height"] = commit->height;
  out["block_hash"] = crypto::to_hex(block->block.hash().view());
  out["commit_wait_ms"] = waited_ms;
  if (wait.confirmations > 0)
    out["confirmations"] = commit->confirmations;
  bool pbft = genesis.mode == chain::ConsensusMode::kPbft;
  if (pbft)
    out["certificate"] = certificate_json(*block);
  if (as_json) {
    cli::print_json(out);
    return Status::success();
  }
  std::printf("committed block %llu (hash %s) after %s\n",
              static_cast<unsigned long long>(commit->height),
              cli::prefix(out["block_hash"].get<std::string>(), 16).c_str(),
              cli::format_duration(commit->waited).c_str());
  if (pbft)
    std::printf("%s\n", certificate_line(*block).c_str());
  return Status::success();
}

// PoW: waits until the transfer's block has `confirmations` confirmations, then checks the
// node's best chain from the pinned genesis and that the block on it holds the transfer. A
// reorg in between (the block is no longer on the best chain) means waiting again.
Result<PowProof> confirm_pow_transfer(client::RpcClient& node, const chain::Genesis& genesis,
                                      const Waiting& wait, Inclusion& inclusion) {
  for (;;) {
    auto seen =
        wait_for_confirmations(node, wait.hash, wait.confirmations, wait.start, wait.timeout);
    if (!seen)
      return seen.error();
    inclusion = *seen;
    auto proof = prove_pow_block(node, genesis, inclusion.block_hash);
    if (!proof)
      return make_error("transaction in block " + std::to_string(inclusion.height) +
                        " but the chain failed verification: " + proof.message());
    if (*proof && (*proof)->confirmations >= wait.confirmations) {
      if (auto status = check_contains((*proof)->block, wait.hash); !status)
        return status.error();
      return std::move(**proof);
    }
    if (Clock::now() - wait.start >= wait.timeout) {
      return make_error("transaction " + wait.hash + ": its block " +
                        std::to_string(inclusion.height) +
                        " left the best chain (a reorg) while it was being verified; check "
                        "later with: synod-wallet tx " +
                        wait.hash);
    }
    // The node's answers will agree again once it has settled on a branch.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Status finish_pow_transfer(client::RpcClient& node, const chain::Genesis& genesis,
                           const Waiting& wait, json out, bool as_json) {
  Inclusion inclusion;
  auto proof = confirm_pow_transfer(node, genesis, wait, inclusion);
  if (!proof)
    return proof.error();
  auto waited = Clock::now() - wait.start;
  out["status"] = "committed";
  out["height"] = inclusion.height;
  out["block_hash"] = crypto::to_hex(proof->block.block.hash().view());
  out["confirmations"] = proof->confirmations;
  out["in_best_chain"] = true;
  out["finality"] = "probabilistic";
  out["commit_wait_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(waited).count();
  out[chain::to_string(genesis.mode)] = pow_proof_json(*proof);
  if (as_json) {
    cli::print_json(out);
    return Status::success();
  }
  std::printf("included in block %llu (hash %s); %llu confirmation%s after %s\n",
              static_cast<unsigned long long>(inclusion.height),
              cli::prefix(out["block_hash"].get<std::string>(), 16).c_str(),
              static_cast<unsigned long long>(proof->confirmations),
              proof->confirmations == 1 ? "" : "s", cli::format_duration(waited).c_str());
  std::printf("%s\n", pow_proof_line(*proof).c_str());
  return Status::success();
}

// The confirmations to wait for: as asked, else PBFT 0 (committed is final), PoW and PoS 1.
Result<std::uint64_t> confirmations_for(const TransferPlan& plan, const chain::Genesis& genesis) {
  bool longest_chain = genesis.mode != chain::ConsensusMode::kPbft;
  std::uint64_t wanted = plan.confirmations.value_or(longest_chain ? 1 : 0);
  if (longest_chain && wanted == 0) {
    return make_error(
        std::string("--confirmations 0: on a ") +
        (genesis.mode == chain::ConsensusMode::kPow ? "proof-of-work" : "proof-of-stake") +
        " chain a transfer counts once it is in a block (1 confirmation); use "
        "--no-wait to return without waiting");
  }
  return wanted;
}

// Whom evidence accuses, and of what height: its first header's proposer and height (the
// file was decoded when it was loaded).
void describe_evidence(const Bytes& evidence, json& out) {
  auto decoded = chain::decode_evidence(evidence);
  assert(decoded.ok());
  out["offender"] = chain::to_string(chain::address_of(decoded->first.proposer));
  out["offence_height"] = decoded->first.height;
}

}  // namespace

Status transfer(const Globals& globals, const TransferArgs& args) {
  auto plan = check_transfer_args(args);
  if (!plan)
    return plan.error();
  auto opened = open_verifying_node(globals);
  if (!opened)
    return opened.error();
  client::RpcClient& node = *opened->client;
  const chain::Genesis& genesis = opened->trusted.genesis;
  auto wanted = confirmations_for(*plan, genesis);
  if (!wanted)
    return wanted.error();

  std::string from_text = chain::to_string(chain::address_of(plan->key.public_key()));
  std::string to_text = chain::to_string(plan->to);
  auto submitted = sign_and_submit(node, *plan, genesis);
  if (!submitted)
    return submitted.error();
  json out = {{"hash", submitted->hash},   {"kind", args.kind},
              {"from", from_text},         {"to", to_text},
              {"amount", plan->amount},    {"fee", plan->fee},
              {"nonce", submitted->nonce}, {"status", "pending"}};
  if (plan->kind == chain::TxKind::kEvidence)
    describe_evidence(plan->evidence, out);
  if (!globals.json) {
    if (plan->kind == chain::TxKind::kEvidence) {
      std::printf(
          "evidence  against %s, two headers signed at height %llu; reported by %s "
          "(fee %s, nonce %llu)\n",
          out["offender"].get<std::string>().c_str(),
          static_cast<unsigned long long>(out["offence_height"].get<std::uint64_t>()),
          from_text.c_str(), cli::with_commas(plan->fee).c_str(),
          static_cast<unsigned long long>(submitted->nonce));
    } else {
      std::printf("%-9s %s from %s to %s (fee %s, nonce %llu)\n", args.kind.c_str(),
                  cli::with_commas(plan->amount).c_str(), from_text.c_str(), to_text.c_str(),
                  cli::with_commas(plan->fee).c_str(),
                  static_cast<unsigned long long>(submitted->nonce));
    }
    std::printf("tx        %s\n", submitted->hash.c_str());
    std::fflush(stdout);
  }
  if (args.no_wait) {
    if (globals.json)
      cli::print_json(out);
    else
      std::printf("status    pending (not waiting; check with: synod-wallet tx %s)\n",
                  submitted->hash.c_str());
    return Status::success();
  }
  Waiting wait{submitted->hash, *wanted, Clock::now(),
               plan->timeout.value_or(default_transfer_timeout(genesis, *wanted))};
  if (genesis.mode != chain::ConsensusMode::kPbft)  // PoW and PoS: a verified best chain
    return finish_pow_transfer(node, genesis, wait, std::move(out), globals.json);
  return finish_pbft_transfer(node, genesis, wait, std::move(out), globals.json);
}

}  // namespace synod::wallet
