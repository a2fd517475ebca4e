#include "wallet/command_support.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "chain/pos_seal.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "wallet/cli_support.h"

namespace synod::wallet {

using nlohmann::json;

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
namespace {

// A header from the hex of a header or of a whole block.
Result<chain::BlockHeader> header_from_hex(const nlohmann::json& value, const std::string& what) {
  if (!value.is_string())
    return make_error(what + ": expected a hex string");
  auto bytes = crypto::from_hex(value.get<std::string>());
  if (!bytes)
    return make_error(what + ": " + bytes.message());
  if (auto header = chain::decode_header(*bytes))
    return *header;
  auto block = chain::decode_block(*bytes);
  if (!block)
    return make_error(what + ": neither a header nor a block: " + block.message());
  return block->header;
}

}  // namespace

Result<Bytes> load_evidence_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return make_error("cannot read evidence file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto root = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!root.is_object() || !root.contains("first") || !root.contains("second"))
    return make_error(path + ": expected a JSON object {\"first\": HEX, \"second\": HEX}");
  auto first = header_from_hex(root["first"], path + ": first");
  if (!first)
    return first.error();
  auto second = header_from_hex(root["second"], path + ": second");
  if (!second)
    return second.error();
  return chain::encode_evidence({*first, *second});
}

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

}  // namespace synod::wallet
