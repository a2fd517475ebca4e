// Shared helpers of the PoW engine tests: an engine on a fresh chain with its mempool and a
// chain builder for the blocks its peers send.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <optional>

#include "pow_pos/pow_engine.h"
#include "pow_pos/pow_messages.h"
#include "pow_test_util.h"

namespace pow_test {

using synod::pow_pos::PowEngine;

// Far enough after the genesis that every block the builder makes is in the past.
inline constexpr TimeMs kNow = kGenesisTime + 1'000'000;

struct HarnessOptions {
  std::uint64_t retarget_factor = 1;
  std::optional<ReplicaIndex> participant = ReplicaIndex{0};
  bool mine = false;
  std::uint32_t upstreams = 0;
  std::uint32_t fetch_batch_blocks = 4;
  std::function<void(Genesis&)> adjust;
};

struct Harness {
  explicit Harness(HarnessOptions harness_options = HarnessOptions())
      : options(std::move(harness_options)), genesis(make(options)), builder(*genesis) {
    engine = create(setup());
  }

  static std::shared_ptr<const Genesis> make(const HarnessOptions& options) {
    Genesis genesis = make_genesis(options.retarget_factor);
    if (options.adjust)
      options.adjust(genesis);
    return std::make_shared<const Genesis>(genesis);
  }

  EngineSetup setup() {
    EngineSetup out(genesis, miner_key(options.participant.value_or(0)),
                    State::from_genesis(*genesis), builder.genesis_block());
    out.participant = options.participant;
    out.mempool = &mempool;
    out.upstreams = options.upstreams;
    out.fetch_batch_blocks = options.fetch_batch_blocks;
    out.mine = options.mine;
    return out;
  }

  static std::unique_ptr<PowEngine> create(EngineSetup setup) {
    auto engine = PowEngine::create(std::move(setup));
    if (!engine.ok())
      FAIL(engine.message());
    return std::move(*engine);
  }

  Actions deliver(const Block& block, ReplicaIndex from = 1) {
    return engine->on_message(from, synod::pow_pos::encode_block_message(block), now);
  }

  // Delivers blocks one message at a time; returns every action.
  Actions deliver_all(const std::vector<Block>& blocks, ReplicaIndex from = 1) {
    Actions all;
    for (const auto& block : blocks) {
      Actions actions = deliver(block, from);
      all.insert(all.end(), actions.begin(), actions.end());
    }
    return all;
  }

  std::uint64_t rejected(synod::pow_pos::Rejection reason) const {
    return engine->counters().rejected[static_cast<std::size_t>(reason)];
  }

  // Admits a transaction to the mempool against the engine's state.
  void submit(const Transaction& tx) {
    REQUIRE_FALSE(mempool.add(tx, tx.hash(), engine->state()).has_value());
  }

  HarnessOptions options;
  std::shared_ptr<const Genesis> genesis;
  ChainBuilder builder;
  Mempool mempool;
  std::unique_ptr<PowEngine> engine;
  TimeMs now = kNow;
};

}  // namespace pow_test
