// The engine of a non-validating full node: a deterministic, sans-I/O state machine (see
// chain/engine.h) that follows a PBFT chain without taking part in consensus.
//
// It asks its upstreams (nodes it reads from, numbered 0..upstreams-1; the driver knows
// how to reach them) for committed blocks after its head. It trusts none of them: every
// block must extend the head, carry a commit certificate that verifies against the genesis
// validator set alone, and re-execute to the state root in its header. A block that fails
// any check is rejected and the follower moves to the next upstream, so one lying or
// lagging upstream can delay a full node but never feed it a wrong block.
//
// Polling: an answer with new blocks means more may be waiting, so the next fetch goes out
// at once to the same upstream; an answer with none means the follower has caught up with
// that upstream (or could not reach it), so it waits poll_interval_ms and asks the next
// upstream in turn. That rotation
// is what routes around a dead, slow or censoring upstream. At most one fetch is in flight;
// a fetch unanswered after fetch_timeout_ms counts as failed. The follower stops fetching
// once max_unstored_blocks committed blocks wait for the driver's storage (one answer may
// overshoot that by up to a batch).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "chain/engine.h"
#include "chain/genesis.h"

namespace synod::pbft {

using chain::Actions;
using chain::ReplicaIndex;
using chain::TimeMs;

struct FollowerConfig {
  std::shared_ptr<const chain::Genesis> genesis;
  std::uint32_t upstreams = 1;  // FetchBlocksAction::peer is an index below this
  std::uint64_t poll_interval_ms = 200;
  std::uint64_t fetch_timeout_ms = 10'000;
  std::uint32_t fetch_batch_blocks = 64;
  std::uint64_t max_unstored_blocks = 256;
  // Checks a transaction's signature; the driver may have verified it already (off its
  // event loop) and answer from what it verified. Unset: verified here.
  std::function<bool(const chain::Transaction& tx, const crypto::Hash256& tx_hash)> signature_check;
};

// What a follower restarts from: the store's head and the state after it. A follower
// signs nothing, so it persists nothing of its own.
struct FollowerRecovery {
  chain::State state;
  chain::Block head;  // block 0 (no certificate) on a fresh chain
};

struct FollowerCounters {
  std::uint64_t fetches = 0;          // requests sent to upstreams
  std::uint64_t fetch_timeouts = 0;   // requests never answered in time
  std::uint64_t blocks_fetched = 0;   // blocks verified and committed
  std::uint64_t blocks_rejected = 0;  // blocks that failed a check
  std::uint64_t upstream_switches = 0;
};

struct FollowerSnapshot {
  std::uint64_t head_height = 0;
  crypto::Hash256 head_hash;
  std::uint64_t head_view = 0;  // view of the head block's commit certificate
  std::uint64_t stored_height = 0;
  ReplicaIndex upstream = 0;   // the upstream asked last (or being asked)
  bool fetching = false;       // a request is in flight
  bool syncing = false;        // the last answer was a full batch: the follower is behind
  std::string last_rejection;  // why the most recent rejected block was refused
};

class Follower final : public chain::Engine {
 public:
  enum Timer : std::uint32_t { kFetchTimer = 1 };

  // Fails when the genesis is not a PBFT genesis or the config is unusable.
  static Result<std::unique_ptr<Follower>> create(FollowerConfig config, FollowerRecovery recovery);
  ~Follower() override;

  Actions start(TimeMs now) override;
  // A full node has no consensus peers: messages are ignored.
  Actions on_message(ReplicaIndex from, ByteView message, TimeMs now) override;
  // Transactions are relayed by the driver, never proposed by a follower.
  Actions on_transactions(TimeMs now) override;
  Actions on_timer(std::uint32_t id, TimeMs now) override;
  Actions on_block_stored(std::uint64_t height, TimeMs now) override;
  // The answer to the last FetchBlocksAction; an empty list also stands for "the upstream
  // could not be reached".
  Actions on_blocks_fetched(ReplicaIndex upstream, std::vector<chain::Block> blocks,
                            TimeMs now) override;

  // Queries (follower_report.cpp).
  chain::ChainHead head() const override;
  const chain::State& state() const override;  // after the head block
  chain::Finality finality() const override { return chain::Finality::kCertificate; }
  nlohmann::json status(TimeMs now) const override;
  nlohmann::json consensus_dump(TimeMs now) const override;
  nlohmann::json validator_facts() const override;
  std::vector<chain::MetricSample> metrics() const override;
  std::string message_type(ByteView message) const override;
  std::string progress_note() const override;

  std::uint64_t head_height() const;
  const crypto::Hash256& head_hash() const;
  std::uint64_t head_view() const;
  const FollowerCounters& counters() const;
  FollowerSnapshot snapshot() const;

 private:
  const chain::Genesis& genesis() const;
  struct Impl;
  explicit Follower(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace synod::pbft
