#include "testnet/layout.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "chain/mempool.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string node_name(std::size_t index) {
  return "node-" + std::to_string(index);
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
// nodes; the rest are the node's defaults, written out so people can see what to tune.
std::string node_config_json(const std::string& name, std::uint32_t rpc_port,
                             std::uint32_t peer_port) {
  chain::MempoolOptions pool;
  json config = {{"moniker", name},
                 {"rpc_listen", "127.0.0.1:" + std::to_string(rpc_port)},
                 {"peer_listen", "127.0.0.1:" + std::to_string(peer_port)},
                 {"verify_threads", 2},
                 {"batch_delay_ms", 0},
                 {"view_change_timeout_ms", 0},
                 {"rpc_max_body_bytes", 1 << 20},
                 {"summary_interval_blocks", 100},
                 {"log_level", "info"},
                 {"mempool",
                  {{"max_transactions", pool.max_transactions},
                   {"max_bytes", pool.max_bytes},
                   {"nonce_window", pool.nonce_window},
                   {"min_fee", pool.min_fee}}}};
  return config.dump(2) + "\n";
}

// A fresh chain id per init, so a recreated testnet is a different chain and wallets that
// pinned the old genesis notice.
std::string fresh_chain_id() {
  auto seed = crypto::KeyPair::generate().public_key();
  return "synod-testnet-" + crypto::to_hex(seed.view()).substr(0, 6);
}

bool is_testnet_entry(const std::string& name) {
  return name == "genesis.json" || name == "accounts" || name.rfind("node-", 0) == 0;
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
  if (options.accounts == 0 || options.accounts > 10'000)
    return make_error("--accounts: must be 1 to 10000");
  if (options.base_port < 1024 || options.base_port + 2 * options.nodes > 65535) {
    return make_error("--base-port " + std::to_string(options.base_port) + ": ports base .. base+" +
                      std::to_string(2 * options.nodes - 1) + " must lie in 1024..65535");
  }
  return Status::success();
}

}  // namespace

Result<std::size_t> parse_node(std::string_view text, std::size_t count) {
  std::string_view digits = text;
  if (digits.rfind("node-", 0) == 0)
    digits.remove_prefix(5);
  auto index = cli::parse_unsigned(digits, "NODE");
  if (!index || *index >= count) {
    return make_error("NODE \"" + std::string(text) + "\": expected an index 0.." +
                      std::to_string(count - 1) + " or a name node-0..node-" +
                      std::to_string(count - 1));
  }
  return static_cast<std::size_t>(*index);
}

Result<Testnet> init_testnet(const InitOptions& options) {
  if (auto status = check_options(options); !status)
    return status.error();
  if (auto status = prepare_directory(options); !status)
    return status.error();
  fs::path dir(options.dir);

  chain::Genesis genesis;
  genesis.chain_id = fresh_chain_id();
  genesis.mode = options.mode;
  genesis.genesis_time_ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  std::vector<chain::ValidatorInfo> validators;
  std::vector<crypto::KeyPair> node_keys;
  for (std::size_t i = 0; i < options.nodes; ++i) {
    node_keys.push_back(crypto::KeyPair::generate());
    chain::ValidatorInfo validator;
    validator.name = node_name(i);
    validator.public_key = node_keys.back().public_key();
    validator.peer_address = "127.0.0.1:" + std::to_string(options.base_port + 2 * i);
    validator.power = 1;
    validators.push_back(std::move(validator));
  }
  genesis.validators = chain::ValidatorSet(std::move(validators));

  for (std::size_t j = 0; j < options.accounts; ++j) {
    auto key = crypto::KeyPair::generate();
    std::string file = (dir / "accounts" / ("account-" + std::to_string(j) + ".json")).string();
    if (auto saved = crypto::save_key_file(file, key, /*overwrite=*/true); !saved)
      return saved.error();
    chain::GenesisAccount account;
    account.address = chain::address_of(key.public_key());
    account.balance = kAccountBalance;
    if (options.mode == chain::ConsensusMode::kPos)
      account.stake = kAccountBalance / 10;
    genesis.accounts.push_back(account);
  }

  // Round-trip through the validating parser: init never writes a genesis a node refuses.
  std::string genesis_text = chain::genesis_to_json(genesis);
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
    auto peer_port = static_cast<std::uint32_t>(options.base_port + 2 * i);
    for (auto status :
         {write_text(home / "genesis.json", genesis_text),
          write_text(home / "config.json",
                     node_config_json(node_name(i), peer_port + 1, peer_port)),
          crypto::save_key_file((home / "node_key.json").string(), node_keys[i], true)}) {
      if (!status)
        return status.error();
    }
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
    node.index = i;
    node.name = node_name(i);
    node.home = (root / node.name).string();
    node.peer_address = testnet.genesis.validators.at(i).peer_address;
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
    testnet.nodes.push_back(std::move(node));
  }
  for (std::size_t j = 0;; ++j) {
    fs::path file = root / "accounts" / ("account-" + std::to_string(j) + ".json");
    if (!fs::exists(file, ec))
      break;
    testnet.account_files.push_back(file.string());
  }
  return testnet;
}

}  // namespace synod::testnet
