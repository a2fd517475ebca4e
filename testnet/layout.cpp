#include "testnet/layout.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "chain/mempool.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "pow_pos/uint256.h"
#include "testnet/hosts.h"
#include "testnet/netns.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kValidatorPrefix = "node-";
constexpr std::string_view kFullPrefix = "full-";
constexpr std::size_t kMaxFullNodes = 64;
// synod-node accepts at most this many upstreams (node/config.h, kMaxUpstreams).
constexpr std::size_t kMaxUpstreams = 16;
constexpr std::uint64_t kMinPowBlockIntervalMs = 100;
constexpr std::uint64_t kMaxPowBlockIntervalMs = 3'600'000;
constexpr std::uint64_t kMaxPowHashRate = 1'000'000'000;

std::string node_name(std::size_t index) {
  return std::string(kValidatorPrefix) + std::to_string(index);
}

std::string full_node_name(std::size_t index) {
  return std::string(kFullPrefix) + std::to_string(index);
}

// Where every node listens: validators, then full nodes (testnet/hosts.h).
std::vector<NodeAddresses> addresses_of(const InitOptions& options) {
  return assign_addresses(options.hosts, options.nodes + options.full_nodes, options.base_port);
}

Status write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    return make_error("cannot write " + path.string());
  return Status::success();
}

// The node's settings (node/config.h, NodeConfig). Only the addresses differ between
// nodes; the rest are the node's defaults, written out so people can see what to tune. A
// proof-of-work miner gets "mining" with its hash-rate cap instead of the PBFT timers.
std::string node_config_json(const std::string& name, const NodeAddresses& addresses,
                             const InitOptions& options) {
  chain::MempoolOptions pool;
  json config = {{"moniker", name},
                 {"rpc_listen", addresses.rpc()},
                 {"peer_listen", addresses.peer()},
                 {"verify_threads", 2},
                 {"rpc_max_body_bytes", 1 << 20},
                 {"summary_interval_blocks", 100},
                 {"log_level", "info"},
                 {"mempool",
                  {{"max_transactions", pool.max_transactions},
                   {"max_bytes", pool.max_bytes},
                   {"nonce_window", pool.nonce_window},
                   {"min_fee", pool.min_fee}}}};
  if (options.mode == chain::ConsensusMode::kPow) {
    config["mining"] = {{"enabled", true}, {"hash_rate_limit", options.pow.hash_rate}};
  } else {
    config["batch_delay_ms"] = 0;
    config["view_change_timeout_ms"] = 0;
  }
  return config.dump(2) + "\n";
}

// A full node's settings: no peer port, no consensus timers, no mempool; it follows the
// `upstreams` (validators' RPC endpoints) over JSON-RPC.
std::string full_node_config_json(const std::string& name, const std::string& rpc_address,
                                  const std::vector<std::string>& upstreams) {
  json config = {{"moniker", name},
                 {"rpc_listen", rpc_address},
                 {"upstreams", upstreams},
                 {"follow_poll_ms", 200},
                 {"verify_threads", 2},
                 {"rpc_max_body_bytes", 1 << 20},
                 {"summary_interval_blocks", 100},
                 {"log_level", "info"}};
  return config.dump(2) + "\n";
}

// The validators full node `full_index` follows: all of them, or with more validators than
// a node accepts upstreams, a window of them that starts at a different validator for each
// full node, so the full nodes spread their fetches over the validator set.
std::vector<std::size_t> upstream_validators(std::size_t validators, std::size_t full_index) {
  std::vector<std::size_t> out;
  std::size_t count = std::min(validators, kMaxUpstreams);
  std::size_t first = validators <= kMaxUpstreams ? 0 : (full_index * kMaxUpstreams) % validators;
  for (std::size_t k = 0; k < count; ++k)
    out.push_back((first + k) % validators);
  return out;
}

// A fresh chain id per init, so a recreated testnet is a different chain and wallets that
// pinned the old genesis notice.
std::string fresh_chain_id() {
  auto seed = crypto::KeyPair::generate().public_key();
  return "synod-testnet-" + crypto::to_hex(seed.view()).substr(0, 6);
}

bool is_testnet_entry(const std::string& name) {
  return name == "genesis.json" || name == "accounts" || name.rfind(kValidatorPrefix, 0) == 0 ||
         name.rfind(kFullPrefix, 0) == 0;
}

