#include "wallet/confirmations.h"

#include <algorithm>
#include <thread>

#include "client/json_fields.h"
#include "crypto/hex.h"
#include "wallet/cli_support.h"
#include "wallet/pow_chain.h"

namespace synod::wallet {

using client::field_text;
using client::unsigned_field;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// What the waiting has seen so far, for the progress line and the timeout error.
struct Sighting {
  std::optional<Inclusion> last;  // the last block get_tx placed it in
  bool reorged = false;           // it was in a block, then was not
  std::string status = "unknown";
};

std::string block_text(const Inclusion& inclusion) {
  return "block " + std::to_string(inclusion.height) + " (" + cli::prefix(inclusion.block_hash) +
         ")";
}

std::string progress_text(const Sighting& seen, std::uint64_t wanted) {
  if (seen.status == "committed" && seen.last) {
    return "in " + block_text(*seen.last) + ", " + std::to_string(seen.last->confirmations) +
           " of " + std::to_string(wanted) + " confirmations";
  }
  if (seen.reorged)
    return "out of the best chain after a reorg; " + seen.status + " again";
  return "transaction is " + seen.status;
}

std::string timeout_message(const std::string& hash, const Sighting& seen, std::uint64_t wanted,
                            std::chrono::seconds timeout) {
  std::string after = " within " + std::to_string(timeout.count()) + " s";
  std::string later = "; check later with: synod-wallet tx " + hash;
  if (seen.status == "committed" && seen.last) {
    return "transaction " + hash + " has " + std::to_string(seen.last->confirmations) + " of " +
           std::to_string(wanted) + " confirmations (in " + block_text(*seen.last) + ")" + after +
           later;
  }
  if (seen.reorged) {
    return "transaction " + hash + " was in " + block_text(*seen.last) +
           " but a reorg took that block off the best chain; it is " + seen.status +
           " and not back in a block" + after + later;
  }
  return "transaction " + hash + " not committed" + after + " (status: " + seen.status + ")" +
         later;
}

}  // namespace

Result<Inclusion> wait_for_confirmations(client::RpcClient& node, const std::string& tx_hash,
                                         std::uint64_t confirmations, Clock::time_point start,
                                         std::chrono::seconds timeout) {
  const std::uint64_t wanted = std::max<std::uint64_t>(confirmations, 1);
  cli::Progress progress(wanted > 1 ? "waiting for " + std::to_string(wanted) + " confirmations"
                                    : "waiting for commit");
  Sighting seen;
  auto delay = std::chrono::milliseconds(2);
  for (;;) {
    auto outcome = node.call("get_tx", {{"hash", tx_hash}});
    if (!outcome.ok())
      return make_error(client::describe(outcome.error()));
    const json& tx = outcome.result();
    seen.status = field_text(tx, "status");
    if (seen.status == "committed") {
      seen.last = Inclusion{unsigned_field(tx, "height"), field_text(tx, "block_hash"),
                            unsigned_field(tx, "confirmations"), Clock::now() - start};
      if (seen.last->confirmations >= wanted) {
        progress.finish();
        return *seen.last;
      }
    } else if (seen.last) {
      seen.reorged = true;
    }
    if (Clock::now() - start >= timeout) {
      progress.finish();
      return make_error(timeout_message(tx_hash, seen, wanted, timeout));
    }
    progress.update(progress_text(seen, wanted));
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(100));
  }
}

Result<std::optional<PowProof>> prove_pow_block(client::RpcClient& node,
                                                const chain::Genesis& genesis,
                                                client::VerifiedBlock block) {
  auto best = client::fetch_verified_chain(node, genesis);
  if (!best)
    return best.error();
  const std::uint64_t height = block.block.header.height;
  if (height > best->height() || best->hashes[height] != block.block.hash())
    return std::optional<PowProof>{};
  PowProof proof;
  proof.confirmations = best->height() - height + 1;
  proof.chain_height = best->height();
  proof.chain_work = best->work;
  proof.mode = genesis.mode;
  if (height > 0)
    proof.block_work = pow_pos::seal_work(block.block.header);
  proof.block = std::move(block);
  return std::optional<PowProof>(std::move(proof));
}

Result<std::optional<PowProof>> prove_pow_block(client::RpcClient& node,
                                                const chain::Genesis& genesis,
                                                const std::string& block_hash_hex) {
  auto block = client::fetch_verified_block(node, genesis, {{"hash", block_hash_hex}});
  if (!block)
    return block.error();
  if (crypto::to_hex(block->block.hash().view()) != block_hash_hex)
    return make_error("node sent another block than block " + block_hash_hex);
  return prove_pow_block(node, genesis, std::move(*block));
}

std::string pow_proof_line(const PowProof& proof) {
  if (proof.mode == chain::ConsensusMode::kPos) {
    return "proof of stake verified: blocks 0.." + std::to_string(proof.chain_height) +
           " link up from the pinned genesis, each signed by a validator whose ticket won "
           "the stake lottery in the state replayed from the genesis";
  }
  return "proof of work verified: blocks 0.." + std::to_string(proof.chain_height) +
         " link up from the pinned genesis, each under the target the retarget rule requires; "
         "chain work " +
         proof.chain_work.to_decimal();
}

json pow_proof_json(const PowProof& proof) {
  return {{"verified", true},
          {"confirmations", proof.confirmations},
          {"chain_height", proof.chain_height},
          {"chain_work", proof.chain_work.to_decimal()},
          {"block_work", proof.block_work.to_decimal()}};
}

std::chrono::seconds default_transfer_timeout(const chain::Genesis& genesis,
                                              std::uint64_t confirmations) {
  constexpr std::uint64_t kBase = 30;
  if (genesis.mode == chain::ConsensusMode::kPbft)
    return std::chrono::seconds(kBase);
  const std::uint64_t interval_ms = genesis.mode == chain::ConsensusMode::kPow
                                        ? genesis.pow.block_interval_ms
                                        : genesis.pos.block_interval_ms;
  // confirmations <= 10,000 and interval <= 86,400,000 ms: no overflow.
  std::uint64_t blocks_ms = 5 * std::max<std::uint64_t>(confirmations, 1) * interval_ms;
  return std::chrono::seconds(kBase + blocks_ms / 1000);
}

}  // namespace synod::wallet
