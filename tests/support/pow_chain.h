// Proof-of-work chains for tests and benchmarks (no test framework): a small PoW genesis
// with easy targets, and a chain builder that makes valid (or deliberately broken) blocks
// on any parent by grinding nonces.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain/engine.h"
#include "chain/genesis.h"
#include "chain/mempool.h"
#include "chain/state.h"
#include "crypto/merkle.h"
#include "pow_pos/pow_rules.h"
#include "pow_pos/uint256.h"
#include "tests/support/test_keys.h"

namespace pow_test {

using namespace synod;
using namespace synod::chain;
using synod::pow_pos::Uint256;

inline constexpr std::uint64_t kGenesisTime = 1'000'000;
inline constexpr std::uint64_t kInterval = 1000;

using synod::testing::key_from;
inline const crypto::KeyPair& miner_key(std::size_t i) {
  static const std::vector<crypto::KeyPair> keys = {key_from(0x10), key_from(0x11), key_from(0x12)};
  return keys.at(i);
}
inline const crypto::KeyPair& alice_key() {
  static const crypto::KeyPair key = key_from(1);
  return key;
}
inline const crypto::KeyPair& bob_key() {
  static const crypto::KeyPair key = key_from(2);
  return key;
}
inline Address alice() {
  return address_of(alice_key().public_key());
}
inline Address bob() {
  return address_of(bob_key().public_key());
}

// 2^252: about 16 hashes per block.
inline Uint256 easy_target() {
  return Uint256(1) << 252;
}

// Three miners; a fixed difficulty (factor 1) unless a test asks for retargeting.
inline Genesis make_genesis(std::uint64_t retarget_factor = 1) {
  Genesis genesis;
  genesis.chain_id = "synod-pow-test";
  genesis.mode = ConsensusMode::kPow;
  genesis.genesis_time_ms = kGenesisTime;
  genesis.pow.initial_target = easy_target().to_hash();
  genesis.pow.block_interval_ms = kInterval;
  genesis.pow.retarget_window = 1;
  genesis.pow.max_retarget_factor = retarget_factor;
  genesis.pow.max_reorg_depth = 6;
  genesis.pow.block_reward = 50;
  genesis.pow.max_future_ms = 5000;
  genesis.pow.median_time_window = 3;
  genesis.pow.max_block_transactions = 100;
  genesis.pow.max_block_bytes = 64 * 1024;
  std::vector<ValidatorInfo> miners;
  for (std::size_t i = 0; i < 3; ++i) {
    miners.push_back({"miner-" + std::to_string(i), miner_key(i).public_key(),
                      "127.0.0.1:" + std::to_string(27000 + i), 1});
  }
  genesis.validators = ValidatorSet(miners);
  genesis.accounts.push_back({alice(), 1000, 0});
  genesis.accounts.push_back({bob(), 500, 0});
  return genesis;
}

inline Transaction transfer(const Genesis& genesis, const crypto::KeyPair& from, const Address& to,
                            std::uint64_t amount, std::uint64_t nonce, std::uint64_t fee = 1) {
  return make_transfer(from, chain::SigningDomain::of(genesis), to, amount, fee, nonce);
}

// Grinds the nonce until the header meets its own target.
inline void grind(Block& block) {
  auto& seal = std::get<PowSeal>(block.header.seal);
  const Uint256 target = Uint256::from_hash(seal.target);
  for (seal.nonce = 0; !pow_pos::meets_target(block.hash(), target); ++seal.nonce) {
  }
}

inline std::uint64_t grind_nonce(BlockHeader header) {
  Block block;
  block.header = std::move(header);
  grind(block);
  return std::get<PowSeal>(block.header.seal).nonce;
}

// Builds blocks on any known parent, keeping every block's state: valid by default, or
// broken by `tamper` or invalid transactions (the work is always right; a broken block's
// children are built on its parent's state).
struct BlockOptions {
  std::vector<Transaction> transactions;
  std::optional<std::uint64_t> timestamp_ms;  // default: parent + kInterval
  std::size_t miner = 1;
  std::function<void(Block&)> tamper;
  std::optional<Uint256> target;  // default: what the rules require
  // kAlreadyVerified: the caller signed the transactions itself (saves a benchmark's
  // pre-mining one verification per transfer).
  SignaturePolicy signatures = SignaturePolicy::kVerify;
};

class ChainBuilder {
 public:
  using Options = BlockOptions;

