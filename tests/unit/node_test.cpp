// Unit tests of the node's pure pieces: config parsing, the peer wire codec, the JSON
// transaction form, and the storage worker.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "chain/state.h"
#include "node/config.h"
#include "node/json_view.h"
#include "node/serve_budget.h"
#include "node/storage_worker.h"
#include "node/verified_signatures.h"
#include "node/wire.h"

using namespace synod;
using nlohmann::json;

namespace {

crypto::KeyPair key_for(std::uint8_t tag) {
  crypto::Seed seed;
  seed.data[0] = tag;
  return crypto::KeyPair::from_seed(seed);
}

// For the wire and JSON forms any genesis hash does; a ledger needs its genesis' domain.
const chain::SigningDomain kDomain{"node-test", crypto::Hash256{}};

chain::Transaction sample_transfer(std::uint64_t nonce = 0,
                                   const chain::SigningDomain& domain = kDomain) {
  return chain::make_transfer(key_for(1), domain, chain::address_of(key_for(2).public_key()), 25, 1,
                              nonce);
}

}  // namespace

TEST_CASE("config: defaults, overrides and the round trip through JSON", "[node]") {
  auto empty = node::parse_config("{}");
  REQUIRE(empty.ok());
  CHECK(empty->rpc_listen == "127.0.0.1:26657");
  auto parsed = node::parse_config(
      R"({"rpc_listen":"127.0.0.1:9","verify_threads":3,"mempool":{"max_transactions":10,)"
      R"("max_per_sender":7,"max_parked_transactions":5,"parked_ttl_ms":900}})");
  REQUIRE(parsed.ok());
  CHECK(parsed->verify_threads == 3);
  CHECK(parsed->mempool.max_transactions == 10);
  CHECK(parsed->mempool.max_per_sender == 7);
  CHECK(parsed->mempool.max_parked_transactions == 5);
  CHECK(parsed->mempool.max_parked_bytes == chain::MempoolOptions{}.max_parked_bytes);
  auto again = node::parse_config(node::config_to_json(*parsed));
  REQUIRE(again.ok());
  CHECK(again->rpc_listen == "127.0.0.1:9");
  CHECK(again->mempool.parked_ttl_ms == 900);
  CHECK(again->mempool.max_per_sender == 7);
}

TEST_CASE("config: every defect is an error naming the field", "[node]") {
  auto message = [](const std::string& text) {
    auto result = node::parse_config(text);
    REQUIRE_FALSE(result.ok());
    return result.message();
  };
  CHECK_THAT(message("not json"), Catch::Contains("not a JSON object"));
  CHECK_THAT(message(R"({"rpc_lisen":"x"})"), Catch::Contains("rpc_lisen: unknown field"));
  CHECK_THAT(message(R"({"verify_threads":-1})"), Catch::Contains("verify_threads"));
  CHECK_THAT(message(R"({"verify_threads":0})"), Catch::Contains("verify_threads"));
  CHECK_THAT(message(R"({"log_level":"loud"})"), Catch::Contains("log_level"));
  CHECK_THAT(message(R"({"mempool":{"max_bites":1}})"), Catch::Contains("mempool.max_bites"));
  CHECK_THAT(message(R"({"mempool":{"max_per_sender":0}})"),
             Catch::Contains("mempool.max_per_sender"));
  CHECK_THAT(message(R"({"mempool":{"parked_ttl_ms":-5}})"), Catch::Contains("parked_ttl_ms"));
  CHECK_THAT(message(R"({"rpc_listen":5})"), Catch::Contains("rpc_listen: expected a string"));
  CHECK_THAT(message(R"({"upstreams":"127.0.0.1:1"})"), Catch::Contains("upstreams"));
  CHECK_THAT(message(R"({"upstreams":[7]})"), Catch::Contains("upstreams"));
  CHECK_THAT(message(R"({"upstreams":["no-port"]})"), Catch::Contains("HOST:PORT"));
  CHECK_THAT(message(R"({"upstreams":["h:70000"]})"), Catch::Contains("bad port"));
  CHECK_THAT(message(R"({"follow_poll_ms":0})"), Catch::Contains("follow_poll_ms"));
  std::string seventeen = R"({"upstreams":[)";
  for (int i = 0; i < 17; ++i)
    seventeen += std::string(i ? "," : "") + "\"127.0.0.1:" + std::to_string(1000 + i) + "\"";
  CHECK_THAT(message(seventeen + "]}"), Catch::Contains("at most 16"));
}

