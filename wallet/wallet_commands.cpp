#include "wallet/wallet_commands.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "chain/address.h"
#include "chain/transaction.h"
#include "client/json_fields.h"
#include "client/rpc_client.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "wallet/chain_client.h"
#include "wallet/cli_support.h"
#include "wallet/command_support.h"
#include "wallet/confirmations.h"

namespace synod::wallet {

using client::bool_field;
using client::field_text;
using client::unsigned_field;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

Status keygen(const Globals& globals, const std::string& out_file) {
  if (out_file.empty())
    return make_error("--out: a file name is required");
  std::error_code ec;
  if (std::filesystem::exists(out_file, ec))
    return make_error("--out " + out_file + ": file exists; refusing to overwrite a key");
  auto key = crypto::KeyPair::generate();
  if (auto saved = crypto::save_key_file(out_file, key); !saved)
    return make_error("--out " + out_file + ": " + saved.message());
  std::string address_text = chain::to_string(chain::address_of(key.public_key()));
  std::string public_hex = crypto::to_hex(key.public_key().view());
  if (globals.json) {
    cli::print_json({{"file", out_file}, {"address", address_text}, {"public_key", public_hex}});
    return Status::success();
  }
  print_text(fields({{"key file", out_file + " (mode 0600)"},
                     {"address", address_text},
                     {"public key", public_hex}}));
  std::printf("Keep the key file secret: whoever holds it can spend from this address.\n");
  return Status::success();
}

Status address(const Globals& globals, const std::string& key_file) {
  auto key = load_key(key_file);
  if (!key)
    return key.error();
  std::string address_text = chain::to_string(chain::address_of(key->public_key()));
  if (globals.json) {
    cli::print_json(
        {{"address", address_text}, {"public_key", crypto::to_hex(key->public_key().view())}});
  } else {
    std::printf("%s\n", address_text.c_str());
  }
  return Status::success();
}

Status balance(const Globals& globals, const std::string& address_text,
               const std::string& key_file) {
  if (address_text.empty() == key_file.empty())
    return make_error("give either an ADDRESS or --key FILE");
  chain::Address address;
  if (!key_file.empty()) {
    auto key = load_key(key_file);
    if (!key)
      return key.error();
    address = chain::address_of(key->public_key());
  } else {
    auto parsed = chain::parse_address(address_text);
    if (!parsed)
      return make_error("address " + address_text + ": " + parsed.message());
    address = *parsed;
  }
  return show_answer(
      globals, "get_account", {{"address", chain::to_string(address)}},
      [](const json& account, const client::Endpoint&) {
        std::vector<std::pair<std::string, std::string>> rows = {
            {"address", field_text(account, "address")},
            {"balance", cli::with_commas(unsigned_field(account, "balance"))},
            {"nonce", std::to_string(unsigned_field(account, "nonce"))},
            {"stake", cli::with_commas(unsigned_field(account, "stake"))}};
        if (account.contains("unbonding")) {  // proof of stake: coins on their way back
          rows.push_back({"unbonding", cli::with_commas(unsigned_field(account, "unbonding")) +
                                           " (spendable at height " +
                                           field_text(account, "unbonding_height") + ")"});
        }
        if (const json& why = client::field(account, "slashed"); why.is_object()) {
          rows.push_back({"slashed", field_text(why, "reason") + " at height " +
                                         field_text(why, "offence_height") + " (block " +
                                         field_text(why, "slashed_at_height") + ")"});
        }
        rows.push_back({"at height", std::to_string(unsigned_field(account, "height"))});
        print_text(fields(rows));
      });
}

namespace {

// The rows and fields of a transaction found in `block`; false when it is not there.
bool describe_tx(const client::VerifiedBlock& block, const crypto::Hash256& hash, json& out,
                 std::vector<std::pair<std::string, std::string>>& rows) {
  for (const auto& item : block.block.transactions) {
    if (item.hash() != hash)
      continue;
    out["from"] = chain::to_string(item.sender());
    out["to"] = chain::to_string(item.to);
    out["amount"] = item.amount;
    out["fee"] = item.fee;
    out["nonce"] = item.nonce;
    rows.push_back({"from", chain::to_string(item.sender())});
    rows.push_back({"to", chain::to_string(item.to)});
    rows.push_back({"amount", cli::with_commas(item.amount)});
    rows.push_back({"fee", cli::with_commas(item.fee)});
    rows.push_back({"nonce", std::to_string(item.nonce)});
    return true;
  }
  return false;
}

// The block a committed transaction is in, verified: PBFT by its certificate, PoW by the
// chain from the pinned genesis to the node's head (`proof`, which also counts the
// confirmations).
Result<client::VerifiedBlock> verified_tx_block(client::RpcClient& node,
                                                const chain::Genesis& genesis, const json& tx,
                                                std::optional<PowProof>& proof) {
  if (genesis.mode == chain::ConsensusMode::kPbft) {
    return client::fetch_committed_block(node, genesis, unsigned_field(tx, "height"),
                                         std::chrono::milliseconds(5000));
  }
  auto proved = prove_pow_block(node, genesis, field_text(tx, "block_hash"));
  if (!proved)
    return proved.error();
  if (!*proved) {
    return make_error("the transaction's block " + field_text(tx, "block_hash") +
                      " left the node's best chain while it was checked (a reorg); try again");
  }
  proof = std::move(**proved);
  return proof->block;
}

}  // namespace

Status show_tx(const Globals& globals, const std::string& hash_text) {
  auto hash = parse_hash(hash_text);
  if (!hash)
    return hash.error();
  std::string hash_hex = crypto::to_hex(hash->view());
  auto node = open_node(globals);
  if (!node)
    return node.error();
  auto tx = call(**node, "get_tx", {{"hash", hash_hex}});
  if (!tx)
    return tx.error();
  std::string state = field_text(*tx, "status");
  if (state == "unknown") {
    return make_error("transaction " + hash_hex + " is unknown to the node at " +
                      (*node)->endpoint().to_string() + " (not pending, not committed)");
  }
  json out = *tx;
  std::vector<std::pair<std::string, std::string>> rows = {{"hash", hash_hex}, {"status", state}};
  if (state == "committed") {
    auto trusted = trust_genesis(**node, globals);
    if (!trusted)
      return trusted.error();
    std::optional<PowProof> proof;
    auto block = verified_tx_block(**node, trusted->genesis, *tx, proof);
    if (!block)
      return block.error();
    if (!describe_tx(*block, *hash, out, rows))
      return make_error("node places the transaction in a block that does not contain it");
    rows.push_back({"block", std::to_string(block->block.header.height) + " (hash " +
                                 cli::prefix(field_text(*tx, "block_hash"), 16) + "), index " +
                                 std::to_string(unsigned_field(*tx, "index"))});
    if (proof) {
      out["confirmations"] = proof->confirmations;
      out["in_best_chain"] = true;
      out["finality"] = "probabilistic";
      const bool pos = proof->mode == chain::ConsensusMode::kPos;
      out[pos ? "pos" : "pow"] = pow_proof_json(*proof);
      rows.push_back({"confirmations", std::to_string(proof->confirmations) +
                                           " (in the best chain; final only probabilistically)"});
      rows.push_back(
          {pos ? "proof of stake" : "proof of work", pow_proof_line(*proof).substr(pos ? 15 : 14)});
    } else {
      rows.push_back({"confirmations", std::to_string(unsigned_field(*tx, "confirmations"))});
    }
    if (trusted->genesis.mode == chain::ConsensusMode::kPbft) {
      out["certificate"] = certificate_json(*block);
      rows.push_back({"certificate", certificate_line(*block).substr(12)});
    }
  }
  if (globals.json)
    cli::print_json(out);
  else
    print_text(fields(rows));
  return Status::success();
}

namespace {

// A verified block for people: its header, the certificate line and up to 20 transactions.
// `proof`: set for a proof-of-work block, whose seal, work and confirmations it shows.
void print_block(const client::VerifiedBlock& block, const chain::Genesis& genesis,
                 const PowProof* proof) {
  const auto& header = block.block.header;
  const json& rpc_header = client::field(block.rpc, "header");
  std::string seal;
  if (const auto* pbft = std::get_if<chain::PbftSeal>(&header.seal))
    seal =
        "pbft view " + std::to_string(pbft->view) + ", sequence " + std::to_string(pbft->sequence);
  if (const auto* pow = std::get_if<chain::PowSeal>(&header.seal))
    seal = "pow nonce " + std::to_string(pow->nonce) + ", target " +
           crypto::to_hex(pow->target.view());
  std::string proposer = field_text(rpc_header, "proposer");
  for (const auto& validator : genesis.validators.all()) {
    if (crypto::to_hex(validator.public_key.view()) == proposer)
      proposer = validator.name + " (" + cli::prefix(proposer, 16) + ")";
  }
  std::vector<std::pair<std::string, std::string>> rows = {
      {"height", std::to_string(header.height)},
      {"hash", crypto::to_hex(header.hash().view())},
      {"prev hash", crypto::to_hex(header.prev_hash.view())},
      {"tx root", crypto::to_hex(header.tx_root.view())},
      {"state root", crypto::to_hex(header.state_root.view())},
      {"timestamp ms", std::to_string(header.timestamp_ms)},
      {"proposer", proposer},
      {"seal", seal},
      {"transactions", std::to_string(block.block.transactions.size())}};
  if (proof) {
    rows.push_back({"work", proof->block_work.to_decimal() + " (expected hashes)"});
    rows.push_back({"confirmations", std::to_string(proof->confirmations) +
                                         " (in the best chain; final only probabilistically)"});
  }
  print_text(fields(rows));
  if (genesis.mode == chain::ConsensusMode::kPbft)
    std::printf("%s\n", certificate_line(block).c_str());
  if (proof)
    std::printf("%s\n", pow_proof_line(*proof).c_str());
  if (!block.block.transactions.empty()) {
    cli::Table table({"#", "HASH", "FROM", "TO", "AMOUNT", "FEE", "NONCE"});
    table.right(0).right(4).right(5).right(6);
    constexpr std::size_t kShown = 20;
    const auto& txs = block.block.transactions;
    for (std::size_t i = 0; i < txs.size() && i < kShown; ++i) {
      table.add({std::to_string(i), cli::prefix(crypto::to_hex(txs[i].hash().view()), 16),
                 cli::prefix(chain::to_string(txs[i].sender()), 16),
                 cli::prefix(chain::to_string(txs[i].to), 16), cli::with_commas(txs[i].amount),
                 cli::with_commas(txs[i].fee), std::to_string(txs[i].nonce)});
    }
    std::printf("\n%s", table.render().c_str());
    if (txs.size() > kShown)
      std::printf("... and %zu more (use --json for all)\n", txs.size() - kShown);
  }
}

}  // namespace

namespace {

// A proof-of-work block of the best chain (`which`: a height or "latest"), proved from the
// pinned genesis. A reorg between fetching the block and checking the chain means asking
// again, a few times.
Result<PowProof> fetch_proved_pow_block(client::RpcClient& node, const chain::Genesis& genesis,
                                        const json& which) {
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto block = client::fetch_verified_block(node, genesis, which);
    if (!block)
      return block.error();
    auto proof = prove_pow_block(node, genesis, std::move(*block));
    if (!proof)
      return proof.error();
    if (*proof)
      return std::move(**proof);
  }
  return make_error(
      "the block kept leaving the node's best chain while it was checked (reorgs); "
      "try again");
}

}  // namespace

