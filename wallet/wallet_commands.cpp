#include "wallet/wallet_commands.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "chain/address.h"
#include "chain/transaction.h"
#include "client/rpc_client.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "wallet/chain_client.h"
#include "wallet/cli_support.h"

namespace synod::wallet {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

void print_json(const json& value) {
  std::printf("%s\n", value.dump(2).c_str());
}

void print_text(const std::string& text) {
  std::fputs(text.c_str(), stdout);
}

// Key/value lines for people: "label  value", labels aligned.
std::string fields(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::size_t width = 0;
  for (const auto& [label, value] : rows)
    width = std::max(width, label.size());
  std::string out;
  for (const auto& [label, value] : rows)
    out += label + std::string(width - label.size() + 2, ' ') + value + "\n";
  return out;
}

Result<client::Endpoint> node_endpoint(const Globals& globals) {
  std::string text = globals.node;
  if (text.empty()) {
    const char* env = std::getenv("SYNOD_NODE");
    text = env && *env ? env : kDefaultNode;
  }
  auto endpoint = client::parse_endpoint(text);
  if (!endpoint)
    return make_error("--node: " + endpoint.message());
  return endpoint;
}

std::optional<std::string> genesis_file(const Globals& globals) {
  if (globals.genesis_file.empty())
    return std::nullopt;
  return globals.genesis_file;
}

Result<crypto::KeyPair> load_key(const std::string& path) {
  if (path.empty())
    return make_error("--key: a key file is required");
  auto key = crypto::load_key_file(path);
  if (!key)
    return make_error("--key: " + key.message());
  return key;
}

Result<json> call(client::RpcClient& node, const std::string& method, const json& params) {
  auto outcome = node.call(method, params);
  if (!outcome.ok())
    return make_error(client::describe(outcome.error()));
  if (!outcome.result().is_object())
    return make_error("node sent a malformed " + method + " result");
  return outcome.result();
}

// Reads an unsigned field of a node's answer, tolerating a node that omits it.
std::uint64_t number(const json& object, const char* key) {
  if (object.contains(key) && object[key].is_number_unsigned())
    return object[key].get<std::uint64_t>();
  return 0;
}

// A boolean field; absent or null (a full node has no view change, no peer links) is false.
bool flag(const json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_boolean() &&
         object[key].get<bool>();
}

std::string text(const json& object, const char* key) {
  if (!object.contains(key))
    return "";
  if (object[key].is_string())
    return object[key].get<std::string>();
  return object[key].dump();
}

Result<crypto::Hash256> parse_hash(const std::string& hex) {
  auto hash = crypto::fixed_from_hex<crypto::Hash256>(hex, "transaction hash");
  if (!hash)
    return make_error(hash.message() + " (expected 64 hex digits)");
  return hash;
}

std::string certificate_line(const client::VerifiedBlock& block) {
  return "certificate verified: " + std::to_string(block.signatures) + "/" +
         std::to_string(block.validators) + " signatures from the genesis validator set";
}

json certificate_json(const client::VerifiedBlock& block) {
  return {{"verified", true},
          {"signatures", block.signatures},
          {"validators", block.validators},
          {"quorum", block.quorum}};
}

void note_pin(const client::TrustedGenesis& trusted) {
  if (trusted.newly_pinned) {
    std::fprintf(stderr,
                 "synod-wallet: pinned the genesis of chain \"%s\" (hash %s) in %s; later runs "
                 "check the node against it\n",
                 trusted.genesis.chain_id.c_str(), cli::prefix(trusted.hash_hex, 16).c_str(),
                 trusted.source.c_str());
  }
}

}  // namespace

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
    print_json({{"file", out_file}, {"address", address_text}, {"public_key", public_hex}});
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
    print_json(
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
  auto endpoint = node_endpoint(globals);
  if (!endpoint)
    return endpoint.error();
  client::RpcClient node(*endpoint);
  auto account = call(node, "get_account", {{"address", chain::to_string(address)}});
  if (!account)
    return account.error();
  if (globals.json) {
    print_json(*account);
    return Status::success();
  }
  print_text(fields({{"address", text(*account, "address")},
                     {"balance", cli::with_commas(number(*account, "balance"))},
                     {"nonce", std::to_string(number(*account, "nonce"))},
                     {"stake", cli::with_commas(number(*account, "stake"))},
                     {"at height", std::to_string(number(*account, "height"))}}));
  return Status::success();
}

