// The interface every consensus engine (PBFT, PoW, PoS) presents to its driver — the node
// runtime or the deterministic simulator.
//
// An engine is a sans-I/O state machine: each input is a method call with the current time
// passed in, each returns the actions the driver must carry out, in order. Engines never
// touch sockets, clocks, threads or storage; the driver does, which is what lets the
// simulator run the very code the node runs.
//
// Ordering contract for drivers: actions are executed in the order returned. A Persist
// action must be durable before any later action in the same list is carried out (this is
// how a replica never sends a vote it could forget in a crash).
//
// Thread safety: none. One driver thread calls an engine.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "chain/block.h"
#include "chain/state.h"

namespace synod::chain {

using ReplicaIndex = std::uint32_t;
using TimeMs = std::uint64_t;

// Send one protocol message (canonically encoded, signed) to one validator.
struct SendAction {
  ReplicaIndex to = 0;
  Bytes message;
};
// Send one protocol message to every other validator.
struct BroadcastAction {
  Bytes message;
};
// A block is final: store it (with its certificate) and the state changes it made, then
// report on_block_stored(height). `tx_hashes` holds the hash of each of the block's
// transactions, in order (the engine computed them when it checked the block), so the
// driver need not hash them again: exactly one per transaction.
struct CommitBlockAction {
  Block block;
  StateDiff diff;
  std::vector<crypto::Hash256> tx_hashes;
};
// Durably record `value` under `key` before carrying out any later action.
struct PersistAction {
  std::string key;
  Bytes value;
};
// Arm (or re-arm) timer `id` to fire at absolute time `at_ms`; cancel disarms it.
struct SetTimerAction {
  std::uint32_t id = 0;
  TimeMs at_ms = 0;
};
struct CancelTimerAction {
  std::uint32_t id = 0;
};
// Ask `peer` for up to `max_blocks` committed blocks (with certificates) from `from_height`;
// the driver answers with on_blocks_fetched.
struct FetchBlocksAction {
  ReplicaIndex peer = 0;
  std::uint64_t from_height = 0;
  std::uint32_t max_blocks = 0;
};

using Action = std::variant<SendAction, BroadcastAction, CommitBlockAction, PersistAction,
                            SetTimerAction, CancelTimerAction, FetchBlocksAction>;
using Actions = std::vector<Action>;

class Engine {
 public:
  virtual ~Engine() = default;

  // Called once, after construction from persisted state and the store's head.
  virtual Actions start(TimeMs now) = 0;
  // A protocol message from validator `from` (authenticated by the transport as coming
  // from that validator's connection, but its content is untrusted).
  virtual Actions on_message(ReplicaIndex from, ByteView message, TimeMs now) = 0;
  // New transactions were admitted to the mempool.
  virtual Actions on_transactions(TimeMs now) = 0;
  virtual Actions on_timer(std::uint32_t id, TimeMs now) = 0;
  // The driver finished storing the block at `height` (from a CommitBlockAction).
  virtual Actions on_block_stored(std::uint64_t height, TimeMs now) = 0;
  // Blocks a peer returned for a FetchBlocksAction (untrusted: the engine verifies them).
  virtual Actions on_blocks_fetched(ReplicaIndex peer, std::vector<Block> blocks, TimeMs now) = 0;
};

}  // namespace synod::chain