TEST_CASE("config: the RPC and handshake limits", "[node]") {
  auto defaults = node::parse_config("{}");
  REQUIRE(defaults.ok());
  CHECK(defaults->rpc_max_connections_per_address == 64);
  CHECK(defaults->rpc_max_waiters_per_address == 32);
  CHECK(defaults->peer_handshakes_per_second_per_address == 8);
  auto parsed = node::parse_config(
      R"({"rpc_threads":3,"rpc_max_connections_per_address":5,"rpc_max_waiters_per_address":2,)"
      R"("peer_handshake_threads":2,"peer_handshakes_per_second":10,"peer_handshake_burst":20})");
  REQUIRE(parsed.ok());
  auto again = node::parse_config(node::config_to_json(*parsed));
  REQUIRE(again.ok());
  CHECK(again->rpc_threads == 3);
  CHECK(again->rpc_max_connections_per_address == 5);
  CHECK(again->rpc_max_waiters_per_address == 2);
  CHECK(again->peer_handshake_threads == 2);
  CHECK(again->peer_handshakes_per_second == 10);
  CHECK(again->peer_handshake_burst == 20);
  for (const char* bad : {R"({"rpc_threads":0})", R"({"rpc_max_connections_per_address":0})",
                          R"({"peer_handshake_threads":17})", R"({"peer_handshake_burst":0})"}) {
    INFO(bad);
    CHECK_FALSE(node::parse_config(bad).ok());
  }
}

TEST_CASE("config: a full node's upstreams round-trip", "[node]") {
  auto parsed = node::parse_config(
      R"({"upstreams":["127.0.0.1:26657","http://localhost:26659/"],"follow_poll_ms":50})");
  REQUIRE(parsed.ok());
  REQUIRE(parsed->upstreams.size() == 2);
  CHECK(parsed->upstreams[0] == "127.0.0.1:26657");
  CHECK(parsed->upstreams[1] == "localhost:26659");
  CHECK(parsed->follow_poll_ms == 50);
  auto again = node::parse_config(node::config_to_json(*parsed));
  REQUIRE(again.ok());
  CHECK(again->upstreams == parsed->upstreams);
  CHECK(again->follow_poll_ms == 50);
}

TEST_CASE("wire: every channel round-trips", "[node]") {
  Bytes consensus_bytes{6, 1, 2, 3};
  auto consensus = node::decode_wire(node::encode_consensus(consensus_bytes));
  REQUIRE(consensus.ok());
  CHECK(std::get<node::ConsensusFrame>(*consensus).message == consensus_bytes);

  std::vector<chain::Transaction> txs{sample_transfer(0), sample_transfer(1)};
  auto gossip = node::decode_wire(node::encode_transactions(txs));
  REQUIRE(gossip.ok());
  CHECK(std::get<node::TransactionsFrame>(*gossip).transactions == txs);

  auto request = node::decode_wire(node::encode_fetch_request(42, 7));
  REQUIRE(request.ok());
  CHECK(std::get<node::FetchRequestFrame>(*request).from_height == 42);
  CHECK(std::get<node::FetchRequestFrame>(*request).max_blocks == 7);

  chain::Block block;
  block.transactions = txs;
  block.header.tx_root = chain::transactions_root(txs);
  auto response = node::decode_wire(node::encode_fetch_response({block}));
  REQUIRE(response.ok());
  CHECK(std::get<node::FetchResponseFrame>(*response).blocks.front() == block);
}

TEST_CASE("wire: unknown channels, trailing bytes and oversized counts are rejected", "[node]") {
  CHECK_FALSE(node::decode_wire(Bytes{}).ok());
  CHECK_FALSE(node::decode_wire(Bytes{99, 0}).ok());
  Bytes request = node::encode_fetch_request(1, 1);
  request.push_back(0);
  CHECK_FALSE(node::decode_wire(request).ok());
  // A transactions frame claiming 2^32-1 entries with nothing behind them.
  CHECK_FALSE(node::decode_wire(Bytes{2, 0xff, 0xff, 0xff, 0xff}).ok());
  Bytes truncated = node::encode_transactions({sample_transfer()});
  truncated.pop_back();
  CHECK_FALSE(node::decode_wire(truncated).ok());
}

TEST_CASE("JSON transaction form round-trips and rejects bad fields", "[node]") {
  auto tx = sample_transfer(3);
  json form = node::transaction_to_json(tx);
  auto back = node::transaction_from_json(form);
  REQUIRE(back.ok());
  CHECK(*back == tx);
  CHECK(back->signature_valid(kDomain));

  auto broken = [&](const char* key, json value) {
    json copy = form;
    copy[key] = value;
    auto result = node::transaction_from_json(copy);
    REQUIRE_FALSE(result.ok());
    return result.message();
  };
  CHECK_THAT(broken("amount", -5), Catch::Contains("amount"));
  CHECK_THAT(broken("amount", 1.5), Catch::Contains("amount"));
  CHECK_THAT(broken("nonce", "7"), Catch::Contains("nonce"));
  CHECK_THAT(broken("to", "syn00"), Catch::Contains("to"));
  CHECK_THAT(broken("from", "abcd"), Catch::Contains("from"));
  CHECK_THAT(broken("signature", "zz"), Catch::Contains("signature"));
  CHECK_FALSE(node::transaction_from_json(json::array()).ok());
}

TEST_CASE("the storage worker writes queued blocks in order and drains on stop", "[node]") {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "synod-storage-XXXXXX").string();
  fs::path dir = ::mkdtemp(pattern.data());
  chain::Genesis genesis;
  genesis.chain_id = "node-test";
  genesis.mode = chain::ConsensusMode::kPow;
  genesis.validators = chain::ValidatorSet({{"v", key_for(9).public_key(), "127.0.0.1:1", 1}});
  genesis.accounts.push_back({chain::address_of(key_for(1).public_key()), 1'000'000, 0});
  {
    auto store = chain::BlockStore::open((dir / "chain.db").string());
    REQUIRE(store.ok());
    REQUIRE((*store)->initialize(genesis).ok());
    chain::State state = chain::State::from_genesis(genesis);
    chain::Block previous = chain::make_genesis_block(genesis);
    std::vector<std::uint64_t> stored;
    std::vector<std::uint64_t> indexed;
    std::mutex mutex;
    // Reports come on the storage thread; Catch assertions belong on this one.
    node::StorageWorker worker(std::move(*store), [&](node::WriteReport report) {
      std::lock_guard lock(mutex);
      if (report.status && report.best_chain_changed)
        stored.push_back(report.head_height);
      indexed.push_back(report.indexed_height);
    });
    for (std::uint64_t height = 1; height <= 20; ++height) {
      chain::Block block;
      block.transactions = {sample_transfer(height - 1, state.domain())};
      block.header.height = height;
      block.header.prev_hash = previous.hash();
      block.header.tx_root = chain::transactions_root(block.transactions);
      block.header.seal = chain::PowSeal{};
      auto execution = state.execute(block.transactions, chain::Address{});
      REQUIRE(execution.ok());
      block.header.state_root = state.root_after(execution.diff);
      state.apply(execution.diff);
      worker.enqueue_append({block, execution.diff, {block.transactions[0].hash()}});
      previous = block;
    }
    worker.stop();
    REQUIRE(stored.size() == 20);
    for (std::size_t i = 0; i < stored.size(); ++i)
      CHECK(stored[i] == i + 1);
    for (std::uint64_t height : indexed)
      CHECK(height == 0);  // 20 transactions: far below a batch
  }
  auto reopened = chain::BlockStore::open((dir / "chain.db").string());
  REQUIRE(reopened.ok());
  CHECK((*reopened)->head_height() == 20u);
  // Transactions are indexed under the hashes handed to enqueue.
  auto found =
      (*reopened)->find_transaction(sample_transfer(4, chain::SigningDomain::of(genesis)).hash());
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->height == 5u);
  fs::remove_all(dir);
}

