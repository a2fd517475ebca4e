#include "pbft/factory.h"

#include "chain/genesis.h"
#include "pbft/adversary.h"
#include "pbft/follower.h"
#include "pbft/replica.h"

namespace synod::pbft {
namespace {

Result<std::unique_ptr<chain::Engine>> make_validator(chain::EngineSetup& setup) {
  ReplicaConfig config{setup.genesis, setup.key, setup.batch_delay_ms, setup.view_change_timeout_ms,
                       setup.signature_check};
  config.max_block_gap_ms = setup.max_block_gap_ms;
  config.slow_primary_strikes = setup.slow_primary_strikes;
  std::optional<Bytes> votes;
  if (setup.stored != nullptr) {
    auto persisted = setup.stored->persisted(Replica::kVotesKey);
    if (!persisted)
      return persisted.error();
    votes = std::move(*persisted);
  }
  auto built = Replica::create(std::move(config), *setup.mempool,
                               {std::move(setup.state), std::move(setup.head), std::move(votes)});
  if (!built)
    return built.error();
  std::unique_ptr<chain::Engine> engine = std::move(*built);
  if (setup.byzantine.empty())
    return engine;
  std::string names;
  for (const auto& name : setup.byzantine)
    names += (names.empty() ? "" : ",") + name;
  auto kinds = parse_adversary_kinds(names);
  if (!kinds)
    return kinds.error();
  AdversaryOptions adversary{std::move(*kinds), setup.adversary_seed, setup.genesis,
                             setup.key,         *setup.participant,   0};
  return wrap_adversary(std::move(engine), std::move(adversary));
}

Result<std::unique_ptr<chain::Engine>> make_full_node(chain::EngineSetup& setup) {
  if (!setup.byzantine.empty())
    return make_error("--byzantine needs a validator's key (this is a full node)");
  FollowerConfig config;
  config.genesis = setup.genesis;
  config.upstreams = setup.upstreams;
  if (setup.poll_interval_ms > 0)
    config.poll_interval_ms = setup.poll_interval_ms;
  if (setup.fetch_batch_blocks > 0)
    config.fetch_batch_blocks = setup.fetch_batch_blocks;
  // Longer than a driver's own deadlines for one fetch (connect, long poll, answer), so
  // the engine's timeout only fires when the driver itself is stuck.
  config.fetch_timeout_ms = 15'000;
  config.signature_check = setup.signature_check;
  auto built = Follower::create(std::move(config),
                                FollowerRecovery{std::move(setup.state), std::move(setup.head)});
  if (!built)
    return built.error();
  return std::unique_ptr<chain::Engine>(std::move(*built));
}

}  // namespace

Result<std::unique_ptr<chain::Engine>> make_pbft_engine(chain::EngineSetup setup) {
  if (!setup.genesis || setup.genesis->mode != chain::ConsensusMode::kPbft)
    return make_error("the PBFT engine needs a genesis with \"consensus\": \"pbft\"");
  if (setup.mempool == nullptr)
    return make_error("the PBFT engine needs a mempool");
  if (setup.participant)
    return make_validator(setup);
  if (setup.upstreams == 0)
    return make_error("a PBFT full node needs at least one upstream");
  return make_full_node(setup);
}

}  // namespace synod::pbft
