// A proof-of-work node mining alone, run in this process, its store filled beforehand: get_block,
// get_blocks (by height, by locator, long-polled) and get_tx are answered, and the event loop (the
// thread that runs consensus) reads nothing from SQLite for them and encodes no block.
#include <catch2/catch.hpp>

#include <boost/asio.hpp>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "chain/block_store.h"
#include "chain/genesis.h"
#include "chain/state.h"
#include "client/blocks_answer.h"
#include "client/rpc_client.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "node/block_cell.h"
#include "node/block_reads.h"
#include "node/node.h"
#include "node/wire.h"
#include "tests/support/pow_chain.h"
#include "tests/support/temp_dir.h"

using namespace synod;
using nlohmann::json;

namespace {

constexpr std::uint64_t kStoredBlocks = 150;
constexpr std::uint64_t kMaxFetch = node::kMaxFetchBlocks;

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

// The proof-of-work test genesis (three miners; this node is miner 1), its peers on free
// ports: nobody listens there, so the node mines alone.
chain::Genesis lone_miner_genesis() {
  chain::Genesis genesis = pow_test::make_genesis();
  std::vector<chain::ValidatorInfo> miners;
  for (std::size_t i = 0; i < genesis.validators.size(); ++i) {
    chain::ValidatorInfo miner = genesis.validators.at(i);
    miner.peer_address = "127.0.0.1:" + std::to_string(free_port());
    miners.push_back(std::move(miner));
  }
  genesis.validators = chain::ValidatorSet(std::move(miners));
  return genesis;
}

// The store a test node starts from: blocks mined by this node, two of them with a transfer.
// The first is in the transaction index; the second is above the indexed height, so the
// node finds it unindexed when it opens the store.
struct FilledStore {
  std::vector<chain::Block> blocks;  // from block 0
  chain::Transaction indexed_tx;
  chain::Transaction unindexed_tx;
};
constexpr std::uint64_t kIndexedHeight = 100;

FilledStore fill_store(const std::string& path, const chain::Genesis& genesis) {
  auto store = chain::BlockStore::open(path);
  REQUIRE(store.ok());
  REQUIRE((*store)->initialize(genesis).ok());
  pow_test::ChainBuilder builder(genesis);
  FilledStore filled{{builder.genesis_block()},
                     pow_test::transfer(genesis, pow_test::alice_key(), pow_test::bob(), 5, 0),
                     pow_test::transfer(genesis, pow_test::alice_key(), pow_test::bob(), 6, 1)};
  std::vector<chain::BranchBlock> branch;
  for (std::uint64_t height = 1; height <= kStoredBlocks; ++height) {
    pow_test::BlockOptions options;
    if (height == 10)
      options.transactions = {filled.indexed_tx};
    if (height == kIndexedHeight + 20)
      options.transactions = {filled.unindexed_tx};
    chain::Block block = builder.extend(filled.blocks.back().hash(), options);
    branch.push_back({block, builder.diff(block.hash()), {}});
    filled.blocks.push_back(std::move(block));
    if (height == kIndexedHeight || height == kStoredBlocks) {
      // Each part as one branch: one SQLite transaction (and fsync), not one per block.
      const chain::Block& fork = filled.blocks.at(height - branch.size());
      REQUIRE((*store)->reorg(fork.header.height, fork.hash(), branch).ok());
      branch.clear();
    }
    if (height == kIndexedHeight)
      REQUIRE((*store)->index_transactions().ok());
  }
  REQUIRE((*store)->indexed_height() == kIndexedHeight);
  return filled;
}

void write_home(const testing::TempDir& home, const chain::Genesis& genesis,
                std::uint16_t rpc_port) {
  std::ofstream(home.file("genesis.json")) << chain::genesis_to_json(genesis);
  json config = {{"rpc_listen", "127.0.0.1:" + std::to_string(rpc_port)},
                 {"verify_threads", 1},
                 {"rpc_threads", 2},
                 {"log_level", "error"},  // its peers never answer: no warnings about it
                 // About 16 hashes a block: some ten blocks a second for the long polls.
                 {"mining", {{"enabled", true}, {"hash_rate_limit", 160}}}};
  std::ofstream(home.file("config.json")) << config.dump();
  REQUIRE(crypto::save_key_file(home.file("node_key.json"), pow_test::miner_key(1)).ok());
}

std::vector<chain::Block> decoded(const client::RpcOutcome& outcome, std::size_t max_blocks) {
  INFO((outcome.ok() ? "" : client::describe(outcome.error())));
  REQUIRE(outcome.ok());
  auto answer = client::decode_blocks_answer(outcome.result(), max_blocks);
  INFO(answer.problem);
  REQUIRE(answer.problem.empty());
  return answer.blocks;
}

// What the loop thread did while the node ran: read from the store, encoded for answers.
struct LoopCounts {
  std::uint64_t block_reads = 0;
  std::uint64_t block_encodes = 0;
};

// Runs a node's event loop on a thread of its own until stop() (or destruction).
class RunningNode {
 public:
  explicit RunningNode(std::unique_ptr<node::Node> node)
      : node_(std::move(node)), loop_([this] {
          node_->run();
          counts_.set_value({chain::BlockStore::block_reads_on_this_thread(),
                             node::BlockCell::encodes_on_this_thread()});
        }) {}
  ~RunningNode() {
    if (loop_.joinable())
      stop();
  }
  LoopCounts stop() {
    node_->stop();
    loop_.join();
    return counts_.get_future().get();
  }

