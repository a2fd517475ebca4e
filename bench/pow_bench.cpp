// Proof-of-work benchmarks of the real engine (pow_pos/PowEngine) and the real store
// (chain/BlockStore): blocks connected per second, the cost of a reorg per block, and the
// speed of a sync by locator, with the engine alone and with every block stored.
//
//   synod-bench-pow [--benchmark_filter=REGEX]
//
// Blocks are mined before the timed region, at an easy target (2^252, ~16 hashes a block),
// by the chain builder the unit tests use (tests/support/pow_chain.h). The engine is a
// miner that does not mine (so no template is rebuilt after each block) and checks
// signatures the way the node does (node/node.cpp): a transaction verified at admission,
// or still in the mempool, is not verified again; any other is verified once.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "chain/block_store.h"
#include "crypto/keyed_hash.h"
#include "pow_pos/pow_engine.h"
#include "pow_pos/pow_messages.h"
#include "tests/support/pow_chain.h"
#include "tests/support/temp_dir.h"

using namespace pow_test;
using synod::pow_pos::PowEngine;

namespace {

constexpr std::size_t kSendersPerGroup = 100;
constexpr std::size_t kSenderGroups = 2;  // a reorg's two branches pay from different accounts
constexpr std::uint64_t kFunding = 1'000'000'000'000;
constexpr std::uint64_t kMaxReorgDepth = 64;
constexpr std::uint32_t kFetchBatchBlocks = 64;      // what the node asks for (node/wire.h)
constexpr TimeMs kNow = kGenesisTime + 100'000'000;  // after every pre-mined block
constexpr PeerIndex kPeer = 1;

crypto::KeyPair sender_key(std::size_t group, std::size_t index) {
  crypto::Seed seed;
  seed.data[0] = static_cast<std::uint8_t>(0x40 + group);
  seed.data[1] = static_cast<std::uint8_t>(index);
  return crypto::KeyPair::from_seed(seed);
}

// The unit tests' genesis with room for 1,000 transfers a block, reorgs up to
// kMaxReorgDepth deep, and kSenderGroups groups of funded senders.
std::shared_ptr<const Genesis> bench_genesis() {
  Genesis genesis = make_genesis();
  genesis.pow.max_block_transactions = 1000;
  genesis.pow.max_block_bytes = 1024 * 1024;
  genesis.pow.max_reorg_depth = kMaxReorgDepth;
  for (std::size_t group = 0; group < kSenderGroups; ++group) {
    for (std::size_t i = 0; i < kSendersPerGroup; ++i)
      genesis.accounts.push_back({address_of(sender_key(group, i).public_key()), kFunding, 0});
  }
  return std::make_shared<const Genesis>(std::move(genesis));
}

// Pre-mined blocks on one genesis. Transfers go from each sender of a group to the next,
// round robin, with the nonces the parent's state expects.
class BenchChain {
 public:
  BenchChain() : genesis_(bench_genesis()), builder_(*genesis_) {
    for (std::size_t group = 0; group < kSenderGroups; ++group) {
      senders_.emplace_back();
      for (std::size_t i = 0; i < kSendersPerGroup; ++i)
        senders_.back().push_back(sender_key(group, i));
    }
  }

  std::vector<Block> branch(const crypto::Hash256& parent, std::size_t blocks,
                            std::size_t transfers, std::size_t group, std::size_t miner) {
    std::vector<Block> out;
    crypto::Hash256 at = parent;
    for (std::size_t i = 0; i < blocks; ++i) {
      ChainBuilder::Options options;
      options.miner = miner;
      options.transactions = transfers_on(at, transfers, group);
      options.signatures = SignaturePolicy::kAlreadyVerified;  // signed just above
      out.push_back(builder_.extend(at, std::move(options)));
      at = out.back().hash();
    }
    return out;
  }

  const std::shared_ptr<const Genesis>& genesis() const { return genesis_; }
  const Block& genesis_block() const { return builder_.genesis_block(); }
  const StateDiff& diff(const Block& block) const { return builder_.diff(block.hash()); }

