#include "wallet/chain_client.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "chain/certificate.h"
#include "chain/state.h"
#include "crypto/hex.h"
#include "wallet/cli_support.h"

namespace synod::client {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Chain ids are free text; file names take a safe subset and fall back to hex.
std::string pin_file_name(const std::string& chain_id) {
  bool safe = !chain_id.empty() && chain_id.front() != '.';
  for (char c : chain_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    safe = safe && ok;
  }
  if (safe)
    return chain_id + ".json";
  return "chain-" + crypto::to_hex(as_bytes(chain_id)).substr(0, 64) + ".json";
}

struct NodeGenesis {
  chain::Genesis genesis;
  std::string hash_hex;
};

Result<NodeGenesis> fetch_node_genesis(RpcClient& node) {
  auto outcome = node.call("get_genesis");
  if (!outcome.ok())
    return make_error(describe(outcome.error()));
  const json& result = outcome.result();
  if (!result.is_object() || !result.contains("genesis") || !result.contains("hash") ||
      !result["hash"].is_string()) {
    return make_error("node at " + node.endpoint().to_string() + " sent a malformed genesis");
  }
  auto genesis = chain::parse_genesis(result["genesis"].dump());
  if (!genesis) {
    return make_error("node at " + node.endpoint().to_string() +
                      " sent an invalid genesis: " + genesis.message());
  }
  std::string hash_hex = crypto::to_hex(genesis->hash().view());
  if (hash_hex != result["hash"].get<std::string>()) {
    return make_error("node at " + node.endpoint().to_string() +
                      " sent a genesis that does not hash to the hash it claims");
  }
  return NodeGenesis{std::move(*genesis), hash_hex};
}

Status write_pin(const std::string& path, const chain::Genesis& genesis) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec)
    return make_error("cannot create " + fs::path(path).parent_path().string() + ": " +
                      ec.message());
  std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << chain::genesis_to_json(genesis);
    if (!out)
      return make_error("cannot write " + temp);
  }
  fs::rename(temp, path, ec);
  if (ec)
    return make_error("cannot write " + path + ": " + ec.message());
  return Status::success();
}

}  // namespace

std::string pin_directory() {
  if (const char* home = std::getenv("SYNOD_HOME"); home && *home)
    return (fs::path(home) / "pinned").string();
  const char* user_home = std::getenv("HOME");
  return (fs::path(user_home && *user_home ? user_home : ".") / ".synod" / "pinned").string();
}

Result<TrustedGenesis> trusted_genesis(RpcClient& node,
                                       const std::optional<std::string>& genesis_file) {
  auto served = fetch_node_genesis(node);
  if (!served)
    return served.error();
  if (genesis_file) {
    auto local = chain::load_genesis(*genesis_file);
    if (!local)
      return make_error("--genesis " + *genesis_file + ": " + local.message());
    std::string hash_hex = crypto::to_hex(local->hash().view());
    if (hash_hex != served->hash_hex) {
      return make_error("node at " + node.endpoint().to_string() + " runs chain \"" +
                        served->genesis.chain_id + "\" (genesis " + cli::prefix(served->hash_hex) +
                        "), not the genesis in " + *genesis_file + " (" + cli::prefix(hash_hex) +
                        ")");
    }
    return TrustedGenesis{std::move(*local), hash_hex, *genesis_file, false};
  }

  std::string path = (fs::path(pin_directory()) / pin_file_name(served->genesis.chain_id)).string();
  if (fs::exists(path)) {
    auto pinned = chain::load_genesis(path);
    if (!pinned)
      return make_error("pinned genesis " + path + ": " + pinned.message());
    std::string hash_hex = crypto::to_hex(pinned->hash().view());
    if (hash_hex != served->hash_hex) {
      return make_error("node at " + node.endpoint().to_string() + " serves genesis " +
                        cli::prefix(served->hash_hex) + " for chain \"" + served->genesis.chain_id +
                        "\" but the genesis pinned in " + path + " is " + cli::prefix(hash_hex) +
                        "; if the chain was recreated, delete that file or pass --genesis FILE");
    }
    return TrustedGenesis{std::move(*pinned), hash_hex, path, false};
  }
  if (auto status = write_pin(path, served->genesis); !status)
    return status.error();
  return TrustedGenesis{std::move(served->genesis), served->hash_hex, path, true};
}

Status check_pbft_block(const chain::Block& block, const chain::Genesis& genesis) {
  const std::uint64_t height = block.header.height;
  const crypto::Hash256 genesis_block = chain::make_genesis_block(genesis).hash();
  if (height == 0) {
    if (block.hash() != genesis_block)
      return make_error("block 0 is not the block the genesis makes");
    return Status::success();
  }
  if (height == 1 && block.header.prev_hash != genesis_block)
    return make_error("block 1 does not link to the genesis' block 0");
  auto status =
      chain::verify_block_certificate(block, genesis.validators, chain::SigningDomain::of(genesis));
  if (!status) {
    return make_error(
        "block " + std::to_string(height) +
        ": commit certificate does not verify against the genesis: " + status.message());
  }
  return Status::success();
}

Result<VerifiedBlock> fetch_committed_block(RpcClient& node, const chain::Genesis& genesis,
                                            std::uint64_t height,
                                            std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto block = fetch_verified_block(node, genesis, {{"height", height}});
    if (block || block.message().find("no such block") == std::string::npos ||
        std::chrono::steady_clock::now() >= deadline) {
      return block;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Result<VerifiedBlock> fetch_verified_block(RpcClient& node, const chain::Genesis& genesis,
                                           const json& which) {
  auto outcome = node.call("get_block", which);
  if (!outcome.ok())
    return make_error(describe(outcome.error()));
  const json& result = outcome.result();
  if (!result.is_object() || !result.contains("raw") || !result["raw"].is_string() ||
      !result.contains("hash") || !result["hash"].is_string()) {
    return make_error("node sent a malformed block");
  }
  auto raw = crypto::from_hex(result["raw"].get<std::string>());
  if (!raw)
    return make_error("node sent a block whose raw bytes are not hex");
  auto block = chain::decode_block(*raw);
  if (!block)
    return make_error("node sent a block that does not decode: " + block.message());
  std::string hash_hex = crypto::to_hex(block->hash().view());
  if (hash_hex != result["hash"].get<std::string>())
    return make_error("node sent a block whose bytes do not hash to the hash it claims");
  if (which.is_object() && which.contains("height") && which["height"].is_number_unsigned() &&
      which["height"].get<std::uint64_t>() != block->header.height) {
    return make_error("node sent block " + std::to_string(block->header.height) +
                      " when asked for " + std::to_string(which["height"].get<std::uint64_t>()));
  }
  if (chain::transactions_root(block->transactions) != block->header.tx_root)
    return make_error("block " + std::to_string(block->header.height) +
                      ": transactions do not match the header's tx_root");
  VerifiedBlock out;
  out.validators = genesis.validators.size();
  out.quorum = genesis.validators.quorum();
  if (genesis.mode == chain::ConsensusMode::kPbft) {
    if (auto status = check_pbft_block(*block, genesis); !status)
      return status.error();
    out.signatures = block->certificate ? block->certificate->signatures.size() : 0;
  }
  out.block = std::move(*block);
  out.rpc = result;
  return out;
}

}  // namespace synod::client
