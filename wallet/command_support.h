// What the synod-wallet commands share: opening the node (and the genesis its blocks are
// verified against), calling it, reading keys, and printing key/value lines.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "client/rpc_client.h"
#include "crypto/ed25519.h"
#include "wallet/chain_client.h"
#include "wallet/wallet_commands.h"

namespace synod::wallet {

void print_text(const std::string& text);
// Key/value lines for people: "label  value", labels aligned.
std::string fields(const std::vector<std::pair<std::string, std::string>>& rows);

// The key file of --key; an error names --key.
Result<crypto::KeyPair> load_key(const std::string& path);

// The evidence file of `synod-wallet evidence FILE`: a JSON object {"first": HEX,
// "second": HEX}, each the hex of a block (get_block's "raw") or of a block header, the two
// signed headers of a double-sign. Returns the evidence payload (chain::encode_evidence).
Result<Bytes> load_evidence_file(const std::string& path);

// The opening of every command that talks to a node: a client for the node named by --node,
// else $SYNOD_NODE, else the local testnet's node-0. (It connects on its first call.)
Result<std::unique_ptr<client::RpcClient>> open_node(const Globals& globals);

// The genesis to verify the node's blocks against: --genesis FILE, else the one pinned for
// the node's chain (pinned now, with a note on stderr, on first use).
Result<client::TrustedGenesis> trust_genesis(client::RpcClient& node, const Globals& globals);

// A node and the genesis its blocks are verified against.
struct VerifyingNode {
  std::unique_ptr<client::RpcClient> client;
  client::TrustedGenesis trusted;
};

// The opening of the commands that verify what the node says (transfer, tx, block).
Result<VerifyingNode> open_verifying_node(const Globals& globals);

// A JSON-RPC call whose result must be an object.
Result<nlohmann::json> call(client::RpcClient& node, const std::string& method,
                            const nlohmann::json& params);

// The commands that show one answer of the node (balance, status, validators): asks
// `method`; with --json prints the answer as it came, else hands it to `show` with the
// node's address.
Status show_answer(const Globals& globals, const std::string& method, const nlohmann::json& params,
                   const std::function<void(const nlohmann::json&, const client::Endpoint&)>& show);

// A transaction hash given on the command line.
Result<crypto::Hash256> parse_hash(const std::string& hex);

// A verified PBFT commit certificate, for people and for --json.
std::string certificate_line(const client::VerifiedBlock& block);
nlohmann::json certificate_json(const client::VerifiedBlock& block);

}  // namespace synod::wallet
