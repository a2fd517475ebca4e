// Unit tests for the pieces of synod-wallet and synod-testnet that need no running node:
// strict argument parsing, endpoints, tables, testnet layout and node names.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "chain/genesis.h"
#include "chain/state.h"
#include "client/rpc_client.h"
#include "crypto/key_file.h"
#include "testnet/layout.h"
#include "testnet/soak_check.h"
#include "testnet/soak_receipts.h"
#include "wallet/chain_client.h"
#include "wallet/cli_support.h"

namespace fs = std::filesystem;
using namespace synod;

TEST_CASE("amounts are whole, non-negative and fit in 64 bits", "[tools]") {
  CHECK(*cli::parse_amount("1", "--amount", false) == 1);
  CHECK(*cli::parse_amount("18446744073709551615", "--amount", false) == UINT64_MAX);
  CHECK(*cli::parse_amount("0", "--fee", true) == 0);

  auto message = [](std::string_view text) {
    auto result = cli::parse_amount(text, "--amount", false);
    REQUIRE_FALSE(result.ok());
    return result.message();
  };
  CHECK_THAT(message("-5"), Catch::Contains("negative"));
  CHECK_THAT(message("1.5"), Catch::Contains("whole numbers"));
  CHECK_THAT(message("1e3"), Catch::Contains("whole numbers"));
  CHECK_THAT(message("abc"), Catch::Contains("not a number"));
  CHECK_THAT(message("18446744073709551616"), Catch::Contains("too large"));
  CHECK_THAT(message("99999999999999999999999"), Catch::Contains("too large"));
  CHECK_THAT(message("0"), Catch::Contains("at least 1"));
  CHECK_THAT(message(""), Catch::Contains("empty"));
  CHECK_THAT(message(" 5"), Catch::Contains("not a number"));
  CHECK_THAT(message("+5"), Catch::Contains("not a number"));
  CHECK_THAT(message("0x10"), Catch::Contains("not a number"));
  // Every message is one line and names the argument.
  for (const char* bad : {"-5", "1.5", "abc", "18446744073709551616", "\n\n"}) {
    std::string text = message(bad);
    CHECK(text.find('\n') == std::string::npos);
    CHECK(text.rfind("--amount", 0) == 0);
  }
}

TEST_CASE("node endpoints parse strictly", "[tools]") {
  auto endpoint = client::parse_endpoint("127.0.0.1:26657");
  REQUIRE(endpoint.ok());
  CHECK(endpoint->host == "127.0.0.1");
  CHECK(endpoint->port == 26657);
  CHECK(client::parse_endpoint("http://localhost:80/")->host == "localhost");
  CHECK(client::parse_endpoint("[::1]:9000")->host == "::1");
  for (const char* bad : {"", "127.0.0.1", ":80", "host:", "host:0", "host:65536", "host:12ab"}) {
    INFO(bad);
    CHECK_FALSE(client::parse_endpoint(bad).ok());
  }
}

TEST_CASE("an unreachable node is a one-line error, not a hang", "[tools]") {
  // Port 1 on loopback: nothing listens there in a test environment.
  client::RpcClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(500);
  client::RpcClient node(*client::parse_endpoint("127.0.0.1:1"), options);
  auto outcome = node.call("status");
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().kind == client::RpcError::Kind::kTransport);
  CHECK_THAT(outcome.error().message, Catch::StartsWith("cannot reach node at 127.0.0.1:1"));
}

TEST_CASE("tables align columns", "[tools]") {
  cli::Table table({"NODE", "HEIGHT"});
  table.right(1);
  table.add({"node-0", "7"});
  table.add({"node-10", "1234"});
  CHECK(table.render() ==
        "NODE     HEIGHT\n"
        "node-0        7\n"
        "node-10    1234\n");
  CHECK(cli::with_commas(1234567) == "1,234,567");
  CHECK(cli::with_commas(0) == "0");
  CHECK(cli::prefix("abcdef", 4) == "abcd…");
}

TEST_CASE("node names: index or node-N, in range", "[tools]") {
  CHECK(*testnet::parse_node("2", 4) == 2);
  CHECK(*testnet::parse_node("node-3", 4) == 3);
  for (const char* bad : {"4", "node-4", "-1", "node-", "two", ""}) {
    INFO(bad);
    CHECK_FALSE(testnet::parse_node(bad, 4).ok());
  }
}

