// The protocol alone: blocks and transactions per second committed by a 4-replica cluster
// on a zero-latency, synchronous network (tests/support/instant_cluster.h). Transactions
// are admitted to every mempool before timing starts, so signature verification (done at
// admission, once per node) is not measured; proposal, validation, execution, state roots,
// signing and checking of PBFT messages are. This is the ceiling the real node's
// throughput is measured against.
#include <benchmark/benchmark.h>

#include "tests/support/instant_cluster.h"

namespace {

using synod::testing::InstantCluster;

void BM_PbftClusterCommit(benchmark::State& bench) {
  const std::size_t block_transactions = static_cast<std::size_t>(bench.range(0));
  const std::size_t accounts = 200;
  const std::size_t per_account = 50;
  std::uint64_t blocks = 0;
  std::uint64_t transactions = 0;
  for (auto _ : bench) {
    bench.PauseTiming();
    InstantCluster cluster(4, /*empty_block_interval_ms=*/0, accounts);
    cluster.genesis->pbft.max_block_transactions = block_transactions;
    std::vector<synod::chain::Transaction> txs;
    const auto domain = synod::chain::SigningDomain::of(*cluster.genesis);
    for (std::size_t round = 0; round < per_account; ++round) {
      for (std::size_t account = 0; account < accounts; ++account) {
        txs.push_back(synod::chain::make_transfer(
            cluster.account_keys[account], domain,
            synod::chain::address_of(cluster.account_keys[(account + 1) % accounts].public_key()),
            1, 0, round));
      }
    }
    for (auto& node : cluster.nodes) {
      for (const auto& tx : txs)
        (void)node.mempool->add(tx, tx.hash(), node.state);
    }
    std::uint64_t start_height = cluster.nodes[0].blocks.size();
    bench.ResumeTiming();

    cluster.run(0, cluster.nodes[0].replica->on_transactions(cluster.now));
    for (int step = 0; step < 100000 && !cluster.nodes[0].mempool->empty(); ++step) {
      cluster.advance(5, 5);
    }
    cluster.advance(5, 5);

    bench.PauseTiming();
    if (!cluster.agree() || !cluster.nodes[3].mempool->empty()) {
      bench.SkipWithError("cluster did not commit every transaction");
    }
    blocks += cluster.nodes[0].blocks.size() - start_height;
    transactions += txs.size();
    bench.ResumeTiming();
  }
  bench.counters["blocks_per_s"] =
      benchmark::Counter(static_cast<double>(blocks), benchmark::Counter::kIsRate);
  bench.counters["tx_per_s"] =
      benchmark::Counter(static_cast<double>(transactions), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PbftClusterCommit)
    ->Arg(100)
    ->Arg(500)
    ->Arg(2000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