  explicit ChainBuilder(const Genesis& genesis)
      : genesis_(genesis), genesis_block_(make_genesis_block(genesis)) {
    blocks_.emplace(genesis_block_.hash(), genesis_block_);
    states_.emplace(genesis_block_.hash(), State::from_genesis(genesis));
  }

  const Block& genesis_block() const { return genesis_block_; }
  const Block& block(const crypto::Hash256& hash) const { return blocks_.at(hash); }
  const State& state(const crypto::Hash256& hash) const { return states_.at(hash); }
  const StateDiff& diff(const crypto::Hash256& hash) const { return diffs_.at(hash); }

  Block extend(const crypto::Hash256& parent, Options options = Options()) {
    const Block& before = blocks_.at(parent);
    State state = states_.at(parent);
    Block block;
    block.header.height = before.header.height + 1;
    block.header.prev_hash = parent;
    block.header.timestamp_ms =
        options.timestamp_ms.value_or(before.header.timestamp_ms + kInterval);
    block.header.proposer = miner_key(options.miner).public_key();
    Uint256 target = options.target.value_or(expected_target(parent));
    block.header.seal = PowSeal{0, target.to_hash()};
    block.transactions = options.transactions;
    block.header.tx_root = transactions_root(block.transactions);
    Execution execution = state.execute(block.transactions, address_of(block.header.proposer),
                                        options.signatures, genesis_.pow.block_reward);
    if (execution.ok()) {
      block.header.state_root = state.root_after(execution.diff);
      state.apply(execution.diff);
    }
    if (options.tamper)
      options.tamper(block);
    grind(block);
    const crypto::Hash256 hash = block.hash();
    blocks_.emplace(hash, block);
    if (execution.ok() && !options.tamper) {
      states_.emplace(hash, std::move(state));
      diffs_.emplace(hash, std::move(execution.diff));
    } else {
      states_.emplace(hash, states_.at(parent));  // broken: children build on the parent's
    }
    return block;
  }

  // `count` blocks on `parent`, each on the one before.
  std::vector<Block> chain(const crypto::Hash256& parent, std::size_t count,
                           std::size_t miner = 1) {
    std::vector<Block> out;
    crypto::Hash256 at = parent;
    for (std::size_t i = 0; i < count; ++i) {
      Options options;
      options.miner = miner;
      out.push_back(extend(at, options));
      at = out.back().hash();
    }
    return out;
  }

  Uint256 expected_target(const crypto::Hash256& parent) const {
    std::vector<pow_pos::ChainPoint> points;
    for (auto it = blocks_.find(parent);
         it != blocks_.end() && points.size() < pow_pos::points_needed(genesis_.pow);
         it = blocks_.find(it->second.header.prev_hash)) {
      const auto& header = it->second.header;
      const auto& seal = std::get<PowSeal>(header.seal);
      points.push_back({header.height, header.timestamp_ms, Uint256::from_hash(seal.target)});
      if (header.height == 0)
        break;
    }
    auto target = pow_pos::next_target(points, genesis_.pow);
    if (!target) {
      std::fprintf(stderr, "ChainBuilder: no target after a parent it built\n");
      std::abort();  // the builder keeps every block, so the ancestry is always there
    }
    return *target;
  }

 private:
  const Genesis& genesis_;
  Block genesis_block_;
  std::map<crypto::Hash256, Block> blocks_;
  std::map<crypto::Hash256, State> states_;
  std::map<crypto::Hash256, StateDiff> diffs_;
};

}  // namespace pow_test
