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

namespace synod::wallet {

using client::bool_field;
using client::field_text;
using client::unsigned_field;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

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

Result<crypto::KeyPair> load_key(const std::string& path) {
  if (path.empty())
    return make_error("--key: a key file is required");
  auto key = crypto::load_key_file(path);
  if (!key)
    return make_error("--key: " + key.message());
  return key;
}

// The opening of every command that talks to a node: a client for the node named by --node,
// else $SYNOD_NODE, else the local testnet's node-0. (It connects on its first call.)
Result<std::unique_ptr<client::RpcClient>> open_node(const Globals& globals) {
  std::string text = globals.node;
  if (text.empty()) {
    const char* env = std::getenv("SYNOD_NODE");
    text = env && *env ? env : kDefaultNode;
  }
  auto endpoint = client::parse_endpoint(text);
  if (!endpoint)
    return make_error("--node: " + endpoint.message());
  return std::make_unique<client::RpcClient>(*endpoint);
}

// The opening of the commands that verify blocks: the genesis to verify them against,
// from --genesis FILE, else the one pinned for the node's chain (pinned now, with a note on
// stderr, on first use).
Result<client::TrustedGenesis> trust_genesis(client::RpcClient& node, const Globals& globals) {
  std::optional<std::string> genesis_file;
  if (!globals.genesis_file.empty())
    genesis_file = globals.genesis_file;
  auto trusted = client::trusted_genesis(node, genesis_file);
  if (trusted && trusted->newly_pinned) {
    std::fprintf(stderr,
                 "synod-wallet: pinned the genesis of chain \"%s\" (hash %s) in %s; later runs "
                 "check the node against it\n",
                 trusted->genesis.chain_id.c_str(), cli::prefix(trusted->hash_hex, 16).c_str(),
                 trusted->source.c_str());
  }
  return trusted;
}

// A node and the genesis its blocks are verified against.
struct VerifyingNode {
  std::unique_ptr<client::RpcClient> client;
  client::TrustedGenesis trusted;
};

// The opening of the commands that verify what the node says (transfer, block).
Result<VerifyingNode> open_verifying_node(const Globals& globals) {
  auto node = open_node(globals);
  if (!node)
    return node.error();
  auto trusted = trust_genesis(**node, globals);
  if (!trusted)
    return trusted.error();
  return VerifyingNode{std::move(*node), std::move(*trusted)};
}

Result<json> call(client::RpcClient& node, const std::string& method, const json& params) {
  auto outcome = node.call(method, params);
  if (!outcome.ok())
    return make_error(client::describe(outcome.error()));
  if (!outcome.result().is_object())
    return make_error("node sent a malformed " + method + " result");
  return outcome.result();
}

// The commands that show one answer of the node (balance, status, validators): asks
// `method`; with --json prints the answer as it came, else hands it to `show` with the
// node's address.
Status show_answer(const Globals& globals, const std::string& method, const json& params,
                   const std::function<void(const json&, const client::Endpoint&)>& show) {
  auto node = open_node(globals);
  if (!node)
    return node.error();
  auto result = call(**node, method, params);
  if (!result)
    return result.error();
  if (globals.json)
    cli::print_json(*result);
  else
    show(*result, (*node)->endpoint());
  return Status::success();
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
        print_text(fields({{"address", field_text(account, "address")},
                           {"balance", cli::with_commas(unsigned_field(account, "balance"))},
                           {"nonce", std::to_string(unsigned_field(account, "nonce"))},
                           {"stake", cli::with_commas(unsigned_field(account, "stake"))},
                           {"at height", std::to_string(unsigned_field(account, "height"))}}));
      });
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
    nonce = unsigned_field(*account, "nonce");
  }
  constexpr int kMaxNonceSteps = 64;
  for (int attempt = 0;; ++attempt) {
    auto tx = chain::make_transfer(key, genesis.chain_id, to, amount, fee, nonce);
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
    std::string state = field_text(*tx, "status");
    if (state == "committed") {
      progress.finish();
      return Commit{unsigned_field(*tx, "height"), field_text(*tx, "block_hash"),
                    Clock::now() - start};
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

// A transfer's arguments, checked.
struct TransferPlan {
  crypto::KeyPair key;
  chain::Address to;
  std::uint64_t amount = 0;
  std::uint64_t fee = 0;
  std::optional<std::uint64_t> nonce;  // none: the account's next nonce
  std::chrono::seconds timeout;
};

Result<TransferPlan> check_transfer_args(const TransferArgs& args) {
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
  return TransferPlan{*key, *to, *amount, *fee, nonce, std::chrono::seconds(*timeout)};
}

// The block a committed transfer landed in, verified, and checked to contain it.
Result<client::VerifiedBlock> block_of_commit(client::RpcClient& node,
                                              const chain::Genesis& genesis, const Commit& commit,
                                              const std::string& hash) {
  auto block =
      client::fetch_committed_block(node, genesis, commit.height, std::chrono::milliseconds(5000));
  if (!block)
    return make_error("transaction committed at height " + std::to_string(commit.height) +
                      " but its block failed verification: " + block.message());
  bool included = false;
  for (const auto& tx : block->block.transactions)
    included = included || crypto::to_hex(tx.hash().view()) == hash;
  if (!included) {
    return make_error("node says the transaction is in block " + std::to_string(commit.height) +
                      ", but that block does not contain it");
  }
  return block;
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

  std::string from_text = chain::to_string(chain::address_of(plan->key.public_key()));
  auto submitted =
      sign_and_submit(node, plan->key, genesis, plan->to, plan->amount, plan->fee, plan->nonce);
  if (!submitted)
    return submitted.error();
  json out = {{"hash", submitted->hash}, {"from", from_text}, {"to", args.to},
              {"amount", plan->amount},  {"fee", plan->fee},  {"nonce", submitted->nonce},
              {"status", "pending"}};
  if (!globals.json) {
    std::printf("transfer  %s from %s to %s (fee %s, nonce %llu)\n",
                cli::with_commas(plan->amount).c_str(), from_text.c_str(), args.to.c_str(),
                cli::with_commas(plan->fee).c_str(),
                static_cast<unsigned long long>(submitted->nonce));
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

  auto commit = wait_for_commit(node, submitted->hash, plan->timeout);
  if (!commit)
    return commit.error();
  auto block = block_of_commit(node, genesis, *commit, submitted->hash);
  if (!block)
    return block.error();
  auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(commit->waited).count();
  out["status"] = "committed";
  out["height"] = commit->height;
  out["block_hash"] = crypto::to_hex(block->block.hash().view());
  out["commit_wait_ms"] = waited_ms;
  if (genesis.mode == chain::ConsensusMode::kPbft)
    out["certificate"] = certificate_json(*block);
  if (globals.json) {
    cli::print_json(out);
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
    auto block = client::fetch_committed_block(
        **node, trusted->genesis, unsigned_field(*tx, "height"), std::chrono::milliseconds(5000));
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
    rows.push_back({"block", std::to_string(unsigned_field(*tx, "height")) + " (hash " +
                                 cli::prefix(field_text(*tx, "block_hash"), 16) + "), index " +
                                 std::to_string(unsigned_field(*tx, "index"))});
    rows.push_back({"confirmations", std::to_string(unsigned_field(*tx, "confirmations"))});
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
void print_block(const client::VerifiedBlock& block, const chain::Genesis& genesis) {
  const auto& header = block.block.header;
  const json& rpc_header = client::field(block.rpc, "header");
  std::string seal;
  if (const auto* pbft = std::get_if<chain::PbftSeal>(&header.seal))
    seal =
        "pbft view " + std::to_string(pbft->view) + ", sequence " + std::to_string(pbft->sequence);
  std::string proposer = field_text(rpc_header, "proposer");
  for (const auto& validator : genesis.validators.all()) {
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
                     {"transactions", std::to_string(block.block.transactions.size())}}));
  if (genesis.mode == chain::ConsensusMode::kPbft)
    std::printf("%s\n", certificate_line(block).c_str());
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
  auto block = client::fetch_verified_block(*opened->client, genesis, which);
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
    cli::print_json(out);
    return Status::success();
  }
  print_block(*block, genesis);
  return Status::success();
}

namespace {

// A node's status for people; `endpoint` is where it answered.
void print_status(const json& s, const client::Endpoint& endpoint) {
  std::string byzantine =
      s.contains("byzantine") && !s["byzantine"].empty() ? s["byzantine"].dump() : "no";
  // A full node (role "full_node", no validator index) follows upstream nodes over RPC
  // instead of taking part in consensus; its peers are those upstreams.
  bool full_node = field_text(s, "role") == "full_node" ||
                   !client::field(s, "validator_index").is_number_unsigned();
  std::string role = full_node ? "full node" : "validator " + field_text(s, "validator_index");
  std::uint64_t validators = unsigned_field(s, "validators");
  std::string peers = field_text(s, "peers_connected") + " of " +
                      std::to_string(validators > 0 ? validators - 1 : 0);
  if (full_node) {
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
    peers = field_text(s, "peers_connected") + " of " + std::to_string(upstreams) +
            " upstreams answering" + (answered.empty() ? "" : answered + ")");
  }
  print_text(fields(
      {{"node", field_text(s, "node_id") + " (" + role + ") at " + endpoint.to_string()},
       {"chain", field_text(s, "chain_id") + " (" + field_text(s, "mode") + ", genesis " +
                     cli::prefix(field_text(s, "genesis_hash"), 16) + ")"},
       {"height", field_text(s, "height") + " (stored " + field_text(s, "stored_height") + ")"},
       {"head hash", field_text(s, "head_hash")},
       {"state root", field_text(s, "state_root")},
       {"view",
        field_text(s, "view") + (bool_field(s, "in_view_change") ? " (view change running)" : "")},
       {"primary", field_text(s, "primary_name") + " (validator " + field_text(s, "primary") + ")"},
       {"peers", peers},
       {"mempool", field_text(s, "mempool_size") + " transactions"},
       {"syncing", bool_field(s, "syncing") ? "yes" : "no"},
       {"byzantine", byzantine}}));
}

// The validator set as a node reports it, for people.
void print_validators(const json& result, const client::Endpoint&) {
  cli::Table table(
      {"INDEX", "NAME", "ADDRESS", "PUBLIC KEY", "PEER", "POWER", "PRIMARY", "CONNECTED"});
  table.right(0).right(5);
  if (const json& list = client::field(result, "validators"); list.is_array()) {
    for (const json& v : list) {
      table.add({field_text(v, "index"), field_text(v, "name"), field_text(v, "address"),
                 cli::prefix(field_text(v, "public_key"), 16), field_text(v, "peer_address"),
                 field_text(v, "power"), bool_field(v, "primary") ? "yes" : "",
                 // A full node has no links to validators and leaves "connected" out.
                 !v.contains("connected")     ? "-"
                 : bool_field(v, "connected") ? "yes"
                                              : "no"});
    }
  }
  print_text(table.render());
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