Status show_block(const Globals& globals, const std::string& which_text) {
  json which = json::array({"latest"});
  if (!which_text.empty() && which_text != "latest") {
    auto height = cli::parse_unsigned(which_text, "HEIGHT");
    if (!height)
      return make_error(height.message() + " (expected a block height or \"latest\")");
    which = {{"height", *height}};
  }
  auto opened = open_verifying_node(globals);
  if (!opened)
    return opened.error();
  const chain::Genesis& genesis = opened->trusted.genesis;
  std::optional<PowProof> proof;
  Result<client::VerifiedBlock> block = make_error("no block");
  if (genesis.mode != chain::ConsensusMode::kPbft) {
    auto proved = fetch_proved_pow_block(*opened->client, genesis, which);
    if (proved) {
      proof = std::move(*proved);
      block = proof->block;
    } else {
      block = proved.error();
    }
  } else {
    block = client::fetch_verified_block(*opened->client, genesis, which);
  }
  if (!block) {
    if (block.message().find("no such block") != std::string::npos)
      return make_error("block " + which_text + " not found on the node at " +
                        opened->client->endpoint().to_string());
    return block.error();
  }
  if (globals.json) {
    json out = block->rpc;
    out.erase("raw");
    if (genesis.mode == chain::ConsensusMode::kPbft)
      out["certificate_verified"] = certificate_json(*block);
    if (proof) {
      out["confirmations"] = proof->confirmations;
      out[genesis.mode == chain::ConsensusMode::kPos ? "pos_verified" : "pow_verified"] =
          pow_proof_json(*proof);
    }
    cli::print_json(out);
    return Status::success();
  }
  print_block(*block, genesis, proof ? &*proof : nullptr);
  return Status::success();
}