TEST_CASE("node names: full-J names full node J, after the validators", "[tools]") {
  CHECK(*testnet::parse_node("full-0", 4, 2) == 4);
  CHECK(*testnet::parse_node("full-1", 4, 2) == 5);
  CHECK(*testnet::parse_node("3", 4, 2) == 3);  // numbers stay validator indices
  CHECK(*testnet::parse_node("node-0", 4, 2) == 0);
  for (const char* bad : {"4", "full-2", "full-", "full--1", "full-x"}) {
    INFO(bad);
    CHECK_FALSE(testnet::parse_node(bad, 4, 2).ok());
  }
  auto none = testnet::parse_node("full-0", 4);
  REQUIRE_FALSE(none.ok());
  CHECK_THAT(none.message(), Catch::Contains("no full nodes"));
  CHECK_THAT(testnet::parse_node("full-9", 4, 2).message(), Catch::Contains("full-0..full-1"));
}

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("synod-tools-test-" + std::to_string(getpid()));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("testnet init writes a consistent layout", "[tools]") {
  TempDir temp;
  testnet::InitOptions options;
  options.dir = (temp.path / "net").string();
  options.base_port = 30000;
  auto net = testnet::init_testnet(options);
  REQUIRE(net.ok());
  REQUIRE(net->nodes.size() == 4);
  CHECK(net->account_files.size() == 8);
  CHECK(net->genesis.validators.quorum() == 3);
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& node = net->nodes[i];
    CHECK(node.rpc.port == 30000 + 2 * i + 1);
    CHECK(node.peer_address == "127.0.0.1:" + std::to_string(30000 + 2 * i));
    // Every node has the same genesis and the key of its validator.
    auto genesis = chain::load_genesis(node.home + "/genesis.json");
    REQUIRE(genesis.ok());
    CHECK(genesis->hash() == net->genesis.hash());
    auto key = crypto::load_key_file(node.home + "/node_key.json");
    REQUIRE(key.ok());
    CHECK(key->public_key() == net->genesis.validators.at(i).public_key);
    CHECK((fs::status(node.home + "/node_key.json").permissions() & fs::perms::group_read) ==
          fs::perms::none);
  }
  for (std::size_t j = 0; j < 8; ++j) {
    auto key = crypto::load_key_file(net->account_files[j]);
    REQUIRE(key.ok());
    CHECK(net->genesis.accounts[j].address == chain::address_of(key->public_key()));
  }

  // A second init refuses the non-empty directory; --force replaces it with a new chain.
  auto again = testnet::init_testnet(options);
  REQUIRE_FALSE(again.ok());
  CHECK_THAT(again.message(), Catch::Contains("--force"));
  options.force = true;
  auto forced = testnet::init_testnet(options);
  REQUIRE(forced.ok());
  CHECK(forced->genesis.chain_id != net->genesis.chain_id);
}

TEST_CASE("testnet init refuses PBFT with fewer than 4 nodes and explains n = 3f+1", "[tools]") {
  TempDir temp;
  testnet::InitOptions options;
  options.dir = (temp.path / "net").string();
  options.nodes = 3;
  auto net = testnet::init_testnet(options);
  REQUIRE_FALSE(net.ok());
  CHECK_THAT(net.message(), Catch::Contains("3f+1"));
  CHECK_FALSE(fs::exists(options.dir));

  options.mode = chain::ConsensusMode::kPow;  // Nakamoto modes have no such bound
  options.nodes = 1;
  CHECK(testnet::init_testnet(options).ok());
}