 private:
  std::vector<Transaction> transfers_on(const crypto::Hash256& parent, std::size_t count,
                                        std::size_t group) const {
    const State& state = builder_.state(parent);
    const auto& keys = senders_[group];
    std::vector<std::uint64_t> nonces;
    for (const auto& key : keys)
      nonces.push_back(state.account(address_of(key.public_key())).nonce);
    std::vector<Transaction> out;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t from = i % keys.size();
      const Address to = address_of(keys[(from + 1) % keys.size()].public_key());
      out.push_back(make_transfer(keys[from], state.domain(), to, 1, /*fee=*/1, nonces[from]++));
    }
    return out;
  }

  std::shared_ptr<const Genesis> genesis_;
  ChainBuilder builder_;
  std::vector<std::vector<crypto::KeyPair>> senders_;
};

BenchChain& bench_chain() {
  static BenchChain chain;
  return chain;
}

// A fresh engine on the genesis, with its mempool and the node's signature check.
struct EngineUnderTest {
  explicit EngineUnderTest(const BenchChain& chain) {
    EngineSetup setup(chain.genesis(), miner_key(0), State::from_genesis(*chain.genesis()),
                      chain.genesis_block());
    setup.participant = ReplicaIndex{0};
    setup.mempool = &mempool;
    setup.mine = false;
    setup.fetch_batch_blocks = kFetchBatchBlocks;
    setup.signature_check = [this, domain = SigningDomain::of(*chain.genesis())](
                                const Transaction& tx, const crypto::Hash256& tx_hash) {
      if (verified.contains(tx_hash) || mempool.contains(tx_hash))
        return true;
      const bool valid = tx.signature_valid(domain);
      if (valid)
        verified.insert(tx_hash);
      return valid;
    };
    auto created = PowEngine::create(std::move(setup));
    if (created.ok())
      engine = std::move(*created);
    else
      error = created.message();
  }
  EngineUnderTest(const EngineUnderTest&) = delete;
  EngineUnderTest& operator=(const EngineUnderTest&) = delete;

  Actions deliver(const Bytes& message) { return engine->on_message(kPeer, message, kNow); }
  std::uint64_t height() const { return engine->head().height; }

  // Whole chains of blocks are admitted up front: a sender has hundreds pending.
  Mempool mempool{synod::chain::MempoolOptions{.max_per_sender = 1'000'000}};
  std::unordered_set<crypto::Hash256, crypto::KeyedHash> verified;
  std::unique_ptr<PowEngine> engine;
  std::string error;
};

std::vector<Bytes> block_messages(const std::vector<Block>& blocks) {
  std::vector<Bytes> out;
  for (const auto& block : blocks)
    out.push_back(synod::pow_pos::encode_block_message(block));
  return out;
}

std::size_t transaction_count(const std::vector<Block>& blocks) {
  std::size_t total = 0;
  for (const auto& block : blocks)
    total += block.transactions.size();
  return total;
}

enum class Signatures { kAtAdmission, kInBlock };

// Admits the blocks' transfers to the engine's mempool, as gossip would have before the
// blocks came.
bool admit_all(EngineUnderTest& node, const std::vector<Block>& blocks) {
  for (const auto& block : blocks) {
    for (const auto& tx : block.transactions) {
      if (node.mempool.add(tx, tx.hash(), node.engine->state()).has_value())
        return false;
    }
  }
  return true;
}

// ---- 1. blocks connected per second ----------------------------------------------------------

