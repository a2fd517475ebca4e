// A deliberately tiny consensus engine for testing the simulator itself, independent of
// pbft/: validator 0 leads forever; it proposes a block as soon as its mempool has
// transactions, every validator checks the block and broadcasts a signed commit vote, and a
// quorum of votes is the block's commit certificate (chain/certificate.h), so the blocks it
// commits pass the same invariant checks as PBFT's. A replica that sees a proposal beyond
// its head fetches the missing blocks from the leader.
//
// It has no view change: a crashed leader stops it. It is safe only with honest nodes.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "chain/engine.h"
#include "chain/genesis.h"
#include "chain/mempool.h"
#include "tests/support/quiet_queries.h"

namespace synod::sim {

class ToyEngine final : public testing::QuietQueries {
 public:
  // `mempool` must outlive the engine; `head` and `state` are the store's.
  ToyEngine(std::shared_ptr<const chain::Genesis> genesis, crypto::KeyPair key,
            chain::ReplicaIndex index, chain::Mempool& mempool, chain::Block head,
            chain::State state);

  chain::Actions start(chain::TimeMs now) override;
  chain::Actions on_message(chain::ReplicaIndex from, ByteView message, chain::TimeMs now) override;
  chain::Actions on_transactions(chain::TimeMs now) override;
  chain::Actions on_timer(std::uint32_t id, chain::TimeMs now) override;
  chain::Actions on_block_stored(std::uint64_t height, chain::TimeMs now) override;
  chain::Actions on_blocks_fetched(chain::ReplicaIndex peer, std::vector<chain::Block> blocks,
                                   chain::TimeMs now) override;

  chain::ChainHead head() const override { return {head_.header.height, head_.hash()}; }
  const chain::State& state() const override { return state_; }

 private:
  struct Proposal {
    chain::Block block;
    chain::StateDiff diff;
  };
  void maybe_propose(chain::TimeMs now, chain::Actions& out);
  void accept(chain::Block block, chain::Actions& out);
  void on_vote(chain::ReplicaIndex from, std::uint64_t height, const crypto::Hash256& hash,
               const crypto::Signature& signature, chain::Actions& out);
  void try_commit(chain::Actions& out);
  void commit(chain::Block block, chain::StateDiff diff, chain::Actions& out);

  std::shared_ptr<const chain::Genesis> genesis_;
  chain::SigningDomain domain_;  // of genesis_
  crypto::KeyPair key_;
  chain::ReplicaIndex index_;
  chain::Mempool& mempool_;
  chain::Block head_;
  chain::State state_;
  std::optional<Proposal> proposal_;
  std::map<std::uint64_t, chain::Block> future_;  // proposals above head + 1
  std::uint64_t stored_height_ = 0;
  std::map<std::uint64_t,
           std::map<crypto::Hash256, std::map<chain::ReplicaIndex, crypto::Signature>>>
      votes_;
};

}  // namespace synod::sim