namespace {

struct Submitted {
  std::string hash;
  std::uint64_t nonce = 0;
};

// Signs and submits; a nonce already taken by a pending transaction of the same sender
// moves to the next one (unless the user chose the nonce).
Result<Submitted> sign_and_submit(client::RpcClient& node, const crypto::KeyPair& key,
                                  const chain::Genesis& genesis, const chain::Address& to,
                                  std::uint64_t amount, std::uint64_t fee,
                                  std::optional<std::uint64_t> chosen_nonce) {
  std::uint64_t nonce = 0;
  if (chosen_nonce) {
    nonce = *chosen_nonce;
  } else {
    auto account = call(node, "get_account",
                        {{"address", chain::to_string(chain::address_of(key.public_key()))}});
    if (!account)
      return account.error();
    nonce = number(*account, "nonce");
  }
  constexpr int kMaxNonceSteps = 64;
  for (int attempt = 0;; ++attempt) {
    auto tx = chain::make_transfer(key, genesis.chain_id, to, amount, fee, nonce);
    auto outcome = node.call("submit_tx", {{"tx", crypto::to_hex(tx.encode())}});
    if (outcome.ok())
      return Submitted{crypto::to_hex(tx.hash().view()), nonce};
    const auto& error = outcome.error();
    std::string reason;
    if (error.data.is_object() && error.data.contains("reason") && error.data["reason"].is_string())
      reason = error.data["reason"].get<std::string>();
    if (outcome.is_rpc_error(client::kRpcTransactionRefused) && reason == "nonce_taken" &&
        !chosen_nonce && attempt < kMaxNonceSteps) {
      ++nonce;
      continue;
    }
    return make_error(client::describe(error));
  }
}

struct Commit {
  std::uint64_t height = 0;
  std::string block_hash;
  Clock::duration waited{};
};

Result<Commit> wait_for_commit(client::RpcClient& node, const std::string& hash,
                               std::chrono::seconds timeout) {
  cli::Progress progress("waiting for commit");
  auto start = Clock::now();
  auto delay = std::chrono::milliseconds(2);
  for (;;) {
    auto tx = call(node, "get_tx", {{"hash", hash}});
    if (!tx)
      return tx.error();
    std::string state = text(*tx, "status");
    if (state == "committed") {
      progress.finish();
      return Commit{number(*tx, "height"), text(*tx, "block_hash"), Clock::now() - start};
    }
    if (Clock::now() - start >= timeout) {
      progress.finish();
      return make_error("transaction " + hash + " not committed within " +
                        std::to_string(timeout.count()) + " s (status: " + state +
                        "); check later with: synod-wallet tx " + hash);
    }
    progress.update("transaction " + cli::prefix(hash) + " is " + state);
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(100));
  }
}

}  // namespace