 private:
  std::unique_ptr<node::Node> node_;
  std::promise<LoopCounts> counts_;
  std::thread loop_;
};

// The answers a client gets, checked against the blocks written before the node started.
void fetch_stored_blocks(client::RpcClient& rpc, const std::vector<chain::Block>& stored) {
  for (std::uint64_t from = 1; from <= kStoredBlocks; from += kMaxFetch) {
    auto blocks = decoded(rpc.call("get_blocks", {{"from_height", from}}), kMaxFetch);
    REQUIRE(blocks.size() >= std::min<std::uint64_t>(kMaxFetch, kStoredBlocks + 1 - from));
    for (std::size_t i = 0; i < blocks.size() && from + i <= kStoredBlocks; ++i)
      REQUIRE(blocks[i] == stored[from + i]);
  }
  json locator = {crypto::to_hex(crypto::Hash256{}.view()),
                  crypto::to_hex(stored[99].hash().view())};
  auto located = decoded(rpc.call("get_blocks", {{"locator", locator}, {"max_blocks", 3}}), 3);
  REQUIRE(located.size() == 3);
  CHECK(located.front() == stored[100]);
  auto by_height = rpc.call("get_block", {{"height", 5}});
  REQUIRE(by_height.ok());
  CHECK(by_height.result()["hash"] == crypto::to_hex(stored[5].hash().view()));
  CHECK(by_height.result()["in_best_chain"] == true);
  auto by_hash = rpc.call("get_block", {{"hash", crypto::to_hex(stored[7].hash().view())}});
  REQUIRE(by_hash.ok());
  CHECK(by_hash.result()["header"]["height"] == 7);
  CHECK(by_hash.result()["confirmations"].get<std::uint64_t>() >= kStoredBlocks - 7 + 1);
  CHECK(rpc.call("get_block", {{"hash", crypto::to_hex(crypto::Hash256{}.view())}})
            .is_rpc_error(client::kRpcNotFound));
  CHECK(rpc.call("get_block", {{"height", 1'000'000}}).is_rpc_error(client::kRpcNotFound));
}

// get_tx of a transaction in the index, of one in a block the store had not indexed when the
// node opened it, and of one nobody has seen.
void look_up_transactions(client::RpcClient& rpc, const FilledStore& filled) {
  auto get_tx = [&rpc](const crypto::Hash256& hash) {
    auto outcome = rpc.call("get_tx", {{"hash", crypto::to_hex(hash.view())}});
    INFO((outcome.ok() ? "" : client::describe(outcome.error())));
    REQUIRE(outcome.ok());
    return outcome.result();
  };
  json indexed = get_tx(filled.indexed_tx.hash());
  CHECK(indexed["status"] == "committed");
  CHECK(indexed["height"] == 10);
  CHECK(indexed["block_hash"] == crypto::to_hex(filled.blocks[10].hash().view()));
  CHECK(indexed["confirmations"].get<std::uint64_t>() >= kStoredBlocks - 10 + 1);
  json unindexed = get_tx(filled.unindexed_tx.hash());
  CHECK(unindexed["status"] == "committed");
  CHECK(unindexed["height"] == kIndexedHeight + 20);
  chain::Transaction never_sent =
      pow_test::transfer(pow_test::make_genesis(), pow_test::bob_key(), pow_test::alice(), 1, 0);
  CHECK(get_tx(never_sent.hash())["status"] == "unknown");
}

// Three long polls for the next block: all get it, and it is encoded once for them (at most:
// a block mined before a poll arrives may reach it from the store, as stored bytes).
void wait_for_next_block(const client::Endpoint& endpoint) {
  client::RpcClient rpc(endpoint);
  auto status = rpc.call("status");
  REQUIRE(status.ok());
  std::uint64_t next = status.result()["height"].get<std::uint64_t>() + 1;
  const std::uint64_t encodes_before = node::BlockCell::encodes_total();
  std::vector<std::future<client::RpcOutcome>> polls;
  for (int i = 0; i < 3; ++i) {
    polls.push_back(std::async(std::launch::async, [&endpoint, next] {
      client::RpcClient poller(endpoint);
      return poller.call("get_blocks", {{"from_height", next}, {"wait_ms", 5000}});
    }));
  }
  std::set<std::uint64_t> heights;
  for (auto& poll : polls) {
    auto blocks = decoded(poll.get(), kMaxFetch);
    REQUIRE_FALSE(blocks.empty());
    CHECK(blocks.front().header.height == next);
    for (const auto& block : blocks)
      heights.insert(block.header.height);
  }
  CHECK(node::BlockCell::encodes_total() - encodes_before <= heights.size());
}

}  // namespace