TEST_CASE("verified signatures forget committed transactions and stay bounded", "[node]") {
  node::VerifiedSignatures verified(3);
  auto hash_of = [](std::uint8_t tag) {
    crypto::Hash256 hash;
    hash.data[0] = tag;
    return hash;
  };
  verified.insert(hash_of(1));
  verified.insert(hash_of(2));
  REQUIRE(verified.contains(hash_of(1)));
  REQUIRE(verified.contains(hash_of(2)));
  verified.erase({hash_of(1), hash_of(9)});  // committed; 9 was never there
  REQUIRE_FALSE(verified.contains(hash_of(1)));
  REQUIRE(verified.contains(hash_of(2)));
  REQUIRE(verified.size() == 1);
  verified.insert(hash_of(3));
  verified.insert(hash_of(4));
  REQUIRE(verified.size() == 3);
  verified.insert(hash_of(5));  // full: cleared, then the new one kept
  REQUIRE(verified.size() == 1);
  REQUIRE(verified.contains(hash_of(5)));
}

TEST_CASE("a peer's block serving is budgeted: a burst, then the refill rate", "[node]") {
  // 1 MiB a second, 2 MiB saved up.
  synod::node::ServeBudget budget(1u << 20, 2u << 20);
  std::uint64_t now = 1'000;
  // A flood of 1 MiB responses: the saved-up two, then one a second.
  int served = 0;
  for (int request = 0; request < 100; ++request) {
    if (budget.allows(7, now)) {
      budget.charge(7, 1u << 20);
      ++served;
    }
  }
  CHECK(served == 2);
  CHECK_FALSE(budget.allows(7, now));
  // Any refill lets one more through, which overdraws the bucket by almost a response.
  REQUIRE(budget.allows(7, now + 1));
  budget.charge(7, 1u << 20);
  CHECK_FALSE(budget.allows(7, now + 500));
  CHECK(budget.allows(7, now + 1002));
  budget.charge(7, 4u << 20);  // one large answer overdraws it by four seconds' worth
  CHECK_FALSE(budget.allows(7, now + 4000));
  CHECK(budget.allows(7, now + 6000));
  // Another peer has a budget of its own.
  CHECK(budget.allows(3, now + 5000));
  // The bucket never saves more than the burst, however long a peer waited.
  synod::node::ServeBudget idle(1u << 20, 2u << 20);
  CHECK(idle.allows(1, 0));
  idle.charge(1, 1u << 20);
  CHECK(idle.allows(1, 1'000'000'000));
  idle.charge(1, 2u << 20);
  CHECK_FALSE(idle.allows(1, 1'000'000'000));
}