Status transfer(const Globals& globals, const TransferArgs& args) {
  auto key = load_key(args.key_file);
  if (!key)
    return key.error();
  if (args.to.empty())
    return make_error("--to: a recipient address is required");
  auto to = chain::parse_address(args.to);
  if (!to)
    return make_error("--to " + args.to + ": " + to.message());
  auto amount = cli::parse_amount(args.amount, "--amount", /*allow_zero=*/false);
  if (!amount)
    return amount.error();
  auto fee = cli::parse_amount(args.fee, "--fee", /*allow_zero=*/true);
  if (!fee)
    return fee.error();
  if (*amount > UINT64_MAX - *fee)
    return make_error("--amount plus --fee exceed 2^64 - 1");
  std::optional<std::uint64_t> nonce;
  if (!args.nonce.empty()) {
    auto parsed = cli::parse_unsigned(args.nonce, "--nonce");
    if (!parsed)
      return parsed.error();
    nonce = *parsed;
  }
  auto timeout = cli::parse_unsigned(args.timeout_s, "--timeout");
  if (!timeout)
    return timeout.error();
  if (*timeout == 0 || *timeout > 86400)
    return make_error("--timeout: must be 1 to 86400 seconds");

  auto endpoint = node_endpoint(globals);
  if (!endpoint)
    return endpoint.error();
  client::RpcClient node(*endpoint);
  auto trusted = client::trusted_genesis(node, genesis_file(globals));
  if (!trusted)
    return trusted.error();
  note_pin(*trusted);
  const chain::Genesis& genesis = trusted->genesis;

  std::string from_text = chain::to_string(chain::address_of(key->public_key()));
  auto submitted = sign_and_submit(node, *key, genesis, *to, *amount, *fee, nonce);
  if (!submitted)
    return submitted.error();
  json out = {{"hash", submitted->hash}, {"from", from_text}, {"to", args.to},
              {"amount", *amount},       {"fee", *fee},       {"nonce", submitted->nonce},
              {"status", "pending"}};
  if (!globals.json) {
    std::printf("transfer  %s from %s to %s (fee %s, nonce %llu)\n",
                cli::with_commas(*amount).c_str(), from_text.c_str(), args.to.c_str(),
                cli::with_commas(*fee).c_str(), static_cast<unsigned long long>(submitted->nonce));
    std::printf("tx        %s\n", submitted->hash.c_str());
    std::fflush(stdout);
  }
  if (args.no_wait) {
    if (globals.json)
      print_json(out);
    else
      std::printf("status    pending (not waiting; check with: synod-wallet tx %s)\n",
                  submitted->hash.c_str());
    return Status::success();
  }

  auto commit = wait_for_commit(node, submitted->hash, std::chrono::seconds(*timeout));
  if (!commit)
    return commit.error();
  auto block =
      client::fetch_committed_block(node, genesis, commit->height, std::chrono::milliseconds(5000));
  if (!block)
    return make_error("transaction committed at height " + std::to_string(commit->height) +
                      " but its block failed verification: " + block.message());
  bool included = false;
  for (const auto& tx : block->block.transactions)
    included = included || crypto::to_hex(tx.hash().view()) == submitted->hash;
  if (!included) {
    return make_error("node says the transaction is in block " + std::to_string(commit->height) +
                      ", but that block does not contain it");
  }
  auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(commit->waited).count();
  out["status"] = "committed";
  out["height"] = commit->height;
  out["block_hash"] = crypto::to_hex(block->block.hash().view());
  out["commit_wait_ms"] = waited_ms;
  if (genesis.mode == chain::ConsensusMode::kPbft)
    out["certificate"] = certificate_json(*block);
  if (globals.json) {
    print_json(out);
    return Status::success();
  }
  std::printf("committed block %llu (hash %s) after %s\n",
              static_cast<unsigned long long>(commit->height),
              cli::prefix(out["block_hash"].get<std::string>(), 16).c_str(),
              cli::format_duration(commit->waited).c_str());
  if (genesis.mode == chain::ConsensusMode::kPbft)
    std::printf("%s\n", certificate_line(*block).c_str());
  return Status::success();
}