namespace {

// A node's PEERS for people: its links to the other validators, or a full node's upstreams.
std::string peers_text(const json& s, bool full_node) {
  std::uint64_t validators = unsigned_field(s, "validators");
  if (!full_node) {
    return field_text(s, "peers_connected") + " of " +
           std::to_string(validators > 0 ? validators - 1 : 0);
  }
  // A full node asks one upstream at a time, so the others need not have answered yet.
  std::string answered;
  std::size_t upstreams = 0;
  if (const json& list = client::field(s, "upstreams"); list.is_array()) {
    for (const json& upstream : list) {
      ++upstreams;
      if (bool_field(upstream, "reachable"))
        answered += (answered.empty() ? " (" : ", ") + field_text(upstream, "endpoint");
    }
  }
  return field_text(s, "peers_connected") + " of " + std::to_string(upstreams) +
         " upstreams answering" + (answered.empty() ? "" : answered + ")");
}

// The consensus rows of a status: PBFT view and primary, or PoW work, target and mining.
std::vector<std::pair<std::string, std::string>> consensus_rows(const json& s, bool pow) {
  if (!pow) {
    return {{"view", field_text(s, "view") +
                         (bool_field(s, "in_view_change") ? " (view change running)" : "")},
            {"primary",
             field_text(s, "primary_name") + " (validator " + field_text(s, "primary") + ")"}};
  }
  const json& rate = client::field(s, "hash_rate");
  return {{"finality", field_text(s, "finality") + " (wait for confirmations)"},
          {"tip work", field_text(s, "tip_work") + " (expected hashes of the best chain)"},
          {"target", field_text(s, "target") + " (next block)"},
          {"difficulty", field_text(s, "difficulty") + " (times the genesis target)"},
          {"hash rate", rate.is_number() ? cli::format_hash_rate(rate.get<double>()) : "-"},
          {"mining", bool_field(s, "mining") ? "yes" : "no"},
          {"chain tips", field_text(s, "tips") + " (the best chain and side branches)"},
          {"reorgs", field_text(s, "reorgs")}};
}

// A node's status for people; `endpoint` is where it answered.
void print_status(const json& s, const client::Endpoint& endpoint) {
  std::string byzantine =
      s.contains("byzantine") && !s["byzantine"].empty() ? s["byzantine"].dump() : "no";
  bool pow = field_text(s, "mode") == "pow";
  // A full node (role "full_node", no validator index) follows upstream nodes over RPC
  // instead of taking part in consensus; its peers are those upstreams.
  bool full_node = field_text(s, "role") == "full_node" ||
                   !client::field(s, "validator_index").is_number_unsigned();
  std::string role =
      full_node ? "full node" : (pow ? "miner " : "validator ") + field_text(s, "validator_index");
  std::vector<std::pair<std::string, std::string>> rows = {
      {"node", field_text(s, "node_id") + " (" + role + ") at " + endpoint.to_string()},
      {"chain", field_text(s, "chain_id") + " (" + field_text(s, "mode") + ", genesis " +
                    cli::prefix(field_text(s, "genesis_hash"), 16) + ")"},
      {"height", field_text(s, "height") + " (stored " + field_text(s, "stored_height") + ")"},
      {"head hash", field_text(s, "head_hash")},
      {"state root", field_text(s, "state_root")}};
  for (auto& row : consensus_rows(s, pow))
    rows.push_back(std::move(row));
  rows.push_back({"peers", peers_text(s, full_node)});
  rows.push_back({"mempool", field_text(s, "mempool_size") + " transactions"});
  rows.push_back({"syncing", bool_field(s, "syncing") ? "yes" : "no"});
  rows.push_back({"byzantine", byzantine});
  print_text(fields(rows));
}

// The validator set as a node reports it, for people.
void print_validators(const json& result, const client::Endpoint&) {
  // A proof-of-work node lists its miners: no voting power, no primary, no quorum.
  bool pow = client::field(result, "miners").is_number_unsigned();
  std::vector<std::string> headers = {"INDEX", "NAME", "ADDRESS", "PUBLIC KEY", "PEER"};
  if (!pow) {
    headers.push_back("POWER");
    headers.push_back("PRIMARY");
  }
  headers.push_back("CONNECTED");
  cli::Table table(headers);
  table.right(0);
  if (!pow)
    table.right(5);
  if (const json& list = client::field(result, "validators"); list.is_array()) {
    for (const json& v : list) {
      std::vector<std::string> row = {
          field_text(v, "index"), field_text(v, "name"), field_text(v, "address"),
          cli::prefix(field_text(v, "public_key"), 16), field_text(v, "peer_address")};
      if (!pow) {
        row.push_back(field_text(v, "power"));
        row.push_back(bool_field(v, "primary") ? "yes" : "");
      }
      // A full node has no links to validators and leaves "connected" out.
      row.push_back(!v.contains("connected") ? "-" : bool_field(v, "connected") ? "yes" : "no");
      table.add(std::move(row));
    }
  }
  print_text(table.render());
  if (pow) {
    std::printf("%s miners; proof of work: no votes and no quorum, the chain with most work wins\n",
                field_text(result, "miners").c_str());
    return;
  }
  std::printf("n = %s validators tolerate f = %s faulty; quorum %s; view %s\n",
              field_text(result, "count").c_str(), field_text(result, "max_faulty").c_str(),
              field_text(result, "quorum").c_str(), field_text(result, "view").c_str());
}

}  // namespace

Status status(const Globals& globals) {
  return show_answer(globals, "status", json::object(), print_status);
}

Status validators(const Globals& globals) {
  return show_answer(globals, "get_validators", json::object(), print_validators);
}

}  // namespace synod::wallet