// A fresh engine receives `blocks` blocks of `transfers` transfers as BLOCK messages from a
// peer, each extending its best chain: decode, header checks, execution, state root, the
// relay message. kAtAdmission: the transfers were admitted to the mempool before (as
// gossip brings them), so connecting also removes them from it; kInBlock: each signature
// is verified when its block connects.
void BM_PowConnectBlocks(benchmark::State& state, std::size_t blocks, std::size_t transfers,
                         Signatures signatures) {
  static std::map<std::size_t, std::vector<Block>> premined;
  BenchChain& chain = bench_chain();
  auto [it, fresh] = premined.try_emplace(transfers);
  if (fresh)
    it->second = chain.branch(chain.genesis_block().hash(), blocks, transfers, 0, 1);
  const std::vector<Block>& chain_blocks = it->second;
  const std::vector<Bytes> messages = block_messages(chain_blocks);
  for (auto _ : state) {
    state.PauseTiming();
    EngineUnderTest node(chain);
    if (!node.error.empty()) {
      state.SkipWithError(node.error.c_str());
      break;
    }
    if (signatures == Signatures::kAtAdmission && !admit_all(node, chain_blocks)) {
      state.SkipWithError("the mempool refused a transfer");
      break;
    }
    state.ResumeTiming();
    for (const auto& message : messages)
      benchmark::DoNotOptimize(node.deliver(message));
    if (node.height() != chain_blocks.size()) {
      state.SkipWithError("the engine did not connect every block");
      break;
    }
  }
  const auto rounds = static_cast<double>(state.iterations());
  state.counters["blocks/s"] =
      benchmark::Counter(rounds * chain_blocks.size(), benchmark::Counter::kIsRate);
  state.counters["tx/s"] =
      benchmark::Counter(rounds * transaction_count(chain_blocks), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_PowConnectBlocks, empty, 200, 0, Signatures::kInBlock)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PowConnectBlocks, tx100_admission, 50, 100, Signatures::kAtAdmission)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PowConnectBlocks, tx100_verify, 50, 100, Signatures::kInBlock)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PowConnectBlocks, tx1000_admission, 20, 1000, Signatures::kAtAdmission)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PowConnectBlocks, tx1000_verify, 20, 1000, Signatures::kInBlock)
    ->Unit(benchmark::kMillisecond);

// ---- 2. reorg cost per block -----------------------------------------------------------------

// Two branches from the genesis: A of `depth` blocks (miner 1, senders of group 0) and B of
// depth + 1 (miner 2, group 1), so that A's transfers are still valid after the switch.
struct ReorgBranches {
  std::vector<Block> a;
  std::vector<Block> b;
};

const ReorgBranches& reorg_branches(std::size_t depth, std::size_t transfers) {
  static std::map<std::pair<std::size_t, std::size_t>, ReorgBranches> made;
  auto [it, fresh] = made.try_emplace({depth, transfers});
  if (fresh) {
    BenchChain& chain = bench_chain();
    const crypto::Hash256 fork = chain.genesis_block().hash();
    it->second.a = chain.branch(fork, depth, transfers, 0, 1);
    it->second.b = chain.branch(fork, depth + 1, transfers, 1, 2);
  }
  return it->second;
}