Status show_tx(const Globals& globals, const std::string& hash_text) {
  auto hash = parse_hash(hash_text);
  if (!hash)
    return hash.error();
  std::string hash_hex = crypto::to_hex(hash->view());
  auto endpoint = node_endpoint(globals);
  if (!endpoint)
    return endpoint.error();
  client::RpcClient node(*endpoint);
  auto tx = call(node, "get_tx", {{"hash", hash_hex}});
  if (!tx)
    return tx.error();
  std::string state = text(*tx, "status");
  if (state == "unknown") {
    return make_error("transaction " + hash_hex + " is unknown to the node at " +
                      endpoint->to_string() + " (not pending, not committed)");
  }
  json out = *tx;
  std::vector<std::pair<std::string, std::string>> rows = {{"hash", hash_hex}, {"status", state}};
  if (state == "committed") {
    auto trusted = client::trusted_genesis(node, genesis_file(globals));
    if (!trusted)
      return trusted.error();
    note_pin(*trusted);
    auto block = client::fetch_committed_block(node, trusted->genesis, number(*tx, "height"),
                                               std::chrono::milliseconds(5000));
    if (!block)
      return block.error();
    for (const auto& item : block->block.transactions) {
      if (item.hash() != *hash)
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
    }
    if (!out.contains("from"))
      return make_error("node places the transaction in a block that does not contain it");
    rows.push_back({"block", std::to_string(number(*tx, "height")) + " (hash " +
                                 cli::prefix(text(*tx, "block_hash"), 16) + "), index " +
                                 std::to_string(number(*tx, "index"))});
    rows.push_back({"confirmations", std::to_string(number(*tx, "confirmations"))});
    if (trusted->genesis.mode == chain::ConsensusMode::kPbft) {
      out["certificate"] = certificate_json(*block);
      rows.push_back({"certificate", certificate_line(*block).substr(12)});
    }
  }
  if (globals.json)
    print_json(out);
  else
    print_text(fields(rows));
  return Status::success();
}

