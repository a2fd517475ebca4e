#include "testnet/flood.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "chain/transaction.h"
#include "client/rpc_client.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "testnet/layout.h"

namespace synod::testnet {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kBatch = 100;  // the node's JSON-RPC batch limit

enum class FloodKind { kBadSignature, kUnfunded, kJunk };

Result<FloodKind> parse_kind(const std::string& text) {
  if (text == "bad-signature")
    return FloodKind::kBadSignature;
  if (text == "unfunded")
    return FloodKind::kUnfunded;
  if (text == "junk")
    return FloodKind::kJunk;
  return make_error("--kind: '" + text + "' is not one of bad-signature, unfunded, junk");
}

struct Tally {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> transactions{0};
  std::atomic<std::uint64_t> accepted{0};  // must stay 0: nothing sent is valid
  std::atomic<std::uint64_t> transport_errors{0};
};

// One flooding connection. Each transaction differs (the counter is its amount), so none is
// a duplicate the node could refuse without looking at it.
class Flooder {
 public:
  Flooder(FloodKind kind, client::Endpoint endpoint, chain::SigningDomain domain,
          std::vector<crypto::KeyPair> funded, std::uint64_t seed)
      : kind_(kind),
        client_(std::move(endpoint)),
        domain_(std::move(domain)),
        funded_(std::move(funded)),
        rng_(seed) {}

  void run(Clock::time_point until, Tally& tally) {
    while (Clock::now() < until) {
      auto reply = client_.post_raw(kind_ == FloodKind::kJunk ? junk() : batch());
      tally.requests.fetch_add(1);
      if (!reply) {
        tally.transport_errors.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (kind_ != FloodKind::kJunk) {
        tally.transactions.fetch_add(kBatch);
        tally.accepted.fetch_add(count_accepted(*reply));
      }
    }
  }

 private:
  chain::Transaction next_transaction() {
    ++counter_;
    chain::Address to;
    to.data[0] = static_cast<std::uint8_t>(counter_);
    if (kind_ == FloodKind::kUnfunded) {
      crypto::Seed seed;
      for (auto& byte : seed.data)
        byte = static_cast<std::uint8_t>(rng_());
      return chain::make_transfer(crypto::KeyPair::from_seed(seed), domain_, to, counter_, 0, 0);
    }
    // Signed once, then the amount changes: the signature no longer covers the body.
    chain::Transaction tx =
        chain::make_transfer(funded_[counter_ % funded_.size()], domain_, to, 1, 0, 0);
    tx.amount = counter_;
    return tx;
  }

  std::string batch() {
    std::string body = "[";
    for (std::size_t i = 0; i < kBatch; ++i) {
      body += i == 0 ? "" : ",";
      body += R"({"jsonrpc":"2.0","id":)" + std::to_string(i) +
              R"(,"method":"submit_tx","params":{"tx":")" +
              crypto::to_hex(next_transaction().encode()) + "\"}}";
    }
    return body + "]";
  }

  std::string junk() {
    ++counter_;
    if (counter_ % 2 == 0)
      return R"([{"jsonrpc":"2.0","id":1,"method":"submit_tx","params":{"tx":")" +
             std::string(4096, 'a');  // cut off
    std::string body(1 + rng_() % 8192, ' ');
    for (auto& c : body)
      c = static_cast<char>(rng_());
    return body;
  }

  static std::uint64_t count_accepted(const std::string& reply) {
    auto answers = nlohmann::json::parse(reply, nullptr, false);
    std::uint64_t accepted = 0;
    if (answers.is_array()) {
      for (const auto& answer : answers)
        accepted += answer.is_object() && answer.contains("result") ? 1 : 0;
    }
    return accepted;
  }

  FloodKind kind_;
  client::RpcClient client_;
  chain::SigningDomain domain_;
  std::vector<crypto::KeyPair> funded_;
  std::mt19937_64 rng_;
  std::uint64_t counter_ = 0;
};

Result<std::vector<crypto::KeyPair>> funded_keys(const Testnet& testnet) {
  std::vector<crypto::KeyPair> keys;
  for (const auto& file : testnet.account_files) {
    auto key = crypto::load_key_file(file);
    if (!key)
      return make_error(file + ": " + key.message());
    keys.push_back(*key);
  }
  if (keys.empty())
    return make_error("the testnet has no funded accounts");
  return keys;
}

void print_tally(const FloodOptions& options, const std::string& node, const Tally& tally,
                 double seconds) {
  auto per_s = [seconds](std::uint64_t n) { return static_cast<double>(n) / seconds; };
  if (options.json) {
    nlohmann::json out = {{"node", node},
                          {"kind", options.kind},
                          {"seconds", seconds},
                          {"requests", tally.requests.load()},
                          {"transactions", tally.transactions.load()},
                          {"transactions_per_s", per_s(tally.transactions.load())},
                          {"accepted", tally.accepted.load()},
                          {"transport_errors", tally.transport_errors.load()}};
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf(
      "flooded %s with %s for %.1f s: %llu requests (%.0f/s), %llu transactions "
      "(%.0f/s), %llu accepted, %llu transport errors\n",
      node.c_str(), options.kind.c_str(), seconds,
      static_cast<unsigned long long>(tally.requests.load()), per_s(tally.requests.load()),
      static_cast<unsigned long long>(tally.transactions.load()), per_s(tally.transactions.load()),
      static_cast<unsigned long long>(tally.accepted.load()),
      static_cast<unsigned long long>(tally.transport_errors.load()));
}

}  // namespace

Status cmd_flood(const FloodOptions& options) {
  if (options.duration_s < 1 || options.duration_s > 3600)
    return make_error("--duration: must be 1 to 3600 seconds");
  if (options.connections == 0 || options.connections > 64)
    return make_error("--connections: must be 1 to 64");
  auto kind = parse_kind(options.kind);
  auto testnet = load_testnet(options.dir);
  if (!kind || !testnet)
    return !kind ? Status(kind.error()) : Status(testnet.error());
  auto index = parse_node(options.target, testnet->validator_count(), testnet->full_node_count());
  if (!index)
    return make_error("--node: " + index.message());
  auto keys = funded_keys(*testnet);
  if (!keys)
    return keys.error();
  const NodeInfo& node = testnet->nodes[*index];
  const auto domain = chain::SigningDomain::of(testnet->genesis);
  Tally tally;
  auto start = Clock::now();
  auto until = start + std::chrono::milliseconds(static_cast<long>(options.duration_s * 1000));
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < options.connections; ++k) {
    threads.emplace_back(
        [&, k] { Flooder(*kind, node.rpc, domain, *keys, k + 1).run(until, tally); });
  }
  for (auto& thread : threads)
    thread.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  print_tally(options, node.name, tally, seconds);
  if (tally.accepted.load() != 0)
    return make_error("the node accepted transactions that cannot be valid");
  return Status::success();
}

}  // namespace synod::testnet