TEST_CASE("RPC block and transaction reads and block encodes happen off the event loop", "[node]") {
  testing::TempDir home("synod-block-reads");
  const std::uint16_t rpc_port = free_port();
  const chain::Genesis genesis = lone_miner_genesis();
  std::filesystem::create_directories(home.path() / "data");
  const auto filled = fill_store(home.file("data/chain.db"), genesis);
  write_home(home, genesis, rpc_port);

  node::NodeOptions options;
  options.home = home.path().string();
  auto created = node::Node::create(options);
  INFO((created ? "" : created.message()));
  REQUIRE(created.ok());
  RunningNode running(std::move(*created));
  const client::Endpoint endpoint{"127.0.0.1", rpc_port};
  client::RpcClient rpc(endpoint);
  bool up = false;
  for (int attempt = 0; attempt < 200 && !up; ++attempt) {
    up = rpc.call("status").ok();
    if (!up)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(up);
  if (up) {
    fetch_stored_blocks(rpc, filled.blocks);
    look_up_transactions(rpc, filled);
    wait_for_next_block(endpoint);
  }
  LoopCounts counts = running.stop();
  CHECK(counts.block_reads == 0);
  CHECK(counts.block_encodes == 0);
}

namespace {

// Chain A (1..8) in a store, and blocks of two forks from A5 in memory, for read_blocks.
struct ForkedChains {
  testing::TempDir dir{"synod-block-reads"};
  chain::Genesis genesis = pow_test::make_genesis();
  pow_test::ChainBuilder builder{genesis};
  std::vector<chain::Block> a{builder.genesis_block()};
  std::vector<chain::Block> b;  // B6, B7 on A5
  std::vector<chain::Block> c;  // C6, C7 on A5
  std::unique_ptr<chain::BlockStore> writer;
  std::unique_ptr<chain::BlockStore> reader;

  ForkedChains() {
    auto opened = chain::BlockStore::open(dir.file("chain.db"));
    REQUIRE(opened.ok());
    writer = std::move(*opened);
    REQUIRE(writer->initialize(genesis).ok());
    for (auto& block : builder.chain(a.front().hash(), 8, /*miner=*/1)) {
      REQUIRE(writer->append(block, builder.diff(block.hash())).ok());
      a.push_back(std::move(block));
    }
    b = builder.chain(a[5].hash(), 2, /*miner=*/0);
    c = builder.chain(a[5].hash(), 2, /*miner=*/2);
    auto read_only = chain::BlockStore::open_reader(dir.file("chain.db"));
    REQUIRE(read_only.ok());
    reader = std::move(*read_only);
  }

  static std::shared_ptr<const node::BlockCell> cell(const chain::Block& block) {
    return std::make_shared<const node::BlockCell>(std::make_shared<const chain::Block>(block),
                                                   block.hash());
  }

  // The heights and hashes read_blocks answers.
  std::vector<crypto::Hash256> answer(const node::BlocksQuery& query,
                                      std::size_t allowance = SIZE_MAX) const {
    auto cells = node::read_blocks(reader.get(), query, allowance);
    INFO((cells ? "" : cells.message()));
    REQUIRE(cells.ok());
    std::vector<crypto::Hash256> hashes;
    for (const auto& read : *cells) {
      REQUIRE(chain::decode_block(read->bytes()).ok());
      hashes.push_back(read->hash());
    }
    return hashes;
  }
};

std::vector<crypto::Hash256> hashes_of(const std::vector<const chain::Block*>& blocks) {
  std::vector<crypto::Hash256> hashes;
  for (const auto* block : blocks)
    hashes.push_back(block->hash());
  return hashes;
}

}  // namespace

TEST_CASE("read_blocks joins the store and memory only where the blocks link", "[node]") {
  ForkedChains chains;
  node::BlocksQuery query;
  query.max_blocks = 64;
  query.from_height = 4;
  // The loop's best chain: A1..A5 written, B6 and B7 queued (a reorg not written yet, so the
  // store still holds A6..A8 there, which the answer must not use).
  query.chain = {7, 6, {ForkedChains::cell(chains.b[0]), ForkedChains::cell(chains.b[1])}};
  CHECK(chains.answer(query) ==
        hashes_of({&chains.a[4], &chains.a[5], &chains.b[0], &chains.b[1]}));
  // A snapshot older than the store: its memory part (C7) follows C6, not the store's A6.
  query.chain = {7, 7, {ForkedChains::cell(chains.c[1])}};
  CHECK(chains.answer(query) == hashes_of({&chains.a[4], &chains.a[5], &chains.a[6]}));
  // Located by the loop, but the block after it does not follow the located one.
  query.from_height = 6;
  query.anchor = chains.b[0].hash();
  query.chain = {7, 6, {ForkedChains::cell(chains.c[0]), ForkedChains::cell(chains.c[1])}};
  CHECK(chains.answer(query).empty());
  // The byte allowance: the block that reaches it is the last one.
  query = {};
  query.max_blocks = 64;
  query.from_height = 1;
  query.chain = {8, 9, {}};
  std::size_t one_block_hex = 2 * chains.a[1].encode().size();
  CHECK(chains.answer(query, one_block_hex + 1).size() == 2);
  CHECK(chains.answer(query).size() == 8);
}

TEST_CASE("read_blocks looks a locator up below the unstored blocks only", "[node]") {
  ForkedChains chains;
  node::BlocksQuery query;
  query.max_blocks = 2;
  query.chain = {7, 6, {ForkedChains::cell(chains.b[0]), ForkedChains::cell(chains.b[1])}};
  // A7 is best in the store but not in the loop's chain (B replaced it): A3 is the match.
  query.locator = {crypto::Hash256{}, chains.a[7].hash(), chains.a[3].hash()};
  CHECK(chains.answer(query) == hashes_of({&chains.a[4], &chains.a[5]}));
  query.locator = {chains.a[5].hash()};
  CHECK(chains.answer(query) == hashes_of({&chains.b[0], &chains.b[1]}));
  query.locator = {crypto::Hash256{}};  // nothing in common: from block 1
  CHECK(chains.answer(query) == hashes_of({&chains.a[1], &chains.a[2]}));
  // The reader's connection refuses writes.
  CHECK_FALSE(chains.reader->put_meta("key", Bytes{1}).ok());
}