TEST_CASE("testnet init --full-nodes writes follower homes after the validators", "[tools]") {
  TempDir temp;
  testnet::InitOptions options;
  options.dir = (temp.path / "net").string();
  options.base_port = 30000;
  options.full_nodes = 2;
  auto net = testnet::init_testnet(options);
  REQUIRE(net.ok());
  REQUIRE(net->nodes.size() == 6);
  CHECK(net->validator_count() == 4);
  CHECK(net->full_node_count() == 2);
  CHECK(net->genesis.validators.size() == 4);  // full nodes are not in the validator set

  std::vector<std::string> validator_rpcs;
  std::set<std::uint32_t> ports;
  for (const auto& node : net->nodes) {
    INFO(node.name);
    CHECK(node.index == static_cast<std::size_t>(&node - net->nodes.data()));
    CHECK(ports.insert(node.rpc.port).second);
    if (node.is_validator()) {
      validator_rpcs.push_back(node.rpc.to_string());
      auto peer = client::parse_endpoint(node.peer_address);
      REQUIRE(peer.ok());
      CHECK(ports.insert(peer->port).second);
    }
  }
  for (std::size_t j = 0; j < 2; ++j) {
    const auto& node = net->nodes[4 + j];
    INFO(node.name);
    CHECK(node.role == testnet::NodeRole::kFull);
    CHECK(node.name == "full-" + std::to_string(j));
    CHECK(node.home == (fs::path(options.dir) / node.name).string());
    CHECK(node.peer_address.empty());
    // The slot after the validators': RPC on base + 2(n + j) + 1.
    CHECK(node.rpc.host == "127.0.0.1");
    CHECK(node.rpc.port == 30000 + 2 * (4 + j) + 1);
    CHECK(node.upstreams == validator_rpcs);

    auto genesis = chain::load_genesis(node.home + "/genesis.json");
    REQUIRE(genesis.ok());
    CHECK(genesis->hash() == net->genesis.hash());
    auto key = crypto::load_key_file(node.home + "/node_key.json");
    REQUIRE(key.ok());
    for (std::size_t i = 0; i < net->genesis.validators.size(); ++i)
      CHECK(key->public_key() != net->genesis.validators.at(i).public_key);
    CHECK((fs::status(node.home + "/node_key.json").permissions() &
           (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);

    auto text = cli::read_file(node.home + "/config.json");
    REQUIRE(text.ok());
    auto config = nlohmann::json::parse(*text);
    CHECK(config["moniker"] == node.name);
    CHECK(config["rpc_listen"] == node.rpc.to_string());
    CHECK(config["upstreams"] == nlohmann::json(validator_rpcs));
    CHECK_FALSE(config.contains("peer_listen"));
  }
  // The two full nodes hold different keys.
  CHECK(crypto::load_key_file(net->nodes[4].home + "/node_key.json")->public_key() !=
        crypto::load_key_file(net->nodes[5].home + "/node_key.json")->public_key());

  // load_testnet reads the same layout back; validators_only drops the full nodes.
  auto loaded = testnet::load_testnet(options.dir);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->nodes.size() == 6);
  CHECK(loaded->nodes[5].upstreams == validator_rpcs);
  auto validators = testnet::validators_only(*loaded);
  CHECK(validators.nodes.size() == 4);
  CHECK(validators.full_node_count() == 0);

  // --force with fewer full nodes removes the old full-node homes.
  options.force = true;
  options.full_nodes = 1;
  auto forced = testnet::init_testnet(options);
  REQUIRE(forced.ok());
  CHECK(forced->full_node_count() == 1);
  CHECK_FALSE(fs::exists(fs::path(options.dir) / "full-1"));
}

TEST_CASE("testnet init gives full nodes at most 16 upstreams, spread over the validators",
          "[tools]") {
  TempDir temp;
  testnet::InitOptions options;
  options.dir = (temp.path / "net").string();
  options.base_port = 30000;
  options.nodes = 22;
  options.full_nodes = 2;
  options.accounts = 2;
  auto net = testnet::init_testnet(options);
  REQUIRE(net.ok());
  const auto& first = net->nodes[22].upstreams;
  const auto& second = net->nodes[23].upstreams;
  CHECK(first.size() == 16);
  CHECK(second.size() == 16);
  CHECK(std::set<std::string>(first.begin(), first.end()).size() == 16);
  CHECK(std::set<std::string>(second.begin(), second.end()).size() == 16);
  CHECK(first.front() == net->nodes[0].rpc.to_string());
  CHECK(second.front() == net->nodes[16].rpc.to_string());  // wraps around past node-21
}

TEST_CASE("testnet init checks that full nodes' ports fit too", "[tools]") {
  TempDir temp;
  testnet::InitOptions options;
  options.dir = (temp.path / "net").string();
  // 4 validators + 2 full nodes use base .. base+11.
  options.full_nodes = 2;
  options.base_port = 65535 - 11;
  CHECK(testnet::init_testnet(options).ok());
  options.force = true;
  options.base_port = 65535 - 10;
  auto refused = testnet::init_testnet(options);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.message(), Catch::Contains("base+11"));
  options.base_port = 30000;
  options.full_nodes = 65;
  CHECK_THAT(testnet::init_testnet(options).message(), Catch::Contains("--full-nodes"));
}