Status show_block(const Globals& globals, const std::string& which_text) {
  json which = json::array({"latest"});
  if (!which_text.empty() && which_text != "latest") {
    auto height = cli::parse_unsigned(which_text, "HEIGHT");
    if (!height)
      return make_error(height.message() + " (expected a block height or \"latest\")");
    which = {{"height", *height}};
  }
  auto endpoint = node_endpoint(globals);
  if (!endpoint)
    return endpoint.error();
  client::RpcClient node(*endpoint);
  auto trusted = client::trusted_genesis(node, genesis_file(globals));
  if (!trusted)
    return trusted.error();
  note_pin(*trusted);
  auto block = client::fetch_verified_block(node, trusted->genesis, which);
  if (!block) {
    if (block.message().find("no such block") != std::string::npos)
      return make_error("block " + which_text + " not found on the node at " +
                        endpoint->to_string());
    return block.error();
  }
  const auto& header = block->block.header;
  if (globals.json) {
    json out = block->rpc;
    out.erase("raw");
    if (trusted->genesis.mode == chain::ConsensusMode::kPbft)
      out["certificate_verified"] = certificate_json(*block);
    print_json(out);
    return Status::success();
  }
  const json& rpc_header = block->rpc["header"];
  std::string seal;
  if (const auto* pbft = std::get_if<chain::PbftSeal>(&header.seal))
    seal =
        "pbft view " + std::to_string(pbft->view) + ", sequence " + std::to_string(pbft->sequence);
  std::string proposer = text(rpc_header, "proposer");
  for (const auto& validator : trusted->genesis.validators.all()) {
    if (crypto::to_hex(validator.public_key.view()) == proposer)
      proposer = validator.name + " (" + cli::prefix(proposer, 16) + ")";
  }
  print_text(fields({{"height", std::to_string(header.height)},
                     {"hash", crypto::to_hex(header.hash().view())},
                     {"prev hash", crypto::to_hex(header.prev_hash.view())},
                     {"tx root", crypto::to_hex(header.tx_root.view())},
                     {"state root", crypto::to_hex(header.state_root.view())},
                     {"timestamp ms", std::to_string(header.timestamp_ms)},
                     {"proposer", proposer},
                     {"seal", seal},
                     {"transactions", std::to_string(block->block.transactions.size())}}));
  if (trusted->genesis.mode == chain::ConsensusMode::kPbft)
    std::printf("%s\n", certificate_line(*block).c_str());
  if (!block->block.transactions.empty()) {
    cli::Table table({"#", "HASH", "FROM", "TO", "AMOUNT", "FEE", "NONCE"});
    table.right(0).right(4).right(5).right(6);
    constexpr std::size_t kShown = 20;
    const auto& txs = block->block.transactions;
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
  return Status::success();
}

Status status(const Globals& globals) {
  auto endpoint = node_endpoint(globals);
  if (!endpoint)
    return endpoint.error();
  client::RpcClient node(*endpoint);
  auto result = call(node, "status", json::object());
  if (!result)
    return result.error();
  if (globals.json) {
    print_json(*result);
    return Status::success();
  }
  const json& s = *result;
  std::string byzantine =
      s.contains("byzantine") && !s["byzantine"].empty() ? s["byzantine"].dump() : "no";
  // A full node (role "full_node", no validator index) follows upstream nodes over RPC
  // instead of taking part in consensus; its peers are those upstreams.
  bool full_node = text(s, "role") == "full_node" || !s.contains("validator_index") ||
                   !s["validator_index"].is_number_unsigned();
  std::string role = full_node ? "full node" : "validator " + text(s, "validator_index");
  std::string peers = text(s, "peers_connected") + " of " +
                      std::to_string(number(s, "validators") > 0 ? number(s, "validators") - 1 : 0);
  if (full_node) {
    // A full node asks one upstream at a time, so the others need not have answered yet.
    std::string answered;
    std::size_t upstreams = 0;
    if (s.contains("upstreams") && s["upstreams"].is_array()) {
      for (const json& upstream : s["upstreams"]) {
        ++upstreams;
        if (flag(upstream, "reachable"))
          answered += (answered.empty() ? " (" : ", ") + text(upstream, "endpoint");
      }
    }
    peers = text(s, "peers_connected") + " of " + std::to_string(upstreams) +
            " upstreams answering" + (answered.empty() ? "" : answered + ")");
  }
  print_text(fields(
      {{"node", text(s, "node_id") + " (" + role + ") at " + endpoint->to_string()},
       {"chain", text(s, "chain_id") + " (" + text(s, "mode") + ", genesis " +
                     cli::prefix(text(s, "genesis_hash"), 16) + ")"},
       {"height", text(s, "height") + " (stored " + text(s, "stored_height") + ")"},
       {"head hash", text(s, "head_hash")},
       {"state root", text(s, "state_root")},
       {"view", text(s, "view") + (flag(s, "in_view_change") ? " (view change running)" : "")},
       {"primary", text(s, "primary_name") + " (validator " + text(s, "primary") + ")"},
       {"peers", peers},
       {"mempool", text(s, "mempool_size") + " transactions"},
       {"syncing", flag(s, "syncing") ? "yes" : "no"},
       {"byzantine", byzantine}}));
  return Status::success();
}

Status validators(const Globals& globals) {
  auto endpoint = node_endpoint(globals);
  if (!endpoint)
    return endpoint.error();
  client::RpcClient node(*endpoint);
  auto result = call(node, "get_validators", json::object());
  if (!result)
    return result.error();
  if (globals.json) {
    print_json(*result);
    return Status::success();
  }
  cli::Table table(
      {"INDEX", "NAME", "ADDRESS", "PUBLIC KEY", "PEER", "POWER", "PRIMARY", "CONNECTED"});
  table.right(0).right(5);
  if (result->contains("validators") && (*result)["validators"].is_array()) {
    for (const json& v : (*result)["validators"]) {
      table.add({text(v, "index"), text(v, "name"), text(v, "address"),
                 cli::prefix(text(v, "public_key"), 16), text(v, "peer_address"), text(v, "power"),
                 flag(v, "primary") ? "yes" : "",
                 // A full node has no links to validators and leaves "connected" out.
                 !v.contains("connected") ? "-"
                 : flag(v, "connected")   ? "yes"
                                          : "no"});
    }
  }
  print_text(table.render());
  std::printf("n = %s validators tolerate f = %s faulty; quorum %s; view %s\n",
              text(*result, "count").c_str(), text(*result, "max_faulty").c_str(),
              text(*result, "quorum").c_str(), text(*result, "view").c_str());
  return Status::success();
}

}  // namespace synod::wallet