// Seconds per block of reorg depth, from the timed total.
benchmark::Counter per_block(std::size_t depth) {
  return benchmark::Counter(
      static_cast<double>(depth),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// An engine on A, with B's first `depth` blocks known as a side branch (equal work, so the
// engine stays on A), receives B's last block: the timed delivery rolls the state back
// `depth` blocks, executes B's depth + 1 blocks, and returns A's transfers to the mempool.
// Every signature was verified at admission.
void BM_PowEngineReorg(benchmark::State& state, std::size_t depth, std::size_t transfers) {
  const ReorgBranches& branches = reorg_branches(depth, transfers);
  const std::vector<Bytes> a = block_messages(branches.a);
  const std::vector<Bytes> b = block_messages(branches.b);
  for (auto _ : state) {
    state.PauseTiming();
    EngineUnderTest node(bench_chain());
    if (!node.error.empty()) {
      state.SkipWithError(node.error.c_str());
      break;
    }
    for (const auto* branch : {&branches.a, &branches.b}) {
      for (const auto& block : *branch) {
        for (const auto& tx : block.transactions)
          node.verified.insert(tx.hash());
      }
    }
    for (const auto& message : a)
      node.deliver(message);
    for (std::size_t i = 0; i < depth; ++i)
      node.deliver(b[i]);
    const bool on_a = node.engine->head().hash == branches.a.back().hash();
    state.ResumeTiming();
    benchmark::DoNotOptimize(node.deliver(b.back()));
    if (!on_a || node.engine->head().hash != branches.b.back().hash() ||
        node.engine->counters().reorgs != 1) {
      state.SkipWithError("the engine did not switch from branch A to branch B");
      break;
    }
  }
  state.counters["per_block"] = per_block(depth);
}

// BlockStore::reorg from branch A (`depth` blocks, appended as the storage worker appends)
// to branch B (depth + 1 blocks, the first `depth` stored as side blocks before, as the
// engine asks): one SQLite transaction that undoes A and writes B, with its fsyncs. A
// fresh database each round, set up outside the timed region.
void BM_StoreReorg(benchmark::State& state, std::size_t depth, std::size_t transfers) {
  BenchChain& chain = bench_chain();
  const ReorgBranches& branches = reorg_branches(depth, transfers);
  auto branch_blocks = [&chain](const std::vector<Block>& blocks) {
    std::vector<BranchBlock> out;
    for (const auto& block : blocks) {
      std::vector<crypto::Hash256> hashes;
      for (const auto& tx : block.transactions)
        hashes.push_back(tx.hash());
      out.push_back({block, chain.diff(block), std::move(hashes)});
    }
    return out;
  };
  const std::vector<BranchBlock> a = branch_blocks(branches.a);
  const std::vector<BranchBlock> b = branch_blocks(branches.b);
  const crypto::Hash256 fork_hash = chain.genesis_block().hash();
  const synod::testing::TempDir dir("synod-bench-pow");
  std::size_t round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto opened = BlockStore::open(dir.file("chain-" + std::to_string(round++) + ".db"));
    Status ready = opened ? (*opened)->initialize(*chain.genesis()) : Status(opened.error());
    for (std::size_t i = 0; ready && i < a.size(); ++i)
      ready = (*opened)->append(a[i].block, a[i].diff, a[i].tx_hashes);
    for (std::size_t i = 0; ready && i < depth; ++i)
      ready = (*opened)->store_side_block(b[i].block);
    if (!ready) {
      state.SkipWithError(ready.message().c_str());
      break;
    }
    state.ResumeTiming();
    Status switched = (*opened)->reorg(0, fork_hash, b);
    state.PauseTiming();
    if (!switched) {
      state.SkipWithError(switched.message().c_str());
      break;
    }
    opened->reset();  // closing the database is not timed
    state.ResumeTiming();
  }
  state.counters["per_block"] = per_block(depth);
}

void register_reorg_benchmarks() {
  for (std::size_t transfers : {std::size_t{0}, std::size_t{100}}) {
    for (std::size_t depth : {std::size_t{1}, std::size_t{10}, std::size_t{50}}) {
      const std::string name =
          "/depth:" + std::to_string(depth) + "/tx:" + std::to_string(transfers);
      benchmark::RegisterBenchmark(("BM_PowEngineReorg" + name).c_str(), BM_PowEngineReorg, depth,
                                   transfers)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("BM_StoreReorg" + name).c_str(), BM_StoreReorg, depth,
                                   transfers)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
}

// ---- 3. sync ---------------------------------------------------------------------------------

// The peer's side of a sync by locator: the blocks of its best chain after the first
// locator hash it knows, encoded as they travel. Not timed.
class SyncPeer {
 public:
  explicit SyncPeer(const std::vector<Block>& blocks, const Block& genesis_block) {
    heights_.emplace(genesis_block.hash(), 0);
    for (const auto& block : blocks) {
      heights_.emplace(block.hash(), block.header.height);
      encoded_.push_back(block.encode());
    }
  }

  std::vector<const Bytes*> answer(const FetchByLocatorAction& fetch) const {
    std::uint64_t after = 0;
    for (const auto& hash : fetch.locator) {
      if (auto it = heights_.find(hash); it != heights_.end()) {
        after = it->second;
        break;
      }
    }
    std::vector<const Bytes*> out;
    for (std::uint64_t height = after + 1;
         height <= encoded_.size() && out.size() < fetch.max_blocks; ++height)
      out.push_back(&encoded_[height - 1]);
    return out;
  }

 private:
  std::map<crypto::Hash256, std::uint64_t> heights_;
  std::vector<Bytes> encoded_;  // block at height h is encoded_[h - 1]
};

// What the storage worker does with an engine's storage actions (node/storage_worker.cpp).
Status store_action(BlockStore& store, const Action& action) {
  Status status = Status::success();
  if (const auto* append = std::get_if<AppendBlockAction>(&action))
    status = store.append(append->block, append->diff, append->tx_hashes);
  else if (const auto* reorg = std::get_if<ReorgAction>(&action))
    status = store.reorg(*reorg);
  else if (const auto* side = std::get_if<StoreSideBlockAction>(&action))
    status = store.store_side_block(side->block);
  else if (const auto* persist = std::get_if<PersistAction>(&action))
    status = store.put_meta(persist->key, persist->value);
  else
    return status;
  if (status && store.index_due())
    status = store.index_transactions();
  return status;
}

// Runs a sync to the end: every FetchByLocatorAction is answered by `peer` (decoding its
// blocks is timed, finding them is not), every storage action goes to `store` if any.
Status run_sync(benchmark::State& state, EngineUnderTest& node, const SyncPeer& peer,
                BlockStore* store) {
  Actions pending = node.engine->start(kNow);
  while (!pending.empty()) {
    Actions next;
    for (const Action& action : pending) {
      if (store != nullptr) {
        if (Status status = store_action(*store, action); !status)
          return status;
      }
      const auto* fetch = std::get_if<FetchByLocatorAction>(&action);
      if (fetch == nullptr)
        continue;
      state.PauseTiming();
      std::vector<const Bytes*> answer = peer.answer(*fetch);
      state.ResumeTiming();
      std::vector<Block> blocks;
      for (const Bytes* encoded : answer) {
        auto block = decode_block(*encoded);
        if (!block)
          return block.error();
        blocks.push_back(std::move(*block));
      }
      Actions more = node.engine->on_blocks_fetched(fetch->peer, std::move(blocks), kNow);
      next.insert(next.end(), std::make_move_iterator(more.begin()),
                  std::make_move_iterator(more.end()));
    }
    pending = std::move(next);
  }
  return Status::success();
}

// A fresh engine catches up `blocks` blocks of `transfers` transfers from a peer, in
// batches of kFetchBatchBlocks by locator (pow_pos/pow_engine_sync.cpp), verifying every
// signature once. With `stored`, every block also goes into an on-disk BlockStore in the
// same thread (the node writes on its storage thread, in parallel with the engine).
void BM_PowSync(benchmark::State& state, std::size_t blocks, std::size_t transfers, bool stored) {
  static std::map<std::pair<std::size_t, std::size_t>, std::vector<Block>> premined;
  BenchChain& chain = bench_chain();
  auto [it, fresh] = premined.try_emplace({blocks, transfers});
  if (fresh)
    it->second = chain.branch(chain.genesis_block().hash(), blocks, transfers, 0, 1);
  const SyncPeer peer(it->second, chain.genesis_block());
  const synod::testing::TempDir dir("synod-bench-pow");
  std::size_t round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    EngineUnderTest node(chain);
    if (!node.error.empty()) {
      state.SkipWithError(node.error.c_str());
      break;
    }
    std::unique_ptr<BlockStore> store;
    if (stored) {
      auto opened = BlockStore::open(dir.file("chain-" + std::to_string(round++) + ".db"));
      Status ready = opened ? (*opened)->initialize(*chain.genesis()) : Status(opened.error());
      if (!ready) {
        state.SkipWithError(ready.message().c_str());
        break;
      }
      store = std::move(*opened);
    }
    state.ResumeTiming();
    Status synced = run_sync(state, node, peer, store.get());
    const bool caught_up =
        node.height() == blocks && (!store || store->head_height() == std::optional(blocks));
    state.PauseTiming();
    store.reset();
    state.ResumeTiming();
    if (!synced || !caught_up) {
      state.SkipWithError(synced ? "the sync stopped short" : synced.message().c_str());
      break;
    }
  }
  const auto rounds = static_cast<double>(state.iterations());
  state.counters["blocks/s"] = benchmark::Counter(rounds * blocks, benchmark::Counter::kIsRate);
  state.counters["tx/s"] =
      benchmark::Counter(rounds * blocks * transfers, benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_PowSync, engine_2000_empty, 2000, 0, false)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_PowSync, engine_store_2000_empty, 2000, 0, true)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_PowSync, engine_500_tx100, 500, 100, false)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_PowSync, engine_store_500_tx100, 500, 100, true)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  register_reorg_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