TEST_CASE("the soak's receipt log reads back what was written, and refuses bad lines", "[tools]") {
  TempDir temp;
  fs::create_directories(temp.path);
  std::string path = (temp.path / "receipts.log").string();
  std::string hash_a(64, 'a'), hash_b(64, 'b');
  {
    testnet::ReceiptLog log;
    REQUIRE(log.open(path).ok());
    REQUIRE(log.append({1764763200123, hash_a, "syn1", 17, "node-2"}).ok());
    REQUIRE(log.append({1764763200200, hash_b, "syn2", 0, "node-0"}).ok());
  }
  auto read = testnet::read_receipts(path);
  REQUIRE(read.ok());
  REQUIRE(read->size() == 2);
  CHECK((*read)[0].time_ms == 1764763200123);
  CHECK((*read)[0].hash_hex == hash_a);
  CHECK((*read)[0].sender_hex == "syn1");
  CHECK((*read)[0].nonce == 17);
  CHECK((*read)[1].node == "node-0");

  // A missing receipt names the transaction; a found one passes.
  testnet::LedgerFacts ledger;
  ledger.height = 9;
  ledger.tx_hashes = {hash_a};
  auto missing = testnet::check_receipts(*read, ledger);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.message(),
             Catch::Contains("1 of 2") && Catch::Contains(hash_b) && Catch::Contains("node-0"));
  ledger.tx_hashes.insert(hash_b);
  CHECK(testnet::check_receipts(*read, ledger).ok());

  // A torn or foreign line is an error naming its line, never a guess.
  for (const char* bad : {"1 abc syn1 3 node-1", "x", "1 <hash> syn1 3 node-1 extra"}) {
    std::string line = bad;
    if (auto at = line.find("<hash>"); at != std::string::npos)
      line.replace(at, 6, hash_a);
    {
      std::ofstream out(path);
      out << "# header\n1 " << hash_a << " syn1 3 node-1\n" << line << "\n";
    }
    auto refused = testnet::read_receipts(path);
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.message(), Catch::Contains(":3:"));
  }
  CHECK_FALSE(testnet::read_receipts((temp.path / "none.log").string()).ok());
}

namespace {

// A PBFT genesis of four validators with known keys, and a certified block 1 made in
// `domain` (default: the genesis' own).
struct PbftChainSample {
  chain::Genesis genesis;
  std::vector<crypto::KeyPair> keys;

  PbftChainSample() {
    genesis.chain_id = "wallet-check";
    std::vector<chain::ValidatorInfo> validators;
    for (std::uint8_t i = 0; i < 4; ++i) {
      crypto::Seed seed;
      seed.data[0] = 0x77;
      seed.data[1] = i;
      keys.push_back(crypto::KeyPair::from_seed(seed));
      validators.push_back({"v" + std::to_string(i), keys.back().public_key(), "", 1});
    }
    genesis.validators = chain::ValidatorSet(validators);
    genesis.accounts.push_back({chain::address_of(keys[0].public_key()), 1000, 0});
  }

  chain::Block block_one(const chain::SigningDomain& domain) const {
    chain::Block block;
    block.header.height = 1;
    block.header.prev_hash = chain::make_genesis_block(genesis).hash();
    block.header.proposer = keys[0].public_key();
    block.header.seal = chain::PbftSeal{0, 1};
    chain::CommitCertificate certificate{0, 1, block.hash(), {}};
    for (std::uint32_t i = 0; i < 3; ++i) {
      certificate.signatures.push_back(
          {i, keys[i].sign(chain::commit_signing_bytes(domain, 0, 1, block.hash()))});
    }
    block.certificate = certificate;
    return block;
  }
};

}  // namespace

TEST_CASE("the wallet accepts only blocks of its genesis' chain", "[tools]") {
  PbftChainSample sample;
  const auto own = chain::SigningDomain::of(sample.genesis);
  REQUIRE(client::check_pbft_block(chain::make_genesis_block(sample.genesis), sample.genesis));
  REQUIRE(client::check_pbft_block(sample.block_one(own), sample.genesis));

  // Another network: the same chain id and validator keys, another genesis (accounts).
  chain::Genesis twin = sample.genesis;
  twin.accounts.push_back({chain::address_of(sample.keys[1].public_key()), 5, 0});
  const auto twin_domain = chain::SigningDomain::of(twin);
  REQUIRE(twin_domain.chain_id == own.chain_id);
  // Its block 1 even links to this genesis' block 0 (block_one builds it so).
  auto refused = client::check_pbft_block(sample.block_one(twin_domain), sample.genesis);
  REQUIRE_FALSE(refused);
  CHECK(refused.message().find("commit certificate does not verify") != std::string::npos);
  REQUIRE_FALSE(client::check_pbft_block(chain::make_genesis_block(twin), sample.genesis));

  // Block 1 must name the genesis' block 0, whatever its certificate says.
  chain::Block unlinked = sample.block_one(own);
  unlinked.header.prev_hash = chain::make_genesis_block(twin).hash();
  auto unlinked_verdict = client::check_pbft_block(unlinked, sample.genesis);
  REQUIRE_FALSE(unlinked_verdict);
  CHECK(unlinked_verdict.message().find("does not link") != std::string::npos);
}
