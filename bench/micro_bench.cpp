// Micro benchmarks of the primitives a block passes through: signatures, header hashing,
// Merkle roots, applying a block to the ledger and appending it to the store.
//
//   synod-bench-micro [--benchmark_min_time=0.2] [--benchmark_filter=REGEX]
#include <benchmark/benchmark.h>
#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <string>
#include <vector>

#include "chain/block_store.h"
#include "chain/genesis.h"
#include "chain/state.h"
#include "chain/transaction.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "tests/support/temp_dir.h"

using namespace synod;
using namespace synod::chain;

namespace {

constexpr std::size_t kBlockTransactions = 1000;
constexpr std::size_t kSenderCount = 100;
constexpr std::uint64_t kFunding = 1'000'000'000'000;

crypto::KeyPair key_from(std::uint8_t tag, std::size_t index) {
  crypto::Seed seed;
  seed.data[0] = tag;
  seed.data[1] = static_cast<std::uint8_t>(index);
  seed.data[2] = static_cast<std::uint8_t>(index >> 8);
  return crypto::KeyPair::from_seed(seed);
}

// A chain whose genesis funds kSenderCount accounts, and a block of kBlockTransactions
// signed transfers on top of it (ten per sender, to the next sender).
struct BenchChain {
  crypto::KeyPair proposer = key_from(1, 0);
  std::vector<crypto::KeyPair> senders;
  Genesis genesis;
  Block genesis_block;

  BenchChain() {
    for (std::size_t i = 0; i < kSenderCount; ++i)
      senders.push_back(key_from(2, i));
    genesis.chain_id = "bench";
    genesis.genesis_time_ms = 1'700'000'000'000;
    genesis.validators = ValidatorSet({ValidatorInfo{"v0", proposer.public_key(), "", 1}});
    for (const auto& sender : senders)
      genesis.accounts.push_back(GenesisAccount{address_of(sender.public_key()), kFunding, 0});
    genesis_block = make_genesis_block(genesis);
  }

  // The block following `parent` when the ledger is `state` (which it does not change).
  Block next_block(const State& state, const Block& parent) const {
    Block block;
    block.header.height = parent.header.height + 1;
    block.header.prev_hash = parent.hash();
    block.header.timestamp_ms = parent.header.timestamp_ms + 1000;
    block.header.proposer = proposer.public_key();
    block.header.seal = PbftSeal{0, block.header.height};
    std::vector<std::uint64_t> nonces;
    for (const auto& sender : senders)
      nonces.push_back(state.account(address_of(sender.public_key())).nonce);
    for (std::size_t i = 0; i < kBlockTransactions; ++i) {
      std::size_t from = i % senders.size();
      Address to = address_of(senders[(from + 1) % senders.size()].public_key());
      block.transactions.push_back(
          make_transfer(senders[from], state.domain(), to, 1 + i, 1, nonces[from]++));
    }
    block.header.tx_root = transactions_root(block.transactions);
    State scratch = state;
    Execution execution = scratch.execute(block.transactions, address_of(proposer.public_key()),
                                          SignaturePolicy::kAlreadyVerified);
    if (!execution.ok())
      std::abort();  // the benchmark's own block is valid by construction
    block.header.state_root = scratch.root_after(execution.diff);
    return block;
  }
};

const BenchChain& bench_chain() {
  static const BenchChain chain;
  return chain;
}

void BM_Ed25519Sign(benchmark::State& state) {
  crypto::KeyPair key = key_from(9, 0);
  const SigningDomain domain{"bench", crypto::Hash256{}};
  Bytes message = make_transfer(key, domain, Address{}, 1, 1, 0).signing_bytes(domain);
  for (auto _ : state)
    benchmark::DoNotOptimize(key.sign(message));
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
  crypto::KeyPair key = key_from(9, 0);
  const SigningDomain domain{"bench", crypto::Hash256{}};
  Bytes message = make_transfer(key, domain, Address{}, 1, 1, 0).signing_bytes(domain);
  crypto::Signature signature = key.sign(message);
  for (auto _ : state) {
    bool valid = crypto::verify(key.public_key(), message, signature);
    if (!valid)
      state.SkipWithError("signature did not verify");
    benchmark::DoNotOptimize(valid);
  }
}
BENCHMARK(BM_Ed25519Verify);

void BM_BlockHeaderHash(benchmark::State& state) {
  const BenchChain& chain = bench_chain();
  BlockHeader header = chain.genesis_block.header;
  header.height = 12345;
  for (auto _ : state) {
    benchmark::DoNotOptimize(header.hash());
  }
}
BENCHMARK(BM_BlockHeaderHash);

void BM_MerkleRoot1000(benchmark::State& state) {
  std::vector<crypto::Hash256> hashes;
  for (std::size_t i = 0; i < kBlockTransactions; ++i) {
    std::string item = "tx" + std::to_string(i);
    hashes.push_back(crypto::sha256(as_bytes(item)));
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(crypto::merkle_root(hashes));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(hashes.size()));
}
BENCHMARK(BM_MerkleRoot1000);

// State::apply_block on a block of 1,000 transfers: tx_root, execution (with or without the
// 1,000 signature checks), state root. The state is copied outside the timed region.
void BM_ApplyBlock1000(benchmark::State& state, SignaturePolicy policy) {
  const BenchChain& chain = bench_chain();
  const State genesis_state = State::from_genesis(chain.genesis);
  const Block block = chain.next_block(genesis_state, chain.genesis_block);
  for (auto _ : state) {
    state.PauseTiming();
    State ledger = genesis_state;
    state.ResumeTiming();
    auto diff = ledger.apply_block(block, policy);
    if (!diff.ok())
      state.SkipWithError(diff.message().c_str());
    benchmark::DoNotOptimize(diff);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBlockTransactions));
}
BENCHMARK_CAPTURE(BM_ApplyBlock1000, verify, SignaturePolicy::kVerify)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ApplyBlock1000, already_verified, SignaturePolicy::kAlreadyVerified)
    ->Unit(benchmark::kMillisecond);

// Temporary directories: tests/support/temp_dir.h.
struct TempDir : synod::testing::TempDir {
  TempDir() : synod::testing::TempDir("synod-bench") {}
};

// BlockStore::append of a block of 1,000 transfers to an on-disk store (WAL,
// synchronous=FULL): one SQLite transaction with the block, 1,000 index rows, the account
// changes and the undo data, and its fsyncs. Each iteration appends the next block of one
// growing chain; building the block is not timed.
void BM_StoreAppendBlock1000(benchmark::State& state) {
  const BenchChain& chain = bench_chain();
  TempDir dir;
  auto opened = BlockStore::open(dir.file("bench.db"));
  if (!opened) {
    state.SkipWithError(opened.message().c_str());
    return;
  }
  BlockStore& store = **opened;
  if (auto status = store.initialize(chain.genesis); !status) {
    state.SkipWithError(status.message().c_str());
    return;
  }
  State ledger = State::from_genesis(chain.genesis);
  Block parent = chain.genesis_block;
  for (auto _ : state) {
    state.PauseTiming();
    Block block = chain.next_block(ledger, parent);
    auto diff = ledger.apply_block(block, SignaturePolicy::kAlreadyVerified);
    if (!diff.ok()) {
      state.SkipWithError(diff.message().c_str());
      break;
    }
    state.ResumeTiming();
    if (auto status = store.append(block, *diff); !status) {
      state.SkipWithError(status.message().c_str());
      break;
    }
    parent = std::move(block);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBlockTransactions));
}
BENCHMARK(BM_StoreAppendBlock1000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