Status prepare_directory(const InitOptions& options) {
  std::error_code ec;
  fs::path dir(options.dir);
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    return make_error("--dir " + options.dir + ": exists and is not a directory");
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    if (!options.force) {
      return make_error("--dir " + options.dir +
                        ": directory is not empty; pass --force to replace the testnet in it");
    }
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (is_testnet_entry(entry.path().filename().string()))
        fs::remove_all(entry.path(), ec);
      if (ec)
        return make_error("cannot remove " + entry.path().string() + ": " + ec.message());
    }
  }
  fs::create_directories(dir / "accounts", ec);
  if (ec)
    return make_error("cannot create " + options.dir + ": " + ec.message());
  return Status::success();
}

Status check_options(const InitOptions& options) {
  if (options.dir.empty())
    return make_error("--dir: a directory is required");
  if (options.mode == chain::ConsensusMode::kPbft && options.nodes < 4) {
    return make_error("--nodes " + std::to_string(options.nodes) +
                      ": PBFT needs n = 3f+1 >= 4 nodes to tolerate f = 1 faulty node (with " +
                      std::to_string(options.nodes) + " it tolerates none); use 4, 7, 10, ...");
  }
  if (options.nodes == 0 || options.nodes > 64)
    return make_error("--nodes: must be 1 to 64");
  if (options.full_nodes > kMaxFullNodes)
    return make_error("--full-nodes: must be 0 to 64");
  if (options.accounts == 0 || options.accounts > 10'000)
    return make_error("--accounts: must be 1 to 10000");
  if (options.mode == chain::ConsensusMode::kPow) {
    const auto& pow = options.pow;
    if (pow.block_interval_ms < kMinPowBlockIntervalMs ||
        pow.block_interval_ms > kMaxPowBlockIntervalMs) {
      return make_error("--block-interval-ms: must be " + std::to_string(kMinPowBlockIntervalMs) +
                        " to " + std::to_string(kMaxPowBlockIntervalMs));
    }
    if (pow.hash_rate < 1 || pow.hash_rate > kMaxPowHashRate)
      return make_error("--hash-rate: must be 1 to " + std::to_string(kMaxPowHashRate));
  }
  if (options.mode == chain::ConsensusMode::kPos &&
      (options.pos.block_interval_ms < 1000 || options.pos.block_interval_ms > 60'000))
    return make_error("--block-interval-ms: must be 1000 to 60000 for a pos testnet");
  std::size_t slots = options.nodes + options.full_nodes;
  if (!options.hosts.empty() && options.hosts.size() != slots) {
    return make_error("--hosts: the file names " + std::to_string(options.hosts.size()) +
                      " hosts for " + std::to_string(slots) +
                      " nodes (one line per validator, then one per full node)");
  }
  // Each node takes two ports on its host: base .. base + 2 * (nodes on the busiest host) - 1.
  std::size_t last_port_offset = ports_needed(addresses_of(options), options.base_port) - 1;
  if (options.base_port < 1024 || options.base_port + last_port_offset > 65535) {
    return make_error("--base-port " + std::to_string(options.base_port) + ": ports base .. base+" +
                      std::to_string(last_port_offset) + " must lie in 1024..65535");
  }
  return Status::success();
}

// D/full-j: the genesis, a fresh key (a full node's key identifies it, nothing more; it is
// in no validator set) and a config that follows the validators' RPC endpoints.
Status write_full_node_home(const InitOptions& options, std::size_t j,
                            const std::string& genesis_text) {
  auto addresses = addresses_of(options);
  std::vector<std::string> upstreams;
  for (std::size_t i : upstream_validators(options.nodes, j))
    upstreams.push_back(addresses[i].rpc());
  fs::path home = fs::path(options.dir) / full_node_name(j);
  std::error_code ec;
  fs::create_directories(home, ec);
  if (ec)
    return make_error("cannot create " + home.string() + ": " + ec.message());
  // Slot n + j of the port scheme; its peer port stays unused.
  const std::string rpc_address = addresses[options.nodes + j].rpc();
  auto key = crypto::KeyPair::generate();
  for (auto status : {write_text(home / "genesis.json", genesis_text),
                      write_text(home / "config.json",
                                 full_node_config_json(full_node_name(j), rpc_address, upstreams)),
                      crypto::save_key_file((home / "node_key.json").string(), key, true)}) {
    if (!status)
      return status;
  }
  return Status::success();
}

// Fills in the node's home, RPC endpoint and (full nodes) upstreams from its config.json.
Status read_node_config(const fs::path& root, NodeInfo& node) {
  node.home = (root / node.name).string();
  std::string config_path = node.home + "/config.json";
  auto text = cli::read_file(config_path);
  if (!text)
    return make_error("cannot read " + config_path);
  json config = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object() || !config.contains("rpc_listen") || !config["rpc_listen"].is_string())
    return make_error(config_path + ": no rpc_listen");
  auto rpc = client::parse_endpoint(config["rpc_listen"].get<std::string>());
  if (!rpc)
    return make_error(config_path + ": rpc_listen: " + rpc.message());
  node.rpc = *rpc;
  if (node.role == NodeRole::kFull) {
    if (!config.contains("upstreams") || !config["upstreams"].is_array())
      return make_error(config_path + ": a full node needs \"upstreams\": [\"HOST:PORT\", ...]");
    for (const auto& upstream : config["upstreams"]) {
      if (!upstream.is_string())
        return make_error(config_path + ": upstreams: expected strings HOST:PORT");
      node.upstreams.push_back(upstream.get<std::string>());
    }
  }
  return Status::success();
}

// The genesis of a new testnet: `options.nodes` validators (miners in PoW) with fresh keys,
// returned in `node_keys`, and `options.accounts` funded accounts whose keys go to
// D/accounts.
Result<chain::Genesis> make_genesis(const InitOptions& options,
                                    std::vector<crypto::KeyPair>& node_keys) {
  fs::path dir(options.dir);
  chain::Genesis genesis;
  genesis.chain_id = fresh_chain_id();
  genesis.mode = options.mode;
  genesis.genesis_time_ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  std::vector<chain::ValidatorInfo> validators;
  for (std::size_t i = 0; i < options.nodes; ++i) {
    node_keys.push_back(crypto::KeyPair::generate());
    chain::ValidatorInfo validator;
    validator.name = node_name(i);
    validator.public_key = node_keys.back().public_key();
    validator.peer_address = addresses_of(options)[i].peer();
    validator.power = 1;
    validators.push_back(std::move(validator));
  }
  genesis.validators = chain::ValidatorSet(std::move(validators));
  if (options.mode == chain::ConsensusMode::kPow) {
    genesis.pow.block_interval_ms = options.pow.block_interval_ms;
    genesis.pow.initial_target =
        pow_initial_target(options.nodes, options.pow.hash_rate, options.pow.block_interval_ms);
    // Block 0 is dated one retarget window back. Retargeting looks at the last
    // min(window, height) blocks, and on a fresh chain a sample of one or two quick blocks
    // would tighten the target up to 4x a block; with block 0 that far back, the first
    // window of blocks keeps the initial target, which the known hash rates make right.
    genesis.genesis_time_ms -= genesis.pow.retarget_window * genesis.pow.block_interval_ms;
  }
  if (options.mode == chain::ConsensusMode::kPos) {
    // Each validator stakes from its own funded account; the difficulty follows (genesis.h).
    genesis.pos.block_interval_ms = options.pos.block_interval_ms;
    for (const auto& key : node_keys)
      genesis.accounts.push_back(
          {chain::address_of(key.public_key()), kAccountBalance, kPosValidatorStake});
  }

  for (std::size_t j = 0; j < options.accounts; ++j) {
    auto key = crypto::KeyPair::generate();
    std::string file = (dir / "accounts" / ("account-" + std::to_string(j) + ".json")).string();
    if (auto saved = crypto::save_key_file(file, key, /*overwrite=*/true); !saved)
      return saved.error();
    chain::GenesisAccount account;
    account.address = chain::address_of(key.public_key());
    account.balance = kAccountBalance;
    genesis.accounts.push_back(account);
  }
  return genesis;
}

}  // namespace

crypto::Hash256 pow_initial_target(std::uint64_t miners, std::uint64_t hash_rate,
                                   std::uint64_t block_interval_ms) {
  // Hashes a second times milliseconds: the hashes per block, times 1000. The CLI bounds
  // (64 miners, 10^9 hashes/s, 3,600,000 ms) keep the product far below 2^64.
  std::uint64_t work_ms = miners * hash_rate * block_interval_ms;
  assert(work_ms > 0);
  pow_pos::Uint256 target = pow_pos::mul_div(pow_pos::Uint256::max(), 1000, work_ms);
  if (target > pow_pos::Uint256(1))
    target = target - pow_pos::Uint256(1);
  return target.to_hash();
}

const char* to_string(NodeRole role) {
  return role == NodeRole::kValidator ? "validator" : "full";
}

Result<std::size_t> parse_node(std::string_view text, std::size_t validators,
                               std::size_t full_nodes) {
  std::string_view digits = text;
  bool full = digits.rfind(kFullPrefix, 0) == 0;
  if (full)
    digits.remove_prefix(kFullPrefix.size());
  else if (digits.rfind(kValidatorPrefix, 0) == 0)
    digits.remove_prefix(kValidatorPrefix.size());
  std::size_t count = full ? full_nodes : validators;
  auto index = cli::parse_unsigned(digits, "NODE");
  if (!index || *index >= count) {
    std::string expected = "expected an index 0.." + std::to_string(validators - 1) +
                           " or a name node-0..node-" + std::to_string(validators - 1);
    if (full_nodes > 0)
      expected += " or full-0..full-" + std::to_string(full_nodes - 1);
    std::string why = full && full_nodes == 0 ? "this testnet has no full nodes; " : "";
    return make_error("NODE \"" + std::string(text) + "\": " + why + expected);
  }
  return static_cast<std::size_t>(*index) + (full ? validators : 0);
}

Testnet validators_only(Testnet testnet) {
  testnet.nodes.resize(testnet.validator_count());
  return testnet;
}

Result<Testnet> init_testnet(const InitOptions& options) {
  if (auto status = check_options(options); !status)
    return status.error();
  if (auto status = prepare_directory(options); !status)
    return status.error();
  fs::path dir(options.dir);

  std::vector<crypto::KeyPair> node_keys;
  auto genesis = make_genesis(options, node_keys);
  if (!genesis)
    return genesis.error();
  // Round-trip through the validating parser: init never writes a genesis a node refuses.
  std::string genesis_text = chain::genesis_to_json(*genesis);
  if (auto parsed = chain::parse_genesis(genesis_text); !parsed)
    return make_error("internal error: generated genesis is invalid: " + parsed.message());
  if (auto status = write_text(dir / "genesis.json", genesis_text); !status)
    return status.error();

  for (std::size_t i = 0; i < options.nodes; ++i) {
    fs::path home = dir / node_name(i);
    std::error_code ec;
    fs::create_directories(home, ec);
    if (ec)
      return make_error("cannot create " + home.string() + ": " + ec.message());
    for (auto status :
         {write_text(home / "genesis.json", genesis_text),
          write_text(home / "config.json",
                     node_config_json(node_name(i), addresses_of(options)[i], options)),
          crypto::save_key_file((home / "node_key.json").string(), node_keys[i], true)}) {
      if (!status)
        return status.error();
    }
  }

  for (std::size_t j = 0; j < options.full_nodes; ++j) {
    if (auto status = write_full_node_home(options, j, genesis_text); !status)
      return status.error();
  }
  return load_testnet(options.dir);
}

Result<Testnet> load_testnet(const std::string& dir) {
  Testnet testnet;
  testnet.dir = dir;
  fs::path root(dir);
  std::error_code ec;
  if (!fs::exists(root / "genesis.json", ec)) {
    return make_error("no testnet in " + dir +
                      " (no genesis.json); create one with: " + "synod-testnet init --dir " + dir);
  }
  auto genesis = chain::load_genesis((root / "genesis.json").string());
  if (!genesis)
    return make_error(dir + "/genesis.json: " + genesis.message());
  testnet.genesis = std::move(*genesis);
  testnet.genesis_hash_hex = crypto::to_hex(testnet.genesis.hash().view());
  for (std::size_t i = 0; i < testnet.genesis.validators.size(); ++i) {
    NodeInfo node;
    node.name = node_name(i);
    node.peer_address = testnet.genesis.validators.at(i).peer_address;
    if (auto status = read_node_config(root, node); !status)
      return status.error();
    node.index = testnet.nodes.size();
    testnet.nodes.push_back(std::move(node));
  }
  for (std::size_t j = 0; j < kMaxFullNodes && fs::is_directory(root / full_node_name(j), ec);
       ++j) {
    NodeInfo node;
    node.role = NodeRole::kFull;
    node.name = full_node_name(j);
    if (auto status = read_node_config(root, node); !status)
      return status.error();
    node.index = testnet.nodes.size();
    testnet.nodes.push_back(std::move(node));
  }
  for (std::size_t j = 0;; ++j) {
    fs::path file = root / "accounts" / ("account-" + std::to_string(j) + ".json");
    if (!fs::exists(file, ec))
      break;
    testnet.account_files.push_back(file.string());
  }
  attach_namespaces(testnet);
  return testnet;
}

}  // namespace synod::testnet
