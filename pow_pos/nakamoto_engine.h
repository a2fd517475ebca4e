// The chain::Engine answers both longest-chain engines (PowEngine, PosEngine) give alike,
// from the Nakamoto core they share (nakamoto_core.h): receiving and fetching blocks, the
// head and its state, probabilistic finality, message names and the core's counters. Each
// engine adds its construction, its block producer and timers, and its reports.
//
// Thread safety: none (one driver thread).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "chain/engine.h"
#include "pow_pos/pow_rules.h"

namespace synod::pow_pos {

using chain::Actions;
using chain::PeerIndex;
using chain::TimeMs;

struct NakamotoCore;

struct PowCounters {
  std::uint64_t blocks_accepted = 0;   // joined the block tree (own blocks included)
  std::uint64_t blocks_connected = 0;  // executed onto the best chain
  std::uint64_t blocks_mined = 0;
  std::array<std::uint64_t, kRejectionCount> rejected{};  // by Rejection
  std::uint64_t local_errors = 0;                         // our own failures (Verdict kError)
  std::uint64_t duplicates = 0;
  std::uint64_t reorgs = 0;
  std::uint64_t deepest_reorg = 0;  // blocks undone by the deepest reorg
  std::uint64_t deep_reorgs_refused = 0;
  std::uint64_t orphans_added = 0;
  std::uint64_t orphans_connected = 0;
  std::uint64_t orphans_evicted = 0;
  std::uint64_t transactions_returned = 0;  // abandoned by a reorg, back in the mempool
  std::uint64_t fetches = 0;
  std::uint64_t templates = 0;
  std::uint64_t stale_mining_reports = 0;  // on_block_mined for an old job
  std::uint64_t bad_mining_reports = 0;    // a nonce that does not meet the target
};

class NakamotoEngine : public chain::Engine {
 public:
  Actions on_message(chain::ReplicaIndex from, ByteView message, TimeMs now) final;
  Actions on_block_stored(std::uint64_t height, TimeMs now) final;
  Actions on_blocks_fetched(chain::ReplicaIndex peer, std::vector<chain::Block> blocks,
                            TimeMs now) final;

  chain::ChainHead head() const final;
  const chain::State& state() const final;
  chain::Finality finality() const final { return chain::Finality::kProbabilistic; }
  std::string message_type(ByteView message) const final;

  // For tests and tools.
  const PowCounters& counters() const;
  std::size_t tree_size() const;

 protected:
  // `core` belongs to the derived engine, which keeps it as long as this object lives.
  explicit NakamotoEngine(NakamotoCore& core) : core_(core) {}

 private:
  NakamotoCore& core_;
};

}  // namespace synod::pow_pos
