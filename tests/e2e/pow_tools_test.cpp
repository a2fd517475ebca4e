// Unit tests for the proof-of-work pieces of the user tools that need no running node: the
// initial target init computes, the PoW testnet layout, the wallet's chain verifier and the
// agreement verdict of `synod-testnet status`.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../unit/pow_test_util.h"
#include "testnet/layout.h"
#include "testnet/pow_status.h"
#include "wallet/cli_support.h"
#include "wallet/pow_chain.h"

namespace fs = std::filesystem;
using namespace synod;
using pow_test::ChainBuilder;
using synod::pow_pos::Uint256;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("synod-pow-tools-test-" + std::to_string(getpid()));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

Uint256 work_of(const crypto::Hash256& target) {
  return pow_pos::block_work(Uint256::from_hash(target));
}

}  // namespace

TEST_CASE("pow tools: the initial target makes the miners' total rate give the interval",
          "[tools]") {
  // 4 miners at 20,000 hashes/s, one block a second: 80,000 hashes a block.
  CHECK(work_of(testnet::pow_initial_target(4, 20'000, 1000)) == Uint256(80'000));
  CHECK(work_of(testnet::pow_initial_target(3, 1'000, 2500)) == Uint256(7'500));
  // Under one hash a block: the easiest target there is.
  CHECK(work_of(testnet::pow_initial_target(1, 1, 100)) == Uint256(1));
  // The largest the CLI allows still fits.
  CHECK(work_of(testnet::pow_initial_target(64, 1'000'000'000, 3'600'000)) ==
        Uint256(230'400'000'000'000));
}

TEST_CASE("pow tools: init --consensus pow writes a PoW genesis and mining configs", "[tools]") {
  TempDir temp;
  testnet::InitOptions options;
  options.dir = (temp.path / "net").string();
  options.mode = chain::ConsensusMode::kPow;
  options.pow.block_interval_ms = 2000;
  options.pow.hash_rate = 5000;
  options.full_nodes = 1;
  auto net = testnet::init_testnet(options);
  REQUIRE(net.ok());
  CHECK(net->genesis.mode == chain::ConsensusMode::kPow);
  CHECK(net->genesis.pow.block_interval_ms == 2000);
  CHECK(work_of(net->genesis.pow.initial_target) == Uint256(4 * 5000 * 2));
  CHECK(net->genesis.pow.block_reward == chain::PowParams().block_reward);
  // Block 0 is dated a retarget window back, so the first blocks keep the initial target.
  auto now_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  CHECK(net->genesis.genesis_time_ms <= now_ms - net->genesis.pow.retarget_window * 2000);
  CHECK(net->genesis.genesis_time_ms + 60'000 > now_ms);
  for (const auto& node : net->nodes) {
    auto text = cli::read_file(node.home + "/config.json");
    REQUIRE(text.ok());
    auto config = nlohmann::json::parse(*text);
    if (node.is_validator()) {
      CHECK(config["mining"]["enabled"] == true);
      CHECK(config["mining"]["hash_rate_limit"] == 5000);
      CHECK_FALSE(config.contains("batch_delay_ms"));
    } else {
      CHECK_FALSE(config.contains("mining"));
    }
    auto genesis = chain::load_genesis(node.home + "/genesis.json");
    REQUIRE(genesis.ok());
    CHECK(genesis->hash() == net->genesis.hash());
  }
}

TEST_CASE("pow tools: init checks the PoW options", "[tools]") {
  TempDir temp;
  testnet::InitOptions options;
  options.dir = (temp.path / "net").string();
  options.mode = chain::ConsensusMode::kPow;
  options.pow.block_interval_ms = 0;
  auto bad = testnet::init_testnet(options);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.message(), Catch::StartsWith("--block-interval-ms: must be 100 to"));
  options.pow.block_interval_ms = 1000;
  options.pow.hash_rate = 0;
  bad = testnet::init_testnet(options);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.message(), Catch::StartsWith("--hash-rate: must be 1 to"));
  CHECK_FALSE(fs::exists(options.dir));
}

TEST_CASE("pow tools: the chain verifier accepts a valid chain and sums its work", "[tools]") {
  auto genesis = pow_test::make_genesis(/*retarget_factor=*/4);
  genesis.pow.retarget_window = 3;
  ChainBuilder builder(genesis);
  // Six blocks four times too fast, then six four times too slow: the target tightens, then
  // eases, block by block, as the retarget rule says.
  std::vector<chain::Block> blocks;
  crypto::Hash256 parent = builder.genesis_block().hash();
  std::uint64_t time_ms = pow_test::kGenesisTime;
  for (std::uint64_t i = 1; i <= 12; ++i) {
    pow_test::BlockOptions options;
    time_ms += i <= 6 ? pow_test::kInterval / 4 : pow_test::kInterval * 4;
    options.timestamp_ms = time_ms;
    blocks.push_back(builder.extend(parent, options));
    parent = blocks.back().hash();
  }
  auto target_of = [](const chain::Block& block) {
    return Uint256::from_hash(std::get<chain::PowSeal>(block.header.seal).target);
  };
  CHECK(target_of(blocks[5]) < target_of(blocks[0]));
  CHECK(target_of(blocks[11]) > target_of(blocks[5]));
  client::PowChainVerifier verifier(genesis);
  REQUIRE(verifier.add(builder.genesis_block()).ok());
  Uint256 work;
  for (const auto& block : blocks) {
    INFO("block " << block.header.height);
    REQUIRE(verifier.add(block).ok());
    work = work + work_of(std::get<chain::PowSeal>(block.header.seal).target);
  }
  CHECK(verifier.height() == 12);
  CHECK(verifier.tip_hash() == blocks.back().hash());
  CHECK(verifier.chain_work() == work);
  CHECK(*verifier.hash_at(5) == blocks[4].hash());
  CHECK_FALSE(verifier.hash_at(13).has_value());
}

TEST_CASE("pow tools: the chain verifier refuses broken blocks and stays usable", "[tools]") {
  auto genesis = pow_test::make_genesis();
  ChainBuilder builder(genesis);
  const auto& zero = builder.genesis_block();
  auto good = builder.chain(zero.hash(), 3);
  client::PowChainVerifier verifier(genesis);

  // Block 0 must be the pinned genesis' own block.
  auto other = genesis;
  other.chain_id = "another-chain";
  CHECK_THAT(verifier.add(chain::make_genesis_block(other)).message(),
             Catch::Contains("pinned genesis"));
  REQUIRE(verifier.add(zero).ok());
  REQUIRE(verifier.add(good[0]).ok());

  auto message = [&](chain::Block block) {
    auto status = verifier.add(block);
    REQUIRE_FALSE(status.ok());
    CHECK(verifier.height() == 1);  // unchanged
    return status.message();
  };
  pow_test::BlockOptions harder;
  harder.target = pow_test::easy_target() >> 1;
  CHECK_THAT(message(builder.extend(good[0].hash(), harder)), Catch::Contains("wrong_target"));
  pow_test::BlockOptions old;
  old.timestamp_ms = pow_test::kGenesisTime;
  CHECK_THAT(message(builder.extend(good[0].hash(), old)), Catch::Contains("time_too_old"));
  pow_test::BlockOptions bad_root;
  bad_root.tamper = [](chain::Block& block) { block.header.tx_root.data.fill(7); };
  CHECK_THAT(message(builder.extend(good[0].hash(), bad_root)), Catch::Contains("tx_root"));
  CHECK_THAT(message(good[2]), Catch::Contains("expected block 2"));
  auto unlinked = builder.chain(zero.hash(), 2, /*miner=*/2)[1];  // height 2, another branch
  CHECK_THAT(message(unlinked), Catch::Contains("prev_hash"));
  chain::Block no_work = good[1];
  auto& seal = std::get<chain::PowSeal>(no_work.header.seal);
  while (pow_pos::meets_target(no_work.hash(), Uint256::from_hash(seal.target)))
    ++seal.nonce;
  CHECK_THAT(message(no_work), Catch::Contains("bad_work"));

  REQUIRE(verifier.add(good[1]).ok());
  CHECK(verifier.height() == 2);
}

namespace {

testnet::PowNodeView view(std::string name, std::uint64_t height, std::string tip, std::string work,
                          std::string compared, bool on_best = true) {
  return {std::move(name), height, std::move(tip), std::move(work), std::move(compared), on_best};
}

}  // namespace

TEST_CASE("pow tools: chain work compares as decimal numbers of any length", "[tools]") {
  CHECK(testnet::more_work("100", "99"));
  CHECK_FALSE(testnet::more_work("99", "100"));
  CHECK_FALSE(testnet::more_work("100", "100"));
  CHECK(testnet::more_work("123456789012345678901234567890", "99999999999999999999"));
  CHECK_FALSE(testnet::more_work("", "0"));
}

TEST_CASE(
    "pow tools: status agreement is judged below the tips, and a fork at the tip is not a "
    "disagreement",
    "[tools]") {
  CHECK(testnet::pow_compared_height(40, 6) == 34);
  CHECK(testnet::pow_compared_height(6, 6) == 0);
  CHECK(testnet::pow_compared_height(2, 6) == 0);

  auto same = testnet::judge_pow_agreement(
      {view("node-0", 40, "aa", "400", "c0"), view("node-1", 40, "aa", "400", "c0")}, 6, 2);
  CHECK(same.agree);
  CHECK(same.same_tip);
  CHECK(same.height == 34);
  CHECK_THAT(same.message, Catch::StartsWith("agreement: all 2 answering nodes share block 34"));

  auto behind = testnet::judge_pow_agreement(
      {view("node-0", 41, "bb", "410", "c0"), view("node-1", 40, "aa", "400", "c0")}, 6, 3);
  CHECK(behind.agree);
  CHECK_FALSE(behind.fork_at_tip);
  CHECK(behind.behind == std::vector<std::string>{"node-1"});
  CHECK_THAT(behind.message, Catch::StartsWith("agreement: 2 answering nodes"));
  CHECK_THAT(behind.message, Catch::Contains("node-1 behind the best tip"));

  auto fork = testnet::judge_pow_agreement(
      {view("node-0", 40, "aa", "400", "c0"), view("node-1", 40, "ab", "400", "c0", false)}, 6, 2);
  CHECK(fork.agree);
  CHECK(fork.fork_at_tip);
  CHECK(fork.side_branch == std::vector<std::string>{"node-1"});
  CHECK_THAT(fork.message, Catch::Contains("fork at tip"));

  auto split = testnet::judge_pow_agreement(
      {view("node-0", 40, "aa", "400", "c0"), view("node-1", 44, "dd", "440", "c1", false)}, 6, 2);
  CHECK_FALSE(split.agree);
  CHECK_THAT(split.message, Catch::StartsWith("DISAGREEMENT at height 34"));

  auto young = testnet::judge_pow_agreement({view("node-0", 3, "aa", "30", "g0")}, 6, 1);
  CHECK(young.agree);
  CHECK(young.height == 0);
  CHECK_THAT(young.message, Catch::Contains("not 6 blocks deep yet"));

  CHECK_FALSE(testnet::judge_pow_agreement({}, 6, 4).agree);
  CHECK_FALSE(testnet::judge_pow_agreement({view("node-0", 9, "aa", "9", "")}, 6, 1).agree);
}
